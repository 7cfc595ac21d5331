"""Fixtures for the guide tests: hand-drawn sites, POIs and centres in the made-up province 990000.

Sites G-1, G-4 lie in district 990101 (west), G-2, G-3, G-5 in 990102 (east), G-6 in 990150 (a
district under the neighbouring city 990200 whose adcode nonetheless starts with 9901) and G-7
outside every region.  POIs GP-1..GP-4 lie 100 to 800 m from G-1; centre GC-1 is ~150 m from G-1.
"""

from __future__ import annotations

import pytest
from pyproj import Geod
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import load

WGS84 = Geod(ellps="WGS84")


def geodesic_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Return the WGS84 geodesic distance in metres, computed by pyproj (independent of PostGIS)."""
    return WGS84.inv(lon1, lat1, lon2, lat2)[2]


def ids(session: Session, table: str) -> dict[str, int]:
    """Return code -> id for every row of table."""
    return {r.code: r.id for r in session.execute(text(f"SELECT code, id FROM {table}"))}


@pytest.fixture(name="guide")
def guide_fixture(session: Session, test_regions) -> dict[str, int]:
    """Load the guide fixtures and return code -> id for sites, POIs and centres."""
    load(session, "regions", "guide_regions.geojson")
    load(session, "sites", "guide_sites.geojson")
    load(session, "pois", "guide_pois.geojson")
    load(session, "centres", "guide_centres.geojson")
    session.flush()
    return {**ids(session, "heritage_sites"), **ids(session, "pois"), **ids(session, "service_centres")}
