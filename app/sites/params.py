"""Query-string parsing for the guide endpoints: filters, paging, origin, radius and K, each 400 by name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from shapely.geometry import Point

from .. import vocab
from ..db import get_session
from ..errors import InvalidBody, InvalidParameter
from ..geo import parse_adcode, parse_bbox, parse_choice, parse_float, parse_int, parse_point
from .filters import SiteFilters
from .hours import now_moment, parse_open_at
from .queries import region_subtree_ids

FORMATS = ("json", "geojson")
MAX_LIST_ITEMS = 50
MAX_KEYWORD_CHARS = 100
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


@dataclass(frozen=True)
class Paging:
    """One page: at most limit items after skipping offset."""

    limit: int
    offset: int


def parse_flag(args: Mapping[str, str], name: str) -> bool:
    """Return args[name] as a boolean (absent is false); 400 naming it otherwise."""
    raw = (args.get(name) or "false").strip().lower()
    if raw not in _TRUE + _FALSE:
        raise InvalidParameter(f"{name} must be true or false, got {raw[:20]!r}", param=name)
    return raw in _TRUE


def parse_choices(args: Mapping[str, str], name: str, choices: Iterable[str]) -> tuple[str, ...]:
    """Return the comma-separated values of args[name], each one of choices; 400 naming the unknown one."""
    raw = args.get(name)
    if not raw:
        return ()
    allowed = tuple(choices)
    values = tuple(dict.fromkeys(v.strip() for v in raw.split(",") if v.strip()))
    for value in values:
        if value not in allowed:
            raise InvalidParameter(
                f"unknown {name} {value[:40]!r}; expected one of {', '.join(allowed)}", param=name
            )
    return values


def parse_texts(args: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Return the comma-separated free-text values of args[name] (tags), each at most 100 characters."""
    raw = args.get(name)
    values = tuple(dict.fromkeys(v.strip() for v in (raw or "").split(",") if v.strip()))
    if len(values) > MAX_LIST_ITEMS or any(len(v) > 100 for v in values):
        raise InvalidParameter(f"{name} takes at most {MAX_LIST_ITEMS} values of 100 characters", param=name)
    return values


def parse_format(args: Mapping[str, str]) -> str:
    """Return the requested response format, json (default) or geojson."""
    return parse_choice(args, "format", FORMATS, default="json") or "json"


def parse_paging(args: Mapping[str, str], *, default_limit: int = 20, max_limit: int = 1000) -> Paging:
    """Return limit (1..max_limit) and offset (0..100,000) from the query string."""
    return Paging(
        parse_int(args, "limit", default=default_limit, lo=1, hi=max_limit),
        parse_int(args, "offset", default=0, lo=0, hi=100_000),
    )


def parse_region(args: Mapping[str, str], name: str = "region") -> tuple[int, ...] | None:
    """Return the ids of the region whose adcode is args[name] and of all regions below it; 400 if unknown."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    parse_adcode(raw, name)
    ids = region_subtree_ids(get_session(), raw)
    if not ids:
        raise InvalidParameter(f"no region has adcode {raw}", param=name)
    return ids


def parse_keyword(args: Mapping[str, str], name: str = "q") -> str | None:
    """Return the search keyword, stripped; 400 when it is longer than 100 characters or has NUL."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if len(raw) > MAX_KEYWORD_CHARS or "\x00" in raw:
        raise InvalidParameter(f"{name} must be at most {MAX_KEYWORD_CHARS} characters of text", param=name)
    return raw


def parse_site_filters(args: Mapping[str, str], coordsys: str) -> SiteFilters:
    """Return the site filters of the query string; bbox is read in coordsys and kept in WGS84."""
    open_at = None
    if args.get("open_at"):
        open_at = parse_open_at(args["open_at"])
    elif parse_flag(args, "open_now"):
        open_at = now_moment()
    return SiteFilters(
        region_ids=parse_region(args),
        categories=parse_choices(args, "category", vocab.SITE_CATEGORIES),
        levels=parse_choices(args, "level", vocab.SITE_LEVELS),
        tags=parse_texts(args, "tag"),
        q=parse_keyword(args),
        open_at=open_at,
        bbox=parse_bbox(args, crs=coordsys),
    )


def parse_origin(args: Mapping[str, str], coordsys: str, *, required: bool = False) -> Point | None:
    """Return the WGS84 point given by lon/lat in coordsys, None when both are absent (unless required)."""
    if not required and not args.get("lon") and not args.get("lat"):
        return None
    return parse_point(args, crs=coordsys)


def max_radius_m() -> float:
    """Return the configured radius cap in metres (50 km unless HONGTU_NEARBY_MAX_RADIUS_M says otherwise)."""
    return float(current_app.config.get("NEARBY_MAX_RADIUS_M", 50_000))


def max_k() -> int:
    """Return the configured cap on K for nearest searches."""
    return int(current_app.config.get("NEARBY_MAX_K", 100))


def parse_radius(args: Mapping[str, str], *, default: float | None = None) -> float | None:
    """Return radius_m in metres, 1..the configured cap; None when absent and there is no default."""
    if not args.get("radius_m") and default is None:
        return None
    return parse_float(args, "radius_m", default=default, lo=1, hi=max_radius_m())


def parse_k(args: Mapping[str, str], *, default: int | None = 10) -> int | None:
    """Return k, 1..the configured cap; None when absent and there is no default."""
    if not args.get("k") and default is None:
        return None
    return parse_int(args, "k", default=default, lo=1, hi=max_k())


def json_body() -> Any:
    """Return the request's JSON body; 400 when it is missing or not JSON."""
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidBody("send a JSON object (Content-Type: application/json)")
    return body
