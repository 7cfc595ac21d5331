"""Measures the home map in headless chromium: page HTML size, time to the first drawn layer, bytes per pan.

Needs the dev extra (playwright) and Debian's chromium; used by `hongtu maps measure` and the benchmarks
(app/bench/scenarios_maps.py), which build on the page steps below.
"""

from __future__ import annotations

import logging
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from typing import Any

log = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
DESKTOP = {"width": 1366, "height": 850}
# Half a screen per move, spiralling out from the start (E, S, W, W, N, N, E, E, ...): every view is
# new and all stay within a screen of the start, where the data is densest.
SPIRAL = ((1, 0), (0, 1), (-1, 0), (-1, 0), (0, -1), (0, -1), (1, 0), (1, 0))
# Sum of response bodies fetched since the timings were last cleared (encodedBodySize: bytes as sent).
_BYTES_SINCE = """() => performance.getEntriesByType('resource')
    .reduce((n, e) => n + (e.encodedBodySize || 0), 0)"""
# The map's layers wait 150 ms after a move before they ask; a request 300 ms after the last answer
# would be a new move's, not this one's.
_DEBOUNCE_MS = 200
_QUIET_S = 0.3


@dataclass(frozen=True)
class Pan:
    """One move of the map: bytes of the responses it caused and ms until the last of them arrived."""

    bytes: int
    ms: float


@dataclass(frozen=True)
class MapMeasure:
    """Home page figures: HTML bytes, ms from navigation to the first drawn layer, bytes fetched per pan."""

    html_bytes: int
    first_layer_ms: float
    pan_bytes: list[int] = field(default_factory=list)
    zoom: int = 12

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "max_pan_bytes": max(self.pan_bytes, default=0)}


def html_bytes(url: str, headers: dict[str, str] | None = None, timeout_s: float = 30.0) -> int:
    """Return the size in bytes of the body GET url answers (the page HTML as sent)."""
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        return len(response.read())


def launch(playwright: Any) -> Any:
    """Return Debian's chromium, headless, started through playwright."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))


def open_home(
    browser: Any, url: str, headers: dict[str, str] | None = None, timeout_ms: int = 30_000
) -> tuple[Any, Any, float]:
    """Open url's map page in a new context (empty cache); return (context, page, ms from navigation to
    the first drawn layer)."""
    context = browser.new_context(viewport=DESKTOP, extra_http_headers=headers)
    page = context.new_page()
    # The figure is the page's own clock; waiting for the load event as well would only slow the bench.
    page.goto(url, wait_until="domcontentloaded", timeout=timeout_ms)
    page.wait_for_function("() => window.Hongtu && Hongtu.firstLayerMs !== null", timeout=timeout_ms)
    return context, page, float(page.evaluate("Hongtu.firstLayerMs"))


def blank_load_ms(browser: Any, url: str, timeout_ms: int = 30_000) -> float:
    """Return ms from navigation to the load event of url in a new context: the cost of any page at all."""
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        page.goto(url, wait_until="load", timeout=timeout_ms)
        return float(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"))
    finally:
        context.close()


class _Traffic:
    """Requests the page has in flight, and when the last one ended (perf_counter seconds)."""

    def __init__(self, page: Any) -> None:
        self.inflight = 0
        self.last_end = time.perf_counter()
        page.on("request", self._start)
        page.on("requestfinished", self._end)
        page.on("requestfailed", self._end)

    def _start(self, _request: Any) -> None:
        self.inflight += 1

    def _end(self, _request: Any) -> None:
        self.inflight = max(self.inflight - 1, 0)
        self.last_end = time.perf_counter()

    def settle(self, page: Any, started: float, timeout_s: float) -> float:
        """Wait until no request is in flight and none has ended for a while; return seconds from
        started to the end of the last request (0 when the move asked for nothing)."""
        page.wait_for_timeout(_DEBOUNCE_MS)
        deadline = time.perf_counter() + timeout_s
        while self.inflight or time.perf_counter() - max(self.last_end, started) < _QUIET_S:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"the map still waited for {self.inflight} requests after {timeout_s} s")
            page.wait_for_timeout(25)
        return max(self.last_end - started, 0.0)


def pan(page: Any, lat: float, lon: float, zoom: int, moves: int, timeout_ms: int = 30_000) -> list[Pan]:
    """Centre page's map on lat/lon at zoom, then move it moves times by half a screen along SPIRAL;
    return what each move fetched."""
    traffic = _Traffic(page)
    # The resource timing buffer holds 250 entries by default: enough for one move, cleared before each.
    page.evaluate("() => { performance.setResourceTimingBufferSize(100000); }")
    started = time.perf_counter()
    page.evaluate(f"() => {{ Hongtu.map.setView([{lat}, {lon}], {zoom}, {{animate: false}}); }}")
    traffic.settle(page, started, timeout_ms / 1000)
    size = page.evaluate("(() => { const s = Hongtu.map.getSize(); return [s.x, s.y]; })()")
    pans = []
    for step in range(moves):
        dx, dy = SPIRAL[step % len(SPIRAL)]
        page.evaluate("() => { performance.clearResourceTimings(); }")
        started = time.perf_counter()
        page.evaluate(
            f"() => {{ Hongtu.map.panBy([{dx * size[0] // 2}, {dy * size[1] // 2}], {{animate: false}}); }}"
        )
        seconds = traffic.settle(page, started, timeout_ms / 1000)
        pans.append(Pan(int(page.evaluate(_BYTES_SINCE)), round(seconds * 1000, 1)))
    return pans


def measure_home(
    base_url: str,
    *,
    lat: float = 26.08,
    lon: float = 119.30,
    zoom: int = 12,
    pans: int = 6,
    headers: dict[str, str] | None = None,
    timeout_ms: int = 30_000,
) -> MapMeasure:
    """Return the figures of base_url's home map, panning pans times by half a screen at zoom."""
    from playwright.sync_api import sync_playwright

    size = html_bytes(base_url + "/", headers, timeout_ms / 1000)
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            _, page, first_ms = open_home(browser, base_url + "/", headers, timeout_ms)
            moved = pan(page, lat, lon, zoom, pans, timeout_ms)
        finally:
            browser.close()
    pan_bytes = [p.bytes for p in moved]
    log.info("home map: %d bytes of HTML, first layer at %.0f ms, pans %s", size, first_ms, pan_bytes)
    return MapMeasure(size, round(first_ms, 1), pan_bytes, zoom)
