"""Region tree API: lookups by adcode, children for region pickers, outlines."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, request

from ..db import get_read_session
from ..geo import parse_adcode, parse_float, to_feature
from .queries import child_regions, get_region, region_geometry, region_path

bp = Blueprint("regions", __name__, url_prefix="/api/v1/regions")


@bp.get("")
def list_regions():
    parent = parse_adcode(request.args.get("parent"), "parent")
    if parent:
        get_region(get_read_session(), parent)
    return {"regions": [asdict(r) for r in child_regions(get_read_session(), parent)]}


@bp.get("/<adcode>")
def region_detail(adcode: str):
    adcode = parse_adcode(adcode)
    region = get_region(get_read_session(), adcode)
    return {
        **asdict(region),
        "path": region_path(get_read_session(), adcode),
        "children": [asdict(r) for r in child_regions(get_read_session(), adcode)],
    }


@bp.get("/<adcode>/outline")
def region_outline(adcode: str):
    adcode = parse_adcode(adcode)
    tolerance = parse_float(request.args, "simplify_deg", default=0.0005, lo=0, hi=0.1)
    region = get_region(get_read_session(), adcode)
    geometry = region_geometry(get_read_session(), adcode, tolerance)
    return to_feature(
        geometry, {"adcode": region.adcode, "name": region.name, "level": region.level}, fid=region.adcode
    )
