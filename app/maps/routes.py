"""Map pages (home, site, route, plan, dashboard) and the GeoJSON they load by bbox as the map moves."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from shapely.geometry import Point

from .. import auth
from ..db import get_session
from ..errors import InvalidParameter, NotFound
from ..geo import (
    feature_collection,
    parse_adcode,
    parse_bbox,
    parse_choice,
    parse_coordsys,
    parse_int,
    to_feature,
)
from ..pois.queries import pois_near
from ..regions.queries import child_regions, get_region, region_path
from ..routing import queries as routing_queries
from ..routing import service as routing_service
from ..sites.filters import SiteFilters
from ..sites.queries import get_site, nearby_sites, search_sites
from ..vocab import ORG_KINDS
from . import assets, queries, render
from .display import to_display
from .i18n import LANG_COOKIE, pick_lang, texts, vocab_labels
from .queries import Box
from .timetable import route_features, timetable

bp = Blueprint("maps", __name__)
bp.register_blueprint(assets.bp)

NEARBY_SITES_M = 5000.0
NEARBY_POIS_M = 1500.0
SEARCH_LIMIT = 10
MAX_ID = 2**31 - 1


def _known(kind: str, ident: int) -> int:
    # Ids beyond PostgreSQL's integer cannot exist; answer 404 rather than let the cast fail.
    if ident > MAX_ID:
        raise NotFound(f"{kind} {ident} does not exist", param="id")
    return ident


def _context() -> render.PageContext:
    lang = pick_lang(request)
    basemap = parse_choice(
        request.args, "basemap", render.BASEMAPS, default=current_app.config.get("BASEMAP", "none")
    )
    return render.PageContext(
        lang=lang,
        texts=texts(lang),
        vocab=vocab_labels(lang),
        basemap=basemap if basemap in render.BASEMAPS else "none",
        tianditu_key=current_app.config.get("TIANDITU_KEY", ""),
        review_number=current_app.config.get("MAP_REVIEW_NUMBER", ""),
        attribution=current_app.config.get("MAP_ATTRIBUTION", ""),
        admin=auth.is_admin(),
        home_region=current_app.config.get("MAP_HOME_REGION", "350100"),
    )


def _page(html: str, ctx: render.PageContext) -> Response:
    response = Response(html, mimetype="text/html")
    if request.args.get("lang") == ctx.lang:
        response.set_cookie(LANG_COOKIE, ctx.lang, max_age=365 * 24 * 3600, samesite="Lax")
    # Admin pages differ by the Authorization header; never let a shared cache mix them up.
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Authorization")
    response.vary.add("Cookie")
    return response


@bp.get("/")
def home():
    ctx = _context()
    return _page(render.render_page("home.html", ctx, render.home_map(ctx)), ctx)


@bp.get("/sites/<int:site_id>")
def site_page(site_id: int):
    ctx = _context()
    session = get_session()
    site = get_site(session, _known("site", site_id))
    origin = Point(site.geometry["coordinates"][:2])
    near = [n for n in nearby_sites(session, origin, k=9, radius_m=NEARBY_SITES_M) if n.id != site.id][:8]
    pois = pois_near(session, origin, radius_m=NEARBY_POIS_M, limit=12)
    props = {"id": site.id, "name": site.name, "category": site.category, "level": site.level}
    here = to_display(feature_collection([to_feature(site.geometry, props)]), ctx.coordsys)["features"][0]
    near_fc = feature_collection(
        [to_feature(n.geometry, {"id": n.id, "name": n.name, "category": n.category}, fid=n.id) for n in near]
    )
    fmap = render.site_map(ctx, here, to_display(near_fc, ctx.coordsys))
    html = render.render_page(
        "site.html",
        ctx,
        fmap,
        site=site,
        nearby=near,
        pois=pois,
        weekday=queries.today_key(),
        hours_text=queries.hours_text,
    )
    return _page(html, ctx)


@bp.get("/routes")
def route_list_page():
    ctx = _context()
    html = render.render_page("routes.html", ctx, None, routes=routing_queries.list_routes(get_session()))
    return _page(html, ctx)


@bp.get("/routes/<int:route_id>")
def route_page(route_id: int):
    ctx = _context()
    route = routing_service.route_detail(get_session(), str(_known("route", route_id)))
    path = to_display(route_features(route), ctx.coordsys)
    html = render.render_page(
        "route.html",
        ctx,
        render.route_map(ctx, path),
        route=route,
        schedule=timetable(route, "09:00"),
        gpx_url=f"/api/v1/routes/{route_id}.gpx",
    )
    return _page(html, ctx)


@bp.get("/plan")
def plan_page():
    ctx = _context()
    return _page(render.render_page("plan.html", ctx, render.plan_map(ctx)), ctx)


@bp.get("/dashboard")
def dashboard_page():
    ctx = _context()
    if not ctx.admin:
        html = render.render_page("dashboard.html", ctx, None, region=None)
        return _page(html, ctx), 403
    region = _region_in_scope(request.args.get("region"))
    html = render.render_page(
        "dashboard.html",
        ctx,
        render.dashboard_map(ctx, region.bbox),
        region=region,
        path=region_path(get_session(), region.adcode),
        children=child_regions(get_session(), region.adcode),
    )
    return _page(html, ctx)


def _region_in_scope(raw: str | None):
    """Return the asked region (default: the admin's own, else the home region); 404 outside the scope."""
    session = get_session()
    scope = auth.current_scope()
    adcode = _adcode(raw)
    if adcode is None:
        own = (
            None if scope.all or scope.region_id is None else queries.region_adcode(session, scope.region_id)
        )
        adcode = own or current_app.config["MAP_HOME_REGION"]
    region = get_region(session, adcode)
    if not scope.has_region(region.id):
        raise auth.deny_read(f"region {adcode}")
    return region


def _adcode(value: str | None) -> str | None:
    return parse_adcode(value, "region")


# --- GeoJSON for the page script -------------------------------------------------------------------


def _box_and_crs() -> tuple[Box, str]:
    crs = parse_coordsys(request.args)
    geom = parse_bbox(request.args, crs=crs)
    if geom is None:
        raise InvalidParameter("bbox is required: minLon,minLat,maxLon,maxLat", param="bbox")
    return Box.of(geom), crs


def _cell_deg() -> float:
    zoom = parse_int(request.args, "zoom", default=10, lo=0, hi=22)
    # About 60 screen pixels per cluster cell at this zoom.
    return 360.0 / 2**zoom / 4


@bp.get("/maps/data/sites")
def data_sites():
    box, crs = _box_and_crs()
    fc = queries.sites_in_bbox(get_session(), box, _cell_deg(), queries.today_key())
    return to_display(fc, crs)


@bp.get("/maps/data/centres")
def data_centres():
    box, crs = _box_and_crs()
    return to_display(queries.centres_in_bbox(get_session(), box), crs)


@bp.get("/maps/data/pois")
def data_pois():
    box, crs = _box_and_crs()
    return to_display(queries.pois_in_bbox(get_session(), box), crs)


@bp.get("/maps/data/routes")
def data_routes():
    crs = parse_coordsys(request.args)
    return to_display(queries.route_lines(get_session()), crs)


@bp.get("/maps/data/search")
def data_search():
    q = (request.args.get("q") or "").strip()
    if not q:
        raise InvalidParameter("q is required", param="q")
    if len(q) > 50:
        raise InvalidParameter("q must be at most 50 characters", param="q")
    crs = parse_coordsys(request.args)
    rows = search_sites(get_session(), SiteFilters(q=q), sort="relevance", limit=SEARCH_LIMIT)
    fc = feature_collection(
        [to_feature(r.geometry, {"id": r.id, "name": r.name, "category": r.category}, fid=r.id) for r in rows]
    )
    return to_display(fc, crs)


@bp.get("/maps/data/org-heat")
def data_org_heat():
    auth.require_admin()
    box, crs = _box_and_crs()
    scope = auth.current_scope().params()
    return to_display(queries.organization_heat(get_session(), box, _cell_deg() * 2, scope), crs)


@bp.get("/maps/data/distribution")
def data_distribution():
    auth.require_admin()
    adcode = _region_in_scope(request.args.get("region")).adcode
    body = queries.distribution(get_session(), adcode)
    labels = vocab_labels(pick_lang(request))
    kinds = ORG_KINDS if pick_lang(request) == "zh" else {k: k.replace("_", " ") for k in ORG_KINDS}
    for row in body["by_kind"]:
        row["label"] = kinds.get(row["kind"], row["kind"])
    for row in body["by_category"]:
        row["label"] = labels.get("member_categories", {}).get(row["category"], row["category"])
    return body


@bp.get("/maps/data/site/<int:site_id>")
def data_site(site_id: int):
    site = get_site(get_session(), _known("site", site_id))
    lon, lat = site.geometry["coordinates"][:2]
    return {"id": site.id, "name": site.name, "category": site.category, "lon": lon, "lat": lat}
