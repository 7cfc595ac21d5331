/* 党建云图: coverage choropleth by child region, blind zones, distribution charts, history and warnings.
 * Data comes from the coverage API and the map data endpoints; every label is escaped or set as text. */
(function () {
  "use strict";
  var H = window.Hongtu;
  var root = document.getElementById("dash");
  if (!root) return;
  var adcode = root.getAttribute("data-region");
  var map = H.map;
  var RAMP = ["#a50f15", "#de2d26", "#fb6a4a", "#fcae91", "#c7e9c0", "#74c476", "#238b45"];
  var charts = [];

  function ratioColour(r) {
    if (r == null) return "#d1d5db";
    return RAMP[Math.min(RAMP.length - 1, Math.max(0, Math.floor((r - 0.4) / 0.6 * RAMP.length)))];
  }
  function pct(r) {
    return r == null ? "–" : (r * 100).toFixed(1) + "%";
  }
  function item(list, text, onClick) {
    var li = document.createElement("li");
    li.className = "list-group-item d-flex justify-content-between align-items-center small";
    var span = document.createElement("span");
    span.textContent = text;
    li.appendChild(span);
    if (onClick) {
      var b = document.createElement("button");
      b.className = "btn btn-outline-danger btn-sm";
      b.textContent = H.t("zoom_to");
      b.addEventListener("click", onClick);
      li.appendChild(b);
    }
    list.appendChild(li);
    return li;
  }
  function fail(where) {
    return function (err) {
      console.warn(where + ": " + err.message);
    };
  }
  function shifted() {
    return { coordsToLatLng: function (c) { return H.toDisplay(c[1], c[0]); } };
  }
  function chart(id, option) {
    var el = document.getElementById(id);
    var c = echarts.init(el, null, { renderer: "canvas" });
    c.setOption(option);
    charts.push(c);
    return c;
  }
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
  // Tooltips are HTML in ECharts: build them from escaped values only.
  function tip(params) {
    var list = Array.isArray(params) ? params : [params];
    return list.map(function (p) {
      return H.esc(p.name) + (p.seriesName ? " · " + H.esc(p.seriesName) : "") + ": " + H.esc(p.value);
    }).join("<br>");
  }

  /* Choropleth of the covered share of each child region. */
  var choropleth = L.featureGroup().addTo(map);
  H.layers.choropleth = choropleth;
  // The children request brings the region's coverage up to date; the other coverage reads wait for it
  // so that a cold region is refreshed once rather than by several requests at the same time.
  var fresh = H.getJson("/api/v1/coverage/" + encodeURIComponent(adcode) + "/children");
  function afterFresh(url) {
    return fresh.then(function () { return H.getJson(url); });
  }
  fresh.then(function (body) {
    var ratios = document.getElementById("dash-ratio");
    ratios.textContent = body.children.map(function (c) { return c.name + " " + pct(c.covered_ratio); }).join(" · ");
    return Promise.all(body.children.map(function (child) {
      return H.getJson("/api/v1/regions/" + encodeURIComponent(child.adcode) + "/outline?simplify_deg=0.002")
        .then(function (outline) {
          var layer = L.geoJSON(outline, Object.assign(shifted(), {
            style: { color: "#7f1d1d", weight: 1, fillColor: ratioColour(child.covered_ratio), fillOpacity: 0.65 },
          }));
          layer.bindTooltip(function () {
            return H.esc(child.name) + " " + H.esc(H.t("coverage_ratio")) + " " + H.esc(pct(child.covered_ratio));
          });
          layer.on("click", function () {
            window.location.href = "/dashboard?region=" + encodeURIComponent(child.adcode);
          });
          choropleth.addLayer(layer);
        });
    }));
  }).then(function () {
    H.rendered("choropleth");
  }).catch(fail("children"));

  /* Blind zones: polygons on the map and a list with zoom-to. */
  var blindLayer = L.geoJSON(null, Object.assign(shifted(), { style: H.cfg.styles.blind_zones })).addTo(map);
  afterFresh("/api/v1/coverage/" + encodeURIComponent(adcode) + "/layers/blind").then(function (fc) {
    blindLayer.addData(fc);
  }).catch(fail("blind layer"));
  afterFresh("/api/v1/coverage/" + encodeURIComponent(adcode) + "/findings?kind=blind").then(function (body) {
    var list = document.getElementById("dash-blind");
    var rows = body.findings.slice().sort(function (a, b) { return (b.area_m2 || 0) - (a.area_m2 || 0); });
    if (!rows.length) item(list, H.t("no_blind"));
    rows.slice(0, 200).forEach(function (f) {
      var km2 = ((f.area_m2 || 0) / 1e6).toFixed(2);
      item(list, f.region.name + " · " + km2 + " km²", f.centroid ? function () {
        map.setView(H.toDisplay(f.centroid[1], f.centroid[0]), 13);
      } : null);
    });
    H.rendered("blind_list");
  }).catch(fail("blind list"));

  /* Organizations and members by child region, kind and category. */
  H.getJson("/maps/data/distribution?region=" + encodeURIComponent(adcode) + "&lang=" + H.cfg.lang)
    .then(function (d) {
      var names = d.by_region.map(function (r) { return r.name; });
      chart("chart-orgs", {
        tooltip: { trigger: "axis", formatter: tip },
        legend: { top: 0 },
        grid: { left: 40, right: 40, top: 30, bottom: 60 },
        xAxis: { type: "category", data: names, axisLabel: { rotate: 40 } },
        yAxis: [{ type: "value" }, { type: "value" }],
        series: [
          { name: H.t("organizations"), type: "bar", data: d.by_region.map(function (r) { return r.organizations; }),
            itemStyle: { color: "#c8102e" } },
          { name: H.t("members"), type: "line", yAxisIndex: 1,
            data: d.by_region.map(function (r) { return r.members; }), itemStyle: { color: "#f59e0b" } },
        ],
      });
      chart("chart-members", {
        tooltip: { trigger: "item", formatter: tip },
        legend: { bottom: 0 },
        series: [
          { name: H.t("members"), type: "pie", radius: ["35%", "60%"], center: ["30%", "45%"],
            data: d.by_category.map(function (r) { return { name: r.label, value: r.members }; }) },
          { name: H.t("organizations"), type: "pie", radius: [0, "30%"], center: ["75%", "45%"],
            data: d.by_kind.map(function (r) { return { name: r.label, value: r.organizations }; }) },
        ],
      });
      H.rendered("distribution");
    }).catch(fail("distribution"));

  /* Coverage over time from the stored snapshots. */
  afterFresh("/api/v1/coverage/" + encodeURIComponent(adcode) + "/history").then(function (body) {
    var when = body.history.map(function (p) { return String(p.created_at).slice(0, 10); });
    chart("chart-history", {
      tooltip: { trigger: "axis", formatter: tip },
      legend: { top: 0 },
      grid: { left: 50, right: 20, top: 30, bottom: 30 },
      xAxis: { type: "category", data: when },
      yAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: function (v) { return v * 100 + "%"; } } },
      series: [
        { name: H.t("covered"), type: "line", data: body.history.map(function (p) { return p.covered_ratio; }) },
        { name: H.t("reach_covered"), type: "line", data: body.history.map(function (p) { return p.reach_ratio; }) },
      ],
    });
  }).catch(fail("history"));

  /* Warnings: regions whose coverage is stale, zones without a responsible organization. */
  var warnings = document.getElementById("dash-warnings");
  Promise.all([
    afterFresh("/api/v1/coverage/stale"),
    afterFresh("/api/v1/coverage/" + encodeURIComponent(adcode) + "/findings?kind=unassigned"),
  ]).then(function (answers) {
    var stale = answers[0].stale, unassigned = answers[1].findings;
    stale.forEach(function (s) {
      item(warnings, H.t("stale") + " · " + (s.name || s.adcode || ""));
    });
    unassigned.forEach(function (f) {
      var zones = (f.zones || []).map(function (z) { return z.name; }).join("、");
      item(warnings, H.t("unassigned_zone") + " · " + f.region.name + " · " + zones, f.centroid ? function () {
        map.setView(H.toDisplay(f.centroid[1], f.centroid[0]), 13);
      } : null);
    });
    if (!stale.length && !unassigned.length) item(warnings, H.t("no_warnings"));
    H.rendered("warnings");
  }).catch(fail("warnings"));

  /* Legend of the coverage colours. */
  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "hongtu-legend");
    var title = L.DomUtil.create("div", "fw-bold", div);
    title.textContent = H.t("coverage_ratio");
    RAMP.forEach(function (colour, i) {
      var row = L.DomUtil.create("div", "", div);
      var swatch = L.DomUtil.create("span", "swatch", row);
      swatch.style.background = colour;
      var lo = 0.4 + (i * 0.6) / RAMP.length;
      row.appendChild(document.createTextNode((i === 0 ? "< " : "≥ ") + Math.round((i === 0 ? lo + 0.6 / RAMP.length : lo) * 100) + "%"));
    });
    return div;
  };
  legend.addTo(map);

  var pick = document.getElementById("dash-child");
  if (pick) {
    pick.addEventListener("change", function () {
      if (pick.value) window.location.href = "/dashboard?region=" + encodeURIComponent(pick.value);
    });
  }
})();
