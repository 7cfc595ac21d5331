"""Coverage analysis on hand-drawn zones over the test city, checked against an independent Shapely run.

tests/data/coverage_zones.geojson over city 990100 (119.00-119.04 E x 26.00-26.02 N):
  西一 119.000-119.010 full height, org T-B1;  西二 119.009-119.020 lower half, no org (overlaps 西一,
  with a 4 x 4.4 m hole: an 18 m² sliver);  东一 119.020-119.040 full
  height, org T-B2 (inactive);  东二 119.035-119.045 x 26.005-26.010, org T-B1 of the other district,
  half of it outside the city. The upper half of 119.010-119.020 is the one blind zone.
"""

from __future__ import annotations

import json

import pytest
from pyproj import Geod
from shapely.geometry import box, shape
from shapely.ops import unary_union
from sqlalchemy import text

from app.coverage import queries, service
from app.coverage.service import CoverageParams
from tests.conftest import DATA, load

GEOD = Geod(ellps="WGS84")
CITY = box(119.00, 26.00, 119.04, 26.02)
WEST = box(119.00, 26.00, 119.02, 26.02)
EAST = box(119.02, 26.00, 119.04, 26.02)


def geodesic_area_m2(geom) -> float:
    """Area on the WGS84 ellipsoid, computed by pyproj (independent of PostGIS)."""
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def _zones_from_file():
    doc = json.loads((DATA / "coverage_zones.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["code"]: shape(f["geometry"]) for f in doc["features"]}


@pytest.fixture
def grid(session, test_regions):
    load(session, "organizations", "coverage_orgs.geojson")
    load(session, "zones", "coverage_zones.geojson")
    load(session, "centres", "coverage_centres.geojson")
    return _zones_from_file()


def _of(report, kind):
    return [f for f in report.findings if f.kind == kind]


def test_blind_zone_matches_shapely(session, grid):
    report = service.coverage_report(session, "990100")
    expected = CITY.difference(unary_union(list(grid.values())))
    pieces = [p for p in getattr(expected, "geoms", [expected]) if geodesic_area_m2(p) > 50]
    [blind] = _of(report, "blind")
    assert len(pieces) == 1
    assert blind.area_m2 == pytest.approx(geodesic_area_m2(pieces[0]), rel=1e-3)
    assert blind.region_adcode == "990101"
    assert blind.centroid == pytest.approx((119.015, 26.015), abs=1e-6)
    # The covered share counts slivers too: it is exact, only the finding list drops them.
    assert report.figures.blind_area_m2 == pytest.approx(geodesic_area_m2(expected), rel=1e-3)
    assert report.figures.covered_ratio == pytest.approx(
        1 - geodesic_area_m2(expected) / geodesic_area_m2(CITY), rel=1e-6
    )


def test_sliver_below_tolerance_is_counted_not_listed(session, grid):
    report = service.coverage_report(session, "990100")
    assert report.counts["blind"] == 1
    assert report.counts["blind_slivers"]["count"] == 1
    assert 10 < report.counts["blind_slivers"]["area_m2"] < 50
    # With a tolerance below the sliver's area it becomes a finding.
    finer = service.coverage_report(session, "990100", CoverageParams(tolerance_m2=10))
    assert finer.counts["blind"] == 2
    assert finer.counts["blind_slivers"]["count"] == 0


def test_blind_zone_suggests_the_nearest_active_organizations(session, grid):
    [blind] = _of(service.coverage_report(session, "990100"), "blind")
    suggested = blind.detail["suggested_orgs"]
    assert [s["code"] for s in suggested] == ["T-B3", "T-B1"]  # T-B2 is inactive
    assert suggested[0]["distance_m"] == 0.0  # T-B3 stands inside the blind zone
    # T-B1 at 119.005, 26.005 is nearest to the blind zone's corner 119.010, 26.010.
    corner_m = GEOD.inv(119.005, 26.005, 119.010, 26.010)[2]
    assert suggested[1]["distance_m"] == pytest.approx(corner_m, rel=1e-2)


def test_overlaps_match_shapely_with_each_zones_share(session, grid):
    report = service.coverage_report(session, "990100")
    overlaps = {tuple(z["code"] for z in f.detail["zones"]): f for f in _of(report, "overlap")}
    assert set(overlaps) == {
        ("990101001001001", "990101001001002"),
        ("990102001001001", "990102001001002"),
    }
    for (a, b), finding in overlaps.items():
        shared = grid[a].intersection(grid[b])
        assert finding.area_m2 == pytest.approx(geodesic_area_m2(shared), rel=1e-3)
        shares = [z["share"] for z in finding.detail["zones"]]
        assert shares[0] == pytest.approx(geodesic_area_m2(shared) / geodesic_area_m2(grid[a]), rel=1e-3)
        assert shares[1] == pytest.approx(geodesic_area_m2(shared) / geodesic_area_m2(grid[b]), rel=1e-3)


def test_assignment_findings(session, grid):
    report = service.coverage_report(session, "990100")
    kinds = ("unassigned", "inactive_org", "org_outside_region")
    codes = {k: [f.detail["zones"][0]["code"] for f in _of(report, k)] for k in kinds}
    assert codes["unassigned"] == ["990101001001002"]
    assert codes["inactive_org"] == ["990102001001001"]
    assert codes["org_outside_region"] == ["990102001001002"]
    [spill] = _of(report, "spill")
    outside = grid["990102001001002"].difference(CITY)
    assert spill.area_m2 == pytest.approx(geodesic_area_m2(outside), rel=1e-3)
    assert spill.detail["share"] == pytest.approx(0.5, rel=1e-3)


def test_a_district_report_sees_only_its_own_zones(session, grid):
    report = service.coverage_report(session, "990102")
    assert report.counts["blind"] == 0
    assert report.counts["unassigned"] == 0
    assert report.counts["overlap"] == 1
    assert report.figures.covered_ratio == pytest.approx(1.0, abs=1e-9)


def test_children_shares_for_the_choropleth(session, grid):
    report = service.coverage_report(session, "990100")
    shares = {c.adcode: c for c in report.children}
    west_blind = WEST.difference(unary_union(list(grid.values())))
    assert shares["990101"].blind_m2 == pytest.approx(geodesic_area_m2(west_blind), rel=1e-3)
    assert shares["990102"].covered_ratio == pytest.approx(1.0, abs=1e-9)
    assert shares["990101"].covered_ratio == pytest.approx(
        1 - geodesic_area_m2(west_blind) / geodesic_area_m2(WEST), rel=1e-6
    )


def test_reach_gaps_use_geodesic_discs_and_overrides(session, grid):
    report = service.coverage_report(session, "990100")
    disc_area = geodesic_area_m2(shape(_disc(session, 119.005, 26.005, 500)))
    # One gap across the district line, split into one finding per district.
    gaps = _of(report, "reach_gap")
    assert sorted(g.region_adcode for g in gaps) == ["990101", "990102"]
    assert sum(g.area_m2 for g in gaps) == pytest.approx(geodesic_area_m2(CITY) - disc_area, rel=1e-3)
    east = next(g for g in gaps if g.region_adcode == "990102")
    assert east.area_m2 == pytest.approx(geodesic_area_m2(EAST), rel=1e-3)
    assert gaps[0].detail["nearest_centres"][0]["code"] == "T-C1"
    # A 5 km community reach covers the whole 4 x 2 km city.
    wide = service.coverage_report(session, "990100", CoverageParams(reach_m={"community": 5000}))
    assert wide.counts["reach_gap"] == 0
    assert wide.figures.reach_ratio == pytest.approx(1.0, abs=1e-9)
    assert wide.params.as_json()["reach_m"]["community"] == 5000


def _disc(session, lon, lat, radius_m):
    sql = text(
        "SELECT ST_AsGeoJSON(CAST(ST_Buffer(CAST(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS geography), "
        ":r) AS geometry))::json"
    )
    return session.execute(sql, {"lon": lon, "lat": lat, "r": radius_m}).scalar_one()


def test_naive_reference_sql_agrees(session, grid):
    report = service.coverage_report(session, "990100")
    naive = service.naive_blind_zones(session, "990100")
    assert naive.pieces == report.counts["blind"]
    assert naive.area_m2 == pytest.approx(sum(f.area_m2 for f in _of(report, "blind")), rel=1e-6)
    naive_overlaps = service.naive_overlaps(session, "990100")
    assert naive_overlaps.pieces == report.counts["overlap"]
    assert naive_overlaps.area_m2 == pytest.approx(sum(f.area_m2 for f in _of(report, "overlap")), rel=1e-6)


def test_zone_edit_marks_only_touched_cells_and_recomputes_them(session, grid):
    queries.build_cells(session, queries.get_region_ref(session, "990100"), 0.005)  # 8 x 4 cells
    first = service.coverage_report(session, "990100")
    assert first.refreshed.blind_cells == 32
    session.execute(
        text(
            "UPDATE zones SET geom = ST_Multi(ST_MakeEnvelope(119.009, 26.0, 119.02, 26.02, 4326)) "
            "WHERE code = '990101001001002'"
        )
    )
    # Cells whose box meets the old or new box (touching counts): columns 119.005-119.025, all 4 rows.
    stale = queries.stale_regions(session)
    assert [(r.adcode, r.stale_cells) for r in stale] == [("990100", 16)]
    second = service.coverage_report(session, "990100")
    assert second.refreshed.blind_cells == 16
    assert second.refreshed.zones == 1
    assert second.counts["blind"] == 0
    assert second.counts["blind_slivers"]["count"] == 0
    assert queries.stale_regions(session) == []


def test_centre_write_marks_reach_stale(session, grid):
    service.coverage_report(session, "990100")
    session.execute(
        text(
            "INSERT INTO service_centres (code, name, level, geom) "
            "VALUES ('T-C2', '东区站', 'community', ST_SetSRID(ST_MakePoint(119.03, 26.01), 4326))"
        )
    )
    [stale] = queries.stale_regions(session)
    assert stale.adcode == "990100"
    report = service.coverage_report(session, "990100")
    assert report.refreshed.reach_cells >= 1
    assert report.refreshed.blind_cells == 0
    assert report.counts["reach_gap"] == 2  # one piece per district, now with a hole in the east one


def test_snapshots_keep_parameters_and_history(session, grid):
    first = service.run_snapshot(session, "990100", CoverageParams(tolerance_m2=10))
    session.execute(
        text(
            "UPDATE zones SET geom = ST_Multi(ST_MakeEnvelope(119.009, 26.0, 119.02, 26.02, 4326)) "
            "WHERE code = '990101001001002'"
        )
    )
    second = service.run_snapshot(session, "990100")
    points = service.history(session, "990100")
    assert [p["snapshot_id"] for p in points] == [first.snapshot_id, second.snapshot_id]
    assert points[0]["params"]["tolerance_m2"] == 10
    assert points[0]["covered_ratio"] < points[1]["covered_ratio"] == pytest.approx(1.0, abs=1e-9)
    stored = service.snapshot_report(session, first.snapshot_id)
    assert stored["counts"]["blind"] == 2
    assert sorted(f["kind"] for f in stored["findings"]) == sorted(f.kind for f in first.findings)
    # A snapshot's findings outlive the zones they name.
    layer = service.findings_geojson(session, "990100", "blind", snapshot_id=first.snapshot_id)
    assert len(layer["features"]) == 2


def test_region_edit_rebuilds_its_cells(session, grid):
    service.coverage_report(session, "990100")
    session.execute(
        text(
            "UPDATE regions SET geom = ST_Multi(ST_MakeEnvelope(119.0, 26.0, 119.05, 26.02, 4326)) "
            "WHERE adcode = '990100'"
        )
    )
    report = service.coverage_report(session, "990100")
    assert report.refreshed.cells_built > 0
    # 119.045-119.05 is now in the city and uncovered.
    assert report.counts["blind"] == 2


def test_an_organization_without_a_region_is_judged_by_its_point(session, grid):
    # T-B3 becomes a child of T-B1 without a region of its own (it keeps T-B1's province); its point lies
    # in the west district. Responsible for a zone of the east district it is outside that zone's region;
    # for a zone of the west district it is not.
    session.execute(
        text("""UPDATE organizations SET region_id = NULL,
                    parent_id = (SELECT id FROM organizations WHERE code = 'T-B1')
                WHERE code = 'T-B3'""")
    )
    session.execute(
        text("""UPDATE zones SET org_id = (SELECT id FROM organizations WHERE code = 'T-B3')
                WHERE code IN ('990101001001002', '990102001001001')""")
    )
    report = service.coverage_report(session, "990100")
    outside = {f.detail["zones"][0]["code"]: f.detail["org"] for f in _of(report, "org_outside_region")}
    assert outside["990102001001001"] == {"code": "T-B3", "name": "西区第二党支部", "adcode": None}
    assert "990101001001002" not in outside
    assert outside["990102001001002"]["adcode"] == "990101"  # T-B1, judged by its region
