"""The OpenAPI 3.0 document of the whole service: written-out operations, completed from the URL map.

Operations described below carry their parameters and responses.  Any route of the app that is not
described here still appears, with its view's docstring as summary, so the document never omits an
endpoint; describing it fully is then a matter of adding an entry here.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from .. import vocab
from ..auth.openapi import auth_paths
from ..coordsys import COORDSYS

API_VERSION = "1.0.0"
_RULE_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_PLACEHOLDER = re.compile(r"\{([^}]+)\}")


def _q(name: str, description: str, schema: dict[str, Any] | None = None, required: bool = False) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _path(name: str, description: str, schema: dict[str, Any] | None = None) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _enum_list(values: dict | tuple) -> dict[str, Any]:
    return {"type": "string", "description": "comma-separated: " + ", ".join(values)}


NUM = {"type": "number"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}

COORDSYS_P = _q(
    "coordsys",
    "Coordinates read and written: wgs84 (default), gcj02 (Amap, Tencent) or bd09 (Baidu).",
    {"type": "string", "enum": list(COORDSYS), "default": "wgs84"},
)
FORMAT_P = _q(
    "format",
    "json (default) or geojson (a FeatureCollection).",
    {"type": "string", "enum": ["json", "geojson"]},
)
LON_P = _q("lon", "Longitude in degrees, -180..180, in coordsys.", NUM)
LAT_P = _q("lat", "Latitude in degrees, -90..90, in coordsys.", NUM)
BBOX_P = _q("bbox", "minLon,minLat,maxLon,maxLat in coordsys.")
LIMIT_P = _q("limit", "Page size.", INT)
OFFSET_P = _q("offset", "Rows to skip.", INT)
REGION_P = _q("region", "Region adcode; a city includes its districts through the region tree.")
RADIUS_P = _q("radius_m", "Radius in metres on the WGS84 spheroid; at most 50,000 unless configured.", NUM)
K_P = _q("k", "How many nearest to return; at most 100 unless configured.", INT)
SITE_FILTERS = [
    REGION_P,
    _q("category", "Site categories.", _enum_list(vocab.SITE_CATEGORIES)),
    _q("level", "Recognition levels.", _enum_list(vocab.SITE_LEVELS)),
    _q("tag", "Tags the site must all carry (comma-separated)."),
    _q(
        "q",
        "Keyword: substring or fuzzy (trigram) match over name, address and introduction; % and _ are text.",
    ),
    _q("open_now", "Only sites open now (Asia/Shanghai).", BOOL),
    _q(
        "open_at",
        "Only sites open at this ISO 8601 time (no offset means Asia/Shanghai).",
        {"type": "string", "format": "date-time"},
    ),
    BBOX_P,
]
SITE_REF = _path("ref", "Site id (integer) or site code.")
ADMIN = [{"bearerAuth": []}]
PROBLEM = {
    "description": "Problem details (RFC 9457) naming the parameter",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


def _ok(description: str, media: str = "application/json") -> dict[str, Any]:
    return {"200": {"description": description, "content": {media: {"schema": {"type": "object"}}}}}


def _op(
    summary: str,
    tag: str,
    params: list[dict] | None = None,
    *,
    responses: dict | None = None,
    admin: bool = False,
    body: bool = False,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "tags": [tag],
        "parameters": params or [],
        "responses": {**(responses or _ok(summary)), "400": PROBLEM, "404": PROBLEM},
    }
    if admin:
        op["security"] = ADMIN
        op["responses"].update({"401": PROBLEM, "403": PROBLEM})
    if body:
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "description": "A GeoJSON Feature, or the fields with lon and lat",
                        "type": "object",
                    }
                }
            },
        }
    return op


def _ogc_items_params() -> list[dict]:
    return [
        BBOX_P,
        LIMIT_P,
        OFFSET_P,
        COORDSYS_P,
        _q("f", "json or geojson"),
        _q(
            "...",
            "Equality filter on a queryable property (sites: code, category, level, tag, name).",
        ),
    ]


def described_paths() -> dict[str, dict[str, Any]]:
    """Return the written-out operations, keyed by OpenAPI path and lower-case method."""
    sites, pois, centres, ogc = (
        "Sites 红色资源",
        "POIs 周边",
        "Service centres 党群服务中心",
        "OGC API - Features",
    )
    coll = _path(
        "collection_id",
        "sites, centres, pois, routes or regions",
        {"type": "string", "enum": ["sites", "centres", "pois", "routes", "regions"]},
    )
    return {
        "/api/v1/sites": {
            "get": _op(
                "Search sites; count is exact up to a threshold, then an estimate (count_is_estimate).",
                sites,
                [
                    *SITE_FILTERS,
                    LON_P,
                    LAT_P,
                    _q(
                        "sort",
                        "distance, level, name, relevance or id",
                        {"type": "string", "enum": ["distance", "level", "name", "relevance", "id"]},
                    ),
                    LIMIT_P,
                    OFFSET_P,
                    COORDSYS_P,
                    FORMAT_P,
                ],
            ),
            "post": _op(
                "Create a site (admin).",
                sites,
                [COORDSYS_P],
                responses={"201": {"description": "Created"}, "409": PROBLEM},
                admin=True,
                body=True,
            ),
        },
        "/api/v1/sites/nearby": {
            "get": _op(
                "The K nearest sites or all within radius_m, with spheroid distance_m; search filters apply.",
                sites,
                [
                    {**LON_P, "required": True},
                    {**LAT_P, "required": True},
                    K_P,
                    RADIUS_P,
                    LIMIT_P,
                    *SITE_FILTERS,
                    COORDSYS_P,
                    FORMAT_P,
                ],
            )
        },
        "/api/v1/sites/{ref}": {
            "get": _op(
                "One site: every field, region path, nearest service centre, open_now and links.",
                sites,
                [SITE_REF, COORDSYS_P, FORMAT_P],
            ),
            "put": _op(
                "Replace a site (admin).",
                sites,
                [_path("ref", "Site id", INT), COORDSYS_P],
                admin=True,
                body=True,
            ),
            "patch": _op(
                "Change some fields of a site (admin).",
                sites,
                [_path("ref", "Site id", INT), COORDSYS_P],
                admin=True,
                body=True,
            ),
            "delete": _op(
                "Delete a site (admin); 409 while a route stops there.",
                sites,
                [_path("ref", "Site id", INT)],
                responses={"204": {"description": "Deleted"}, "409": PROBLEM},
                admin=True,
            ),
        },
        "/api/v1/sites/{ref}/merchants": {
            "get": _op(
                "POIs (周边推荐) within radius_m (default 1,000 m) of a site, by category, nearest first.",
                sites,
                [
                    SITE_REF,
                    _q("category", "POI categories.", _enum_list(vocab.POI_CATEGORIES)),
                    RADIUS_P,
                    LIMIT_P,
                    COORDSYS_P,
                    FORMAT_P,
                ],
            )
        },
        "/api/v1/pois": {
            "get": _op(
                "List POIs by category, region, keyword and bbox.",
                pois,
                [
                    _q("category", "POI categories.", _enum_list(vocab.POI_CATEGORIES)),
                    REGION_P,
                    _q("q", "Substring of name or address."),
                    BBOX_P,
                    LIMIT_P,
                    OFFSET_P,
                    COORDSYS_P,
                    FORMAT_P,
                ],
            ),
            "post": _op(
                "Create a POI (admin).",
                pois,
                [COORDSYS_P],
                responses={"201": {"description": "Created"}, "409": PROBLEM},
                admin=True,
                body=True,
            ),
        },
        "/api/v1/pois/nearby": {
            "get": _op(
                "The K nearest POIs or all within radius_m, nearest first.",
                pois,
                [
                    {**LON_P, "required": True},
                    {**LAT_P, "required": True},
                    K_P,
                    RADIUS_P,
                    LIMIT_P,
                    _q("category", "POI categories.", _enum_list(vocab.POI_CATEGORIES)),
                    COORDSYS_P,
                    FORMAT_P,
                ],
            )
        },
        "/api/v1/pois/{poi_id}": {
            "get": _op("One POI.", pois, [_path("poi_id", "POI id", INT), COORDSYS_P, FORMAT_P]),
            "put": _op(
                "Replace a POI (admin).",
                pois,
                [_path("poi_id", "POI id", INT), COORDSYS_P],
                admin=True,
                body=True,
            ),
            "patch": _op(
                "Change some fields of a POI (admin).",
                pois,
                [_path("poi_id", "POI id", INT), COORDSYS_P],
                admin=True,
                body=True,
            ),
            "delete": _op(
                "Delete a POI (admin).",
                pois,
                [_path("poi_id", "POI id", INT)],
                responses={"204": {"description": "Deleted"}},
                admin=True,
            ),
        },
        "/api/v1/centres": {
            "get": _op(
                "List service centres by level, region and bbox.",
                centres,
                [
                    _q("level", "Centre levels.", _enum_list(vocab.CENTRE_LEVELS)),
                    REGION_P,
                    BBOX_P,
                    LIMIT_P,
                    OFFSET_P,
                    COORDSYS_P,
                    FORMAT_P,
                ],
            ),
            "post": _op(
                "Create a service centre in the admin's region (a known level, reach_m 1..50000).",
                centres,
                [COORDSYS_P],
                responses={"201": {"description": "Created"}, "409": PROBLEM},
                admin=True,
                body=True,
            ),
        },
        **organization_paths(),
        "/api/v1/plans/mine": {
            "get": {
                **_op(
                    "The signed-in account's saved plans, newest first, paged.",
                    "Routes 红色线路",
                    [_q("limit", "Page size, 1..100 (default 20).", INT), OFFSET_P],
                ),
                "security": ADMIN,
                "responses": {**_ok("Saved plans"), "400": PROBLEM, "401": PROBLEM, "403": PROBLEM},
            }
        },
        "/api/v1/centres/nearest": {
            "get": _op(
                "The K service centres nearest a point (default 1), with distance_m.",
                centres,
                [
                    {**LON_P, "required": True},
                    {**LAT_P, "required": True},
                    K_P,
                    RADIUS_P,
                    _q("level", "Centre levels.", _enum_list(vocab.CENTRE_LEVELS)),
                    COORDSYS_P,
                    FORMAT_P,
                ],
            )
        },
        "/api/v1/centres/{centre_id}": {
            "get": _op(
                "One service centre.", centres, [_path("centre_id", "Centre id", INT), COORDSYS_P, FORMAT_P]
            ),
            "put": _op(
                "Replace a service centre (admin of its region).",
                centres,
                [_path("centre_id", "Centre id", INT), COORDSYS_P],
                responses={"200": {"description": "The centre as stored"}, "409": PROBLEM},
                admin=True,
                body=True,
            ),
            "patch": _op(
                "Change fields of a service centre; a moved centre is placed in its region again (admin).",
                centres,
                [_path("centre_id", "Centre id", INT), COORDSYS_P],
                responses={"200": {"description": "The centre as stored"}, "409": PROBLEM},
                admin=True,
                body=True,
            ),
            "delete": _op(
                "Delete a service centre (admin of its region).",
                centres,
                [_path("centre_id", "Centre id", INT)],
                responses={"204": {"description": "Deleted"}},
                admin=True,
            ),
        },
        "/api/v1/regions": {
            "get": _op(
                "Top-level regions, or the children of parent.",
                "Regions 行政区划",
                [_q("parent", "Parent adcode")],
            )
        },
        "/api/v1/regions/{adcode}": {
            "get": _op(
                "One region with its path and children.",
                "Regions 行政区划",
                [_path("adcode", "6, 9 or 12 digits")],
            )
        },
        "/api/v1/regions/{adcode}/outline": {
            "get": _op(
                "A region's outline as a GeoJSON Feature.",
                "Regions 行政区划",
                [
                    _path("adcode", "6, 9 or 12 digits"),
                    _q("simplify_deg", "Simplification tolerance in degrees", NUM),
                ],
            )
        },
        "/api/v1/import/{name}": {
            "post": _op(
                "Import a layer file (GeoJSON or CSV) in one transaction (admin).",
                "Import and export",
                [
                    _path("name", "Layer name"),
                    _q("format", "geojson or csv"),
                    COORDSYS_P,
                    _q("repair", "Repair invalid polygons", BOOL),
                ],
                responses={"200": {"description": "Import result"}, "422": PROBLEM},
                admin=True,
            )
        },
        "/api/v1/export/{name}": {
            "get": _op(
                "Export a layer as GeoJSON or CSV.",
                "Import and export",
                [
                    _path("name", "Layer name"),
                    _q("format", "geojson or csv"),
                    COORDSYS_P,
                    _q("sensitive", "Include sensitive fields (admin)", BOOL),
                ],
                responses={
                    "200": {
                        "description": "The layer as a GeoJSON FeatureCollection or CSV",
                        "content": {
                            "application/geo+json": {"schema": {"type": "object"}},
                            "text/csv": {"schema": {"type": "string"}},
                        },
                    }
                },
            )
        },
        "/ogc": {"get": _op("OGC API landing page.", ogc)},
        "/conformance": {"get": _op("Conformance classes.", ogc)},
        "/collections": {"get": _op("Public collections: sites, centres, pois, routes, regions.", ogc)},
        "/collections/{collection_id}": {"get": _op("One collection.", ogc, [coll])},
        "/collections/{collection_id}/items": {
            "get": _op(
                "Features with numberMatched, numberReturned and next/prev links.",
                ogc,
                [coll, *_ogc_items_params()],
                responses=_ok("Features", "application/geo+json"),
            )
        },
        "/collections/{collection_id}/items/{fid}": {
            "get": _op(
                "One feature.",
                ogc,
                [coll, _path("fid", "Feature id", INT), COORDSYS_P],
                responses=_ok("Feature", "application/geo+json"),
            )
        },
        "/openapi.json": {"get": _op("This document.", "Documentation")},
        "/api/docs": {
            "get": _op("Human-readable API page.", "Documentation", responses=_ok("HTML page", "text/html"))
        },
    }


ORGS = "Organizations 党组织"
ORG_REF = _path("ref", "Organization id (integer) or organization code.")
SENSITIVE_P = _q("sensitive", "Show contact names and phones unmasked (admins in scope).", BOOL)
VERSION_P = _q("version", "The version edited (or send If-Match, or version in the body).", INT)


def _org_list_params() -> list[dict]:
    return [
        _q("kind", "Organization kinds.", _enum_list(vocab.ORG_KINDS)),
        _q("active", "Only active (true) or inactive (false) organizations.", BOOL),
        LIMIT_P,
        OFFSET_P,
        SENSITIVE_P,
        COORDSYS_P,
        FORMAT_P,
    ]


def organization_paths() -> dict[str, dict[str, Any]]:
    """Return the organization operations: admin data, scoped to the caller's organization subtree."""
    written = {"409": PROBLEM}
    return {
        "/api/v1/organizations": {
            "get": _op(
                "Organizations in the caller's scope, by region (with the regions below), parent, kind, "
                "active and name; paged.",
                ORGS,
                [
                    REGION_P,
                    _q("parent", "Parent organization id or code."),
                    _q("q", "Substring of the name or code."),
                    *_org_list_params(),
                ],
                admin=True,
            ),
            "post": _op(
                "Create an organization below one in the admin's subtree and region.",
                ORGS,
                [COORDSYS_P],
                responses={"201": {"description": "Created"}, **written},
                admin=True,
                body=True,
            ),
        },
        "/api/v1/organizations/{ref}": {
            "get": _op(
                "One organization with its parent, children, zone and member counts and its region path.",
                ORGS,
                [ORG_REF, SENSITIVE_P, COORDSYS_P, FORMAT_P],
                admin=True,
            ),
            "patch": _op(
                "Change fields of an organization or move it (no cycles) with a version check; stale: 409.",
                ORGS,
                [ORG_REF, COORDSYS_P, VERSION_P],
                responses={"200": {"description": "The organization as stored"}, **written},
                admin=True,
                body=True,
            ),
            "delete": _op(
                "Delete an organization with no children, zones or accounts, with a version check.",
                ORGS,
                [ORG_REF, VERSION_P],
                responses={"200": {"description": "Deleted"}, **written},
                admin=True,
            ),
        },
        "/api/v1/organizations/{ref}/children": {
            "get": _op(
                "The organizations directly below one, paged.",
                ORGS,
                [ORG_REF, *_org_list_params()],
                admin=True,
            )
        },
        "/api/v1/organizations/{ref}/subtree": {
            "get": _op(
                "An organization and everything below it, depth first, with each one's depth.",
                ORGS,
                [
                    ORG_REF,
                    _q("max_depth", "Levels below the organization, 0..20 (default 10).", INT),
                    _q("limit", "At most this many organizations, 1..5000 (default 1000).", INT),
                    SENSITIVE_P,
                    COORDSYS_P,
                    FORMAT_P,
                ],
                admin=True,
            )
        },
    }


