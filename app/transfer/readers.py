"""Turns GeoJSON and CSV bytes into raw rows, each with its place in the file for error messages."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from ..errors import ImportRejected

FORMATS = ("geojson", "csv")


@dataclass(frozen=True)
class RawRow:
    """One feature or CSV line before validation; where is 'feature 3' or 'line 7'."""

    where: str
    properties: dict[str, Any]
    geometry: BaseGeometry | None
    geometry_error: str | None = None


def _reject(message: str) -> ImportRejected:
    return ImportRejected(message, errors=[{"row": None, "field": None, "message": message}])


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise _reject(f"file is not UTF-8 text (byte {err.start})") from None


def read_geojson(data: bytes) -> list[RawRow]:
    """Return the features of a GeoJSON FeatureCollection (or a single Feature) as raw rows."""
    try:
        doc = json.loads(_decode(data))
    except json.JSONDecodeError as err:
        raise _reject(f"not valid JSON: {err.msg} at line {err.lineno} column {err.colno}") from None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    if (
        not isinstance(doc, dict)
        or doc.get("type") != "FeatureCollection"
        or not isinstance(doc.get("features"), list)
    ):
        raise _reject("expected a GeoJSON FeatureCollection with a features list")
    rows = []
    for i, feature in enumerate(doc["features"]):
        where = f"feature {i}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            rows.append(RawRow(where, {}, None, "not a GeoJSON Feature"))
            continue
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            rows.append(RawRow(where, {}, None, "properties must be an object"))
            continue
        geom, error = _geojson_geometry(feature.get("geometry"))
        rows.append(RawRow(where, props, geom, error))
    return rows


def _geojson_geometry(value: Any) -> tuple[BaseGeometry | None, str | None]:
    if value is None:
        return None, None
    try:
        return shape(value), None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, shapely.errors.GEOSException) as err:
        return None, f"unreadable geometry: {str(err)[:120] or type(err).__name__}"


def read_csv(data: bytes, geometry: str | None) -> list[RawRow]:
    """Return CSV lines as raw rows; points come from lon/lat columns, polygons from a wkt column."""
    text = _decode(data)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        raise _reject("CSV file has no header line")
    headers = [h.strip() for h in reader.fieldnames]
    if len(set(headers)) != len(headers):
        raise _reject("CSV header repeats a column name")
    reader.fieldnames = headers
    if geometry == "point" and not {"lon", "lat"} <= set(headers):
        raise _reject("CSV for a point layer needs lon and lat columns")
    if geometry == "polygon" and "wkt" not in headers:
        raise _reject("CSV for a polygon layer needs a wkt column")
    rows = []
    try:
        for record in reader:
            where = f"line {reader.line_num}"
            if None in record:
                rows.append(RawRow(where, {}, None, "more values than header columns"))
                continue
            props = {
                k: v for k, v in record.items() if k not in ("lon", "lat", "wkt") and v not in (None, "")
            }
            geom, error = _csv_geometry(record, geometry)
            rows.append(RawRow(where, props, geom, error))
    except csv.Error as err:
        raise _reject(f"CSV is malformed at line {reader.line_num}: {err}") from None
    return rows


def _csv_geometry(record: dict[str, str], geometry: str | None) -> tuple[BaseGeometry | None, str | None]:
    if geometry == "point":
        lon, lat = (record.get("lon") or "").strip(), (record.get("lat") or "").strip()
        if not lon and not lat:
            return None, None
        try:
            return shapely.Point(float(lon), float(lat)), None
        except ValueError:
            return None, f"lon/lat must be numbers, got {lon[:20]!r}, {lat[:20]!r}"
    if geometry == "polygon":
        wkt = (record.get("wkt") or "").strip()
        if not wkt:
            return None, None
        try:
            return shapely.from_wkt(wkt), None
        except shapely.errors.GEOSException as err:
            return None, f"unreadable wkt: {str(err)[:120]}"
    return None, None


def read_rows(data: bytes, fmt: str, geometry: str | None) -> list[RawRow]:
    """Return the raw rows of a file in fmt (geojson or csv)."""
    if fmt == "geojson":
        return read_geojson(data)
    if fmt == "csv":
        return read_csv(data, geometry)
    raise _reject(f"unknown format {fmt!r}; expected geojson or csv")
