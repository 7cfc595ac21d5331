"""Coverage zone facts say whether the zone's overlap pairs are computed yet (pairs_done).

A first analysis shares its zones among several connections that each commit their share. The overlap
pairs of a zone can only be stored once both zones of a pair have their facts (coverage_overlaps refers
to coverage_zone_facts), so they become a step of their own: facts are stored with pairs_done false,
and the pair step computes the pairs of those zones and sets it. A partial index finds them.

Revision ID: 0011_coverage_pairs_done
Revises: 0010_keyword_bigrams
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_coverage_pairs_done"
down_revision = "0010_keyword_bigrams"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing facts had their pairs computed in the same step, so they start as done.
    op.add_column(
        "coverage_zone_facts",
        sa.Column("pairs_done", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_index(
        "ix_coverage_zone_facts_pairs_todo",
        "coverage_zone_facts",
        ["zone_id"],
        postgresql_where=sa.text("NOT pairs_done"),
    )


def downgrade() -> None:
    op.drop_index("ix_coverage_zone_facts_pairs_todo", table_name="coverage_zone_facts")
    op.drop_column("coverage_zone_facts", "pairs_done")
