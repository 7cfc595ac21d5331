"""Builds the folium maps and places them in the page shells from map_templates/ (autoescaped Jinja)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import folium
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..auth import csp_nonce, nonce_html
from ..config import PROJECT_ROOT
from ..tiles.queries import LAYERS
from .layers import LAYER_STYLES, SITE_ICONS, DataLayer, InlineFeatures, OfflineMap, PageSetup, VectorTiles

TEMPLATES = PROJECT_ROOT / "map_templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True))

BASEMAPS = ("none", "osm", "tianditu", "amap", "tencent")
# Amap and Tencent tiles are drawn in GCJ-02; every Hongtu layer is shifted to match them.
GCJ02_BASEMAPS = {"amap", "tencent"}
DEFAULT_CENTRE = (26.08, 119.30)  # Fuzhou, lat/lon
# folium's own viewport tag forbids pinch zoom; the page shell has an accessible one instead.
FOLIUM_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>')
FINDING_LAYERS = {"blind_zones": "blind", "overlaps": "overlap", "service_gaps": "reach_gap"}


@dataclass(frozen=True)
class PageContext:
    """What every map page needs to know about the request and the deployment."""

    lang: str
    texts: dict[str, str]
    vocab: dict[str, dict[str, str]]
    basemap: str
    tianditu_key: str
    review_number: str
    attribution: str
    admin: bool
    home_region: str = "350100"

    @property
    def coordsys(self) -> str:
        return "gcj02" if self.basemap in GCJ02_BASEMAPS else "wgs84"


def _tianditu(layer: str, key: str) -> str:
    return (
        f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
        f"&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
        f"&TILECOL={{x}}&tk={key}"
    )


def add_basemap(fmap: folium.Map, ctx: PageContext) -> None:
    """Add the configured tile basemap; 'none' draws nothing here (the boundaries layer is the basemap)."""
    if ctx.basemap == "osm":
        folium.TileLayer(
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png", attr="© OpenStreetMap", name="OpenStreetMap"
        ).add_to(fmap)
    elif ctx.basemap == "tianditu":
        folium.TileLayer(
            _tianditu("vec", ctx.tianditu_key), attr="天地图", name="天地图", subdomains="01234567"
        ).add_to(fmap)
        folium.TileLayer(
            _tianditu("cva", ctx.tianditu_key),
            attr="天地图",
            name="天地图注记",
            subdomains="01234567",
            overlay=True,
        ).add_to(fmap)
    elif ctx.basemap == "amap":
        folium.TileLayer(
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
            attr="高德地图",
            name="高德地图",
            subdomains="1234",
        ).add_to(fmap)
    elif ctx.basemap == "tencent":
        folium.TileLayer(
            "https://rt{s}.map.gtimg.com/tile?z={z}&x={x}&y={-y}&styleid=1000&scene=0",
            attr="腾讯地图",
            name="腾讯地图",
            subdomains="0123",
        ).add_to(fmap)


def _settings(ctx: PageContext, page: str, **extra: Any) -> dict[str, Any]:
    return {
        "page": page,
        "lang": ctx.lang,
        "texts": ctx.texts,
        "vocab": ctx.vocab,
        "styles": LAYER_STYLES,
        "icons": SITE_ICONS,
        "coordsys": ctx.coordsys,
        "admin": ctx.admin,
        **extra,
    }


def new_map(ctx: PageContext, page: str, location=DEFAULT_CENTRE, zoom: int = 10, **extra: Any) -> folium.Map:
    """Return an offline folium map with the basemap, the boundaries layer and the page script set up."""
    fmap = OfflineMap(
        location=list(location),
        zoom_start=zoom,
        tiles=None,
        control_scale=True,
        prefer_canvas=True,
        attribution_control=True,
    )
    PageSetup(_settings(ctx, page, **extra)).add_to(fmap)
    add_basemap(fmap, ctx)
    return fmap


def add_boundaries(fmap: folium.Map, ctx: PageContext) -> None:
    """Add the boundaries layer (the offline basemap) and the layer control, after the data layers.

    Layers request their data in the order they are created: the boundaries' many tile requests come
    last so they do not queue ahead of the sites in the browser's six connections to the app.
    """
    VectorTiles("regions", ctx.texts["regions"], show=True).add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)


def home_map(ctx: PageContext) -> folium.Map:
    """Return the full-area map: sites, routes, centres, POIs, and the admin layers for admins only."""
    t = ctx.texts
    fmap = new_map(ctx, "home", controls=["fullscreen", "locate", "search", "regions", "legend"])
    DataLayer("sites", "/maps/data/sites", t["sites"]).add_to(fmap)
    DataLayer("routes", "/maps/data/routes", t["curated_routes"], once=True).add_to(fmap)
    DataLayer("centres", "/maps/data/centres", t["centres"], min_zoom=11).add_to(fmap)
    DataLayer("pois", "/maps/data/pois", t["pois"], show=False, min_zoom=13).add_to(fmap)
    if ctx.admin:
        zones_from = LAYERS["zones"].min_zoom
        VectorTiles("zones", t["zones"], show=True, interactive=True, min_zoom=zones_from).add_to(fmap)
        DataLayer("org_heat", "/maps/data/org-heat", t["org_heat"], show=False).add_to(fmap)
        # Coverage findings come whole per region from the coverage API, in WGS84.
        for kind, finding in FINDING_LAYERS.items():
            url = f"/api/v1/coverage/{ctx.home_region}/layers/{finding}"
            DataLayer(kind, url, t[kind], show=False, once=True, wgs84=True).add_to(fmap)
    add_boundaries(fmap, ctx)
    return fmap


def site_map(ctx: PageContext, site: dict, nearby: dict) -> folium.Map:
    """Return the small map of one site (a GeoJSON Feature) and its nearby sites."""
    lon, lat = site["geometry"]["coordinates"]
    fmap = new_map(ctx, "site", location=(lat, lon), zoom=15, controls=["fullscreen"])
    InlineFeatures("sites", nearby, ctx.texts["nearby_sites"]).add_to(fmap)
    InlineFeatures("site", {"type": "FeatureCollection", "features": [site]}, ctx.texts["sites"]).add_to(fmap)
    add_boundaries(fmap, ctx)
    return fmap


def route_map(ctx: PageContext, path: dict) -> folium.Map:
    """Return the map of one route: its line and numbered stops (a small FeatureCollection)."""
    fmap = new_map(ctx, "route", controls=["fullscreen", "locate"])
    InlineFeatures("route", path, ctx.texts["curated_routes"], fit=True).add_to(fmap)
    add_boundaries(fmap, ctx)
    return fmap


def plan_map(ctx: PageContext) -> folium.Map:
    """Return the planner map: every site by bbox, clickable into the member's plan."""
    fmap = new_map(ctx, "plan", controls=["fullscreen", "locate", "search", "regions"])
    DataLayer("sites", "/maps/data/sites", ctx.texts["sites"], plan=True).add_to(fmap)
    add_boundaries(fmap, ctx)
    return fmap


