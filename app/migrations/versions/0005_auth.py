"""Accounts, API tokens, login attempts, the append-only audit trail and member check-ins.

Revision ID: 0005_auth
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005_auth"
down_revision = "0001"
branch_labels = None
depends_on = None

ROLES = ("member", "org_admin", "super_admin")


def _now(name: str = "created_at") -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    roles = ", ".join(f"'{r}'" for r in ROLES)
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(100)),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id", ondelete="RESTRICT"), index=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default="true"),
        # Bumped on password change or forced logout; sessions carrying an older value are refused.
        sa.Column("session_version", sa.Integer, nullable=False, server_default="1"),
        _now(),
        _now("updated_at"),
        sa.CheckConstraint(f"role IN ({roles})", name="role_known"),
        sa.CheckConstraint("role <> 'org_admin' OR org_id IS NOT NULL", name="org_admin_has_org"),
        sa.CheckConstraint(r"username ~ '^[A-Za-z0-9_.@-]{3,64}$'", name="username_chars"),
    )
    # Usernames are matched case-insensitively, so uniqueness is on the lowered form.
    op.execute("CREATE UNIQUE INDEX ux_users_username ON users (lower(username))")

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False, server_default=""),
        # sha256 of the secret, hex; the secret itself is shown once and never stored.
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(12), nullable=False),
        _now(),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("expires_at > created_at", name="expires_after_creation"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])

    op.create_table(
        "login_attempts",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        _now("at"),
        sa.CheckConstraint("outcome IN ('ok', 'fail', 'blocked')", name="outcome_known"),
    )
    # The limiter counts recent failures per account and per address.
    op.create_index("ix_login_attempts_username_at", "login_attempts", [sa.text("lower(username)"), "at"])
    op.create_index("ix_login_attempts_address_at", "login_attempts", ["address", "at"])

    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, primary_key=True),
        _now("at"),
        # No foreign key: deleting a user must never rewrite the trail.
        sa.Column("user_id", sa.Integer),
        sa.Column("username", sa.String(64)),
        sa.Column("role", sa.String(20)),
        sa.Column("address", sa.String(64)),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("object_type", sa.String(40), nullable=False),
        sa.Column("object_id", sa.String(80)),
        sa.Column("before", JSONB),
        sa.Column("after", JSONB),
        sa.Column("details", JSONB),
    )
    op.create_index("ix_audit_log_object", "audit_log", ["object_type", "object_id", "id"])
    op.create_index("ix_audit_log_user", "audit_log", ["user_id", "id"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    # Append-only in the database itself, whatever the application does.
    op.execute("""
        CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$""")
    op.execute("""
        CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""")
    op.execute("""
        CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""")

    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "site_id", sa.Integer, sa.ForeignKey("heritage_sites.id", ondelete="CASCADE"), nullable=False
        ),
        _now("at"),
        # The calendar day in China Standard Time: one check-in per site per day.
        sa.Column("visit_date", sa.Date, nullable=False),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("distance_m", sa.Float, nullable=False),
        sa.UniqueConstraint("user_id", "site_id", "visit_date", name="one_checkin_per_site_per_day"),
    )
    op.create_index("ix_checkins_site_id", "checkins", ["site_id"])


def downgrade() -> None:
    for table in ("checkins", "audit_log", "login_attempts", "api_tokens", "users"):
        op.drop_table(table)
    op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
