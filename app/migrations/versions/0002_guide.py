"""Guide indexes: trigram search over site addresses and introductions, POI category lookups.

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


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, target in INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