def dashboard_map(ctx: PageContext, bbox: list[float]) -> folium.Map:
    """Return the dashboard's choropleth map over bbox (minLon, minLat, maxLon, maxLat, EPSG:4326)."""
    centre = ((bbox[1] + bbox[3]) / 2, (bbox[0] + bbox[2]) / 2)
    fmap = new_map(ctx, "dashboard", location=centre, zoom=9, controls=["fullscreen"], fit=bbox)
    add_boundaries(fmap, ctx)
    return fmap


def map_parts(fmap: folium.Map) -> dict[str, str]:
    """Return the folium map as the three pieces a page shell places: header, body html, script."""
    figure = fmap.get_root()
    figure.render()
    # folium's inline scripts and styles carry this request's CSP nonce; data inside went through tojson.
    return {
        "map_header": nonce_html(FOLIUM_VIEWPORT.sub("", figure.header.render())),
        "map_html": figure.html.render(),
        "map_script": figure.script.render(),
        "csp_nonce": csp_nonce(),
    }


def render_page(template: str, ctx: PageContext, fmap: folium.Map | None = None, **values: Any) -> str:
    """Return the page template rendered with the map pieces, the texts and values (autoescaped)."""
    parts = map_parts(fmap) if fmap is not None else {}
    return _env.get_template(template).render(ctx=ctx, t=ctx.texts, **parts, **values)
