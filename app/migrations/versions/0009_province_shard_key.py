"""The region-scoped tables carry the two-digit province of their region, the key Citus would shard them
by: organizations, zones and the per-region coverage tables (cells, grids, merged pieces, snapshots and
their findings). A trigger keeps it filled from the region, unique keys include it, and a zone's or a
child organization's province must be its organization's.

Revision ID: 0009_province_shard_key
Revises: 0008_coverage_merged
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_province_shard_key"
down_revision = "0008_coverage_merged"
branch_labels = None
depends_on = None

# Tables keyed to a region of their own, the columns whose change moves a row, and the key columns that
# must stay unique together with province.
_BY_REGION = {
    "zones": ("region_id", [("id",), ("code",)]),
    "coverage_cells": ("region_id", [("id",)]),
    "coverage_grids": ("region_id", [("region_id",)]),
    "coverage_merged_pieces": ("region_id", [("id",)]),
    "coverage_snapshots": ("region_id", [("id",)]),
}
# Findings go with their snapshot, whatever child region they fall in; organizations have rules of
# their own (see PROVINCE_FUNCTION).
_OTHERS = {
    "organizations": ("region_id, parent_id", [("id",), ("code",)]),
    "coverage_findings": ("snapshot_id", [("id",)]),
}
TABLES = {**_BY_REGION, **_OTHERS}

# One function for every table. An organization with a region takes the region's province; one without
# takes the province of the nearest organization up its parent chain that has a region (a party branch
# without a place of its own sits where its committee sits), and '00' (app.regions.province.UNPLACED)
# when none has. It walks the chain rather than reading the parent's province, so rows written in one
# statement come out right whatever order they are written in. plpgsql compiles the function once per
# table, so each table only ever reads the columns of its own branch.
PROVINCE_FUNCTION = """
    CREATE FUNCTION shard_province() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE found char(2);
    BEGIN
        IF TG_TABLE_NAME = 'coverage_findings' THEN
            SELECT s.province INTO found FROM coverage_snapshots s WHERE s.id = NEW.snapshot_id;
        ELSIF TG_TABLE_NAME = 'organizations' AND NEW.region_id IS NULL THEN
            WITH RECURSIVE up(next_id, region_id, depth) AS (
                SELECT NEW.parent_id, CAST(NULL AS integer), 0
                UNION ALL
                SELECT o.parent_id, o.region_id, up.depth + 1
                FROM up JOIN organizations o ON o.id = up.next_id
                WHERE up.region_id IS NULL AND up.depth < 64
            )
            SELECT left(g.adcode, 2) INTO found
            FROM up JOIN regions g ON g.id = up.region_id ORDER BY up.depth LIMIT 1;
            found := COALESCE(found, '00');
        ELSE
            SELECT left(g.adcode, 2) INTO found FROM regions g WHERE g.id = NEW.region_id;
        END IF;
        NEW.province := found;
        RETURN NEW;
    END $$"""


def _backfill(table: str) -> None:
    if table == "organizations":
        # Through the trigger (created just before): the walk up the parent chain lives there only.
        op.execute("UPDATE organizations SET province = NULL")
    elif table == "coverage_findings":
        op.execute(
            "UPDATE coverage_findings f SET province = s.province FROM coverage_snapshots s "
            "WHERE s.id = f.snapshot_id"
        )
    else:
        op.execute(
            f"UPDATE {table} t SET province = left(g.adcode, 2) FROM regions g WHERE g.id = t.region_id"
        )


def upgrade() -> None:
    op.execute(PROVINCE_FUNCTION)
    # In this order: findings read their snapshot's province.
    for table, (moved_by, unique_keys) in TABLES.items():
        op.add_column(table, sa.Column("province", sa.CHAR(2), nullable=True))
        op.execute(f"""
            CREATE TRIGGER {table}_province BEFORE INSERT OR UPDATE OF {moved_by}, province ON {table}
            FOR EACH ROW EXECUTE FUNCTION shard_province()""")
        _backfill(table)
        op.alter_column(table, "province", nullable=False)
        for key in unique_keys:
            op.create_unique_constraint(f"uq_{table}_province_{'_'.join(key)}", table, ["province", *key])

    # A child organization lives in its parent's province, so a tree never spans two shards, and an
    # organization with children cannot change province. Deferrable: the importer links parents after
    # inserting the rows and settles the provinces of those without a region before it checks.
    op.create_foreign_key(
        "fk_organizations_province_parent",
        "organizations",
        "organizations",
        ["province", "parent_id"],
        ["province", "id"],
        deferrable=True,
        initially="IMMEDIATE",
    )
    # A zone's organization is in the zone's province; deleting the organization clears org_id only.
    op.create_foreign_key(
        "fk_zones_province_org",
        "zones",
        "organizations",
        ["province", "org_id"],
        ["province", "id"],
        ondelete="SET NULL (org_id)",
    )


def downgrade() -> None:
    op.drop_constraint("fk_zones_province_org", "zones", type_="foreignkey")
    op.drop_constraint("fk_organizations_province_parent", "organizations", type_="foreignkey")
    for table, (_, unique_keys) in TABLES.items():
        for key in unique_keys:
            op.drop_constraint(f"uq_{table}_province_{'_'.join(key)}", table, type_="unique")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_province ON {table}")
        op.drop_column(table, "province")
    op.execute("DROP FUNCTION IF EXISTS shard_province()")
