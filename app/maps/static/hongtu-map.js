/* Hongtu map pages: layers that load by bbox or as vector tiles, popups, and the map controls.
 * Every value that comes from data is escaped (esc) or set as text before it reaches the page. */
(function () {
  "use strict";
  var H = (window.Hongtu = window.Hongtu || {});
  H.cfg = { texts: {}, vocab: {}, styles: {}, icons: {} };
  H.layers = {};
  H.loads = {};
  H.firstLayerMs = null;
  // ms from navigation to the first drawing of each layer, for the benchmarks and `hongtu maps measure`.
  H.drawnMs = {};

  var ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  H.esc = function (value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return ESCAPES[c];
    });
  };
  H.t = function (key) {
    return H.cfg.texts[key] || key;
  };
  H.label = function (vocab, key) {
    var labels = H.cfg.vocab[vocab] || {};
    return labels[key] || key || "";
  };

  // Leaflet 1.8 dropped DomEvent.fakeStop, which VectorGrid still calls on canvas clicks.
  if (window.L && L.DomEvent && !L.DomEvent.fakeStop) {
    L.DomEvent.fakeStop = function (e) {
      L.DomEvent.stopPropagation(e);
    };
  }

  /* --- GCJ-02: only the browser's own position needs shifting here; the server shifts our data. --- */
  var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;
  function shiftLat(x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += ((20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2) / 3;
    r += ((20 * Math.sin(y * PI) + 40 * Math.sin((y / 3) * PI)) * 2) / 3;
    r += ((160 * Math.sin((y / 12) * PI) + 320 * Math.sin((y * PI) / 30)) * 2) / 3;
    return r;
  }
  function shiftLon(x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += ((20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2) / 3;
    r += ((20 * Math.sin(x * PI) + 40 * Math.sin((x / 3) * PI)) * 2) / 3;
    r += ((150 * Math.sin((x / 12) * PI) + 300 * Math.sin((x / 30) * PI)) * 2) / 3;
    return r;
  }
  H.toDisplay = function (lat, lon) {
    if (H.cfg.coordsys !== "gcj02" || lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271) {
      return L.latLng(lat, lon);
    }
    var rad = (lat / 180) * PI, magic = 1 - EE * Math.sin(rad) * Math.sin(rad), sq = Math.sqrt(magic);
    var dLat = (shiftLat(lon - 105, lat - 35) * 180) / (((A * (1 - EE)) / (magic * sq)) * PI);
    var dLon = (shiftLon(lon - 105, lat - 35) * 180) / ((A / sq) * Math.cos(rad) * PI);
    return L.latLng(lat + dLat, lon + dLon);
  };

  /* --- The plan a member builds, kept in this browser. --- */
  H.plan = {
    key: "hongtu.plan",
    get: function () {
      try {
        return JSON.parse(localStorage.getItem(this.key) || "[]");
      } catch (e) {
        return [];
      }
    },
    save: function (items) {
      localStorage.setItem(this.key, JSON.stringify(items));
      document.dispatchEvent(new CustomEvent("hongtu:plan"));
    },
    add: function (site) {
      var items = this.get().filter(function (s) {
        return s.id !== site.id;
      });
      items.push(site);
      this.save(items);
    },
    clear: function () {
      this.save([]);
    },
  };
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-plan-add]");
    if (!button) return;
    H.plan.add({ id: Number(button.getAttribute("data-plan-add")), name: button.getAttribute("data-name") });
    button.textContent = H.t("added_to_plan");
    button.disabled = true;
  });

  /* --- Popups: small HTML built from escaped values only. --- */
  function rows(pairs) {
    return (
      "<dl>" +
      pairs
        .filter(function (p) {
          return p[1] !== null && p[1] !== undefined && p[1] !== "";
        })
        .map(function (p) {
          return "<dt>" + H.esc(p[0]) + "</dt><dd>" + H.esc(p[1]) + "</dd>";
        })
        .join("") +
      "</dl>"
    );
  }
  H.sitePopup = function (p) {
    var hours = p.hours_today ? p.hours_today : H.t("closed_today");
    var html =
      '<div class="hongtu-popup"><h3 class="site-name">' + H.esc(p.name) + "</h3>" +
      rows([
        [H.t("category"), H.label("site_categories", p.category)],
        [H.t("level"), H.label("site_levels", p.level)],
        [H.t("today"), hours],
      ]) +
      '<a href="/sites/' + encodeURIComponent(p.id) + '">' + H.esc(H.t("details")) + "</a>";
    if (H.cfg.page === "plan") {
      html += ' <button class="btn btn-danger btn-sm" data-plan-add="' + H.esc(p.id) + '" data-name="' +
        H.esc(p.name) + '">' + H.esc(H.t("add_to_plan")) + "</button>";
    }
    return html + "</div>";
  };
  function centrePopup(p) {
    return '<div class="hongtu-popup"><h3>' + H.esc(p.name) + "</h3>" +
      rows([[H.t("level"), H.label("centre_levels", p.level)], [H.t("reach"), p.reach_m + " m"],
        [H.t("address"), p.address]]) + "</div>";
  }
  function poiPopup(p) {
    return '<div class="hongtu-popup"><h3>' + H.esc(p.name) + "</h3>" +
      rows([[H.t("category"), H.label("poi_categories", p.category)], [H.t("address"), p.address]]) + "</div>";
  }
  function zonePopup(p) {
    return '<div class="hongtu-popup"><h3>' + H.esc(p.name) + "</h3>" +
      rows([["", p.code], [H.t("org"), p.org_name || H.t("unassigned")]]) + "</div>";
  }
  function routePopup(p) {
    return '<div class="hongtu-popup"><h3>' + H.esc(p.name) + "</h3>" + rows([["", p.theme]]) +
      '<a href="/routes/' + encodeURIComponent(p.id) + '">' + H.esc(H.t("details")) + "</a></div>";
  }
  function findingPopup(kind, p) {
    var area = p.area_m2 != null ? (Number(p.area_m2) / 1e6).toFixed(3) : null;
    var zones = (p.zones || []).map(function (z) { return z.name; }).join("、");
    return '<div class="hongtu-popup"><h3>' + H.esc(p.kind_label || H.t(kind)) + "</h3>" +
      rows([["", p.region && p.region.name], ["", zones], [H.t("area_km2"), area]]) + "</div>";
  }

  function siteIcon(category) {
    var glyph = H.cfg.icons[category] || "bi-geo-alt-fill";
    return L.divIcon({
      className: "hongtu-site-icon",
      html: '<i class="bi ' + H.esc(glyph) + '"></i>',
      iconSize: [28, 28],
      iconAnchor: [4, 28],
      popupAnchor: [10, -26],
    });
  }
  function countIcon(count) {
    var size = count < 100 ? 36 : count < 1000 ? 44 : 54;
    return L.divIcon({
      className: "hongtu-bigcluster",
      html: "<span>" + H.esc(count) + "</span>",
      iconSize: [size, size],
    });
  }
  H.siteMarker = function (feature) {
    var c = feature.geometry.coordinates, p = feature.properties;
    var marker = L.marker([c[1], c[0]], { icon: siteIcon(p.category), title: String(p.name) });
    marker.bindPopup(function () {
      return H.sitePopup(p);
    });
    marker.siteId = p.id;
    return marker;
  };

  /* --- Loading by bbox. --- */
  H.rendered = function (kind) {
    H.loads[kind] = (H.loads[kind] || 0) + 1;
    if (!(kind in H.drawnMs)) H.drawnMs[kind] = performance.now();
    if (H.firstLayerMs === null) {
      H.firstLayerMs = performance.now();
      document.documentElement.setAttribute("data-first-layer-ms", String(Math.round(H.firstLayerMs)));
    }
  };
  function query(map, extra) {
    var b = map.getBounds().pad(0.1);
    var clamp = function (v, lo, hi) {
      return Math.min(hi, Math.max(lo, v)).toFixed(6);
    };
    var params = new URLSearchParams({
      bbox: [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180),
        clamp(b.getNorth(), -90, 90)].join(","),
      zoom: String(map.getZoom()),
    });
    if (H.cfg.coordsys !== "wgs84") params.set("coordsys", H.cfg.coordsys);
    Object.keys(extra || {}).forEach(function (k) {
      params.set(k, extra[k]);
    });
    return params.toString();
  }
  H.getJson = function (url, options) {
    return fetch(url, Object.assign({ credentials: "same-origin" }, options || {})).then(function (r) {
      if (!r.ok) throw new Error(url + " answered " + r.status);
      return r.json();
    });
  };
  function loader(map, layer, opts, draw) {
    var pending = null, timer = null, done = false;
    var empty = { type: "FeatureCollection", features: [] };
    function refresh() {
      if (!map.hasLayer(layer) || (opts.once && done)) return;
      if (opts.min_zoom && map.getZoom() < opts.min_zoom) {
        draw(empty);
        return;
      }
      if (pending) pending.abort();
      pending = new AbortController();
      var url = opts.url;
      if (!opts.once) url += "?" + query(map);
      else if (!opts.wgs84 && H.cfg.coordsys !== "wgs84") url += "?coordsys=" + H.cfg.coordsys;
      H.getJson(url, { signal: pending.signal })
        .then(function (fc) {
          done = true;
          draw(fc);
          H.rendered(opts.kind);
        })
        .catch(function (err) {
          if (err.name !== "AbortError") console.warn("layer " + opts.kind + ": " + err.message);
        });
    }
    map.on("moveend", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 150);
    });
    layer.on("add", refresh);
    return refresh;
  }

  function polygonStyle(kind) {
    var s = H.cfg.styles[kind] || {};
    return function () {
      return s;
    };
  }
  function heatStyle(max) {
    var s = H.cfg.styles.org_heat, ramp = s.ramp;
    return function (f) {
      var i = Math.min(ramp.length - 1, Math.floor((f.properties.members / (max || 1)) * ramp.length));
      return { color: ramp[i], weight: 0, fillColor: ramp[i], fillOpacity: s.fillOpacity };
    };
  }

  H.dataLayer = function (map, opts) {
    var styles = H.cfg.styles, layer;
    if (opts.kind === "sites") {
      var cluster = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50 });
      var counts = L.layerGroup();
      layer = L.featureGroup([cluster, counts]);
      layer.siteCount = 0;
      loader(map, layer, opts, function (fc) {
        cluster.clearLayers();
        counts.clearLayers();
        var markers = [], total = 0;
        fc.features.forEach(function (f) {
          var c = f.geometry.coordinates;
          if (f.properties.cluster) {
            total += f.properties.count;
            counts.addLayer(
              L.marker([c[1], c[0]], { icon: countIcon(f.properties.count) }).on("click", function () {
                map.setView([c[1], c[0]], map.getZoom() + 2);
              })
            );
          } else {
            total += 1;
            markers.push(H.siteMarker(f));
          }
        });
        cluster.addLayers(markers);
        layer.siteCount = total;
        layer.markers = markers;
      });
    } else if (opts.kind === "centres") {
      var st = styles.centres;
      layer = L.featureGroup();
      loader(map, layer, opts, function (fc) {
        layer.clearLayers();
        fc.features.forEach(function (f) {
          var c = f.geometry.coordinates, ll = [c[1], c[0]];
          layer.addLayer(L.circle(ll, { radius: f.properties.reach_m, color: st.color, weight: 1,
            fillOpacity: st.reach_fill, interactive: false }));
          layer.addLayer(L.circleMarker(ll, { radius: st.radius, color: "#fff", weight: 1, fillColor: st.color,
            fillOpacity: st.fillOpacity }).bindPopup(function () {
            return centrePopup(f.properties);
          }));
        });
      });
    } else if (opts.kind === "pois") {
      var ps = styles.pois;
      layer = L.featureGroup();
      loader(map, layer, opts, function (fc) {
        layer.clearLayers();
        fc.features.forEach(function (f) {
          var c = f.geometry.coordinates;
          layer.addLayer(L.circleMarker([c[1], c[0]], { radius: ps.radius, color: ps.color, weight: 1,
            fillOpacity: ps.fillOpacity }).bindPopup(function () {
            return poiPopup(f.properties);
          }));
        });
      });
    } else if (opts.kind === "routes") {
      layer = L.geoJSON(null, { style: polygonStyle("routes"), onEachFeature: function (f, l) {
        l.bindPopup(function () { return routePopup(f.properties); });
      } });
      loader(map, layer, opts, function (fc) {
        layer.clearLayers();
        layer.addData(fc);
      });
    } else if (opts.kind === "org_heat") {
      layer = L.geoJSON(null, { onEachFeature: function (f, l) {
        l.bindTooltip(function () {
          return H.esc(H.t("organizations")) + " " + H.esc(f.properties.organizations) + " · " +
            H.esc(H.t("members")) + " " + H.esc(f.properties.members);
        });
      } });
      loader(map, layer, opts, function (fc) {
        var max = 0;
        fc.features.forEach(function (f) { max = Math.max(max, f.properties.members); });
        layer.clearLayers();
        layer.options.style = heatStyle(max);
        layer.addData(fc);
      });
    } else {
      // Coverage findings: blind zones, overlaps, service gaps (polygons).
      // They arrive in WGS84 and are shifted here when the basemap is GCJ-02.
      layer = L.geoJSON(null, { style: polygonStyle(opts.kind), onEachFeature: function (f, l) {
        l.bindPopup(function () { return findingPopup(opts.kind, f.properties); });
      }, coordsToLatLng: function (c) { return H.toDisplay(c[1], c[0]); } });
      loader(map, layer, opts, function (fc) {
        layer.clearLayers();
        layer.addData(fc);
      });
    }
    H.layers[opts.kind] = layer;
    return layer;
  };

  /* --- Vector tiles (boundaries, grid zones). --- */
  function orgColour(id) {
    return "hsl(" + ((Number(id) * 137.508) % 360).toFixed(0) + ",65%,50%)";
  }
  H.tileLayer = function (map, opts) {
    var styles = H.cfg.styles;
    var url = opts.url + (H.cfg.coordsys !== "wgs84" ? "?coordsys=" + H.cfg.coordsys : "");
    var layerStyles = {
      regions: function (p) {
        return styles.regions[p.level] || styles.regions.district;
      },
      zones: function (p) {
        var colour = p.org_id ? orgColour(p.org_id) : styles.zones.unassigned;
        return { color: colour, weight: styles.zones.weight, fill: true, fillColor: colour,
          fillOpacity: styles.zones.fillOpacity, dashArray: p.org_id ? null : "3 3" };
      },
    };
    var layer = L.vectorGrid.protobuf(url, {
      rendererFactory: L.canvas.tile,
      vectorTileLayerStyles: layerStyles,
      interactive: !!opts.interactive,
      maxNativeZoom: 18,
      // Below min_zoom the server sends empty tiles; not asking saves the round trips.
      minZoom: opts.min_zoom || 0,
      fetchOptions: { credentials: "same-origin" },
      getFeatureId: function (f) {
        return f.properties.adcode || f.id;
      },
    });
    if (opts.layer === "zones") {
      layer.on("click", function (e) {
        L.popup().setLatLng(e.latlng).setContent(zonePopup(e.layer.properties)).openOn(map);
      });
    }
    layer.on("load", function () {
      H.rendered(opts.layer);
    });
    H.layers[opts.layer] = layer;
    return layer;
  };

  /* --- Small inline collections (a site's neighbours, a route's stops). --- */
  H.inlineLayer = function (map, opts) {
    var layer;
    if (opts.kind === "route") {
      layer = L.featureGroup();
      opts.data.features.forEach(function (f) {
        var c = f.geometry.coordinates;
        if (f.properties.path) {
          layer.addLayer(L.polyline(c.map(function (p) { return [p[1], p[0]]; }), H.cfg.styles.routes));
        } else {
          var icon = L.divIcon({ className: "hongtu-stop-icon", html: H.esc(f.properties.seq), iconSize: [22, 22] });
          layer.addLayer(L.marker([c[1], c[0]], { icon: icon, title: String(f.properties.name) }).bindPopup(
            function () { return '<div class="hongtu-popup"><h3>' + H.esc(f.properties.seq) + ". " +
              H.esc(f.properties.name) + '</h3><a href="/sites/' + encodeURIComponent(f.properties.site_id) +
              '">' + H.esc(H.t("details")) + "</a></div>"; }));
        }
      });
    } else {
      layer = L.featureGroup(opts.data.features.map(H.siteMarker));
      if (opts.kind === "site") {
        layer.on("add", function () {
          setTimeout(function () { layer.eachLayer(function (m) { m.openPopup(); }); }, 0);
        });
      }
    }
    layer.on("add", function () {
      if (opts.fit && layer.getLayers().length) map.fitBounds(layer.getBounds().pad(0.15));
      H.rendered(opts.kind);
    });
    H.layers[opts.kind] = layer;
    return layer;
  };

  /* --- Controls. --- */
  function control(position, build) {
    var C = L.Control.extend({
      onAdd: function (map) {
        var div = build(map);
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      },
    });
    return new C({ position: position });
  }
  function searchControl(map) {
    return control("topleft", function () {
      var div = L.DomUtil.create("div", "hongtu-search leaflet-bar");
      var input = L.DomUtil.create("input", "", div);
      input.type = "search";
      input.placeholder = H.t("search");
      input.setAttribute("aria-label", H.t("search"));
      var list = L.DomUtil.create("ul", "", div);
      var timer = null;
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          var q = input.value.trim();
          list.textContent = "";
          if (!q) return;
          var params = new URLSearchParams({ q: q });
          if (H.cfg.coordsys !== "wgs84") params.set("coordsys", H.cfg.coordsys);
          H.getJson("/maps/data/search?" + params).then(function (fc) {
            list.textContent = "";
            if (!fc.features.length) {
              var none = L.DomUtil.create("li", "text-muted", list);
              none.textContent = H.t("no_results");
            }
            fc.features.forEach(function (f) {
              var li = L.DomUtil.create("li", "", list);
              li.textContent = f.properties.name;
              li.addEventListener("click", function () {
                var c = f.geometry.coordinates;
                map.setView([c[1], c[0]], 16);
                L.popup().setLatLng([c[1], c[0]]).setContent(H.sitePopup(f.properties)).openOn(map);
                list.textContent = "";
              });
            });
          }).catch(function (err) { console.warn(err.message); });
        }, 250);
      });
      return div;
    });
  }
  function locateControl(map) {
    return control("topleft", function () {
      var div = L.DomUtil.create("div", "leaflet-bar hongtu-locate");
      var a = L.DomUtil.create("a", "", div);
      a.href = "#";
      a.title = H.t("locate");
      a.setAttribute("role", "button");
      a.innerHTML = '<i class="bi bi-crosshair"></i>';
      var marker = null;
      a.addEventListener("click", function (e) {
        e.preventDefault();
        map.locate({ setView: false, enableHighAccuracy: true });
      });
      map.on("locationfound", function (e) {
        var here = H.toDisplay(e.latlng.lat, e.latlng.lng);
        if (marker) map.removeLayer(marker);
        marker = L.circle(here, { radius: e.accuracy, color: "#2563eb", weight: 2, fillOpacity: 0.15 }).addTo(map);
        map.setView(here, Math.max(map.getZoom(), 15));
      });
      map.on("locationerror", function (e) {
        console.warn("locate: " + e.message);
      });
      return div;
    });
  }
  function regionControl(map) {
    return control("topright", function () {
      var div = L.DomUtil.create("div", "hongtu-regions");
      var levels = ["province", "city", "district"], selects = [];
      levels.forEach(function (level, i) {
        var s = L.DomUtil.create("select", "form-select form-select-sm", div);
        s.setAttribute("aria-label", H.t(level));
        s.dataset.level = level;
        s.add(new Option(H.t(level), ""));
        s.disabled = i > 0;
        selects.push(s);
        s.addEventListener("change", function () {
          for (var j = i + 1; j < selects.length; j++) {
            selects[j].length = 1;
            selects[j].disabled = true;
          }
          if (!s.value) return;
          H.getJson("/api/v1/regions/" + encodeURIComponent(s.value)).then(function (r) {
            var sw = H.toDisplay(r.bbox[1], r.bbox[0]), ne = H.toDisplay(r.bbox[3], r.bbox[2]);
            map.fitBounds(L.latLngBounds(sw, ne));
            if (i + 1 < selects.length && r.children.length) fill(selects[i + 1], r.children);
          }).catch(function (err) { console.warn(err.message); });
        });
      });
      function fill(select, regions) {
        regions.forEach(function (r) {
          select.add(new Option(r.name, r.adcode));
        });
        select.disabled = false;
      }
      H.getJson("/api/v1/regions").then(function (body) {
        fill(selects[0], body.regions);
      }).catch(function (err) { console.warn(err.message); });
      return div;
    });
  }
  function legendControl() {
    return control("bottomright", function () {
      var div = L.DomUtil.create("div", "hongtu-legend");
      var s = H.cfg.styles;
      var html = "<details" + (window.innerWidth > 768 ? " open" : "") + "><summary>" + H.esc(H.t("legend")) +
        "</summary>";
      Object.keys(H.cfg.icons).forEach(function (cat) {
        html += '<div><i class="bi ' + H.esc(H.cfg.icons[cat]) + '" style="color:' + s.sites.color + '"></i> ' +
          H.esc(H.label("site_categories", cat)) + "</div>";
      });
      var swatch = function (colour, key) {
        return '<div><span class="swatch" style="background:' + colour + '"></span>' + H.esc(H.t(key)) + "</div>";
      };
      html += swatch(s.routes.color, "curated_routes") + swatch(s.centres.color, "centres") +
        swatch(s.pois.color, "pois");
      if (H.cfg.admin) {
        html += swatch(s.zones.unassigned, "unassigned") + swatch(s.blind_zones.fillColor, "blind_zones") +
          swatch(s.overlaps.fillColor, "overlaps") + swatch(s.service_gaps.fillColor, "service_gaps") +
          swatch(s.org_heat.ramp[3], "org_heat");
      }
      div.innerHTML = html + "</details>";
      return div;
    });
  }

  H.setupMap = function (map, settings) {
    H.cfg = settings;
    H.map = map;
    // Without a tile layer the map has no zoom range, which the cluster layer needs.
    map.setMinZoom(3);
    map.setMaxZoom(18);
    var controls = settings.controls || [];
    if (controls.indexOf("fullscreen") >= 0 && L.Control.FullScreen) {
      map.addControl(new L.Control.FullScreen({ position: "topleft", title: "Fullscreen" }));
    }
    if (controls.indexOf("locate") >= 0) map.addControl(locateControl(map));
    if (controls.indexOf("search") >= 0) map.addControl(searchControl(map));
    if (controls.indexOf("regions") >= 0) map.addControl(regionControl(map));
    if (controls.indexOf("legend") >= 0) map.addControl(legendControl());
    map.attributionControl.setPrefix(false);
    if (settings.fit) {
      var f = settings.fit;
      map.fitBounds(L.latLngBounds(H.toDisplay(f[1], f[0]), H.toDisplay(f[3], f[2])));
    }
  };
})();
