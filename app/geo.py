"""SRID constants and the parsers that turn query strings into checked numbers, points and boxes."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from shapely.geometry import Point, box
from shapely.geometry.base import BaseGeometry

from . import coordsys
from .errors import InvalidParameter

SRID_WGS84 = 4326


def parse_float(
    args: Mapping[str, str],
    name: str,
    *,
    default: float | None = None,
    lo: float | None = None,
    hi: float | None = None,
) -> float:
    """Return args[name] as a finite float within [lo, hi]; 400 naming the parameter otherwise."""
    raw = args.get(name)
    if raw is None or str(raw).strip() == "":
        if default is None:
            raise InvalidParameter(f"{name} is required", param=name)
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise InvalidParameter(f"{name} must be a number, got {str(raw)[:40]!r}", param=name) from None
    if not math.isfinite(value):
        raise InvalidParameter(f"{name} must be a finite number", param=name)
    if lo is not None and value < lo or hi is not None and value > hi:
        raise InvalidParameter(f"{name} must be between {lo:g} and {hi:g}, got {value:g}", param=name)
    return value


def parse_int(
    args: Mapping[str, str],
    name: str,
    *,
    default: int | None = None,
    lo: int | None = None,
    hi: int | None = None,
) -> int:
    """Return args[name] as an int within [lo, hi]; 400 naming the parameter otherwise."""
    raw = args.get(name)
    if raw is None or str(raw).strip() == "":
        if default is None:
            raise InvalidParameter(f"{name} is required", param=name)
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise InvalidParameter(f"{name} must be a whole number, got {str(raw)[:40]!r}", param=name) from None
    if lo is not None and value < lo or hi is not None and value > hi:
        raise InvalidParameter(f"{name} must be between {lo} and {hi}, got {value}", param=name)
    return value


def parse_choice(
    args: Mapping[str, str], name: str, choices: Iterable[str], *, default: str | None = None
) -> str | None:
    """Return args[name] if it is one of choices (or default when absent); 400 listing them otherwise."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    allowed = list(choices)
    if raw not in allowed:
        raise InvalidParameter(f"{name} must be one of {', '.join(allowed)}; got {raw[:40]!r}", param=name)
    return raw


def parse_coordsys(args: Mapping[str, str], name: str = "coordsys") -> str:
    """Return the coordinate system named by args[name] (wgs84 by default); 400 if unknown."""
    try:
        return coordsys.parse_coordsys(args.get(name))
    except ValueError as err:
        raise InvalidParameter(str(err), param=name) from None


def parse_adcode(value: str | None, param: str = "adcode") -> str | None:
    """Return value if it is a 6, 9 or 12-digit region code, None when empty; 400 naming param otherwise."""
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit() and len(value) in (6, 9, 12)):
        raise InvalidParameter(f"{param} must be 6, 9 or 12 digits, got {value[:20]!r}", param=param)
    return value


def check_lon_lat(lon: float, lat: float, param: str = "lon/lat") -> None:
    """Raise InvalidParameter unless lon is within ±180 and lat within ±90 degrees."""
    if not (-180 <= lon <= 180):
        raise InvalidParameter(f"longitude must be between -180 and 180, got {lon:g}", param=param)
    if not (-90 <= lat <= 90):
        raise InvalidParameter(f"latitude must be between -90 and 90, got {lat:g}", param=param)


def parse_point(
    args: Mapping[str, str], *, lon: str = "lon", lat: str = "lat", crs: str | None = None
) -> Point:
    """Return the WGS84 point given by args[lon], args[lat] in the request's coordsys."""
    x = parse_float(args, lon, lo=-180, hi=180)
    y = parse_float(args, lat, lo=-90, hi=90)
    src = crs or parse_coordsys(args)
    x, y = coordsys.convert(x, y, src, "wgs84")
    return Point(x, y)


def parse_bbox(args: Mapping[str, str], name: str = "bbox", *, crs: str | None = None) -> BaseGeometry | None:
    """Return the WGS84 box minLon,minLat,maxLon,maxLat given by args[name], or None when absent."""
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    parts = raw.split(",")
    if len(parts) != 4:
        raise InvalidParameter(
            "bbox needs 4 numbers: minLon,minLat,maxLon,maxLat",
            errors=[{"param": name, "message": f"expected 4 numbers, got {len(parts)}"}],
        )
    try:
        x1, y1, x2, y2 = (float(p) for p in parts)
    except ValueError:
        raise InvalidParameter("bbox values must be numbers", param=name) from None
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        raise InvalidParameter("bbox values must be finite", param=name)
    if not (-180 <= x1 <= 180 and -180 <= x2 <= 180 and -90 <= y1 <= 90 and -90 <= y2 <= 90):
        raise InvalidParameter("bbox is outside -180..180 / -90..90", param=name)
    if x1 >= x2 or y1 >= y2:
        raise InvalidParameter("bbox min must be below max (minLon,minLat,maxLon,maxLat)", param=name)
    src = crs or parse_coordsys(args)
    if src != "wgs84":
        (x1, x2), (y1, y2) = coordsys.convert([x1, x2], [y1, y2], src, "wgs84")
    return box(x1, y1, x2, y2)


def ewkt(geom: BaseGeometry) -> str:
    """Return geom as EWKT in EPSG:4326, ready for CAST(:p AS geometry)."""
    if isinstance(geom, Point) and not geom.is_empty and not geom.has_z:
        # Search origins: repr() gives each coordinate exactly, without a round trip through GEOS's writer.
        return f"SRID={SRID_WGS84};POINT({geom.x!r} {geom.y!r})"
    return f"SRID={SRID_WGS84};{geom.wkt}"


def to_feature(geometry: Any, properties: dict[str, Any], fid: Any = None) -> dict[str, Any]:
    """Return one GeoJSON Feature dict; geometry is already a GeoJSON mapping (from ST_AsGeoJSON)."""
    feature: dict[str, Any] = {"type": "Feature", "geometry": geometry, "properties": properties}
    if fid is not None:
        feature["id"] = fid
    return feature


def feature_collection(features: list[dict[str, Any]], **members: Any) -> dict[str, Any]:
    """Return a GeoJSON FeatureCollection with any extra foreign members (coordsys, links...)."""
    return {"type": "FeatureCollection", "features": features, **members}
