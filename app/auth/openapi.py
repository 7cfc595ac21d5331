"""OpenAPI 3.0 operations of the account, token, audit and check-in endpoints (merged by app.openapi)."""

from __future__ import annotations

from typing import Any

from .identity import ACCOUNT_ROLES

TAG = "Accounts 账户"
BEARER = [{"bearerAuth": []}]
_PROBLEM = {
    "description": "Problem details (RFC 9457)",
    "content": {"application/problem+json": {"schema": {"type": "object"}}},
}


def _json(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema or {"type": "object"}}},
    }


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _op(summary: str, ok: dict[str, Any], *, params=None, body=None, auth=True, codes=()) -> dict[str, Any]:
    responses = {**ok, **{str(code): _PROBLEM for code in (400, 413, *codes)}}
    if auth:
        responses.update({"401": _PROBLEM, "403": _PROBLEM})
    op: dict[str, Any] = {
        "summary": summary,
        "tags": [TAG],
        "parameters": params or [],
        "responses": responses,
    }
    if auth:
        op["security"] = BEARER
    if body:
        op["requestBody"] = body
    return op


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _path_int(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}


_USERNAME = {"type": "string", "pattern": "^[A-Za-z0-9_.@-]{3,64}$"}
_USER_FIELDS = {
    "username": _USERNAME,
    "password": {"type": "string", "minLength": 10, "maxLength": 1024},
    "role": {"type": "string", "enum": list(ACCOUNT_ROLES)},
    "org": {"type": "string", "maxLength": 40, "description": "organization code (required for org_admin)"},
    "display_name": {"type": "string", "maxLength": 100},
}
_PAGE = [
    _query("limit", "Page size (1-1000).", {"type": "integer", "minimum": 1, "maximum": 1000}),
]
_HTML = {"200": {"description": "HTML page", "content": {"text/html": {"schema": {"type": "string"}}}}}
_REDIRECT = {"303": {"description": "Redirect after the form"}}


def auth_paths() -> dict[str, dict[str, Any]]:
    """Return the described operations of this package, keyed by OpenAPI path and lower-case method."""
    return {
        "/login": {
            "get": _op(
                "Login page (中文 first).", {**_HTML, "302": {"description": "Already signed in"}}, auth=False
            ),
            "post": {
                **_op("Sign in with the form (CSRF token required).", _REDIRECT, auth=False, codes=(429,)),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "username": {"type": "string"},
                                    "password": {"type": "string"},
                                    "csrf_token": {"type": "string"},
                                    "next": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {**_REDIRECT, **{c: _HTML["200"] for c in ("400", "401", "429")}},
            },
        },
        "/logout": {"post": _op("End the login session (CSRF token required).", _REDIRECT, auth=False)},
        "/api/v1/auth/me": {
            "get": _op("Who is calling: role, organization, CSRF token.", {"200": _json("Me")}, auth=False)
        },
        "/api/v1/auth/tokens": {
            "get": _op("The caller's API tokens (prefixes only).", {"200": _json("Tokens")}),
            "post": _op(
                "Issue an API token to the caller, or to username/password (rate-limited); shown once.",
                {"201": _json("The token and its metadata")},
                body=_body(
                    {
                        "username": {"type": "string"},
                        "password": {"type": "string"},
                        "name": {"type": "string", "maxLength": 100},
                        "days": {"type": "integer", "minimum": 1, "maximum": 365},
                    },
                    [],
                ),
                codes=(429,),
            ),
        },
        "/api/v1/auth/tokens/{token_id}": {
            "delete": _op(
                "Revoke a token (own, or any for a super admin).",
                {"204": {"description": "Revoked"}},
                params=[_path_int("token_id")],
                codes=(404,),
            )
        },
        "/api/v1/users": {
            "get": _op(
                "Accounts (super admin).",
                {"200": _json("Accounts")},
                params=[*_PAGE, _query("offset", "Rows to skip.", {"type": "integer", "minimum": 0})],
            ),
            "post": _op(
                "Create an account (super admin); org_admin needs org.",
                {"201": _json("The account")},
                body=_body(_USER_FIELDS, ["username", "password", "role"]),
                codes=(409,),
            ),
        },
        "/api/v1/users/{user_id}": {
            "get": _op(
                "One account (super admin).",
                {"200": _json("The account")},
                params=[_path_int("user_id")],
                codes=(404,),
            ),
            "patch": _op(
                "Change role, organization, activity, name or password (super admin); ends its sessions.",
                {"200": _json("The account")},
                params=[_path_int("user_id")],
                body=_body({**_USER_FIELDS, "active": {"type": "boolean"}}, []),
                codes=(404,),
            ),
        },
        "/api/v1/audit": {
            "get": _op(
                "The audit trail, newest first (super admin): by object or user, paged by before_id.",
                {"200": _json("Audit entries")},
                params=[
                    _query("object_type", "e.g. user, zone, site, sites (bulk import).", {"type": "string"}),
                    _query("object_id", "Id or code of the object.", {"type": "string"}),
                    _query("user_id", "Account that wrote.", {"type": "integer", "minimum": 1}),
                    _query("action", "create, update, delete, import, login, revoke...", {"type": "string"}),
                    _query("before_id", "Entries older than this id.", {"type": "integer", "minimum": 1}),
                    *_PAGE,
                ],
            )
        },
        "/api/v1/checkins": {
            "get": _op(
                "The caller's visit check-ins, newest first.", {"200": _json("Check-ins")}, params=_PAGE
            ),
            "post": _op(
                "Check in at a red site: counts within CHECKIN_RADIUS_M (200 m) and once per site per day.",
                {"201": _json("Counted"), "200": _json("Already checked in today")},
                body=_body(
                    {
                        "site_id": {"type": "integer", "minimum": 1},
                        "lon": {"type": "number", "minimum": -180, "maximum": 180},
                        "lat": {"type": "number", "minimum": -90, "maximum": 90},
                        "coordsys": {"type": "string", "enum": ["wgs84", "gcj02", "bd09"]},
                    },
                    ["site_id", "lon", "lat"],
                ),
                codes=(404, 422),
            ),
        },
    }
