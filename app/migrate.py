"""Runs the Alembic migrations in app/migrations against a URL or an open connection."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """Return an Alembic Config for our migrations, bound to url or to connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str | None = None, connection: Connection | None = None, revision: str = "heads") -> None:
    """Migrate the database up to revision (all heads by default)."""
    command.upgrade(alembic_config(url, connection), revision)


def downgrade(url: str | None = None, connection: Connection | None = None, revision: str = "base") -> None:
    """Migrate the database down to revision (empty by default)."""
    command.downgrade(alembic_config(url, connection), revision)


def current(url: str) -> None:
    """Print the revision the database is at."""
    command.current(alembic_config(url))
