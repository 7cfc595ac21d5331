"""Limits on user-supplied geometry and JSON bodies, with errors that name the parameter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import shapely
from flask import current_app, request
from shapely.geometry.base import BaseGeometry

from ..errors import InvalidBody


def check_geometry(
    geom: BaseGeometry,
    param: str = "geometry",
    *,
    max_vertices: int | None = None,
    max_extent_deg: float | None = None,
) -> BaseGeometry:
    """Return geom (lon/lat degrees, EPSG:4326) if its vertex count and bbox extent are within limits; 400.

    The defaults are GEOMETRY_MAX_VERTICES and GEOMETRY_MAX_EXTENT_DEG from the app config.
    """
    config = current_app.config
    max_vertices = max_vertices or config["GEOMETRY_MAX_VERTICES"]
    max_extent_deg = max_extent_deg or config["GEOMETRY_MAX_EXTENT_DEG"]
    vertices = shapely.get_num_coordinates(geom)
    if vertices > max_vertices:
        raise InvalidBody(
            f"{param} has {vertices} vertices; at most {max_vertices} are accepted (simplify it first)",
            param=param,
        )
    if geom.is_empty:
        raise InvalidBody(f"{param} is empty", param=param)
    min_x, min_y, max_x, max_y = geom.bounds
    width, height = max_x - min_x, max_y - min_y
    if width > max_extent_deg or height > max_extent_deg:
        raise InvalidBody(
            f"{param} spans {width:.3f}° × {height:.3f}°; at most {max_extent_deg:g}° each way is accepted",
            param=param,
        )
    return geom


GEOMETRY_TYPES = frozenset(
    {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}
)


def _positions(coordinates: Any) -> Iterator[tuple[float, float]]:
    """Yield the (x, y) of every position in a GeoJSON coordinates array, however deeply nested."""
    stack = [coordinates]
    while stack:
        item = stack.pop()
        if not isinstance(item, list) or not item:
            continue
        if isinstance(item[0], int | float) and not isinstance(item[0], bool):
            if len(item) >= 2 and isinstance(item[1], int | float):
                yield float(item[0]), float(item[1])
        else:
            stack.extend(item)


def geometries_in(document: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Yield (path, coordinates) of every GeoJSON geometry object inside a parsed JSON document."""
    if isinstance(document, dict):
        if document.get("type") in GEOMETRY_TYPES and "coordinates" in document:
            yield path or "geometry", document["coordinates"]
        for key, value in document.items():
            if isinstance(value, dict | list):
                yield from geometries_in(value, f"{path}.{key}" if path else str(key))
    elif isinstance(document, list):
        for i, value in enumerate(document):
            if isinstance(value, dict | list):
                yield from geometries_in(value, f"{path}[{i}]")


def check_json_geometries(document: Any, max_vertices: int, max_extent_deg: float) -> None:
    """Raise InvalidBody, naming its path, for a geometry in document with too many vertices or too wide."""
    for path, coordinates in geometries_in(document):
        xs, ys, count = [], [], 0
        for x, y in _positions(coordinates):
            count += 1
            if count > max_vertices:
                raise InvalidBody(
                    f"{path} has more than {max_vertices} vertices (simplify it first)", param=path
                )
            xs.append(x)
            ys.append(y)
        if count and (max(xs) - min(xs) > max_extent_deg or max(ys) - min(ys) > max_extent_deg):
            raise InvalidBody(
                f"{path} spans {max(xs) - min(xs):.3f}° × {max(ys) - min(ys):.3f}°;"
                f" at most {max_extent_deg:g}° each way is accepted",
                param=path,
            )


def json_body() -> dict[str, Any]:
    """Return the request body as a JSON object; 400 naming 'body' when it is missing or not an object."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidBody("send a JSON object with Content-Type: application/json", param="body")
    return data
