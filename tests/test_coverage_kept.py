"""The merged blind and reach-gap pieces a region keeps between runs: reused while its cells are
unchanged, merged again after an edit, and their suggested owners follow organization and centre edits.

Same hand-drawn city as test_coverage_analysis.py (990100; the one blind zone is the upper half of
119.010-119.020 E, T-B3 stands inside it and T-B1 is the nearest other active organization).
"""

from __future__ import annotations

import pytest
from shapely import wkt
from shapely.geometry import box
from shapely.ops import unary_union
from shapely.validation import make_valid
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.coverage import queries, service
from app.coverage.service import CoverageParams
from tests.conftest import load

KEPT = text("""
    SELECT kind, count(*) AS pieces, count(detail) AS detailed
    FROM coverage_merged_pieces p JOIN regions g ON g.id = p.region_id
    WHERE g.adcode = :adcode GROUP BY kind
""")


@pytest.fixture
def grid(session, test_regions):
    load(session, "organizations", "coverage_orgs.geojson")
    load(session, "zones", "coverage_zones.geojson")
    load(session, "centres", "coverage_centres.geojson")


def _kept(session, adcode="990100"):
    return {r.kind: (r.pieces, r.detailed) for r in session.execute(KEPT, {"adcode": adcode})}


def _blind(report):
    return [f for f in report.findings if f.kind == "blind"]


def _region(session, adcode="990100"):
    return queries.get_region_ref(session, adcode)


def _region_id(session, adcode="990100"):
    return _region(session, adcode).id


def test_second_report_reads_the_kept_merge(session, grid):
    first = service.coverage_report(session, "990100")
    kept = _kept(session)
    assert kept["blind"][0] >= 2  # the blind zone and the sliver
    assert kept["blind"][1] == 1  # only the piece above the tolerance needed its owners
    assert kept["reach_gap"][0] >= 1
    # Nothing changed: nothing is merged again, and the findings are the same.
    region = _region(session)
    assert queries.ensure_merged(session, region, "blind") is False
    assert queries.ensure_merged(session, region, "reach_gap") is False
    second = service.coverage_report(session, "990100")
    assert [(f.kind, f.area_m2, f.detail) for f in second.findings] == [
        (f.kind, f.area_m2, f.detail) for f in first.findings
    ]


def test_a_finer_tolerance_fills_owners_of_the_smaller_pieces(session, grid):
    service.coverage_report(session, "990100")
    finer = service.coverage_report(session, "990100", CoverageParams(tolerance_m2=10))
    assert len(_blind(finer)) == 2
    assert all("suggested_orgs" in f.detail for f in _blind(finer))
    assert _kept(session)["blind"][1] == 2


def test_zone_edit_merges_the_blind_pieces_again(session, grid):
    before = service.coverage_report(session, "990100")
    assert len(_blind(before)) == 1
    # A new zone over the blind zone's western half halves it.
    session.execute(
        text("""
        INSERT INTO zones (code, name, region_id, geom)
        SELECT '990101001001009', '补一', id,
               ST_Multi(ST_MakeEnvelope(119.010, 26.010, 119.015, 26.020, 4326))
        FROM regions WHERE adcode = '990101'""")
    )
    after = service.coverage_report(session, "990100")
    [blind] = _blind(after)
    assert blind.area_m2 == pytest.approx(_blind(before)[0].area_m2 / 2, rel=0.01)
    assert blind.centroid == pytest.approx((119.0175, 26.015), abs=1e-6)
    # The reach-gap merge did not depend on zones and was kept.
    assert queries.ensure_merged(session, _region(session), "reach_gap") is False


def test_organization_edits_change_the_suggested_owners(session, grid):
    [blind] = _blind(service.coverage_report(session, "990100"))
    assert [s["code"] for s in blind.detail["suggested_orgs"]][:2] == ["T-B3", "T-B1"]
    session.execute(text("UPDATE organizations SET active = false WHERE code = 'T-B3'"))
    [blind] = _blind(service.coverage_report(session, "990100"))
    assert [s["code"] for s in blind.detail["suggested_orgs"]][0] == "T-B1"
    session.execute(text("UPDATE organizations SET name = '新名称' WHERE code = 'T-B1'"))
    [blind] = _blind(service.coverage_report(session, "990100"))
    assert blind.detail["suggested_orgs"][0]["name"] == "新名称"