LANG_P = _q("lang", "Page language: zh (default) or en; remembered in a cookie.", {"type": "string"})
BASEMAP_P = _q("basemap", "Background map: none (offline default) or a configured tile service.")
_HTML_OK = {"description": "HTML page", "content": {"text/html": {"schema": {"type": "string"}}}}


def _page(summary: str, params: list[dict] | None = None, *, admin: bool = False) -> dict[str, Any]:
    op = _op(summary, "Pages", [LANG_P, BASEMAP_P, *(params or [])], responses={"200": _HTML_OK}, admin=admin)
    if admin:
        # A caller who is not an admin gets the page itself, saying so, rather than a problem document.
        op["responses"]["403"] = {**_HTML_OK, "description": "HTML page explaining the refusal"}
    return op


def page_paths() -> dict[str, dict[str, Any]]:
    """Return the HTML pages (text/html answers; errors in parameters are problem documents)."""
    return {
        "/": {"get": _page("Red map home page.")},
        "/plan": {"get": _page("Visit planner page.")},
        "/routes": {"get": _page("Curated red-education routes.")},
        "/routes/{route_id}": {
            "get": _page("A route's page with its map.", [_path("route_id", "Route id", INT)])
        },
        "/sites/{site_id}": {"get": _page("A site's page with its map.", [_path("site_id", "Site id", INT)])},
        "/dashboard": {
            "get": _page(
                "Large-screen coverage dashboard of a region (admin; default the admin's own region).",
                [REGION_P],
                admin=True,
            )
        },
    }


