"""Every benchmark scenario runs once at a tiny scale, so the harness cannot rot (figures are not checked)."""

from __future__ import annotations

import os
import uuid
from dataclasses import replace

import pytest

from app.bench.registry import SCENARIOS
from app.bench.report import render, table, write_raw
from app.bench.runner import drop_database, fresh_database, load_data, run_scenarios
from app.bench.stats import Sampling
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
    outcomes = run_scenarios(url, "tiny", 3, Sampling.once(), root="990000", centre=centre)
    assert [o.scenario for o in outcomes] == list(SCENARIOS)
    failed = [
        f"{o.scenario}: {o.error}" for o in outcomes if o.error and not o.error.startswith("not available")
    ]
    assert failed == []
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
