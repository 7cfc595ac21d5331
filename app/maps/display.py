"""Shifts FeatureCollections from WGS84 into the display coordinate system of the chosen basemap."""

from __future__ import annotations

from typing import Any

from shapely.geometry import mapping, shape

from .. import coordsys


def to_display(collection: dict[str, Any], crs: str) -> dict[str, Any]:
    """Return collection (EPSG:4326) with every geometry converted to crs (wgs84 returns it unchanged)."""
    if crs == "wgs84":
        return collection
    for feature in collection["features"]:
        if feature.get("geometry"):
            moved = coordsys.convert_geometry(shape(feature["geometry"]), "wgs84", crs)
            feature["geometry"] = mapping(moved)
    collection["coordsys"] = crs
    return collection
