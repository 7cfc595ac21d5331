"""Accounts and roles scoped to the organization tree, the audit trail, and hardened requests.

Roles: visitor (anonymous), member, org_admin (bound to one organization: its subtree and its region
subtree), super_admin. Domain routes call require_admin()/require_role(...) and filter rows with
current_scope(); every write calls audit(...) in its own transaction.
"""

from __future__ import annotations

from flask import Flask

from . import audit as _audit_module
from . import security, settings
from .audit import audit
from .csrf import csrf_token
from .identity import (
    ACCOUNT_ROLES,
    ADMIN_ROLES,
    MEMBER,
    ORG_ADMIN,
    ROLES,
    SUPER_ADMIN,
    VISITOR,
    Identity,
    current_user,
    is_admin,
    require_admin,
    require_login,
    require_role,
    require_super_admin,
)
from .limits import check_geometry, json_body
from .scope import (
    Scope,
    current_scope,
    deny_read,
    deny_write,
    org_clause,
    org_subtree_ids,
    region_clause,
    region_subtree_ids,
)
from .security import csp_nonce, nonce_html
from .sessions import CookieSessions

__all__ = [
    "ACCOUNT_ROLES",
    "ADMIN_ROLES",
    "MEMBER",
    "ORG_ADMIN",
    "ROLES",
    "SUPER_ADMIN",
    "VISITOR",
    "Identity",
    "Scope",
    "audit",
    "check_geometry",
    "csp_nonce",
    "csrf_token",
    "current_scope",
    "current_user",
    "deny_read",
    "deny_write",
    "init_app",
    "is_admin",
    "json_body",
    "nonce_html",
    "org_clause",
    "org_subtree_ids",
    "region_clause",
    "region_subtree_ids",
    "require_admin",
    "require_login",
    "require_role",
    "require_super_admin",
]


def init_app(app: Flask) -> None:
    """Add the account settings, login pages and APIs, security headers, body limits and Jinja globals."""
    for key, value in settings.defaults().items():
        # Our defaults replace Flask's own (the session cookie) but never a value set by config/overrides.
        if key not in app.config or app.config[key] == app.default_config.get(key):
            app.config[key] = value
    app.session_interface = CookieSessions()
    security.init_app(app)
    _audit_module.init_app(app)
    app.jinja_env.globals.update(csrf_token=csrf_token, csp_nonce=csp_nonce)
    from .routes import bp

    app.register_blueprint(bp)
