"""Guide indexes: trigram search over site texts, list sorts, opening hours as indexed week minutes.

Revision ID: 0002_guide
Revises: 0001
Create Date: 2026-11-21
"""

from alembic import op

revision = "0002_guide"
down_revision = "0001"
branch_labels = None
depends_on = None

# Nearby queries use the existing geometry GiST indexes (KNN <-> and && on an expanded box) and
# then measure on the spheroid, so no geography expression index is created: it would add planning
# time to every spatial query without serving any of ours.
INDEXES = {
    "ix_heritage_sites_address_trgm": "heritage_sites USING gin (address gin_trgm_ops)",
    "ix_heritage_sites_intro_trgm": "heritage_sites USING gin (intro gin_trgm_ops)",
    "ix_heritage_sites_category": "heritage_sites (category)",
    "ix_pois_category": "pois (category)",
    # Serve sort=level and sort=name of app.sites.queries.SORTS straight from an index with LIMIT; the
    # expressions must stay exactly those of the queries (a test checks the plan).
    "ix_heritage_sites_level_rank": (
        "heritage_sites ((array_position(ARRAY['national', 'provincial', 'municipal', 'county'], "
        "level::text)), id)"
    ),
    "ix_heritage_sites_name_zh": 'heritage_sites ((name COLLATE "zh-Hans-x-icu"), id)',
}


# The opening hours as minutes of the week (Monday 00:00 = 0), so that "open at" is one containment
# test on a GiST-indexed multirange instead of a walk through the jsonb on every row.  Spans are
# [open, close): a site closing at 17:30 is no longer open at 17:30.
WEEK_MINUTES = """
CREATE FUNCTION hongtu_week_minutes(hours jsonb) RETURNS int4multirange
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(range_agg(int4range(
               (d.n::int - 1) * 1440 + split_part(s.span ->> 0, ':', 1)::int * 60
                   + split_part(s.span ->> 0, ':', 2)::int,
               (d.n::int - 1) * 1440 + split_part(s.span ->> 1, ':', 1)::int * 60
                   + split_part(s.span ->> 1, ':', 2)::int)),
           '{}'::int4multirange)
    FROM unnest(ARRAY['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']) WITH ORDINALITY AS d(day, n)
    CROSS JOIN LATERAL jsonb_array_elements(
        CASE WHEN jsonb_typeof(hours -> d.day) = 'array' THEN hours -> d.day ELSE '[]'::jsonb END) AS s(span)
    WHERE jsonb_typeof(s.span) = 'array'
$$"""


# The hours of the week (0..167) a site is open in, at least in part.  Planner statistics on a
# multirange only see its overall span (Monday morning to Sunday evening for most sites), so they
# cannot tell that nothing is open at 06:00; element statistics on this array can, and its GIN index
# then finds the few open sites.  The exact test stays the multirange one.
OPEN_HOURS = """
CREATE FUNCTION hongtu_open_hours(minutes int4multirange) RETURNS smallint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT CAST(h AS smallint)), '{}')
    FROM unnest(minutes) AS r, generate_series(lower(r) / 60, (upper(r) - 1) / 60) AS h
$$"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, target in INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
    op.execute(WEEK_MINUTES)
    op.execute(
        "ALTER TABLE heritage_sites ADD COLUMN open_minutes int4multirange "
        "GENERATED ALWAYS AS (hongtu_week_minutes(opening_hours)) STORED"
    )
    op.execute("CREATE INDEX ix_heritage_sites_open_minutes ON heritage_sites USING gist (open_minutes)")
    op.execute(OPEN_HOURS)
    op.execute(
        "ALTER TABLE heritage_sites ADD COLUMN open_hours smallint[] "
        "GENERATED ALWAYS AS (hongtu_open_hours(hongtu_week_minutes(opening_hours))) STORED"
    )
    op.execute("CREATE INDEX ix_heritage_sites_open_hours ON heritage_sites USING gin (open_hours)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_heritage_sites_open_hours")
    op.execute("ALTER TABLE heritage_sites DROP COLUMN IF EXISTS open_hours")
    op.execute("DROP FUNCTION IF EXISTS hongtu_open_hours(int4multirange)")
    op.execute("DROP INDEX IF EXISTS ix_heritage_sites_open_minutes")
    op.execute("ALTER TABLE heritage_sites DROP COLUMN IF EXISTS open_minutes")
    op.execute("DROP FUNCTION IF EXISTS hongtu_week_minutes(jsonb)")
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
