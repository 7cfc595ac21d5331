"""Nearby points of interest (周边): list, nearby search, one POI, admin writes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, url_for

from ..db import get_read_session, get_session
from ..geo import parse_bbox, parse_coordsys, parse_int
from ..sites.admin import add_admin_writes
from ..sites.output import collection_response, item_response
from ..sites.params import (
    parse_choices,
    parse_format,
    parse_k,
    parse_keyword,
    parse_origin,
    parse_paging,
    parse_radius,
    parse_region,
)
from ..vocab import POI_CATEGORIES
from .queries import PoiRow, count_pois, get_poi, list_pois, poi_conditions, pois_near

bp = Blueprint("pois", __name__, url_prefix="/api/v1/pois")


def poi_properties(poi: PoiRow) -> dict[str, Any]:
    """Return a POI's fields with its Chinese category label; distance_m only when it was measured."""
    props = {
        "id": poi.id,
        "code": poi.code,
        "name": poi.name,
        "category": poi.category,
        "category_label": POI_CATEGORIES.get(poi.category),
        "adcode": poi.adcode,
        "address": poi.address,
        "phone": poi.phone,
    }
    if poi.distance_m is not None:
        props["distance_m"] = round(poi.distance_m, 1)
    return props


def _conditions(args, dst: str):
    return poi_conditions(
        parse_choices(args, "category", POI_CATEGORIES),
        parse_region(args),
        parse_bbox(args, crs=dst),
        parse_keyword(args),
    )


@bp.get("")
def list_all():
    """POIs by category, region, keyword and bbox, paged, with a count."""
    dst = parse_coordsys(request.args)
    fmt = parse_format(request.args)
    conditions = _conditions(request.args, dst)
    paging = parse_paging(request.args, max_limit=1000)
    session = get_read_session()
    rows = list_pois(session, conditions, limit=paging.limit, offset=paging.offset)
    count = count_pois(session, conditions)
    meta = {
        "count": count.total,
        "count_is_estimate": count.is_estimate,
        "limit": paging.limit,
        "offset": paging.offset,
    }
    return collection_response(rows, poi_properties, fmt, dst, meta)


@bp.get("/nearby")
def nearby():
    """The K POIs nearest a point, or all within radius_m metres, by category, nearest first."""
    dst = parse_coordsys(request.args)
    fmt = parse_format(request.args)
    origin = parse_origin(request.args, dst, required=True)
    radius_m = parse_radius(request.args)
    k = parse_k(request.args, default=None if radius_m else 10)
    limit = parse_int(request.args, "limit", default=100, lo=1, hi=1000)
    conditions = _conditions(request.args, dst)
    rows = pois_near(get_read_session(), origin, conditions, k=k, radius_m=radius_m, limit=limit)
    return collection_response(
        rows, poi_properties, fmt, dst, {"k": k, "radius_m": radius_m, "returned": len(rows)}
    )


@bp.get("/<int:poi_id>")
def poi_detail(poi_id: int):
    """One POI."""
    dst = parse_coordsys(request.args)
    poi = get_poi(get_read_session(), poi_id)
    return item_response(poi, poi_properties(poi), parse_format(request.args), dst)


def _show(poi_id: int, dst: str):
    poi = get_poi(get_session(), poi_id)
    return item_response(poi, poi_properties(poi), "json", dst)


add_admin_writes(bp, "pois", _show, lambda poi_id: url_for("pois.poi_detail", poi_id=poi_id))
