"""Every benchmark scenario runs once at a tiny scale, so the harness cannot rot (figures are not checked)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.bench.registry import SCENARIOS
from app.bench.report import render, table, write_raw
from app.bench.runner import drop_database, fresh_database, load_data, run_scenarios
from app.bench.stats import Sampling, Stats
from app.demo.generate import SCALES
from tests.conftest import load

TINY = replace(SCALES["tiny"], root="990000")


@pytest.fixture(scope="module")
def bench_url():
    """A committed tiny-scale database of its own: gunicorn workers must see the data."""
    server = os.environ["TEST_DATABASE_URL"]
    name = f"hongtu_test_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = fresh_database(server, name)
    try:
        generated = load_data(
            url,
            TINY,
            3,
            root="990000",
            road_grid_n=12,
            regions=lambda s: load(s, "regions", "regions.geojson"),
        )
        yield url, generated.centre
    finally:
        drop_database(server, name)


def test_every_scenario_runs_once(bench_url, tmp_path):
    url, centre = bench_url
    # In a thread of its own: the browser tests leave Playwright's event loop on the main thread, and the
    # map-page rows start their own synchronous Playwright, which refuses to run inside a running loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        outcomes = pool.submit(
            run_scenarios, url, "tiny", 3, Sampling.once(), root="990000", centre=centre
        ).result()
    assert [o.scenario for o in outcomes] == list(SCENARIOS)
    failed = [
        f"{o.scenario}: {o.error}" for o in outcomes if o.error and not o.error.startswith("not available")
    ]
    assert failed == []
    # `make test` installs chromium, so the map-page rows must really have run in the browser.
    maps = [o for o in outcomes if SCENARIOS[o.scenario].group == "map-pages"]
    assert len(maps) == 9 and [o.error for o in maps if o.error] == []
    measured = [o for o in outcomes if not o.error]
    assert measured, "no scenario could run"
    for o in measured:
        assert o.stats is not None and o.stats.n >= 1 and o.stats.p50_ms > 0
    run = {
        "scale": "city",
        "seed": 3,
        "machine": {
            "cores": 2,
            "memory_gb": 1,
            "cpu": "x",
            "load_average_at_start": [0],
            "python": "3",
            "postgresql": "15",
            "postgis": "3",
            "geos": "3",
            "commit": "c",
            "date_utc": "now",
        },
        "outcomes": [o.as_dict() for o in outcomes],
    }
    write_raw(run, tmp_path)
    page = render(tmp_path)
    assert page.count("\n| ") >= len(outcomes) and table(run).count("\n") == len(outcomes) + 2


def test_stats_percentiles_and_throughput():
    stats = Stats.of([i / 1000 for i in range(1, 101)], wall_s=2.0)
    assert stats.n == 100
    assert stats.p50_ms == pytest.approx(50.5)
    assert stats.p99_ms == pytest.approx(99.01)
    assert stats.throughput == pytest.approx(50.0)


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"{}" if self.path.startswith("/ok") else b"no"
        self.send_response(200 if self.path.startswith("/ok") else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_python_load_generator_counts_requests_and_failures():
    """The fallback load generator (used where wrk is not installed) runs as its own process."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "app.bench.loadgen",
                f"http://127.0.0.1:{server.server_port}",
                "--clients",
                "2",
                "--duration",
                "0.5",
                "/ok",
                "/missing",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    finally:
        server.shutdown()
        server.server_close()
    result = json.loads(out)
    assert result["requests"] > 0 and result["throughput"] > 0
    # Every other request asks for a path the server does not have.
    assert 0 < result["non2xx"] < result["requests"]
    assert result["errors"] == 0


def test_a_run_on_reused_data_keeps_the_generation_figures_of_the_run_it_reuses(tmp_path):
    generated = {
        "seed": 1,
        "peak_rss_mb": 300,
        "tables": [{"table": "zones", "rows": 5, "seconds": 1, "rows_per_s": 5}],
    }
    first = {
        "scale": "province",
        "seed": 1,
        "overrides": {"sites": 10},
        "generator": generated,
        "outcomes": [],
    }
    write_raw(first, tmp_path)
    reused = {**first, "generator": None, "reused_data": True}
    written = json.loads(write_raw(reused, tmp_path).read_text(encoding="utf-8"))
    assert written["generator"] == generated and written["reused_data"]
    # Other data (another seed or other overrides) is not the data the figures describe.
    other = {**reused, "overrides": {"sites": 20}}
    assert json.loads(write_raw(other, tmp_path).read_text(encoding="utf-8"))["generator"] is None
