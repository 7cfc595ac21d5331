"""Party-mass service centres: list, nearest to a point, one centre, admin writes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, url_for

from ..db import get_read_session, get_session
from ..geo import parse_bbox, parse_coordsys
from ..sites.admin import add_admin_writes
from ..sites.output import collection_response, item_response
from ..sites.params import (
    parse_choices,
    parse_format,
    parse_k,
    parse_origin,
    parse_paging,
    parse_radius,
    parse_region,
)
from ..vocab import CENTRE_LEVELS
from .queries import CentreRow, centre_conditions, count_centres, get_centre, list_centres, nearest_centres

bp = Blueprint("centres", __name__, url_prefix="/api/v1/centres")


def centre_properties(centre: CentreRow) -> dict[str, Any]:
    """Return a centre's fields with its Chinese level label; distance_m only when it was measured."""
    props = {
        "id": centre.id,
        "code": centre.code,
        "name": centre.name,
        "level": centre.level,
        "level_label": CENTRE_LEVELS.get(centre.level),
        "adcode": centre.adcode,
        "reach_m": centre.reach_m,
        "address": centre.address,
        "phone": centre.phone,
    }
    if centre.distance_m is not None:
        props["distance_m"] = round(centre.distance_m, 1)
    return props


def _conditions(dst: str):
    return centre_conditions(
        parse_choices(request.args, "level", CENTRE_LEVELS),
        parse_region(request.args),
        parse_bbox(request.args, crs=dst),
    )


@bp.get("")
def list_all():
    """Centres by level, region and bbox, paged, with a count."""
    dst = parse_coordsys(request.args)
    conditions = _conditions(dst)
    paging = parse_paging(request.args, max_limit=1000)
    session = get_read_session()
    rows = list_centres(session, conditions, limit=paging.limit, offset=paging.offset)
    count = count_centres(session, conditions)
    meta = {
        "count": count.total,
        "count_is_estimate": count.is_estimate,
        "limit": paging.limit,
        "offset": paging.offset,
    }
    return collection_response(rows, centre_properties, parse_format(request.args), dst, meta)


@bp.get("/nearest")
def nearest():
    """The K centres nearest a point (default 1), optionally within radius_m, with spheroid distances."""
    dst = parse_coordsys(request.args)
    origin = parse_origin(request.args, dst, required=True)
    k = parse_k(request.args, default=1)
    radius_m = parse_radius(request.args)
    rows = nearest_centres(
        get_read_session(), origin, k=k or 1, conditions=_conditions(dst), radius_m=radius_m
    )
    meta = {"k": k, "radius_m": radius_m, "returned": len(rows)}
    return collection_response(rows, centre_properties, parse_format(request.args), dst, meta)


@bp.get("/<int:centre_id>")
def centre_detail(centre_id: int):
    """One centre."""
    dst = parse_coordsys(request.args)
    centre = get_centre(get_read_session(), centre_id)
    return item_response(centre, centre_properties(centre), parse_format(request.args), dst)


def _show(centre_id: int, dst: str):
    centre = get_centre(get_session(), centre_id)
    return item_response(centre, centre_properties(centre), "json", dst)


# Writes go through the importer's checks (level vocabulary, reach_m 1..50,000 m, lon/lat bounds, coordsys)
# and are limited to the admin's regions; the coverage triggers mark the reach cells around the old and
# new position stale in the same transaction.
add_admin_writes(
    bp, "centres", _show, lambda centre_id: url_for("centres.centre_detail", centre_id=centre_id)
)
