"""Suggested owners of a large coverage piece are looked up along its outline, part by part.

coverage_piece_detail (migration 0008_coverage_merged) asked the GiST index for the five organizations or
centres nearest a whole piece. For a reach gap spread over a rural county (tens of thousands of vertices,
its box holding thousands of centres, all at box distance zero) the index walk rechecked the exact
distance from every one of them to the whole piece: about 0.4 s a piece, most of the four seconds a
province's first analysis spent on details. A point outside a polygon is as far from it as from its
outline, so the outline is cut into parts of at most 256 vertices (cheap for lines; cutting the polygon
itself was not), each part asks the index for its five nearest, and a candidate's distance is its
distance to its closest part. Points inside the piece are at distance zero and found by a prepared
point-in-polygon test over the piece's box. The global five nearest are among those, so the suggested
owners are the same as before; ties at equal distance now go to the lower id.

Revision ID: 0012_piece_detail_parts
Revises: 0011_coverage_pairs_done
Create Date: 2026-12-02
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0012_piece_detail_parts"
down_revision = "0011_coverage_pairs_done"
branch_labels = None
depends_on = None

# As in 0008: the argument is piece_kind, not kind (organizations has a column called kind). Distances:
# the closest point of the candidate's closest outline part is found in the plane, and only the distance
# between the two points is geodesic; zero when the candidate lies in or on the piece.
PIECE_DETAIL = """
    CREATE OR REPLACE FUNCTION coverage_piece_detail(piece_kind text, piece geometry) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH parts AS MATERIALIZED (
        SELECT s.geom FROM ST_Subdivide(ST_Boundary(piece), 256) AS s(geom)
    ),
    inside AS (
        (SELECT o.id, o.code, o.name, o.geom, CAST(0 AS float8) AS d, CAST(NULL AS geometry) AS part
         FROM organizations o
         WHERE piece_kind = 'blind' AND o.active AND o.geom && piece AND ST_Intersects(piece, o.geom)
         ORDER BY o.id LIMIT 3)
        UNION ALL
        (SELECT sc.id, sc.code, sc.name, sc.geom, 0, NULL FROM service_centres sc
         WHERE piece_kind = 'reach_gap' AND sc.geom && piece AND ST_Intersects(piece, sc.geom)
         ORDER BY sc.id LIMIT 3)
    ),
    near AS (
        SELECT k.id, k.code, k.name, k.geom, k.d, p.geom AS part
        FROM parts p
        CROSS JOIN LATERAL (
            (SELECT o.id, o.code, o.name, o.geom, o.geom <-> p.geom AS d FROM organizations o
             WHERE piece_kind = 'blind' AND o.active AND o.geom IS NOT NULL
             ORDER BY o.geom <-> p.geom LIMIT 5)
            UNION ALL
            (SELECT sc.id, sc.code, sc.name, sc.geom, sc.geom <-> p.geom AS d FROM service_centres sc
             WHERE piece_kind = 'reach_gap' ORDER BY sc.geom <-> p.geom LIMIT 5)
        ) k
    ),
    closest AS (
        SELECT DISTINCT ON (id) id, code, name, geom, d, part
        FROM (SELECT * FROM inside UNION ALL SELECT * FROM near) a
        ORDER BY id, d
    ),
    five AS (
        SELECT * FROM closest ORDER BY d, id LIMIT 5
    )
    SELECT jsonb_build_object(
        'centroid', jsonb_build_array(round(CAST(ST_X(ST_Centroid(piece)) AS numeric), 7),
                                      round(CAST(ST_Y(ST_Centroid(piece)) AS numeric), 7)),
        CASE WHEN piece_kind = 'blind' THEN 'suggested_orgs' ELSE 'nearest_centres' END,
        COALESCE((
            SELECT jsonb_agg(jsonb_build_object('id', c.id, 'code', c.code, 'name', c.name,
                                                'distance_m', round(CAST(c.distance_m AS numeric), 1))
                             ORDER BY c.distance_m, c.id)
            FROM (
                SELECT f.id, f.code, f.name,
                       CASE WHEN f.d = 0 THEN 0
                            ELSE ST_Distance(CAST(f.geom AS geography),
                                             CAST(ST_ClosestPoint(f.part, f.geom) AS geography))
                       END AS distance_m
                FROM five f
                ORDER BY distance_m, f.id LIMIT 3
            ) c), '[]'::jsonb))
    $$"""


def _previous_detail() -> str:
    """The function as migration 0008_coverage_merged created it."""
    path = Path(__file__).with_name("0008_coverage_merged.py")
    spec = importlib.util.spec_from_file_location("coverage_merged_0008", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PIECE_DETAIL


def upgrade() -> None:
    op.execute(PIECE_DETAIL)
    # Kept details were computed the old way; the answer is the same, so they stay.


def downgrade() -> None:
    op.execute(_previous_detail())