# Other domains' endpoints by Flask endpoint name: (tag, summary, query parameters).  Routes not
# listed here or in described_paths() still appear, from their view's docstring.
_GRID, _COV, _ROUTES, _AUTH, _PAGES = (
    "Grid zones 网格",
    "Coverage 覆盖分析",
    "Routes 红色线路",
    "Accounts",
    "Pages",
)
ENDPOINTS: dict[str, tuple[str, str, list[dict]]] = {
    "health.healthz": ("Service", "Liveness and database readiness.", []),
    "zones.list_zones": (_GRID, "Grid zones in a bbox as GeoJSON (admin data).", [BBOX_P, LIMIT_P]),
    "zones.create": (_GRID, "Create a grid zone (admin).", []),
    "zones.zone_detail": (_GRID, "One grid zone.", []),
    "zones.update": (_GRID, "Update a grid zone with a version check (If-Match or properties.version).", []),
    "zones.delete": (_GRID, "Delete a grid zone (admin).", []),
    "coverage.report": (_COV, "Coverage report of a region: covered and blind areas, findings.", []),
    "coverage.children": (_COV, "Coverage shares of a region's children.", []),
    "coverage.findings": (
        _COV,
        "Coverage findings (blind spots, overlaps, unassigned zones), JSON or CSV.",
        [],
    ),
    "coverage.ratio_history": (_COV, "Coverage ratio over stored snapshots.", []),
    "coverage.layer": (_COV, "A coverage layer (blind, overlap, ...) of a region as GeoJSON.", []),
    "coverage.run": (_COV, "Store a coverage snapshot of a region.", []),
    "coverage.snapshots": (_COV, "Stored coverage snapshots of a region.", []),
    "coverage.snapshot": (_COV, "One stored coverage snapshot.", []),
    "coverage.stale": (_COV, "Regions whose coverage needs refreshing.", []),
    "coverage.refresh": (_COV, "Refresh stale coverage pieces.", []),
    "routing.list_routes": (
        _ROUTES,
        "Curated red-education routes, optionally by theme.",
        [_q("theme", "Route theme")],
    ),
    "routing.create_route": (_ROUTES, "Create a curated route (admin).", []),
    "routing.get_route": (
        _ROUTES,
        "A route with its stops, legs and nearby POIs.",
        [
            _q("mode", "Travel mode"),
            _q("poi_within_m", "POIs within this many metres of a stop", NUM),
            _q("poi_categories", "POI categories", _enum_list(vocab.POI_CATEGORIES)),
        ],
    ),
    "routing.route_geojson": (_ROUTES, "A route as GeoJSON.", []),
    "routing.route_gpx": (_ROUTES, "A route as GPX.", []),
    "routing.replace_route": (_ROUTES, "Replace a curated route (admin).", []),
    "routing.delete_route": (_ROUTES, "Delete a curated route (admin).", []),
    "routing.create_plan": (_ROUTES, "Plan a visit over chosen sites; returns a share token.", []),
    "routing.get_plan": (_ROUTES, "A saved visit plan.", []),
    "routing.plan_geojson": (_ROUTES, "A saved visit plan as GeoJSON.", []),
    "routing.plan_gpx": (_ROUTES, "A saved visit plan as GPX.", []),
    "tiles.tile": ("Vector tiles", "A Mapbox Vector Tile of a layer.", [COORDSYS_P]),
    "auth.me": (_AUTH, "The signed-in account.", []),
    "auth.create_token": (_AUTH, "Issue an API token.", []),
    "auth.list_my_tokens": (_AUTH, "The caller's API tokens.", []),
    "auth.revoke_token": (_AUTH, "Revoke an API token.", []),
    "auth.audit_trail": (_AUTH, "The audit trail (admin).", []),
    "auth.list_users": (_AUTH, "Accounts (admin).", []),
    "auth.create_user": (_AUTH, "Create an account (admin).", []),
    "auth.get_user": (_AUTH, "One account (admin).", []),
    "auth.update_user": (_AUTH, "Change an account (admin).", []),
    "auth.create_checkin": (_AUTH, "Record a visit check-in at a site.", []),
    "auth.my_checkins": (_AUTH, "The caller's check-ins.", []),
    "auth.login_form": (_PAGES, "Sign-in page (HTML).", []),
    "auth.login_submit": (_PAGES, "Sign in (form post).", []),
    "auth.logout": (_PAGES, "Sign out.", []),
    "maps.home": (_PAGES, "Red map home page (HTML).", []),
    "maps.dashboard_page": (_PAGES, "Large-screen dashboard (HTML).", []),
    "maps.site_page": (_PAGES, "A site's page (HTML).", []),
    "maps.route_list_page": (_PAGES, "Routes page (HTML).", []),
    "maps.route_page": (_PAGES, "A route's page (HTML).", []),
    "maps.plan_page": (_PAGES, "Visit planner page (HTML).", []),
}


