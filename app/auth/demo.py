"""One demo account per role over the Fuzhou demo, for local use only (the passwords are published)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from . import queries, service
from .identity import MEMBER, ORG_ADMIN, SUPER_ADMIN

log = logging.getLogger(__name__)

DEFAULT_HASH_METHOD = "scrypt:32768:8:1"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    org_code: str | None
    display_name: str


# The organization admin runs the Gulou district committee of the generated demo tree.
DEMO_ACCOUNTS = (
    DemoAccount("demo-super", "hongtu-demo-super", SUPER_ADMIN, None, "示例超级管理员"),
    DemoAccount("demo-gulou", "hongtu-demo-gulou", ORG_ADMIN, "FZ-O-350102", "示例鼓楼区组织部"),
    DemoAccount("demo-member", "hongtu-demo-member", MEMBER, None, "示例党员"),
)


def create_demo_accounts(session: Session, hash_method: str | None = None) -> list[DemoAccount]:
    """Create the demo accounts that do not exist yet (needs the demo organizations) and return them all."""
    if hash_method is None:
        hash_method = (
            current_app.config.get("PASSWORD_HASH_METHOD", DEFAULT_HASH_METHOD)
            if has_app_context()
            else DEFAULT_HASH_METHOD
        )
    for account in DEMO_ACCOUNTS:
        if queries.credentials(session, account.username) is not None:
            continue
        service.create_user(
            session,
            account.username,
            account.password,
            account.role,
            account.org_code,
            hash_method=hash_method,
            min_length=1,
            display_name=account.display_name,
        )
        log.info("demo account %s (%s) created", account.username, account.role)
    return list(DEMO_ACCOUNTS)
