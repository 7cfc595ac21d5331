"""CSRF tokens for cookie sessions: a random secret in the signed session, echoed by forms and scripts."""

from __future__ import annotations

import hmac
import secrets

from flask import request, session

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token() -> str:
    """Return this browser session's CSRF token, creating it on first use (Jinja global csrf_token())."""
    token = session.get(FIELD)
    if not token:
        token = session[FIELD] = secrets.token_urlsafe(32)
    return token


def rotate() -> str:
    """Replace the CSRF token (at login and logout) and return the new one."""
    session[FIELD] = secrets.token_urlsafe(32)
    return session[FIELD]


def csrf_valid() -> bool:
    """Return True when the request echoes the session's token in the X-CSRF-Token header or a form field."""
    expected = session.get(FIELD)
    if not expected:
        return False
    sent = request.headers.get(HEADER)
    if sent is None and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sent = request.form.get(FIELD)
    return bool(sent) and hmac.compare_digest(sent.encode(), expected.encode())
