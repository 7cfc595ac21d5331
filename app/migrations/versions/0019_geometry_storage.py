"""Coverage geometries are compressed with lz4 instead of pglz when PostgreSQL toasts them.

A row larger than about 2 kB is toasted, and PostgreSQL first tries to compress its large values, with
pglz unless told otherwise. Coordinates are eight-byte floats with little that repeats, so the attempt
rarely saves anything: the Fuzhou benchmark's 316 merged reach-gap pieces (952 kB) stayed uncompressed,
and of its 561 cells only 35 reach gaps compressed at all (265 kB to 191 kB). pglz still spends about
12 ms per MB on trying: copying the 316 pieces took 14 to 18 ms, against 3.8 ms with lz4, which gives up
as fast as it finds nothing to gain (2.8 ms with no compression at all, but then every value over 2 kB
would go out of line, where pglz's failures stay in the row). A first analysis writes the cells, their
reach gaps, the merged pieces and the findings: several MB at province scale. Rows written before keep
their form.

Revision ID: 0019_geometry_storage
Revises: 0018_region_pieces
Create Date: 2026-12-04
"""

from alembic import op

revision = "0019_geometry_storage"
down_revision = "0018_region_pieces"
branch_labels = None
depends_on = None

COLUMNS = {
    "coverage_cells": ("geom", "blind", "reach_gap"),
    "coverage_merged_pieces": ("geom",),
    "coverage_zone_facts": ("spill",),
    "coverage_overlaps": ("geom",),
    "coverage_findings": ("geom",),
    "region_pieces": ("geom",),
    "region_outlines": ("widened",),
}


def _set(method: str) -> None:
    for table, columns in COLUMNS.items():
        changes = ", ".join(f"ALTER COLUMN {c} SET COMPRESSION {method}" for c in columns)
        op.execute(f"ALTER TABLE {table} {changes}")


def upgrade() -> None:
    _set("lz4")


def downgrade() -> None:
    _set("DEFAULT")
