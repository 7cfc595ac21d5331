"""The suggested owners of a coverage piece (coverage_piece_detail) equal a brute-force ranking.

The function looks candidates up along the piece's outline, cut into parts, plus those inside the piece;
the brute force ranks every active organization (or every centre) by its geodesic distance to the piece's
closest point, zero inside. Pieces: a many-vertex ring (so its outline is cut into several parts) with a
hole, and a small square; points inside, in the hole, outside and far away.
"""

from __future__ import annotations

import math

import pytest
from sqlalchemy import text

# A wavy ring around (119.50, 26.50) drawn with 1,200 vertices, with a round hole: {outer} and {hole}
# are radii in degrees.
RING = """ST_SetSRID(ST_MakePolygon(
    (SELECT ST_MakeLine(ST_MakePoint(119.50 + {outer} * cos(a) * (1 + 0.05 * sin(7 * a)),
                                     26.50 + {outer} * sin(a)) ORDER BY i)
     FROM (SELECT i, 2 * pi() * i / 1200 AS a FROM generate_series(0, 1200) i) s),
    ARRAY[(SELECT ST_MakeLine(ST_MakePoint(119.50 + {hole} * cos(a), 26.50 + {hole} * sin(a)) ORDER BY i)
           FROM (SELECT i, 2 * pi() * i / 300 AS a FROM generate_series(0, 300) i) s)]), 4326)"""
# Every point of the spiral (radius 0.002-0.082) lies inside the first ring, or in the second one's hole.
AROUND = RING.format(outer=0.05, hole=0.02)
HOLLOW = RING.format(outer=0.12, hole=0.09)
SQUARE = "ST_MakeEnvelope(119.70, 26.70, 119.701, 26.701, 4326)"

BRUTE = """
    SELECT code, round(CAST(CASE WHEN ST_Intersects(piece, geom) THEN 0
                                 ELSE ST_Distance(CAST(geom AS geography),
                                                  CAST(ST_ClosestPoint(piece, geom) AS geography)) END
                            AS numeric), 1) AS distance_m
    FROM {table}, (SELECT CAST(:piece AS geometry) AS piece) p
    WHERE {where}
    ORDER BY distance_m, id LIMIT 3
"""


def _points(n: int) -> list[tuple[float, float]]:
    """Points on a spiral around the ring: inside it, in its hole, just outside and far away."""
    return [
        (119.50 + r * math.cos(a), 26.50 + r * math.sin(a))
        for r, a in ((0.002 + 0.0009 * i, 0.7 * i) for i in range(n))
    ]


@pytest.fixture
def places(session):
    session.execute(text("DELETE FROM service_centres"))
    session.execute(text("UPDATE organizations SET geom = NULL"))
    for i, (lon, lat) in enumerate(_points(90)):
        point = f"SRID=4326;POINT({lon} {lat})"
        session.execute(
            text("""INSERT INTO service_centres (code, name, level, geom)
                    VALUES (:code, :code, 'community', CAST(:p AS geometry))"""),
            {"code": f"T-PD-C{i:02d}", "p": point},
        )
        session.execute(
            text("""INSERT INTO organizations (code, name, kind, active, geom)
                    VALUES (:code, :code, 'branch', :active, CAST(:p AS geometry))"""),
            {"code": f"T-PD-O{i:02d}", "p": point, "active": i % 5 != 0},
        )
    return session


def _piece(session, sql: str) -> str:
    return session.execute(text(f"SELECT ST_AsEWKT({sql})")).scalar_one()


@pytest.mark.parametrize("shape_sql", [AROUND, HOLLOW, SQUARE], ids=["ring", "hollow", "square"])
@pytest.mark.parametrize("kind", ["blind", "reach_gap"])
def test_suggested_owners_equal_a_brute_force_ranking(places, shape_sql, kind):
    session = places
    piece = _piece(session, shape_sql)
    parts = session.execute(
        text("SELECT count(*) FROM ST_Subdivide(ST_Boundary(CAST(:p AS geometry)), 256)"), {"p": piece}
    ).scalar_one()
    detail = session.execute(
        text("SELECT coverage_piece_detail(:kind, CAST(:p AS geometry))"), {"kind": kind, "p": piece}
    ).scalar_one()
    if kind == "blind":
        table, where, key = "organizations", "active AND geom IS NOT NULL", "suggested_orgs"
    else:
        table, where, key = "service_centres", "true", "nearest_centres"
    expected = session.execute(text(BRUTE.format(table=table, where=where)), {"piece": piece}).all()
    got = [(s["code"], s["distance_m"]) for s in detail[key]]
    assert got == [(code, float(distance)) for code, distance in expected]
    assert len(got) == 3
    if shape_sql == AROUND:
        assert parts > 4  # the outline really is looked up in parts
        # Points lie inside the ring, so the nearest are at distance zero, lowest id first.
        assert [d for _, d in got] == [0.0, 0.0, 0.0]
    elif shape_sql == HOLLOW:
        assert parts > 4 and all(0 < d < 2_000 for _, d in got)  # from the hole's edge
    else:
        assert all(d > 10_000 for _, d in got)
