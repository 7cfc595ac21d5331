"""Join the guide, coverage, routing and auth branches into one head.

Revision ID: 0006_merge
Revises: 0002_guide, 0003_coverage, 0004_routing, 0005_auth
Create Date: 2026-11-21
"""

revision = "0006_merge"
down_revision = ("0002_guide", "0003_coverage", "0004_routing", "0005_auth")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
