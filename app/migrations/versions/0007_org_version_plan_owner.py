"""Organizations carry a version for optimistic edits; a saved plan remembers the account that made it.

Revision ID: 0007_org_version_plan_owner
Revises: 0006_merge
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_org_version_plan_owner"
down_revision = "0006_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("organizations", sa.Column("version", sa.Integer, nullable=False, server_default="1"))
    # Anonymous plans keep no owner; an account's plans go with the account.
    op.add_column(
        "plans",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    )
    # Serves "my plans, newest first" without a sort.
    op.execute(
        "CREATE INDEX ix_plans_user_created ON plans (user_id, created_at DESC) WHERE user_id IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_plans_user_created")
    op.drop_column("plans", "user_id")
    op.drop_column("organizations", "version")
