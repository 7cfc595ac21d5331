"""`hongtu users ...`: create the first admin and other accounts, list them, issue API tokens."""

from __future__ import annotations

import json
import sys

import click
from flask import Flask, current_app

from ..db import get_session
from ..errors import ApiError
from . import queries, service
from .audit import audit
from .identity import ACCOUNT_ROLES


def _fail(err: ApiError) -> None:
    click.echo(f"error: {err.message}", err=True)
    sys.exit(1)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("password", hide_input=True, confirmation_prompt=True)


def register(app: Flask) -> None:
    """Add the `users` command group to app.cli."""

    @app.cli.group("users")
    def users_group() -> None:
        """Accounts: members, organization admins and super admins."""

    @users_group.command("create")
    @click.argument("username")
    @click.option("--role", required=True, type=click.Choice(ACCOUNT_ROLES))
    @click.option("--org", "org_code", help="code of the organization (required for org_admin)")
    @click.option("--display-name", help="name shown in the interface")
    @click.option("--password-stdin", is_flag=True, help="read the password from the first line of stdin")
    def create(
        username: str, role: str, org_code: str | None, display_name: str | None, password_stdin: bool
    ) -> None:
        """Create account USERNAME with ROLE (the first super admin is made this way)."""
        session = get_session()
        config = current_app.config
        try:
            user = service.create_user(
                session,
                username,
                _read_password(password_stdin),
                role,
                org_code,
                hash_method=config["PASSWORD_HASH_METHOD"],
                min_length=config["PASSWORD_MIN_LENGTH"],
                display_name=display_name,
            )
        except ApiError as err:
            session.rollback()
            _fail(err)
        session.commit()
        click.echo(json.dumps(service.public_user(user), ensure_ascii=False))

    @users_group.command("list")
    def list_command() -> None:
        """List accounts as JSON lines."""
        for user in queries.list_users(get_session(), limit=10_000):
            click.echo(json.dumps(service.public_user(user), ensure_ascii=False))

    @users_group.command("token")
    @click.argument("username")
    @click.option("--days", default=30, show_default=True, type=click.IntRange(1, 365))
    @click.option("--name", default="cli", show_default=True)
    def token(username: str, days: int, name: str) -> None:
        """Issue an API token for USERNAME and print it once (only its sha256 is stored)."""
        session = get_session()
        found = queries.credentials(session, username)
        if found is None or not found.active:
            click.echo(f"error: no active account {username!r}", err=True)
            sys.exit(1)
        issued = service.issue_token(session, found.id, name, days)
        session.commit()
        click.echo(issued.secret)

    @users_group.command("set-password")
    @click.argument("username")
    @click.option("--password-stdin", is_flag=True, help="read the password from the first line of stdin")
    def set_password(username: str, password_stdin: bool) -> None:
        """Replace the password of USERNAME and end its sessions."""
        session = get_session()
        found = queries.credentials(session, username)
        if found is None:
            click.echo(f"error: no account {username!r}", err=True)
            sys.exit(1)
        password = _read_password(password_stdin)
        try:
            service.check_new_password(password, current_app.config["PASSWORD_MIN_LENGTH"])
        except ApiError as err:
            _fail(err)
        queries.set_password(
            session, found.id, service.hash_password(password, current_app.config["PASSWORD_HASH_METHOD"])
        )
        audit(session, "update", "user", found.id, None, None, {"password_changed": True})
        session.commit()
        click.echo(f"password of {found.username} replaced; its sessions are ended")
