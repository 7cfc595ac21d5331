"""Routing: a road network for pgRouting (vertices, edges with per-mode costs) and saved plans.

Revision ID: 0004_routing
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004_routing"
down_revision = "0001"
branch_labels = None
depends_on = None

SRID = 4326


def upgrade() -> None:
    # Vertex ids are OSM node ids, so a second import of an overlapping extract joins the same graph.
    op.create_table(
        "roads_vertices",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("geom", Geometry("POINT", srid=SRID, spatial_index=False), nullable=False),
    )
    op.execute("CREATE INDEX ix_roads_vertices_geom ON roads_vertices USING gist (geom)")
    # Costs are seconds; a negative cost means the edge cannot be used that way (pgRouting convention).
    op.create_table(
        "roads_edges",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("osm_id", sa.BigInteger, nullable=False),
        sa.Column("part", sa.Integer, nullable=False),
        sa.Column("source", sa.BigInteger, sa.ForeignKey("roads_vertices.id"), nullable=False),
        sa.Column("target", sa.BigInteger, sa.ForeignKey("roads_vertices.id"), nullable=False),
        sa.Column("highway", sa.String(40), nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("length_m", sa.Float, nullable=False),
        sa.Column("cost_walk_s", sa.Float, nullable=False),
        sa.Column("reverse_cost_walk_s", sa.Float, nullable=False),
        sa.Column("cost_drive_s", sa.Float, nullable=False),
        sa.Column("reverse_cost_drive_s", sa.Float, nullable=False),
        sa.Column("geom", Geometry("LINESTRING", srid=SRID, spatial_index=False), nullable=False),
        sa.UniqueConstraint("osm_id", "part", name="uq_roads_edges_way_part"),
        sa.CheckConstraint("length_m >= 0", name="length_positive"),
    )
    op.execute("CREATE INDEX ix_roads_edges_geom ON roads_edges USING gist (geom)")
    op.execute("CREATE INDEX ix_roads_edges_source ON roads_edges (source)")
    op.execute("CREATE INDEX ix_roads_edges_target ON roads_edges (target)")
    op.create_table(
        "plans",
        sa.Column("token", sa.String(32), primary_key=True),
        sa.Column("request", JSONB, nullable=False),
        sa.Column("answer", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade() -> None:
    for table in ("plans", "roads_edges", "roads_vertices"):
        op.drop_table(table)