def test_centre_rename_changes_the_nearest_centre_names(session, grid):
    report = service.coverage_report(session, "990100")
    gap = next(f for f in report.findings if f.kind == "reach_gap")
    nearest = gap.detail["nearest_centres"][0]
    session.execute(
        text("UPDATE service_centres SET name = '改名中心' WHERE id = :id"), {"id": nearest["id"]}
    )
    report = service.coverage_report(session, "990100")
    renamed = [f for f in report.findings if f.kind == "reach_gap" and f.detail["nearest_centres"]]
    names = {c["name"] for f in renamed for c in f.detail["nearest_centres"]}
    assert "改名中心" in names


def test_rebuilt_cells_drop_the_kept_merge(session, grid):
    service.coverage_report(session, "990100")
    region = _region(session)
    queries.build_cells(session, region, queries.cell_size_deg(session, region))
    assert _kept(session) == {}
    service.coverage_report(session, "990100")
    assert _kept(session)["blind"][1] == 1


PIECES = text("""
    SELECT p.kind, p.child_id, round(CAST(p.area_m2 AS numeric), 1) AS area_m2,
           round(CAST(ST_X(ST_Centroid(p.geom)) AS numeric), 6) AS x,
           round(CAST(ST_Y(ST_Centroid(p.geom)) AS numeric), 6) AS y
    FROM coverage_merged_pieces p JOIN regions g ON g.id = p.region_id
    WHERE g.adcode = '990100' ORDER BY 1, 2, 3, 4, 5
""")


def test_merging_around_the_edit_gives_what_a_whole_merge_gives(session, grid):
    service.coverage_report(session, "990100")
    # Three edits in different places: one splits the blind zone, one opens a new gap, one closes the sliver.
    session.execute(
        text("""
        INSERT INTO zones (code, name, region_id, geom)
        SELECT '990101001001009', '补一', id,
               ST_Multi(ST_MakeEnvelope(119.0140, 26.0100, 119.0150, 26.0200, 4326))
        FROM regions WHERE adcode = '990101';
        UPDATE zones
        SET geom = ST_Multi(ST_Difference(geom, ST_MakeEnvelope(119.030, 26.012, 119.032, 26.014, 4326)))
        WHERE name = '东一网格';
        UPDATE zones SET geom = ST_Multi(ST_Buffer(geom, 0.00005)) WHERE name = '西二网格';""")
    )
    service.refresh_region(session, queries.get_region_ref(session, "990100"))
    waiting, cells = session.execute(
        text(
            "SELECT count(*) FILTER (WHERE NOT blind_merged), count(*) FROM coverage_cells"
            " WHERE region_id = :r"
        ),
        {"r": _region_id(session)},
    ).one()
    assert 0 < waiting < cells  # the merge below works around some cells, not all
    report = service.coverage_report(session, "990100")
    merged_around = session.execute(PIECES).all()
    region = _region(session)
    session.execute(
        text("UPDATE coverage_cells SET blind_merged = false, reach_merged = false WHERE region_id = :r"),
        {"r": region.id},
    )
    assert queries.ensure_merged(session, region, "blind") is True
    assert queries.ensure_merged(session, region, "reach_gap") is True
    assert session.execute(PIECES).all() == merged_around
    assert len(_blind(report)) == 3  # two halves of the blind zone and the new gap


