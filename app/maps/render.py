"""Builds folium maps from Hongtu's own data."""

from __future__ import annotations

import folium
from sqlalchemy import text
from sqlalchemy.orm import Session

SITES = text("""
    SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
        'type', 'Feature', 'id', id, 'geometry', ST_AsGeoJSON(geom, 6)::json,
        'properties', json_build_object('name', name, 'category', category))), '[]'::json))
    FROM heritage_sites
""")


def home_page(session: Session) -> str:
    """Return the full-area map page as HTML."""
    fmap = folium.Map(location=[26.08, 119.30], zoom_start=10, tiles=None)
    folium.GeoJson(
        session.execute(SITES).scalar_one(), name="红色资源", tooltip=folium.GeoJsonTooltip(["name"])
    ).add_to(fmap)
    return fmap.get_root().render()
