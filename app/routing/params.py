"""Checking JSON bodies of plan requests and curated-route edits; every failure names its parameter."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from .. import coordsys
from ..errors import InvalidBody, InvalidParameter
from ..geo import check_lon_lat
from .service import DETOUR_FACTOR, MAX_STOPS, Place, PlanRequest
from .windows import LOCAL_TZ

MODES = ("walk", "drive", "transit")
MAX_BUDGET_MIN = 3 * 24 * 60


def json_object(body: Any) -> dict:
    """Return body if it is a JSON object; 400 otherwise."""
    if not isinstance(body, dict):
        raise InvalidBody("the request body must be a JSON object")
    return body


def _number(value: Any, param: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidParameter(f"{param} must be a number", param=param)
    if not lo <= value <= hi:
        raise InvalidParameter(f"{param} must be between {lo:g} and {hi:g}, got {value:g}", param=param)
    return float(value)


def _whole(value: Any, param: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameter(f"{param} must be a whole number", param=param)
    if not lo <= value <= hi:
        raise InvalidParameter(f"{param} must be between {lo} and {hi}, got {value}", param=param)
    return value


def _text(value: Any, param: str, max_len: int, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise InvalidParameter(f"{param} is required", param=param)
        return None
    if not isinstance(value, str) or len(value) > max_len:
        raise InvalidParameter(f"{param} must be text of at most {max_len} characters", param=param)
    return value.strip()


def _place(value: Any, param: str, crs: str, default_name: str) -> Place:
    if not isinstance(value, dict) or "lon" not in value or "lat" not in value:
        raise InvalidParameter(f"{param} must be an object with lon and lat", param=param)
    lon = _number(value["lon"], f"{param}.lon", -180, 180)
    lat = _number(value["lat"], f"{param}.lat", -90, 90)
    check_lon_lat(lon, lat, param)
    lon, lat = coordsys.convert(lon, lat, crs, "wgs84")
    name = _text(value.get("name"), f"{param}.name", 100) or default_name
    return Place(float(lon), float(lat), name)


def _start_at(value: Any) -> datetime:
    if not isinstance(value, str):
        raise InvalidParameter("start_at is required: an ISO 8601 date and time", param="start_at")
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidParameter(
            f"start_at must be ISO 8601 such as 2026-05-04T09:00+08:00, got {value[:40]!r}", param="start_at"
        ) from None
    return at.replace(tzinfo=LOCAL_TZ) if at.tzinfo is None else at


def _site_refs(value: Any) -> tuple[int | str, ...]:
    if not isinstance(value, list) or not value:
        raise InvalidParameter("sites must be a non-empty list of site ids or codes", param="sites")
    if len(value) > MAX_STOPS:
        raise InvalidParameter(f"a plan takes at most {MAX_STOPS} sites, got {len(value)}", param="sites")
    refs: list[int | str] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | str) or item == "":
            raise InvalidParameter("each site is an id (number) or a code (text)", param="sites")
        refs.append(item.strip() if isinstance(item, str) else item)
    return tuple(refs)


def _dwell(value: Any) -> tuple[dict[str, int], int | None]:
    if value is None:
        return {}, None
    if isinstance(value, int) and not isinstance(value, bool):
        return {}, _whole(value, "dwell_min", 0, 600)
    if not isinstance(value, dict):
        raise InvalidParameter(
            "dwell_min is minutes for every site or an object by site id/code", param="dwell_min"
        )
    return {str(k): _whole(v, f"dwell_min.{k}", 0, 600) for k, v in value.items()}, None


def parse_plan_request(body: Any) -> PlanRequest:
    """Return the checked plan request of a JSON body (see the API docs for its fields)."""
    body = json_object(body)
    crs = body.get("coordsys", "wgs84")
    try:
        crs = coordsys.parse_coordsys(crs)
    except (ValueError, AttributeError):
        raise InvalidParameter("coordsys must be wgs84, gcj02 or bd09", param="coordsys") from None
    start = _place(body.get("start"), "start", crs, "起点")
    end_value = body.get("end", "round")
    end, end_kind = None, end_value
    if isinstance(end_value, dict):
        end, end_kind = _place(end_value, "end", crs, "终点"), "fixed"
    elif end_value not in ("round", "open"):
        raise InvalidParameter("end is 'round', 'open' or an object with lon and lat", param="end")
    has_sites, rule = "sites" in body, body.get("rule")
    if has_sites == (rule is not None):
        raise InvalidParameter("give either sites (a list) or rule (an object), not both", param="sites")
    fields: dict[str, Any] = {}
    if has_sites:
        fields["site_refs"] = _site_refs(body["sites"])
    else:
        if not isinstance(rule, dict):
            raise InvalidParameter("rule must be an object with tag, category, region, count", param="rule")
        fields["rule_tag"] = _text(rule.get("tag"), "rule.tag", 50)
        fields["rule_category"] = _text(rule.get("category"), "rule.category", 30)
        fields["rule_region"] = _text(rule.get("region"), "rule.region", 12)
        fields["rule_count"] = _whole(rule.get("count", 5), "rule.count", 1, MAX_STOPS)
    mode = body.get("mode", "walk")
    if mode not in MODES:
        raise InvalidParameter(f"mode must be one of {', '.join(MODES)}", param="mode")
    dwell_by_site, dwell_all = _dwell(body.get("dwell_min"))
    detour = body.get("detour_factor")
    return PlanRequest(
        start=start,
        start_at=_start_at(body.get("start_at")),
        budget_min=_whole(body.get("budget_min", 480), "budget_min", 10, MAX_BUDGET_MIN),
        mode=mode,
        end=end,
        end_kind=end_kind,
        dwell_min=dwell_by_site,
        dwell_all_min=dwell_all,
        detour_factor=DETOUR_FACTOR if detour is None else _number(detour, "detour_factor", 1.0, 3.0),
        **fields,
    )


def parse_route_body(body: Any) -> tuple[dict, list[tuple[int | str, int | None]]]:
    """Return a curated route's fields and its stops as (site id or code, dwell minutes or None)."""
    body = json_object(body)
    fields = {
        "code": _text(body.get("code"), "code", 40, required=True),
        "name": _text(body.get("name"), "name", 200, required=True),
        "theme": _text(body.get("theme"), "theme", 100),
        "description": _text(body.get("description"), "description", 5000),
        "suggested_duration_min": None
        if body.get("suggested_duration_min") is None
        else _whole(body["suggested_duration_min"], "suggested_duration_min", 1, MAX_BUDGET_MIN),
        "season": _text(body.get("season"), "season", 50),
    }
    raw = body.get("stops")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_STOPS:
        raise InvalidParameter(f"stops must be a list of 1 to {MAX_STOPS} sites in order", param="stops")
    stops: list[tuple[int | str, int | None]] = []
    for n, item in enumerate(raw):
        entry = item if isinstance(item, dict) else {"site": item}
        ref = entry.get("site")
        if isinstance(ref, bool) or not isinstance(ref, int | str) or ref == "":
            raise InvalidParameter(f"stops[{n}] needs a site id or code", param=f"stops[{n}]")
        dwell = entry.get("dwell_min")
        stops.append((ref, None if dwell is None else _whole(dwell, f"stops[{n}].dwell_min", 0, 600)))
    return fields, stops
