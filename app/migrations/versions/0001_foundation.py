"""Foundation schema: regions, organizations, grid zones, red sites, service centres, POIs, curated routes.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from app.vocab import (
    CENTRE_LEVELS,
    ORG_KINDS,
    POI_CATEGORIES,
    REGION_LEVELS,
    SITE_CATEGORIES,
    SITE_LEVELS,
    ZONE_LEVELS,
    sql_in,
)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SRID = 4326


def _geom(kind: str, nullable: bool = False) -> sa.Column:
    # Indexes are created explicitly below so that every one of them is visible in this file.
    return sa.Column("geom", Geometry(kind, srid=SRID, spatial_index=False), nullable=nullable)


def _updated_at() -> sa.Column:
    return sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def _gist(table: str, expression: str = "geom", name: str | None = None) -> None:
    op.execute(f"CREATE INDEX {name or f'ix_{table}_geom'} ON {table} USING gist ({expression})")


def upgrade() -> None:
    for ext in ("postgis", "pgrouting", "pg_trgm"):
        op.execute(f"CREATE EXTENSION IF NOT EXISTS {ext}")

    op.create_table(
        "regions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("adcode", sa.String(12), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("level", sa.String(12), nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("regions.id", ondelete="RESTRICT"), index=True),
        _geom("MULTIPOLYGON"),
        _updated_at(),
        sa.CheckConstraint(r"adcode ~ '^[0-9]{6}([0-9]{3}){0,2}$'", name="adcode_digits"),
        sa.CheckConstraint(f"level IN {sql_in(REGION_LEVELS)}", name="level_known"),
        sa.CheckConstraint("ST_IsValid(geom)", name="geom_valid"),
    )
    _gist("regions")

    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column(
            "parent_id", sa.Integer, sa.ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
        ),
        sa.Column("region_id", sa.Integer, sa.ForeignKey("regions.id", ondelete="RESTRICT"), index=True),
        _geom("POINT", nullable=True),
        sa.Column("member_total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("member_counts", JSONB, nullable=False, server_default="{}"),
        sa.Column("contact_person", sa.String(50)),
        sa.Column("contact_phone", sa.String(30)),
        sa.Column("active", sa.Boolean, nullable=False, server_default="true"),
        _updated_at(),
        sa.CheckConstraint(f"kind IN {sql_in(ORG_KINDS)}", name="kind_known"),
        sa.CheckConstraint("member_total >= 0", name="member_total_positive"),
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )
    _gist("organizations")

    op.create_table(
        "zones",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.String(20), nullable=False, server_default="grid"),
        sa.Column(
            "region_id",
            sa.Integer,
            sa.ForeignKey("regions.id", ondelete="RESTRICT"),
            nullable=False,
            index=True,
        ),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id", ondelete="SET NULL"), index=True),
        sa.Column("grid_worker", sa.String(50)),
        sa.Column("grid_worker_phone", sa.String(30)),
        _geom("MULTIPOLYGON"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        _updated_at(),
        sa.CheckConstraint(f"level IN {sql_in(ZONE_LEVELS)}", name="level_known"),
        sa.CheckConstraint("ST_IsValid(geom)", name="geom_valid"),
    )
    _gist("zones")
    # A zone code starts with the adcode of its region (DB11/T 2157-2023 style codes).
    op.execute("""
        CREATE FUNCTION zones_code_follows_region() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE region_code text;
        BEGIN
            SELECT adcode INTO region_code FROM regions WHERE id = NEW.region_id;
            IF left(NEW.code, length(region_code)) <> region_code THEN
                RAISE EXCEPTION 'zone code % does not start with its region adcode %', NEW.code, region_code
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END $$""")
    op.execute("""
        CREATE TRIGGER zones_code_follows_region BEFORE INSERT OR UPDATE OF code, region_id ON zones
        FOR EACH ROW EXECUTE FUNCTION zones_code_follows_region()""")

    op.create_table(
        "heritage_sites",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("level", sa.String(20)),
        sa.Column("official_ids", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("region_id", sa.Integer, sa.ForeignKey("regions.id", ondelete="SET NULL"), index=True),
        _geom("POINT"),
        sa.Column("address", sa.Text),
        sa.Column("intro", sa.Text),
        sa.Column("story", sa.Text),
        sa.Column("opening_hours", JSONB, nullable=False, server_default="{}"),
        sa.Column("ticket", sa.Text),
        sa.Column("transport", sa.Text),
        sa.Column("visit_guide", sa.Text),
        sa.Column("photos", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("tags", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("dwell_min", sa.Integer),
        _updated_at(),
        sa.CheckConstraint(f"category IN {sql_in(SITE_CATEGORIES)}", name="category_known"),
        sa.CheckConstraint(f"level IS NULL OR level IN {sql_in(SITE_LEVELS)}", name="level_known"),
        sa.CheckConstraint("dwell_min IS NULL OR dwell_min BETWEEN 0 AND 1440", name="dwell_in_day"),
    )
    _gist("heritage_sites")
    op.execute("CREATE INDEX ix_heritage_sites_tags ON heritage_sites USING gin (tags)")
    op.execute("CREATE INDEX ix_heritage_sites_name_trgm ON heritage_sites USING gin (name gin_trgm_ops)")

    op.create_table(
        "service_centres",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("region_id", sa.Integer, sa.ForeignKey("regions.id", ondelete="SET NULL"), index=True),
        _geom("POINT"),
        sa.Column("reach_m", sa.Integer),
        sa.Column("address", sa.Text),
        sa.Column("phone", sa.String(30)),
        _updated_at(),
        sa.CheckConstraint(f"level IN {sql_in(CENTRE_LEVELS)}", name="level_known"),
        sa.CheckConstraint("reach_m IS NULL OR reach_m BETWEEN 1 AND 50000", name="reach_range"),
    )
    _gist("service_centres")

    op.create_table(
        "pois",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("address", sa.Text),
        sa.Column("phone", sa.String(30)),
        sa.Column("region_id", sa.Integer, sa.ForeignKey("regions.id", ondelete="SET NULL"), index=True),
        _geom("POINT"),
        _updated_at(),
        sa.CheckConstraint(f"category IN {sql_in(POI_CATEGORIES)}", name="category_known"),
    )
    _gist("pois")

    op.create_table(
        "routes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("theme", sa.String(100)),
        sa.Column("description", sa.Text),
        sa.Column("suggested_duration_min", sa.Integer),
        sa.Column("season", sa.String(50)),
        _updated_at(),
    )
    op.create_table(
        "route_stops",
        sa.Column("route_id", sa.Integer, sa.ForeignKey("routes.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column(
            "site_id",
            sa.Integer,
            sa.ForeignKey("heritage_sites.id", ondelete="RESTRICT"),
            nullable=False,
            index=True,
        ),
        sa.Column("dwell_min", sa.Integer),
    )


def downgrade() -> None:
    for table in (
        "route_stops",
        "routes",
        "pois",
        "service_centres",
        "heritage_sites",
        "zones",
        "organizations",
        "regions",
    ):
        op.drop_table(table)
    op.execute("DROP FUNCTION IF EXISTS zones_code_follows_region()")
