"""Measures the home map in headless chromium: page HTML size, time to the first drawn layer, bytes per pan.

Needs the dev extra (playwright) and Debian's chromium; used by `hongtu maps measure` and the benchmarks.
"""

from __future__ import annotations

import logging
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
# Sum of response bodies fetched since the timings were last cleared (encodedBodySize: bytes as sent).
_BYTES_SINCE = """() => performance.getEntriesByType('resource')
    .reduce((n, e) => n + (e.encodedBodySize || 0), 0)"""
_SETTLED = """(before) => {
    const busy = Object.values(Hongtu.layers).some(l => l._loading || (l._tilesToLoad > 0));
    return Object.values(Hongtu.loads).reduce((a, b) => a + b, 0) > before && !busy; }"""


@dataclass(frozen=True)
class MapMeasure:
    """Home page figures: HTML bytes, ms from navigation to the first drawn layer, bytes fetched per pan."""

    html_bytes: int
    first_layer_ms: float
    pan_bytes: list[int] = field(default_factory=list)
    zoom: int = 12

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "max_pan_bytes": max(self.pan_bytes, default=0)}


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

    request = urllib.request.Request(base_url + "/", headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout_ms / 1000) as response:
        html_bytes = len(response.read())
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 850}, extra_http_headers=headers)
            page = context.new_page()
            page.goto(base_url + "/", wait_until="load", timeout=timeout_ms)
            page.evaluate("() => { performance.setResourceTimingBufferSize(100000); }")
            page.wait_for_function("() => Hongtu.firstLayerMs !== null", timeout=timeout_ms)
            first_ms = page.evaluate("Hongtu.firstLayerMs")
            page.evaluate(f"() => {{ Hongtu.map.setView([{lat}, {lon}], {zoom}, {{animate: false}}); }}")
            page.wait_for_timeout(1500)
            pan_bytes = []
            for step in range(pans):
                # The resource timing buffer holds 250 entries by default: start each pan empty.
                page.evaluate("() => { performance.clearResourceTimings(); }")
                before = page.evaluate("Object.values(Hongtu.loads).reduce((a, b) => a + b, 0)")
                dx = 683 if step % 2 == 0 else 0
                dy = 0 if step % 2 == 0 else 425
                page.evaluate(f"() => {{ Hongtu.map.panBy([{dx}, {dy}], {{animate: false}}); }}")
                page.wait_for_function(_SETTLED, arg=before, timeout=timeout_ms)
                page.wait_for_timeout(300)
                pan_bytes.append(int(page.evaluate(_BYTES_SINCE)))
            log.info(
                "home map: %d bytes of HTML, first layer at %.0f ms, pans %s", html_bytes, first_ms, pan_bytes
            )
            return MapMeasure(html_bytes, round(first_ms, 1), pan_bytes, zoom)
        finally:
            browser.close()
