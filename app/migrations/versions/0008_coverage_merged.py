"""Coverage keeps each region's merged blind and reach-gap pieces, with their suggested owners, between
runs: a report on an up-to-date region reads them instead of merging every cell again.

Revision ID: 0008_coverage_merged
Revises: 0007_org_version_plan_owner
Create Date: 2026-11-21
"""

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


def upgrade() -> None:
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

    # A piece's centroid and, as suggested owners, the three nearest active organizations (blind) or the
    # three nearest service centres (reach gap), with geodesic distances in metres to the piece's closest
    # point. <-> picks five candidates through the GiST index; the closest point is found in the plane
    # (one pass over the piece) and only the distance between the two points is geodesic. The argument is
    # piece_kind, not kind: organizations has a column called kind, which would win inside the body.
    op.execute("""
        CREATE FUNCTION coverage_piece_detail(piece_kind text, piece geometry) RETURNS jsonb
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
        $$""")

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
    for table in _DETAIL_SOURCES:
        op.execute(f"DROP TRIGGER IF EXISTS coverage_{table}_named ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS coverage_{table}_named()")
    op.execute("DROP FUNCTION IF EXISTS coverage_piece_detail(text, geometry)")
    op.drop_table("coverage_merged_pieces")
    op.drop_index("ix_coverage_cells_unmerged", table_name="coverage_cells")
    op.drop_column("coverage_cells", "reach_merged")
    op.drop_column("coverage_cells", "blind_merged")
