"""Curated red-education routes and visit plans: JSON, GeoJSON and GPX, with share links for plans."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response, request, url_for

from ..auth import audit, current_user, require_login, require_super_admin
from ..db import get_read_session, get_session
from ..errors import Conflict, InvalidParameter
from ..geo import parse_choice, parse_float, parse_int
from ..vocab import POI_CATEGORIES
from . import queries
from .gpx import geojson_document, gpx_document
from .params import MODES, parse_plan_request, parse_route_body
from .service import plan, route_detail, save_plan

bp = Blueprint("routing", __name__, url_prefix="/api/v1")

GEOJSON = "application/geo+json"
GPX = "application/gpx+xml"


def _detail_args() -> dict:
    mode = parse_choice(request.args, "mode", MODES, default="walk")
    within = parse_float(request.args, "poi_within_m", default=300, lo=0, hi=5000)
    raw = request.args.get("poi_categories", "food,parking")
    categories = tuple(c for c in raw.split(",") if c)
    unknown = [c for c in categories if c not in POI_CATEGORIES]
    if unknown:
        raise InvalidParameter(
            f"poi_categories must be among {', '.join(POI_CATEGORIES)}; got {unknown[0][:20]!r}",
            param="poi_categories",
        )
    return {"mode": mode, "poi_within_m": within, "poi_categories": categories}


def _download(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/routes")
def list_routes():
    theme = request.args.get("theme") or None
    return {"routes": [asdict(r) for r in queries.list_routes(get_read_session(), theme)]}


@bp.get("/routes/<ref>")
def get_route(ref: str):
    return route_detail(get_read_session(), ref, **_detail_args())


@bp.get("/routes/<ref>.geojson")
def route_geojson(ref: str):
    body = route_detail(get_read_session(), ref, **_detail_args())
    return geojson_document(body["name"], body), 200, {"Content-Type": GEOJSON}


@bp.get("/routes/<ref>.gpx")
def route_gpx(ref: str):
    body = route_detail(get_read_session(), ref, **_detail_args())
    return _download(gpx_document(body["name"], body), GPX, f"route-{body['code']}.gpx")


def _route_state(session, route_id: int) -> dict:
    route = queries.get_route(session, str(route_id))
    stops = [(seq, site.code, dwell) for seq, dwell, site in queries.route_stops(session, route_id)]
    return {**asdict(route), "stops": stops}


def _write_route(route_id: int | None):
    # Curated routes span regions, so only super admins write them.
    require_super_admin()
    session = get_session()
    before = _route_state(session, route_id) if route_id is not None else None
    fields, stops = parse_route_body(request.get_json(silent=True))
    if queries.route_code_taken(session, fields["code"], route_id if route_id is not None else -1):
        raise Conflict(f"route code {fields['code']} is taken", param="code")
    refs = [ref for ref, _ in stops]
    found = queries.sites_by_ref(
        session, [r for r in refs if isinstance(r, int)], [r for r in refs if isinstance(r, str)]
    )
    by_ref = {s.id: s.id for s in found} | {s.code: s.id for s in found}
    unknown = [r for r in refs if r not in by_ref]
    if unknown:
        raise InvalidParameter(
            f"unknown sites: {', '.join(map(str, unknown[:10]))}",
            errors=[{"param": "stops", "message": f"site {r} does not exist"} for r in unknown[:10]],
        )
    if route_id is None:
        route_id = queries.insert_route(session, fields)
    else:
        queries.update_route(session, route_id, fields)
    queries.replace_stops(session, route_id, [(by_ref[ref], dwell) for ref, dwell in stops])
    action = "create" if before is None else "update"
    audit(session, action, "route", route_id, before, _route_state(session, route_id))
    session.commit()
    return route_id


@bp.post("/routes")
def create_route():
    route_id = _write_route(None)
    body = route_detail(get_session(), str(route_id))
    return body, 201, {"Location": url_for("routing.get_route", ref=route_id)}


@bp.put("/routes/<ref>")
def replace_route(ref: str):
    require_super_admin()
    route = queries.get_route(get_session(), ref)
    _write_route(route.id)
    return route_detail(get_session(), str(route.id))


@bp.delete("/routes/<ref>")
def delete_route(ref: str):
    require_super_admin()
    session = get_session()
    route = queries.get_route(session, ref)
    before = _route_state(session, route.id)
    queries.delete_route(session, route.id)
    audit(session, "delete", "route", route.id, before)
    session.commit()
    return "", 204


@bp.post("/plans")
def create_plan():
    raw = request.get_json(silent=True)
    req = parse_plan_request(raw)
    session = get_session()
    answer = plan(session, req)
    # A signed-in account keeps its plans (GET /plans/mine); a visitor's plan is reached by its token only.
    token = save_plan(session, raw, answer, current_user().user_id)
    details = {"sites": len(answer["stops"]), "dropped": len(answer["dropped"]), "mode": req.mode}
    audit(session, "create", "plan", token, details=details)
    session.commit()
    answer = {"token": token, "share_url": url_for("routing.get_plan", token=token), **answer}
    return answer, 201, {"Location": answer["share_url"]}


@bp.get("/plans/mine")
def my_plans():
    """The caller's saved plans, newest first, paged (signed-in accounts)."""
    identity = require_login()
    limit = parse_int(request.args, "limit", default=20, lo=1, hi=100)
    offset = parse_int(request.args, "offset", default=0, lo=0, hi=100_000)
    session = get_session()
    if identity.user_id is None:
        rows, total = [], 0  # the configured break-glass token is no account and keeps no plans
    else:
        rows = queries.user_plans(session, identity.user_id, limit=limit, offset=offset)
        total = queries.count_user_plans(session, identity.user_id)
    plans = [
        {
            **asdict(r),
            "created_at": r.created_at.isoformat(),
            "share_url": url_for("routing.get_plan", token=r.token),
        }
        for r in rows
    ]
    return {"count": total, "limit": limit, "offset": offset, "plans": plans}


def _saved(token: str) -> dict:
    if not (token.replace("-", "").replace("_", "").isalnum() and len(token) <= 32):
        raise InvalidParameter("token is not a plan token", param="token")
    _, answer = queries.get_plan(get_read_session(), token)
    return {"token": token, "share_url": url_for("routing.get_plan", token=token), **answer}


def _plan_name(answer: dict) -> str:
    return f"红色线路 {answer['start_at'][:10]}"


@bp.get("/plans/<token>")
def get_plan(token: str):
    return _saved(token)


@bp.get("/plans/<token>.geojson")
def plan_geojson(token: str):
    answer = _saved(token)
    return geojson_document(_plan_name(answer), answer), 200, {"Content-Type": GEOJSON}


@bp.get("/plans/<token>.gpx")
def plan_gpx(token: str):
    answer = _saved(token)
    return _download(gpx_document(_plan_name(answer), answer), GPX, f"plan-{token}.gpx")