def test_a_geos_topology_error_falls_back_to_snap_rounding(session):
    # A hole that crosses its shell makes GEOS raise "side location conflict" even after the cut to the
    # cell's box; the analysis must go on, not fail the report. Only a source without the zones' check
    # constraint can hold such a ring.
    crossed = "POLYGON((0 0, 2 0, 2 2, 1 0.5, 0 2, 0 0), (0.9 0.6, 1.1 0.6, 1 1.5, 0.9 0.6))"
    strip = "POLYGON((0.6 0.6, 1.4 0.6, 1.4 0.9, 0.6 0.9, 0.6 0.6))"
    session.execute(text("CREATE TEMP TABLE awkward_source (geom geometry) ON COMMIT DROP"))
    session.execute(
        text("INSERT INTO awkward_source VALUES (ST_GeomFromText(:a, 4326)), (ST_GeomFromText(:b, 4326))"),
        {"a": crossed, "b": strip},
    )
    area = session.execute(
        text("""SELECT ST_Area(coverage_uncovered(ST_MakeEnvelope(0.4, 0.4, 1.6, 1.6, 4326),
                                                 'awkward_source', 1e-9))""")
    ).scalar_one()
    cell = box(0.4, 0.4, 1.6, 1.6)
    expected = cell.difference(unary_union([make_valid(wkt.loads(crossed)), wkt.loads(strip)]))
    assert area == pytest.approx(expected.area, rel=1e-6)


def test_zones_refuse_an_invalid_ring_written_by_hand(session, test_regions):
    # The union cuts zones to the cell's box with ST_ClipByBox2D, which would take a bow-tie as it is
    # and answer wrongly; the zones table refuses it whoever writes it.
    with pytest.raises(IntegrityError, match="geom_valid"), session.begin_nested():
        session.execute(
            text("""
            INSERT INTO zones (code, name, region_id, geom)
            SELECT '990101001001099', '蝴蝶结', id, ST_Multi(ST_GeomFromText(:bowtie, 4326))
            FROM regions WHERE adcode = '990101'"""),
            {"bowtie": "POLYGON((119 26, 119.01 26.01, 119.01 26, 119 26.01, 119 26))"},
        )


def test_reach_strips_take_every_cell_once(session, grid):
    # Reach gaps are shared by strips of longitude; the strips must split the cells exactly, also where
    # many cells share a west edge, as this grid's column of cells does.
    service.coverage_report(session, "990100")
    region = _region(session)
    session.execute(
        text("UPDATE coverage_cells SET reach_stale = true WHERE region_id = :r"), {"r": region.id}
    )
    total = session.execute(
        queries.STALE_REACH_CELLS, {**region.params(), **queries.Strip().params()}
    ).scalar()
    assert total >= 4
    for parts in (2, 3, 8):
        strips = [queries.strip_of(session, region, queries.Share(parts, k)) for k in range(parts)]
        assert [s.east for s in strips[:-1]] == [s.west for s in strips[1:]]
        counts = [
            session.execute(queries.STALE_REACH_CELLS, {**region.params(), **s.params()}).scalar()
            for s in strips
        ]
        assert sum(counts) == total


def test_a_region_without_cells_gives_empty_strips_but_the_first(session, test_regions):
    region = _region(session)
    strips = [queries.strip_of(session, region, queries.Share(3, k)) for k in range(3)]
    assert strips[0] == queries.Strip()
    assert all(s.west == s.east for s in strips[1:])


def test_details_shared_by_piece_id_fill_each_piece_once(session, grid):
    # A first analysis gives the kept pieces their suggested owners on several connections, each taking
    # the pieces whose id modulo the connections is its own; together they fill every piece once.
    service.coverage_report(session, "990100")
    region = _region(session)
    pieces = text("""
        SELECT id, detail IS NOT NULL AS filled FROM coverage_merged_pieces
        WHERE region_id = :region_id AND kind = 'reach_gap' AND area_m2 > 50 ORDER BY id
    """)
    session.execute(
        text("UPDATE coverage_merged_pieces SET detail = NULL WHERE region_id = :r"), {"r": region.id}
    )
    ids = [row.id for row in session.execute(pieces, {"region_id": region.id})]
    assert {i % 2 for i in ids} == {0, 1}  # both shares have pieces to fill
    for part in range(2):
        queries.fill_piece_details(session, region, "reach_gap", 50.0, share=queries.Share(2, part))
        filled = {row.id for row in session.execute(pieces, {"region_id": region.id}) if row.filled}
        assert filled == {i for i in ids if i % 2 <= part}
    with pytest.raises(ValueError, match="only kept pieces"):
        queries.fill_piece_details(session, region, "reach_gap", 50.0, "run", share=queries.Share(2, 0))
