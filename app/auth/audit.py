"""The audit trail: one append-only row per write, written in the same transaction as the write."""

from __future__ import annotations

import getpass
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask, Response, g, has_app_context, has_request_context, request
from sqlalchemy import text
from sqlalchemy.orm import Session

from .identity import Identity, current_user

log = logging.getLogger(__name__)

# Writes that change no stored object: a logout only clears the browser's cookie.
UNAUDITED_ENDPOINTS = frozenset({"auth.logout"})

INSERT_AUDIT = text("""
    INSERT INTO audit_log (user_id, username, role, address, action, object_type, object_id,
                           before, after, details)
    VALUES (:user_id, :username, :role, :address, :action, :object_type, :object_id,
            CAST(:before AS jsonb), CAST(:after AS jsonb), CAST(:details AS jsonb))
    RETURNING id
""")
# Both filters are optional; NULL parameters match every row.
LIST_AUDIT = text("""
    SELECT id, at, user_id, username, role, address, action, object_type, object_id, before, after, details
    FROM audit_log
    WHERE (CAST(:object_type AS text) IS NULL OR object_type = :object_type)
      AND (CAST(:object_id AS text) IS NULL OR object_id = :object_id)
      AND (CAST(:user_id AS integer) IS NULL OR user_id = :user_id)
      AND (CAST(:action AS text) IS NULL OR action = :action)
      AND (CAST(:before_id AS bigint) IS NULL OR id < :before_id)
    ORDER BY id DESC
    LIMIT :limit
""")


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    user_id: int | None
    username: str | None
    role: str | None
    address: str | None
    action: str
    object_type: str
    object_id: str | None
    before: Any
    after: Any
    details: Any


def _json(value: Any) -> str | None:
    if value is None:
        return None

    def default(obj: Any) -> Any:
        if isinstance(obj, datetime | date):
            return obj.isoformat()
        if isinstance(obj, Decimal):
            return float(obj)
        if hasattr(obj, "__geo_interface__"):
            return obj.__geo_interface__
        return str(obj)

    return json.dumps(value, ensure_ascii=False, default=default)


def _actor() -> tuple[Identity | None, str | None]:
    if has_request_context():
        return current_user(), request.remote_addr
    if has_app_context():
        # CLI commands set g.hongtu_identity when they act for a named account.
        return g.get("hongtu_identity"), f"cli:{getpass.getuser()}"
    return None, None


def audit(
    session: Session,
    action: str,
    object_type: str,
    object_id: Any,
    before: Any = None,
    after: Any = None,
    details: dict[str, Any] | None = None,
) -> int:
    """Append one audit entry in session's transaction (who, when, from where, what) and return its id."""
    identity, address = _actor()
    params = {
        "user_id": identity.user_id if identity else None,
        "username": identity.username if identity else None,
        "role": identity.role if identity else None,
        "address": (address or "")[:64] or None,
        "action": action[:40],
        "object_type": object_type[:40],
        "object_id": None if object_id is None else str(object_id)[:80],
        "before": _json(before),
        "after": _json(after),
        "details": _json(details),
    }
    entry_id = session.execute(INSERT_AUDIT, params).scalar_one()
    if has_request_context():
        g.hongtu_audited = g.get("hongtu_audited", 0) + 1
    return entry_id


def list_audit(
    session: Session,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    user_id: int | None = None,
    action: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[AuditRow]:
    """Return audit entries newest first, filtered by object, user or action; before_id pages back."""
    params = {
        "object_type": object_type,
        "object_id": object_id,
        "user_id": user_id,
        "action": action,
        "before_id": before_id,
        "limit": limit,
    }
    return [AuditRow(**r._mapping) for r in session.execute(LIST_AUDIT, params)]


def init_app(app: Flask) -> None:
    """Log every successful write request that left no audit entry, so a missing audit() call shows."""

    @app.after_request
    def _check_audited(response: Response) -> Response:
        if (
            request.method in ("POST", "PUT", "PATCH", "DELETE")
            and 200 <= response.status_code < 300
            and not g.get("hongtu_audited")
            and request.endpoint not in UNAUDITED_ENDPOINTS
        ):
            log.warning(
                "write without an audit entry: %s %s (%s)", request.method, request.path, request.endpoint
            )
        return response
