"""Edits queue the zones whose coverage facts must be computed (coverage_zone_queue) and count the marks
they put on cells (coverage_cells.marks), so that no edit made during a refresh is lost.

A refresh found its stale zones as those without a facts row, an anti-join over every zone: 50 ms at a
province's 100,000 zones, a third of a one-zone recompute. The zones trigger now queues each inserted or
moved zone, and a refresh reads the queue. Each queue row carries a sequence number that a new edit of
the zone renews, and a refresh removes only the rows whose number it read: an edit that lands while a
refresh computes the zone's old shape stays queued for the next one (with the anti-join it could be
lost, the old facts committed after the edit had deleted them). A region's first analysis, with cells
to cut, still looks for zones without facts as well, so rows written with the triggers off are found.

Cells had the same gap: an edit left a cell that was already stale as it was, and a refresh computing
that cell from the zones it had read then cleared the mark. Every mark now adds one to the cell's
`marks`, and a refresh stores a cell's result only if `marks` is still what it read.

Revision ID: 0013_coverage_zone_queue
Revises: 0012_piece_detail_parts
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_coverage_zone_queue"
down_revision = "0012_piece_detail_parts"
branch_labels = None
depends_on = None

# On conflict the row takes a new number, so a refresh that read the old one leaves it queued.
QUEUE_INSERTED = """
                INSERT INTO coverage_zone_queue (zone_id) SELECT id FROM new_rows
                ON CONFLICT (zone_id) DO UPDATE SET seq = nextval('coverage_zone_queue_seq');"""
QUEUE_MOVED = """
                INSERT INTO coverage_zone_queue (zone_id)
                SELECT n.id FROM old_rows o JOIN new_rows n ON n.id = o.id
                WHERE n.geom IS DISTINCT FROM o.geom OR n.region_id <> o.region_id
                ON CONFLICT (zone_id) DO UPDATE SET seq = nextval('coverage_zone_queue_seq');"""


def _zones_changed(counted: bool) -> str:
    """coverage_zones_changed: as 0003_coverage made it, or (counted) queueing zones and counting marks."""
    # 0003 skipped cells already stale; counted, every mark is one more, stale or not.
    mark, skip_stale = (
        ("blind_stale = true, marks = c.marks + 1", "")
        if counted
        else ("blind_stale = true", " AND NOT c.blind_stale")
    )
    inserted, moved = (QUEUE_INSERTED, QUEUE_MOVED) if counted else ("", "")
    return f"""
        CREATE OR REPLACE FUNCTION coverage_zones_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                UPDATE coverage_cells c SET {mark}
                FROM new_rows n WHERE c.geom && n.geom{skip_stale};
                {inserted}
            ELSIF TG_OP = 'DELETE' THEN
                UPDATE coverage_cells c SET {mark}
                FROM old_rows o WHERE c.geom && o.geom{skip_stale};
            ELSE
                UPDATE coverage_cells c SET {mark}
                FROM old_rows o JOIN new_rows n ON n.id = o.id
                WHERE (n.geom IS DISTINCT FROM o.geom OR n.region_id <> o.region_id)
                  AND (c.geom && o.geom OR c.geom && n.geom){skip_stale};
                -- Dropping the facts row drops the zone's overlap pairs too (cascade): both are recomputed.
                DELETE FROM coverage_zone_facts f USING old_rows o JOIN new_rows n ON n.id = o.id
                WHERE f.zone_id = o.id AND (n.geom IS DISTINCT FROM o.geom OR n.region_id <> o.region_id);
                {moved}
            END IF;
            RETURN NULL;
        END $$"""


def _mark_functions(counted: bool) -> list[str]:
    """coverage_mark_blind_stale and coverage_mark_reach_stale: as 0003_coverage made them, or counted."""
    blind, reach = ("blind_stale = true, marks = marks + 1", "reach_stale = true, marks = marks + 1")
    skip_blind, skip_reach = ("", "")
    if not counted:
        blind, reach = "blind_stale = true", "reach_stale = true"
        skip_blind, skip_reach = " AND NOT blind_stale", "\n              AND NOT reach_stale"
    return [
        f"""
        CREATE OR REPLACE FUNCTION coverage_mark_blind_stale(g geometry) RETURNS void LANGUAGE sql AS $$
            UPDATE coverage_cells SET {blind} WHERE geom && g{skip_blind}
        $$""",
        f"""
        CREATE OR REPLACE FUNCTION coverage_mark_reach_stale(g geometry, reach_m double precision)
        RETURNS void LANGUAGE sql AS $$
            -- A degree box a little larger than reach_m around g: cheap, index-served, never too small.
            UPDATE coverage_cells SET {reach}
            WHERE geom && ST_Expand(g, reach_m / 110000.0,
                                    reach_m / (110000.0 * cos(radians(ST_Y(g))))){skip_reach}
        $$""",
    ]


def upgrade() -> None:
    op.add_column("coverage_cells", sa.Column("marks", sa.BigInteger, nullable=False, server_default="0"))
    op.execute("CREATE SEQUENCE coverage_zone_queue_seq")
    op.create_table(
        "coverage_zone_queue",
        sa.Column("zone_id", sa.Integer, sa.ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(
            "seq", sa.BigInteger, nullable=False, server_default=sa.text("nextval('coverage_zone_queue_seq')")
        ),
    )
    op.execute(_zones_changed(counted=True))
    for function in _mark_functions(counted=True):
        op.execute(function)
    # A reshaped region's zones lose their facts (their spill changed): they are queued too.
    op.execute("""
        CREATE OR REPLACE FUNCTION coverage_region_zones_queued() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.geom IS DISTINCT FROM OLD.geom THEN
                INSERT INTO coverage_zone_queue (zone_id) SELECT id FROM zones WHERE region_id = NEW.id
                ON CONFLICT (zone_id) DO UPDATE SET seq = nextval('coverage_zone_queue_seq');
            END IF;
            RETURN NULL;
        END $$""")
    op.execute("""
        CREATE TRIGGER coverage_region_zones_queued AFTER UPDATE OF geom ON regions
        FOR EACH ROW EXECUTE FUNCTION coverage_region_zones_queued()""")
    # Zones without facts today are what the refresh would have found by the anti-join.
    op.execute("""
        INSERT INTO coverage_zone_queue (zone_id)
        SELECT z.id FROM zones z
        WHERE NOT EXISTS (SELECT 1 FROM coverage_zone_facts f WHERE f.zone_id = z.id)""")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS coverage_region_zones_queued ON regions")
    op.execute("DROP FUNCTION IF EXISTS coverage_region_zones_queued()")
    op.execute(_zones_changed(counted=False))
    for function in _mark_functions(counted=False):
        op.execute(function)
    op.drop_table("coverage_zone_queue")
    op.execute("DROP SEQUENCE IF EXISTS coverage_zone_queue_seq")
    op.drop_column("coverage_cells", "marks")
