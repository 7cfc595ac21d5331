/* "Add to my plan" on site pages, and the plan page: pick sites, ask the planner, draw the route.
 * Names are only ever set as text. */
(function () {
  "use strict";
  var H = window.Hongtu;

  var add = document.getElementById("add-to-plan");
  if (add) {
    add.addEventListener("click", function () {
      H.plan.add({ id: Number(add.getAttribute("data-site-id")), name: add.getAttribute("data-site-name") });
      add.textContent = add.getAttribute("data-added");
      add.disabled = true;
    });
  }

  var list = document.getElementById("plan-list");
  if (!list) return;
  var result = document.getElementById("plan-result");
  var routeLayer = null;

  function draw() {
    list.textContent = "";
    H.plan.get().forEach(function (site) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = "/sites/" + encodeURIComponent(site.id);
      link.textContent = site.name;
      var remove = document.createElement("button");
      remove.className = "btn btn-link btn-sm text-danger p-0 ms-2";
      remove.setAttribute("aria-label", "remove");
      remove.innerHTML = '<i class="bi bi-x-circle"></i>';
      remove.addEventListener("click", function () {
        H.plan.save(H.plan.get().filter(function (s) { return s.id !== site.id; }));
      });
      li.appendChild(link);
      li.appendChild(remove);
      list.appendChild(li);
    });
  }
  document.addEventListener("hongtu:plan", draw);
  draw();

  document.getElementById("plan-clear").addEventListener("click", function () {
    H.plan.clear();
    if (routeLayer) H.map.removeLayer(routeLayer);
    result.textContent = "";
  });

  function clock(iso) {
    return iso ? iso.slice(11, 16) : "";
  }
  // Plans start in the future: the date defaults to tomorrow (China Standard Time).
  var dateInput = document.getElementById("plan-date");
  var tomorrow = new Date(Date.now() + 8 * 3600 * 1000 + 24 * 3600 * 1000).toISOString().slice(0, 10);
  dateInput.value = tomorrow;
  dateInput.min = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
  function startAt(time) {
    return (dateInput.value || tomorrow) + "T" + time + "+08:00";
  }
  function showPlan(answer) {
    if (routeLayer) H.map.removeLayer(routeLayer);
    routeLayer = L.featureGroup();
    if (answer.path) {
      routeLayer.addLayer(L.geoJSON(answer.path, {
        style: H.cfg.styles.routes,
        coordsToLatLng: function (c) { return H.toDisplay(c[1], c[0]); },
      }));
    }
    answer.stops.forEach(function (stop) {
      var icon = L.divIcon({ className: "hongtu-stop-icon", html: H.esc(stop.seq), iconSize: [22, 22] });
      routeLayer.addLayer(L.marker(H.toDisplay(stop.lat, stop.lon), { icon: icon, title: String(stop.name) }));
    });
    routeLayer.addTo(H.map);
    H.layers.plan_route = routeLayer;
    if (routeLayer.getLayers().length) H.map.fitBounds(routeLayer.getBounds().pad(0.15));
    result.textContent = "";
    var ol = document.createElement("ol");
    answer.stops.forEach(function (stop) {
      var li = document.createElement("li");
      li.textContent = stop.name + " · " + H.t("arrive") + " " + clock(stop.arrive_at) + " · " + H.t("leave") +
        " " + clock(stop.depart_at);
      ol.appendChild(li);
    });
    result.appendChild(ol);
    if (answer.token) {
      var gpx = document.createElement("a");
      gpx.className = "btn btn-outline-danger btn-sm";
      gpx.href = "/api/v1/plans/" + encodeURIComponent(answer.token) + ".gpx";
      gpx.textContent = H.t("download_gpx");
      result.appendChild(gpx);
    }
    H.rendered("plan_route");
  }

  document.getElementById("plan-make").addEventListener("click", function () {
    var sites = H.plan.get();
    if (!sites.length) {
      result.textContent = H.t("plan_empty");
      return;
    }
    var start = document.getElementById("plan-start").value || "09:00";
    H.getJson("/maps/data/site/" + encodeURIComponent(sites[0].id))
      .then(function (first) {
        return fetch("/api/v1/plans", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({
            sites: sites.map(function (s) { return s.id; }),
            start: { lon: first.lon, lat: first.lat, name: first.name },
            start_at: startAt(start),
            end: "open",
            mode: "walk",
          }),
        });
      })
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) throw new Error(body.detail || H.t("plan_failed"));
          return body;
        });
      })
      .then(showPlan)
      .catch(function (err) {
        result.textContent = H.t("plan_failed") + ": " + err.message;
      });
  });
})();
