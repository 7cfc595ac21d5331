"""Folium layers for every dataset; large ones load by bbox or as vector tiles so the page stays small."""

from __future__ import annotations

from typing import Any

import folium
from folium.template import Template

from .assets import vendor_url

# Every layer's look in one place; the page script reads this dict (colours, weights, radii in px).
LAYER_STYLES: dict[str, dict[str, Any]] = {
    "regions": {
        "province": {
            "color": "#8c2d19",
            "weight": 2.5,
            "fill": True,
            "fillColor": "#fbf3e4",
            "fillOpacity": 0.6,
        },
        "city": {"color": "#b0603f", "weight": 1.6, "fill": False},
        "district": {"color": "#c9957b", "weight": 1, "dashArray": "4 3", "fill": False},
    },
    "sites": {"color": "#c8102e"},
    "routes": {"color": "#d4380d", "weight": 4, "opacity": 0.85},
    "centres": {"color": "#1d6fb8", "radius": 6, "fillOpacity": 0.9, "reach_fill": 0.08},
    "pois": {"color": "#6b7280", "radius": 4, "fillOpacity": 0.8},
    "zones": {"weight": 1, "fillOpacity": 0.35, "unassigned": "#9ca3af"},
    "blind_zones": {"color": "#111827", "fillColor": "#111827", "fillOpacity": 0.45, "weight": 1},
    "overlaps": {"color": "#7c3aed", "fillColor": "#a78bfa", "fillOpacity": 0.5, "weight": 1},
    "service_gaps": {"color": "#ea580c", "fillColor": "#fb923c", "fillOpacity": 0.35, "weight": 1},
    "org_heat": {"ramp": ["#fff5eb", "#fdbe85", "#fd8d3c", "#e6550d", "#a63603"], "fillOpacity": 0.55},
}

# Bootstrap-icons glyph per site category, drawn inside the red marker.
SITE_ICONS = {
    "former_site": "bi-flag-fill",
    "memorial_hall": "bi-bank2",
    "martyrs_cemetery": "bi-star-fill",
    "former_residence": "bi-house-door-fill",
    "monument": "bi-award-fill",
    "museum": "bi-building",
    "education_base": "bi-book-half",
}

# Only what Hongtu serves itself: folium's defaults point at CDNs and are replaced wholesale.
MAP_JS = [
    ("leaflet", vendor_url("leaflet", "dist/leaflet.js")),
    ("markercluster", vendor_url("leaflet.markercluster", "dist/leaflet.markercluster.js")),
    ("vectorgrid", vendor_url("leaflet.vectorgrid", "dist/Leaflet.VectorGrid.bundled.min.js")),
    ("fullscreen", vendor_url("leaflet.fullscreen", "dist/Control.FullScreen.umd.js")),
    ("hongtu_map", "/static/maps/hongtu-map.js"),
]
MAP_CSS = [
    ("leaflet_css", vendor_url("leaflet", "dist/leaflet.css")),
    ("markercluster_css", vendor_url("leaflet.markercluster", "dist/MarkerCluster.css")),
    ("markercluster_default_css", vendor_url("leaflet.markercluster", "dist/MarkerCluster.Default.css")),
    ("fullscreen_css", vendor_url("leaflet.fullscreen", "dist/Control.FullScreen.css")),
]


class OfflineMap(folium.Map):
    """A folium.Map whose scripts and styles all come from the app itself."""

    default_js = MAP_JS
    default_css = MAP_CSS


class ScriptLayer(folium.map.Layer):
    """A layer built in the browser by Hongtu.<factory>(map, options); options go through tojson."""

    factory = ""
    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = Hongtu.{{ this.factory }}(
            {{ this._parent.get_name() }}, {{ this.options|tojson }});
        {% endmacro %}
    """)

    def __init__(self, name: str, options: dict[str, Any], *, show: bool = True, overlay: bool = True):
        super().__init__(name=name, overlay=overlay, control=True, show=show)
        self._name = type(self).__name__
        self.options = options


class DataLayer(ScriptLayer):
    """A layer the page script fills from a GeoJSON endpoint, by bbox as the map moves (or once)."""

    factory = "dataLayer"

    def __init__(self, kind: str, url: str, name: str, *, show: bool = True, **options: Any) -> None:
        super().__init__(name, {"kind": kind, "url": url, **options}, show=show)


class VectorTiles(ScriptLayer):
    """A Mapbox-vector-tile layer from /tiles/<layer>/{z}/{x}/{y}.pbf drawn on canvas by VectorGrid."""

    factory = "tileLayer"

    def __init__(self, layer: str, name: str, *, show: bool = True, **options: Any):
        url = f"/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf"
        super().__init__(name, {"layer": layer, "url": url, **options}, show=show)


class InlineFeatures(ScriptLayer):
    """A small, bounded FeatureCollection drawn by the page script (a site's neighbours, a route's stops)."""

    factory = "inlineLayer"

    def __init__(self, kind: str, features: dict, name: str, *, show: bool = True, fit: bool = False):
        super().__init__(name, {"kind": kind, "data": features, "fit": fit}, show=show)


class PageSetup(folium.MacroElement):
    """Hands the page script its settings (texts, styles, basemap, coordsys) and adds the map controls."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        Hongtu.setupMap({{ this._parent.get_name() }}, {{ this.settings|tojson }});
        {% endmacro %}
    """)

    def __init__(self, settings: dict[str, Any]) -> None:
        super().__init__()
        self._name = "PageSetup"
        self.settings = settings
