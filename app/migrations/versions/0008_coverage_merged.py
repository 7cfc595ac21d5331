"""Coverage keeps each region's merged blind and reach-gap pieces, with their suggested owners, between
runs, and each cell says whether it is merged: a report reads the kept pieces and merges again only
around recomputed cells. coverage_uncovered survives GEOS topology errors.

Revision ID: 0008_coverage_merged
Revises: 0007_org_version_plan_owner
Create Date: 2026-11-21
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision = "0008_coverage_merged"
down_revision = "0007_org_version_plan_owner"
branch_labels = None
depends_on = None

# Which piece details each table's edits can change: the suggested owners of blind pieces name
# organizations, the nearest centres of reach-gap pieces name service centres.
_DETAIL_SOURCES = {
    "organizations": ("blind", "geom, active, name, code"),
    "service_centres": ("reach_gap", "geom, name, code"),
}


# A piece's centroid and, as suggested owners, the three nearest active organizations (blind) or the
# three nearest service centres (reach gap), with geodesic distances in metres to the piece's closest
# point. <-> picks five candidates through the GiST index; the closest point is found in the plane
# (one pass over the piece) and only the distance between the two points is geodesic. The argument is
# piece_kind, not kind: organizations has a column called kind, which would win inside the body.
PIECE_DETAIL = """
    CREATE OR REPLACE FUNCTION coverage_piece_detail(piece_kind text, piece geometry) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'centroid', jsonb_build_array(round(CAST(ST_X(ST_Centroid(piece)) AS numeric), 7),
                                      round(CAST(ST_Y(ST_Centroid(piece)) AS numeric), 7)),
        CASE WHEN piece_kind = 'blind' THEN 'suggested_orgs' ELSE 'nearest_centres' END,
        COALESCE((
            SELECT jsonb_agg(jsonb_build_object('id', c.id, 'code', c.code, 'name', c.name,
                                                'distance_m', round(CAST(c.distance_m AS numeric), 1))
                             ORDER BY c.distance_m)
            FROM (
                SELECT k.id, k.code, k.name,
                       CASE WHEN ST_Intersects(k.geom, piece) THEN 0
                            ELSE ST_Distance(CAST(k.geom AS geography),
                                             CAST(ST_ClosestPoint(piece, k.geom) AS geography))
                       END AS distance_m
                FROM (
                    (SELECT o.id, o.code, o.name, o.geom FROM organizations o
                     WHERE piece_kind = 'blind' AND o.active AND o.geom IS NOT NULL
                     ORDER BY o.geom <-> piece LIMIT 5)
                    UNION ALL
                    (SELECT sc.id, sc.code, sc.name, sc.geom FROM service_centres sc
                     WHERE piece_kind = 'reach_gap' ORDER BY sc.geom <-> piece LIMIT 5)
                ) k
                ORDER BY distance_m LIMIT 3
            ) c), '[]'::jsonb))
    $$"""


# coverage_uncovered as 0003_coverage made it, except that a GEOS topology error (seen on valid but
# nearly coincident edges, or on an invalid polygon written around the checks, by psql say) no longer
# aborts the whole analysis: the cell is computed again from the polygons made valid, with snap-rounding
# to grid degrees, the fallback the function already takes when the overlay's result is doubtful.
# PARALLEL RESTRICTED: the error handler opens a subtransaction, which a parallel worker may not.
ROBUST_UNCOVERED = """
    CREATE OR REPLACE FUNCTION coverage_uncovered(
        cell geometry, source regclass, grid double precision, clip_vertices integer
    ) RETURNS geometry LANGUAGE plpgsql STABLE PARALLEL RESTRICTED AS $$
    DECLARE
        covered geometry;
        covered_whole boolean;
        rest geometry;
    BEGIN
        BEGIN
            EXECUTE format(
                'SELECT EXISTS (SELECT 1 FROM %s WHERE geom && $1 AND ST_Covers(geom, $1))', source)
            INTO STRICT covered_whole USING cell;
            IF covered_whole THEN
                RETURN NULL;
            END IF;
            EXECUTE format(
                'SELECT ST_Union(CASE WHEN ST_NPoints(geom) > $2
                                      THEN ST_Intersection(geom, ST_Expand(ST_Envelope($1), 1e-7))
                                      ELSE geom END)
                 FROM %s WHERE geom && $1', source)
            INTO covered USING cell, clip_vertices;
            IF covered IS NULL THEN
                RETURN ST_Multi(cell);
            END IF;
            IF ST_Covers(covered, cell) THEN
                RETURN NULL;
            END IF;
            rest := ST_CollectionExtract(ST_Difference(cell, covered), 3);
            IF EXISTS (SELECT 1 FROM ST_Dump(rest) AS d
                       WHERE ST_Contains(covered, ST_PointOnSurface(d.geom))
                         AND ST_Area(CAST(d.geom AS geography)) > 1) THEN
                rest := ST_CollectionExtract(ST_Difference(cell, covered, grid), 3);
            END IF;
        EXCEPTION WHEN internal_error THEN
            -- GEOS raised (a TopologyException): the polygons made valid (a no-op for valid ones), then
            -- union and difference snap-rounded to grid degrees.
            EXECUTE format(
                'SELECT ST_Union(
                     ST_Intersection(ST_MakeValid(geom), ST_Expand(ST_Envelope($1), 1e-7), $2), $2)
                 FROM %s WHERE geom && $1', source)
            INTO covered USING cell, grid;
            IF covered IS NULL THEN
                RETURN ST_Multi(cell);
            END IF;
            rest := ST_CollectionExtract(ST_Difference(cell, covered, grid), 3);
        END;
        IF ST_IsEmpty(rest) THEN
            RETURN NULL;
        END IF;
        RETURN ST_Multi(rest);
    END $$"""


def _foundation_uncovered() -> str:
    """The function as 0003_coverage created it, for the downgrade."""
    path = Path(__file__).with_name("0003_coverage.py")
    spec = importlib.util.spec_from_file_location("coverage_0003", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.UNCOVERED_FUNCTION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def upgrade() -> None:
    op.execute(ROBUST_UNCOVERED)
    # Whether the cell's stored blind part / reach gap is in coverage_merged_pieces already. A refresh that
    # recomputes a cell clears its flag; the next report merges again only around the cells so marked.
    for flag in ("blind_merged", "reach_merged"):
        op.add_column("coverage_cells", sa.Column(flag, sa.Boolean, nullable=False, server_default="false"))
    op.execute(
        "CREATE INDEX ix_coverage_cells_unmerged ON coverage_cells (region_id) "
        "WHERE NOT blind_merged OR NOT reach_merged"
    )
    op.create_table(
        "coverage_merged_pieces",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("region_id", sa.Integer, sa.ForeignKey("regions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("child_id", sa.Integer),
        sa.Column("geom", Geometry("POLYGON", srid=4326, spatial_index=False), nullable=False),
        sa.Column("area_m2", sa.Float, nullable=False),
        # Centroid and the three nearest organizations or centres; NULL until a report needs it.
        sa.Column("detail", JSONB),
    )
    op.create_index("ix_coverage_merged_pieces_region_kind", "coverage_merged_pieces", ["region_id", "kind"])

    op.execute(PIECE_DETAIL)

    for table, (kind, columns) in _DETAIL_SOURCES.items():
        op.execute(f"""
            CREATE FUNCTION coverage_{table}_named() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE coverage_merged_pieces SET detail = NULL WHERE kind = '{kind}' AND detail IS NOT NULL;
                RETURN NULL;
            END $$""")
        op.execute(f"""
            CREATE TRIGGER coverage_{table}_named AFTER INSERT OR DELETE OR UPDATE OF {columns} ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION coverage_{table}_named()""")


def downgrade() -> None:
    op.execute(_foundation_uncovered())
    for table in _DETAIL_SOURCES:
        op.execute(f"DROP TRIGGER IF EXISTS coverage_{table}_named ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS coverage_{table}_named()")
    op.execute("DROP FUNCTION IF EXISTS coverage_piece_detail(text, geometry)")
    op.drop_table("coverage_merged_pieces")
    op.drop_index("ix_coverage_cells_unmerged", table_name="coverage_cells")
    op.drop_column("coverage_cells", "reach_merged")
    op.drop_column("coverage_cells", "blind_merged")
