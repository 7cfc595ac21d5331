"""Shapes query results for the wire: GeoJSON from PostGIS, shifted to the client's coordinate system."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import shapely
from flask import Response, jsonify
from shapely.geometry import mapping, shape

from .. import coordsys
from ..geo import feature_collection, to_feature

GEOJSON_MEDIA = "application/geo+json"


def convert_geometries(geometries: Sequence[dict | None], dst: str) -> list[dict | None]:
    """Return GeoJSON geometries (EPSG:4326 from ST_AsGeoJSON) moved to coordinate system dst."""
    if dst == "wgs84":
        return list(geometries)
    points = [g for g in geometries if g is not None and g.get("type") == "Point"]
    if len(points) == len(geometries):
        # The common case, a page of points, is shifted in one vectorised call.
        xy = np.array([g["coordinates"][:2] for g in points], dtype=np.float64).reshape(-1, 2)
        lon, lat = coordsys.convert(xy[:, 0], xy[:, 1], "wgs84", dst)
        return [
            {"type": "Point", "coordinates": [x, y]} for x, y in zip(lon.tolist(), lat.tolist(), strict=True)
        ]
    shapes = np.array([shape(g) if g is not None else None for g in geometries], dtype=object)
    present = shapes != None  # noqa: E711 - elementwise test on an object array
    shapes[present] = coordsys.convert_geometry(shapes[present].astype(object), "wgs84", dst)
    return [mapping(s) if s is not None and not shapely.is_empty(s) else None for s in shapes]


def lon_lat(geometry: dict | None) -> tuple[float | None, float | None]:
    """Return the coordinates of a GeoJSON Point, or (None, None)."""
    if not geometry or geometry.get("type") != "Point":
        return None, None
    x, y = geometry["coordinates"][:2]
    return x, y


def geojson_response(body: dict[str, Any], status: int = 200) -> Response:
    """Return body as an application/geo+json response."""
    response = jsonify(body)
    response.status_code = status
    response.mimetype = GEOJSON_MEDIA
    return response


def collection_response(
    rows: Sequence[Any],
    properties: Callable[[Any], dict[str, Any]],
    fmt: str,
    dst: str,
    meta: dict[str, Any] | None = None,
) -> Response:
    """Return rows (each with .id and a GeoJSON .geometry) as JSON items or a GeoJSON FeatureCollection.

    Coordinates are in dst; meta (counts, links) is added to the top-level object in both formats.
    """
    geometries = convert_geometries([r.geometry for r in rows], dst)
    head = {"coordsys": dst, **(meta or {})}
    if fmt == "geojson":
        features = [to_feature(g, properties(r), fid=r.id) for r, g in zip(rows, geometries, strict=True)]
        return geojson_response(feature_collection(features, **head))
    items = []
    for row, geometry in zip(rows, geometries, strict=True):
        lon, lat = lon_lat(geometry)
        items.append({**properties(row), "lon": lon, "lat": lat})
    return jsonify({**head, "items": items})


def item_response(row: Any, properties: dict[str, Any], fmt: str, dst: str) -> Response:
    """Return one row as a JSON object (lon, lat, geometry) or a GeoJSON Feature, coordinates in dst."""
    [geometry] = convert_geometries([row.geometry], dst)
    if fmt == "geojson":
        return geojson_response({**to_feature(geometry, properties, fid=row.id), "coordsys": dst})
    lon, lat = lon_lat(geometry)
    return jsonify({**properties, "lon": lon, "lat": lat, "geometry": geometry, "coordsys": dst})


def raw_collection_response(features_json: str, dst: str, meta: dict[str, Any] | None = None) -> Response:
    """Return a GeoJSON FeatureCollection around a features array already serialised by PostGIS."""
    head = json.dumps({"type": "FeatureCollection", "coordsys": dst, **(meta or {})}, ensure_ascii=False)
    return Response(f'{head[:-1]}, "features": {features_json}}}', mimetype=GEOJSON_MEDIA)
