"""Limits on user-supplied geometry and JSON bodies, with errors that name the parameter."""

from __future__ import annotations

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


def json_body() -> dict[str, Any]:
    """Return the request body as a JSON object; 400 naming 'body' when it is missing or not an object."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidBody("send a JSON object with Content-Type: application/json", param="body")
    return data
