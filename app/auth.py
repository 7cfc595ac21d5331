"""A bearer-token check for writes and admin-only data until accounts and roles exist."""

from __future__ import annotations

import hmac

from flask import current_app, request

from .errors import Forbidden, Unauthorized


def is_admin() -> bool:
    """Return True when the request carries the configured admin bearer token."""
    expected = current_app.config.get("ADMIN_TOKEN")
    header = request.headers.get("Authorization", "")
    if not expected or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header.removeprefix("Bearer ").strip().encode(), expected.encode())


def require_admin() -> None:
    """Raise 401 without a token, 403 with a wrong one or when no admin token is configured."""
    if not current_app.config.get("ADMIN_TOKEN"):
        raise Forbidden("admin writes are disabled: set HONGTU_ADMIN_TOKEN on the server")
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        raise Unauthorized("this endpoint needs an admin bearer token (Authorization: Bearer ...)")
    if not is_admin():
        raise Forbidden("the bearer token is not valid")
