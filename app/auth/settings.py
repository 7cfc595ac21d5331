"""Settings of accounts, login limits and hardened input, read from the environment with safe defaults."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def defaults() -> dict[str, Any]:
    """Return the config values this package reads; create_app overrides and app.config win over them."""
    env = os.environ.get
    return {
        # Login limiter: failures within the window lock the account (since its last success) or the address.
        "LOGIN_WINDOW_S": _int("HONGTU_LOGIN_WINDOW_S", 15 * 60),
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": _int("HONGTU_LOGIN_MAX_FAILURES_PER_ACCOUNT", 5),
        "LOGIN_MAX_FAILURES_PER_ADDRESS": _int("HONGTU_LOGIN_MAX_FAILURES_PER_ADDRESS", 20),
        # werkzeug's scrypt: N=2^15, r=8, p=1, i.e. 32 MiB of memory per hash.
        "PASSWORD_HASH_METHOD": env("HONGTU_PASSWORD_HASH_METHOD", "scrypt:32768:8:1"),
        "PASSWORD_MIN_LENGTH": _int("HONGTU_PASSWORD_MIN_LENGTH", 10),
        "TOKEN_DEFAULT_DAYS": _int("HONGTU_TOKEN_DEFAULT_DAYS", 30),
        "TOKEN_MAX_DAYS": _int("HONGTU_TOKEN_MAX_DAYS", 365),
        "CHECKIN_RADIUS_M": float(env("HONGTU_CHECKIN_RADIUS_M", 200)),
        "GEOMETRY_MAX_VERTICES": _int("HONGTU_GEOMETRY_MAX_VERTICES", 100_000),
        "GEOMETRY_MAX_EXTENT_DEG": float(env("HONGTU_GEOMETRY_MAX_EXTENT_DEG", 20)),
        # Extra img-src origins, e.g. a remote basemap's tile hosts; empty keeps every asset on our origin.
        "CSP_IMG_SRC_EXTRA": env("HONGTU_CSP_IMG_SRC", ""),
        # Blueprints whose pages are folium maps: their markup carries style="..." attributes.
        "CSP_MAP_BLUEPRINTS": ("maps",),
        "SESSION_COOKIE_NAME": "hongtu_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env("HONGTU_SECURE_COOKIES", "false").lower() in ("1", "true"),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=_int("HONGTU_SESSION_HOURS", 8)),
    }
