"""Browser fixtures: a demo database of its own, the app on a live port, and Debian's chromium."""

from __future__ import annotations

import base64
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from app import create_app, migrate
from app.demo.load import load_demo
from app.maps.measure import CHROMIUM, CHROMIUM_ARGS
from app.transfer.layers import get_layer
from app.transfer.service import import_layer

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
DATA = Path(__file__).parent / "data"
ADMIN_TOKEN = "browser-admin-token"
XSS_NAME = "<img src=x onerror=alert(1)>"
PHONE = {"width": 390, "height": 844}
# Tile servers a page may use when a test picks a tile basemap (?basemap=amap); see open_context.
TILE_HOST_SUFFIXES = (".is.autonavi.com",)
BLANK_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
DESKTOP = {"width": 1366, "height": 850}


@pytest.fixture(scope="session")
def demo_database_url() -> Iterator[str]:
    """A database of its own holding the demo plus the XSS site, committed, dropped at the end."""
    raw = os.environ.get("TEST_DATABASE_URL")
    if not raw:
        pytest.fail("TEST_DATABASE_URL is not set: run the tests with `make test`", pytrace=False)
    server = create_engine(raw).url
    name = f"hongtu_browser_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    try:
        migrate.upgrade(url)
        with Session(engine) as session:
            load_demo(session)
            data = (DATA / "xss_site.geojson").read_bytes()
            import_layer(session, get_layer("sites"), data, "geojson", "wgs84", False)
            session.commit()
        yield url
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def demo_engine(demo_database_url: str):
    engine = create_engine(demo_database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def live_server(demo_database_url: str) -> Iterator[str]:
    """The app served on a free local port from a thread; returns its base URL."""
    app = create_app(
        {
            "DATABASE_URL": demo_database_url,
            "ADMIN_TOKEN": ADMIN_TOKEN,
            "BASEMAP": "none",
            "CSP_IMG_SRC_EXTRA": "https://*.is.autonavi.com",
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make setup-test` (apt-get install chromium)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        yield browser
        browser.close()


@dataclass
class Watch:
    """What a page did that a test may not allow: console errors, page errors, dialogs, foreign requests."""

    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[tuple[str, int]] = field(default_factory=list)
    basemap_tiles: list[str] = field(default_factory=list)


def open_context(chromium, live_server: str, viewport: dict, admin: bool = False):
    """Return (context, watch): a fresh browser context that aborts and records any request off the app."""
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"} if admin else {}
    context = chromium.new_context(viewport=viewport, extra_http_headers=headers, locale="zh-CN")
    watch = Watch()
    own = urlsplit(live_server).netloc

    def guard(route):
        parts = urlsplit(route.request.url)
        if parts.scheme in ("data", "blob") or parts.netloc == own:
            route.continue_()
        elif parts.netloc.endswith(TILE_HOST_SUFFIXES):
            # An operator-configured basemap: answered here with a blank tile, never fetched.
            watch.basemap_tiles.append(route.request.url)
            route.fulfill(status=200, content_type="image/png", body=BLANK_PNG)
        else:
            watch.foreign.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    return context, watch


def watch_page(page, watch: Watch) -> None:
    page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watch.errors.append(str(e)))

    def dialog(d):
        watch.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.on("response", lambda r: watch.requests.append((r.url, r.status)))


@pytest.fixture
def browse(chromium, live_server):
    """Open pages: browse(path, viewport=PHONE|DESKTOP, admin=False) -> (page, watch); checks them after."""
    opened = []

    def _open(path: str, viewport: dict = DESKTOP, admin: bool = False):
        context, watch = open_context(chromium, live_server, viewport, admin)
        page = context.new_page()
        watch_page(page, watch)
        page.goto(live_server + path, wait_until="load")
        opened.append((context, page, watch))
        return page, watch

    yield _open
    for context, _, watch in opened:
        context.close()
        assert watch.foreign == [], f"requests left the app: {watch.foreign}"
        assert watch.errors == [], f"console errors: {watch.errors}"
        assert watch.dialogs == [], f"a script ran a dialog: {watch.dialogs}"


def screenshot(page, name: str) -> Path:
    """Save a screenshot under artifacts/browser/ and return its path."""
    folder = ARTIFACTS / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def wait_for_layer(page, kind: str, loads: int = 1, timeout_ms: int = 10_000) -> None:
    """Wait until the page script has drawn layer kind at least loads times."""
    page.wait_for_function(
        "([k, n]) => window.Hongtu && (Hongtu.loads[k] || 0) >= n", arg=[kind, loads], timeout=timeout_ms
    )
