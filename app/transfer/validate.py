"""Checks raw rows field by field and returns clean values plus every error found, never the first only."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from .. import coordsys
from ..vocab import WEEKDAYS
from .layers import Field, Layer
from .readers import RawRow

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f"}


@dataclass(frozen=True)
class GeometryLimits:
    """The most vertices and the widest lon or lat span (degrees) one imported geometry may have."""

    max_vertices: int
    max_extent_deg: float


@dataclass
class Checked:
    """Clean rows ready for the database and the errors (row, field, message) found on the way."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def check_rows(
    layer: Layer, raw_rows: list[RawRow], src_coordsys: str, limits: GeometryLimits | None = None
) -> Checked:
    """Return every row of raw_rows validated against layer, geometry converted to WGS84 as WKB hex."""
    out = Checked()
    seen: dict[str, str] = {}
    for row_no, raw in enumerate(raw_rows):
        errors: list[tuple[str | None, str]] = []
        clean: dict[str, Any] = {"row_no": row_no, "row_where": raw.where}
        for spec in layer.fields:
            try:
                clean[spec.name] = _value(spec, raw.properties.get(spec.name))
            except ValueError as err:
                errors.append((spec.name, str(err)))
        unknown = set(raw.properties) - {f.name for f in layer.fields} - _IGNORED
        errors.extend((name, "unknown field") for name in sorted(unknown))
        if layer.geometry:
            try:
                clean["wkb"] = _geometry(layer.geometry, raw, src_coordsys, limits)
            except ValueError as err:
                errors.append(("geometry", str(err)))
        key = clean.get(layer.key)
        if isinstance(key, str):
            if key in seen:
                errors.append((layer.key, f"{key!r} repeats {seen[key]}"))
            seen.setdefault(key, raw.where)
        if errors:
            out.errors.extend({"row": raw.where, "field": f, "message": m} for f, m in errors)
        else:
            out.rows.append(clean)
    return out


# Properties written by our own exports that an import may carry back without complaint.
_IGNORED = {"id", "updated_at", "version", "region_name", "coordsys", "category_label", "level_label"}


def _value(spec: Field, value: Any) -> Any:
    if isinstance(value, str) and spec.kind != "str":
        value = value.strip()
    if value is None or value == "" or value == []:
        if spec.required:
            raise ValueError("is required")
        return _EMPTY.get(spec.kind, spec.default)
    return _CONVERTERS[spec.kind](spec, value)


def _as_str(spec: Field, value: Any) -> str:
    if isinstance(value, (dict, list, bool)):
        raise ValueError("must be text")
    text = str(value).strip()
    if "\x00" in text:
        raise ValueError("contains a NUL character")
    if spec.max_len and len(text) > spec.max_len:
        raise ValueError(f"is longer than {spec.max_len} characters")
    if spec.choices and text not in spec.choices:
        raise ValueError(f"must be one of {', '.join(spec.choices)}; got {text[:40]!r}")
    if spec.required and not text:
        raise ValueError("is required")
    return text


def _as_int(spec: Field, value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be a whole number, got {str(value)[:20]!r}") from None
    if not math.isfinite(number) or number != int(number):
        raise ValueError(f"must be a whole number, got {str(value)[:20]!r}")
    if spec.lo is not None and number < spec.lo or spec.hi is not None and number > spec.hi:
        raise ValueError(f"must be between {spec.lo:g} and {spec.hi:g}")
    return int(number)


def _as_bool(spec: Field, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"must be true or false, got {str(value)[:20]!r}")


def _as_list(spec: Field, value: Any) -> list[str]:
    items = value.split("|") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, (str, int)) for i in items):
        raise ValueError("must be a list of text values (in CSV: separated by |)")
    cleaned = [str(i).strip() for i in items if str(i).strip()]
    if any(len(i) > 500 for i in cleaned):
        raise ValueError("has an item longer than 500 characters")
    return cleaned


def _as_json(spec: Field, value: Any) -> dict:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ValueError("must be a JSON object") from None
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object")
    return value


def _as_hours(spec: Field, value: Any) -> dict:
    """Opening hours: {"mon": [["09:00","17:00"]], ..., "note": "..."}; a missing day is closed."""
    hours = _as_json(spec, value)
    for key, spans in hours.items():
        if key == "note":
            if not isinstance(spans, str):
                raise ValueError("note must be text")
            continue
        if key not in WEEKDAYS:
            raise ValueError(f"unknown day {key!r}; expected {', '.join(WEEKDAYS)} or note")
        if not isinstance(spans, list):
            raise ValueError(f"{key} must be a list of [open, close] pairs")
        previous_close = ""
        for span in spans:
            if not (isinstance(span, list) and len(span) == 2 and all(isinstance(t, str) for t in span)):
                raise ValueError(f'{key} has {span!r}; expected ["HH:MM", "HH:MM"]')
            opens, closes = span
            if not (_TIME.match(opens) and _TIME.match(closes)):
                raise ValueError(f"{key} has a time that is not HH:MM: {span!r}")
            if opens >= closes:
                raise ValueError(f"{key} opens at {opens} but closes at {closes}")
            if opens < previous_close:
                raise ValueError(f"{key} has overlapping or unordered spans")
            previous_close = closes
    return hours


_EMPTY: dict[str, Any] = {"list": [], "json": {}, "hours": {}}
_CONVERTERS = {
    "str": _as_str,
    "int": _as_int,
    "bool": _as_bool,
    "list": _as_list,
    "json": _as_json,
    "hours": _as_hours,
}


def _geometry(kind: str, raw: RawRow, src: str, limits: GeometryLimits | None) -> str:
    if raw.geometry_error:
        raise ValueError(raw.geometry_error)
    geom = raw.geometry
    if geom is None or geom.is_empty:
        raise ValueError("is required")
    if kind == "point" and not isinstance(geom, Point):
        raise ValueError(f"must be a Point, got {geom.geom_type}")
    if kind == "polygon":
        if isinstance(geom, Polygon):
            geom = MultiPolygon([geom])
        if not isinstance(geom, MultiPolygon):
            raise ValueError(f"must be a Polygon or MultiPolygon, got {geom.geom_type}")
    _check_bounds(geom)
    if limits is not None:
        _check_limits(geom, limits)
    geom = coordsys.convert_geometry(geom, src, "wgs84")
    return shapely.to_wkb(shapely.force_2d(geom), hex=True)


def _check_bounds(geom: BaseGeometry) -> None:
    coords = shapely.get_coordinates(geom)
    if not coords.size or not all(map(math.isfinite, coords.ravel())):
        raise ValueError("has coordinates that are not finite numbers")
    if not (
        coords[:, 0].min() >= -180
        and coords[:, 0].max() <= 180
        and coords[:, 1].min() >= -90
        and coords[:, 1].max() <= 90
    ):
        raise ValueError("has coordinates outside lon -180..180 / lat -90..90 (lon first, in degrees)")


def _check_limits(geom: BaseGeometry, limits: GeometryLimits) -> None:
    vertices = shapely.get_num_coordinates(geom)
    if vertices > limits.max_vertices:
        raise ValueError(
            f"has {vertices} vertices; at most {limits.max_vertices} are accepted (simplify it first)"
        )
    min_x, min_y, max_x, max_y = geom.bounds
    if max(max_x - min_x, max_y - min_y) > limits.max_extent_deg:
        raise ValueError(f"spans more than {limits.max_extent_deg:g}° of longitude or latitude")
