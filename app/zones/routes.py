"""Zone API: list by box as GeoJSON, read one, create, update with a version check, delete."""

from __future__ import annotations

from flask import Blueprint, current_app, request
from shapely.geometry import shape

from .. import coordsys
from ..auth import current_scope, deny_read, require_admin
from ..db import get_session
from ..errors import InvalidBody, InvalidParameter
from ..geo import ewkt, feature_collection, parse_adcode, parse_bbox, parse_coordsys, parse_int, to_feature
from .queries import ZoneRow, get_zone, zones_in_box
from .service import DEFAULT_CODE_PATTERN, ZoneWrite, create_zone, delete_zone, update_zone, zone_properties

bp = Blueprint("zones", __name__, url_prefix="/api/v1/zones")


def _flag(name: str) -> bool:
    value = request.args.get(name, "false").lower()
    if value not in ("true", "false", "1", "0"):
        raise InvalidParameter(f"{name} must be true or false", param=name)
    return value in ("true", "1")


def _adcode(name: str = "region") -> str | None:
    return parse_adcode(request.args.get(name), name)


def _feature(zone: ZoneRow, dst: str, sensitive: bool) -> dict:
    geometry = zone.geometry
    if geometry is not None and dst != "wgs84":
        geometry = coordsys.convert_geometry(shape(geometry), "wgs84", dst).__geo_interface__
    return to_feature(geometry, zone_properties(zone, sensitive), fid=zone.code)


def _code_pattern() -> str:
    return current_app.config.get("ZONE_CODE_PATTERN") or DEFAULT_CODE_PATTERN


def _body() -> dict:
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidBody("send a GeoJSON Feature as application/json", param="body")
    return body


def _version(body: dict | None = None) -> int | None:
    """The version the client edited: properties.version, else If-Match, else ?version=."""
    raw = None
    if body and isinstance(body.get("properties"), dict):
        raw = body["properties"].get("version")
    if raw is None:
        raw = (request.headers.get("If-Match") or "").strip('W/" ') or None
    if raw is None:
        raw = request.args.get("version") or None
    if raw is None:
        return None
    if isinstance(raw, bool) or not str(raw).isdigit():
        raise InvalidParameter(f"version must be a whole number, got {str(raw)[:20]!r}", param="version")
    return int(raw)


def _written(result: ZoneWrite, status: int):
    body = _feature(result.zone, "wgs84", sensitive=True)
    body["repaired"] = result.repaired
    body["coverage_stale"] = result.stale_regions
    return body, status, {"ETag": f'"{result.zone.version}"'}


@bp.get("")
def list_zones():
    require_admin()
    dst = parse_coordsys(request.args)
    box = parse_bbox(request.args)
    region = _adcode()
    limit = parse_int(request.args, "limit", default=1000, lo=1, hi=10_000)
    if box is None and region is None:
        raise InvalidParameter("give bbox=minLon,minLat,maxLon,maxLat or region=<adcode>", param="bbox")
    sensitive = _flag("sensitive")
    bbox = ewkt(box) if box is not None else None
    zones = zones_in_box(get_session(), bbox, region, limit, current_scope())
    return feature_collection([_feature(z, dst, sensitive) for z in zones], coordsys=dst, limit=limit)


@bp.get("/<code>")
def zone_detail(code: str):
    require_admin()
    zone = get_zone(get_session(), code, current_scope())
    if zone is None:
        # Out of scope reads as absent, so a zone's existence is not revealed.
        raise deny_read(f"zone {code}")
    feature = _feature(zone, parse_coordsys(request.args), _flag("sensitive"))
    return feature, 200, {"ETag": f'"{zone.version}"'}


@bp.post("")
def create():
    require_admin()
    src, repair = parse_coordsys(request.args), _flag("repair")
    session = get_session()
    result = create_zone(
        session, _body(), scope=current_scope(), src_coordsys=src, repair=repair, code_pattern=_code_pattern()
    )
    session.commit()
    return _written(result, 201)


@bp.route("/<code>", methods=["PUT", "PATCH"])
def update(code: str):
    require_admin()
    src, repair = parse_coordsys(request.args), _flag("repair")
    body = _body()
    session = get_session()
    result = update_zone(
        session,
        code,
        body,
        _version(body),
        scope=current_scope(),
        src_coordsys=src,
        repair=repair,
        code_pattern=_code_pattern(),
    )
    session.commit()
    return _written(result, 200)


@bp.delete("/<code>")
def delete(code: str):
    require_admin()
    session = get_session()
    stale = delete_zone(session, code, _version(), scope=current_scope())
    session.commit()
    return {"deleted": code, "coverage_stale": stale}, 200
