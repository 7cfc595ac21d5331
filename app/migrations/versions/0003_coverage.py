"""Coverage analysis: per-region cells with stored blind and reach-gap pieces, per-zone facts and overlap
pairs, stale marking by triggers on zones, service centres and regions, and stored snapshots.

Revision ID: 0003_coverage
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from app.vocab import CENTRE_DEFAULT_REACH_M

revision = "0003_coverage"
down_revision = "0001"
branch_labels = None
depends_on = None

SRID = 4326

# The reach of a centre with no reach_m of its own, in metres, as SQL (GB 50180-2018 life circles).
_DEFAULT_REACH = (
    "CASE c.level "
    + " ".join(f"WHEN '{level}' THEN {m}" for level, m in CENTRE_DEFAULT_REACH_M.items())
    + " ELSE 1000 END"
)


def _geom(name: str, kind: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, Geometry(kind, srid=SRID, spatial_index=False), nullable=nullable)


def _region_ref(index: bool = False) -> sa.Column:
    return sa.Column(
        "region_id", sa.Integer, sa.ForeignKey("regions.id", ondelete="CASCADE"), nullable=False, index=index
    )


def _statement_triggers(table: str, function: str) -> None:
    # One statement-level trigger per event, each seeing the changed rows as transition tables, so an
    # import of thousands of rows marks cells in one set-based UPDATE. plpgsql plans each branch of the
    # function only when it runs, so one function serves all three events.
    for event, refs in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    ):
        op.execute(f"""
            CREATE TRIGGER coverage_{table}_{event.lower()} AFTER {event} ON {table}
            REFERENCING {refs} FOR EACH STATEMENT EXECUTE FUNCTION {function}()""")


# The part of cell (EPSG:4326) that no polygon of table source (zones, or a run's reach discs) covers.
# Polygons with long outlines (a whole district as one zone) are cut to the cell's box before the
# union. GEOS's floating overlay has been seen to return a whole cell as uncovered when a polygon
# edge runs almost along the cell's outline, so a result with a piece (over 1 m²) whose inner point
# lies inside the union is recomputed with snap-rounding to grid degrees (slower, robust).
UNCOVERED_FUNCTION = """
        CREATE FUNCTION coverage_uncovered(
            cell geometry, source regclass, grid double precision, clip_vertices integer
        ) RETURNS geometry LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
        DECLARE
            covered geometry;
            covered_whole boolean;
            rest geometry;
        BEGIN
            -- Most cells of a good grid lie inside one zone: a prepared test settles them without a union.
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
            IF ST_IsEmpty(rest) THEN
                RETURN NULL;
            END IF;
            RETURN ST_Multi(rest);
        END $$"""


def upgrade() -> None:
    op.create_table(
        "coverage_cells",
        sa.Column("id", sa.BigInteger, primary_key=True),
        _region_ref(index=True),
        # The direct child of the region the cell lies in (NULL: in no child, or the region has none).
        sa.Column("child_id", sa.Integer),
        _geom("geom", "POLYGON", nullable=False),
        sa.Column("area_m2", sa.Float, nullable=False),
        _geom("blind", "MULTIPOLYGON"),
        sa.Column("blind_m2", sa.Float),
        sa.Column("blind_stale", sa.Boolean, nullable=False, server_default="true"),
        _geom("reach_gap", "MULTIPOLYGON"),
        sa.Column("reach_gap_m2", sa.Float),
        sa.Column("reach_stale", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("computed_at", sa.DateTime(timezone=True)),
    )
    op.execute("CREATE INDEX ix_coverage_cells_geom ON coverage_cells USING gist (geom)")
    op.execute(
        "CREATE INDEX ix_coverage_cells_stale ON coverage_cells (region_id) WHERE blind_stale OR reach_stale"
    )
    # Which regions have been cut into cells, with the grid size used (degrees).
    op.create_table(
        "coverage_grids",
        sa.Column("region_id", sa.Integer, sa.ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("cell_deg", sa.Float, nullable=False),
        sa.Column("cells", sa.Integer, nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )

    # A zone without a facts row is stale: its spill and its overlap pairs are computed on the next run.
    op.create_table(
        "coverage_zone_facts",
        sa.Column("zone_id", sa.Integer, sa.ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("area_m2", sa.Float, nullable=False),
        _geom("spill", "MULTIPOLYGON"),
        sa.Column("spill_m2", sa.Float, nullable=False, server_default="0"),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "coverage_overlaps",
        sa.Column(
            "zone_a",
            sa.Integer,
            sa.ForeignKey("coverage_zone_facts.zone_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "zone_b",
            sa.Integer,
            sa.ForeignKey("coverage_zone_facts.zone_id", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        ),
        _geom("geom", "MULTIPOLYGON", nullable=False),
        sa.Column("area_m2", sa.Float, nullable=False),
        sa.CheckConstraint("zone_a < zone_b", name="ordered_pair"),
    )

    op.create_table(
        "coverage_snapshots",
        sa.Column("id", sa.Integer, primary_key=True),
        _region_ref(),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("params", JSONB, nullable=False),
        sa.Column("region_area_m2", sa.Float, nullable=False),
        sa.Column("blind_area_m2", sa.Float, nullable=False),
        sa.Column("covered_ratio", sa.Float, nullable=False),
        sa.Column("reach_ratio", sa.Float, nullable=False),
        sa.Column("counts", JSONB, nullable=False),
        sa.Column("children", JSONB, nullable=False, server_default="[]"),
        sa.Column("duration_ms", sa.Float, nullable=False),
    )
    op.create_index("ix_coverage_snapshots_region_time", "coverage_snapshots", ["region_id", "created_at"])
    op.create_table(
        "coverage_findings",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "snapshot_id",
            sa.Integer,
            sa.ForeignKey("coverage_snapshots.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("region_id", sa.Integer, sa.ForeignKey("regions.id", ondelete="SET NULL")),
        _geom("geom", "GEOMETRY"),
        sa.Column("area_m2", sa.Float),
        sa.Column("zone_ids", ARRAY(sa.Integer), nullable=False, server_default="{}"),
        sa.Column("detail", JSONB, nullable=False, server_default="{}"),
    )
    op.execute("CREATE INDEX ix_coverage_findings_geom ON coverage_findings USING gist (geom)")

    op.execute(UNCOVERED_FUNCTION)

    # Stale marking runs inside the writing transaction, whatever wrote: the API, the importer or psql.
    op.execute("""
        CREATE FUNCTION coverage_mark_blind_stale(g geometry) RETURNS void LANGUAGE sql AS $$
            UPDATE coverage_cells SET blind_stale = true WHERE geom && g AND NOT blind_stale
        $$""")
    op.execute("""
        CREATE FUNCTION coverage_mark_reach_stale(g geometry, reach_m double precision) RETURNS void
        LANGUAGE sql AS $$
            -- A degree box a little larger than reach_m around g: cheap, index-served, never too small.
            UPDATE coverage_cells SET reach_stale = true
            WHERE geom && ST_Expand(g, reach_m / 110000.0, reach_m / (110000.0 * cos(radians(ST_Y(g)))))
              AND NOT reach_stale
        $$""")
    # Only geometry and region changes matter: org and name edits leave the stored pieces valid.
    op.execute("""
        CREATE FUNCTION coverage_zones_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                UPDATE coverage_cells c SET blind_stale = true
                FROM new_rows n WHERE c.geom && n.geom AND NOT c.blind_stale;
            ELSIF TG_OP = 'DELETE' THEN
                UPDATE coverage_cells c SET blind_stale = true
                FROM old_rows o WHERE c.geom && o.geom AND NOT c.blind_stale;
            ELSE
                UPDATE coverage_cells c SET blind_stale = true
                FROM old_rows o JOIN new_rows n ON n.id = o.id
                WHERE (n.geom IS DISTINCT FROM o.geom OR n.region_id <> o.region_id)
                  AND (c.geom && o.geom OR c.geom && n.geom) AND NOT c.blind_stale;
                -- Dropping the facts row drops the zone's overlap pairs too (cascade): both are recomputed.
                DELETE FROM coverage_zone_facts f USING old_rows o JOIN new_rows n ON n.id = o.id
                WHERE f.zone_id = o.id AND (n.geom IS DISTINCT FROM o.geom OR n.region_id <> o.region_id);
            END IF;
            RETURN NULL;
        END $$""")
    _statement_triggers("zones", "coverage_zones_changed")

    op.execute(f"""
        CREATE FUNCTION coverage_centres_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                PERFORM coverage_mark_reach_stale(c.geom, COALESCE(c.reach_m, {_DEFAULT_REACH}))
                FROM old_rows c;
            END IF;
            IF TG_OP IN ('UPDATE', 'INSERT') THEN
                PERFORM coverage_mark_reach_stale(c.geom, COALESCE(c.reach_m, {_DEFAULT_REACH}))
                FROM new_rows c;
            END IF;
            RETURN NULL;
        END $$""")
    _statement_triggers("service_centres", "coverage_centres_changed")

    # A new outline invalidates the region's cells and its zones' spill; a child added, moved or reshaped
    # invalidates its parent's cells too (they are cut along the children). Cells are rebuilt on the
    # next run.
    op.execute("""
        CREATE FUNCTION coverage_region_reshaped() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' OR NEW.geom IS DISTINCT FROM OLD.geom
               OR NEW.parent_id IS DISTINCT FROM OLD.parent_id THEN
                DELETE FROM coverage_grids
                WHERE region_id IN (NEW.id, NEW.parent_id)
                   OR (TG_OP = 'UPDATE' AND region_id = OLD.parent_id);
                DELETE FROM coverage_cells
                WHERE region_id IN (NEW.id, NEW.parent_id)
                   OR (TG_OP = 'UPDATE' AND region_id = OLD.parent_id);
            END IF;
            IF TG_OP = 'UPDATE' AND NEW.geom IS DISTINCT FROM OLD.geom THEN
                DELETE FROM coverage_zone_facts f USING zones z
                WHERE z.id = f.zone_id AND z.region_id = NEW.id;
            END IF;
            RETURN NULL;
        END $$""")
    op.execute("""
        CREATE TRIGGER coverage_region_reshaped AFTER INSERT OR UPDATE OF geom, parent_id ON regions
        FOR EACH ROW EXECUTE FUNCTION coverage_region_reshaped()""")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS coverage_region_reshaped ON regions")
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS coverage_zones_{event} ON zones")
        op.execute(f"DROP TRIGGER IF EXISTS coverage_service_centres_{event} ON service_centres")
    for fn in (
        "coverage_uncovered(geometry, regclass, double precision, integer)",
        "coverage_region_reshaped()",
        "coverage_zones_changed()",
        "coverage_centres_changed()",
        "coverage_mark_blind_stale(geometry)",
        "coverage_mark_reach_stale(geometry, double precision)",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    for table in (
        "coverage_findings",
        "coverage_snapshots",
        "coverage_overlaps",
        "coverage_zone_facts",
        "coverage_grids",
        "coverage_cells",
    ):
        op.drop_table(table)