def openapi_path(rule: str) -> str:
    """Return a Flask rule such as /sites/<int:site_id> as an OpenAPI path /sites/{site_id}."""
    return _RULE_ARG.sub(r"{\1}", rule)


def _normalise(path: str) -> str:
    # Path parameter names differ between rules for one URL (ref vs site_id); compare shapes only.
    return _PLACEHOLDER.sub("{}", path)


def build_spec(app: Flask) -> dict[str, Any]:
    """Return the OpenAPI 3.0 document: described operations plus every other route of app's URL map."""
    paths = described_paths() | page_paths()
    for path, operations in auth_paths().items():
        paths.setdefault(path, {}).update(operations)
    shapes = {_normalise(p): p for p in paths}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith("/ogc/"):
            continue
        path = openapi_path(rule.rule)
        target = shapes.get(_normalise(path), path)
        view = app.view_functions.get(rule.endpoint)
        doc = ((view.__doc__ or "").strip().splitlines() or [rule.endpoint])[0] if view else rule.endpoint
        tag, summary, query = ENDPOINTS.get(rule.endpoint, (rule.endpoint.split(".")[0], doc, []))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operations = paths.setdefault(target, {})
            if method.lower() not in operations:
                params = [_path(name, name) for name in _PLACEHOLDER.findall(target)]
                operations[method.lower()] = _op(summary, tag, params + query)
        shapes.setdefault(_normalise(path), target)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Hongtu 红图 API",
            "version": API_VERSION,
            "description": (
                "Party-building grid map and red-heritage guide. Coordinates are WGS84 unless coordsys "
                "says otherwise; distances are metres on the WGS84 spheroid."
            ),
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "errors": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"param": {"type": "string"}, "message": {"type": "string"}},
                            },
                        },
                    },
                }
            },
        },
    }
