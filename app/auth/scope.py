"""What a caller may see and change: the organization subtree and region subtree of an organization admin.

Domain queries add the filter in SQL, for example (bound parameters from Scope.params()):

    WHERE ... AND (CAST(:scope_all AS boolean) OR z.org_id = ANY(CAST(:scope_org_ids AS integer[])))

An out-of-scope read answers 404 (deny_read) and an out-of-scope write 403 (deny_write); both are logged.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy.orm import Session

from ..db import get_session
from ..errors import Forbidden, NotFound
from . import queries
from .identity import ADMIN_ROLES, SUPER_ADMIN, Identity, current_user

log = logging.getLogger(__name__)

_COLUMN = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")

org_subtree_ids = queries.org_subtree_ids
region_subtree_ids = queries.region_subtree_ids


@dataclass(frozen=True)
class Scope:
    """The rows a caller may reach: everything (super admin), an org and region subtree, or nothing."""

    user_id: int | None
    role: str
    org_id: int | None = None
    region_id: int | None = None
    org_ids: frozenset[int] = frozenset()
    region_ids: frozenset[int] = frozenset()

    @property
    def all(self) -> bool:
        return self.role == SUPER_ADMIN

    @property
    def admin(self) -> bool:
        return self.role in ADMIN_ROLES

    def params(self) -> dict[str, Any]:
        """Return the bind parameters scope_all, scope_org_ids and scope_region_ids for scoped SQL."""
        return {
            "scope_all": self.all,
            "scope_org_ids": sorted(self.org_ids),
            "scope_region_ids": sorted(self.region_ids),
        }

    def has_org(self, org_id: int | None) -> bool:
        """Return True if organization org_id is in scope (an unowned row is in no admin's scope but all)."""
        return self.all or (org_id is not None and org_id in self.org_ids)

    def has_region(self, region_id: int | None) -> bool:
        """Return True if region region_id is in scope."""
        return self.all or (region_id is not None and region_id in self.region_ids)


def org_clause(column: str = "org_id") -> str:
    """Return the SQL condition limiting column (an organization id) to the scope; binds Scope.params()."""
    if not _COLUMN.match(column):
        raise ValueError(f"not a column name: {column!r}")
    return f"(CAST(:scope_all AS boolean) OR {column} = ANY(CAST(:scope_org_ids AS integer[])))"


def region_clause(column: str = "region_id") -> str:
    """Return the SQL condition limiting column (a region id) to the scope; binds Scope.params()."""
    if not _COLUMN.match(column):
        raise ValueError(f"not a column name: {column!r}")
    return f"(CAST(:scope_all AS boolean) OR {column} = ANY(CAST(:scope_region_ids AS integer[])))"


def scope_for(session: Session, identity: Identity) -> Scope:
    """Return the scope of identity, reading its organization and region subtrees from the database."""
    if identity.role != "org_admin" or identity.org_id is None:
        return Scope(identity.user_id, identity.role)
    region_id, province = queries.org_place(session, identity.org_id)
    return Scope(
        identity.user_id,
        identity.role,
        identity.org_id,
        region_id,
        frozenset(org_subtree_ids(session, identity.org_id, province)),
        frozenset(region_subtree_ids(session, region_id)) if region_id is not None else frozenset(),
    )


def current_scope() -> Scope:
    """Return the scope of this request's caller, computed once per request."""
    if "hongtu_scope" not in g:
        g.hongtu_scope = scope_for(get_session(), current_user())
    return g.hongtu_scope


def _where() -> str:
    return f"{request.method} {request.path}" if has_request_context() else "cli"


def deny_read(what: str) -> NotFound:
    """Log an out-of-scope read and return the 404 to raise (the row's existence is not revealed)."""
    identity = current_user()
    log.warning("out-of-scope read of %s by %s (%s) at %s", what, identity.username, identity.role, _where())
    return NotFound(f"{what} does not exist")


def deny_write(what: str) -> Forbidden:
    """Log an out-of-scope write and return the 403 to raise."""
    identity = current_user()
    log.warning("out-of-scope write to %s by %s (%s) at %s", what, identity.username, identity.role, _where())
    return Forbidden(f"{what} is outside the organization you administer")
