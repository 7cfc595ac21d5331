"""Machine facts, the raw JSON of a run, and docs/benchmarks.md rendered from every scale's JSON."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from ..config import PROJECT_ROOT

RAW_DIR = PROJECT_ROOT / "docs" / "bench-raw"
MARKDOWN = PROJECT_ROOT / "docs" / "benchmarks.md"
SCALE_ORDER = ("tiny", "city", "province", "nation")


def _meminfo_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def machine_facts(engine: Engine) -> dict[str, Any]:
    """Return what a reader needs to compare figures: cores, memory, CPU, versions, load when started."""
    with engine.connect() as conn:
        pg = conn.execute(text("SHOW server_version")).scalar_one()
        postgis = conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
        geos = conn.execute(text("SELECT postgis_geos_version()")).scalar_one()
        settings = {
            name: conn.execute(text(f"SHOW {name}")).scalar_one()
            for name in ("shared_buffers", "work_mem", "jit", "max_parallel_workers_per_gather")
        }
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(_meminfo_gb(), 1),
        "cpu": _cpu_model(),
        "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
        "python": platform.python_version(),
        "postgresql": pg,
        "postgis": postgis,
        "geos": geos,
        "postgresql_settings": settings,
        "commit": _git_commit(),
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
    }


def write_raw(run: dict[str, Any], directory: Path = RAW_DIR) -> Path:
    """Write one run's figures as docs/bench-raw/<scale>.json and return the path.

    A run on reused data keeps the generation figures of the run it reuses, when that run is the file
    being replaced and generated the same thing (seed and overrides).
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{run['scale']}.json"
    if run.get("reused_data") and not run.get("generator") and path.exists():
        earlier = json.loads(path.read_text(encoding="utf-8"))
        same = all(earlier.get(key) == run.get(key) for key in ("seed", "overrides"))
        if same and earlier.get("generator"):
            run = {**run, "generator": earlier["generator"]}
    path.write_text(json.dumps(run, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _verdict(met: bool | None, error: str) -> str:
    if error:
        return "not available" if error.startswith("not available") else "**failed**"
    return {True: "met", False: "**not met**", None: "–"}[met]


def _ratio(outcome: dict[str, Any]) -> str:
    ratio = outcome.get("ratio")
    if ratio is None:
        return "–"
    return f"{ratio:.2f}× req/s" if outcome["ratio_kind"] == "rate" else f"{ratio:.2f}× time"


def _notes(outcome: dict[str, Any]) -> str:
    if outcome["error"]:
        return outcome["error"].splitlines()[0][:160].replace("|", "/")
    keep = []
    for key, value in outcome["notes"].items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        keep.append(f"{key}: {value}")
    return "; ".join(keep).replace("|", "/")


def verdicts(run: dict[str, Any]) -> str:
    """Return one line per verdict (met, not met, ...) naming the scenarios that got it."""
    groups: dict[str, list[str]] = {}
    for o in run["outcomes"]:
        if o["met"] is None and not o["error"]:
            continue
        groups.setdefault(_verdict(o["met"], o["error"]).strip("*"), []).append(o["scenario"])
    order = ("met", "not met", "failed", "not available")
    return "".join(f"- Targets {v}: {', '.join(groups[v])}\n" for v in order if v in groups)


def table(run: dict[str, Any]) -> str:
    """Return the markdown table of one run."""
    head = (
        "| Scenario | p50 ms | p95 ms | p99 ms | ops/s | Reference | ref p50 ms | vs ref "
        "| Target | Verdict | Notes |\n"
        "|---|---:|---:|---:|---:|---|---:|---:|---|---|---|\n"
    )
    lines = []
    for o in run["outcomes"]:
        s, r = o["stats"] or {}, o["reference_stats"] or {}
        lines.append(
            f"| {o['scenario']} | {_ms(s.get('p50_ms'))} | {_ms(s.get('p95_ms'))} | {_ms(s.get('p99_ms'))} "
            f"| {s.get('throughput_per_s', '–')} | {o['reference'] or '–'} | {_ms(r.get('p50_ms'))} "
            f"| {_ratio(o)} | {o['target']} | {_verdict(o['met'], o['error'])} | {_notes(o)} |"
        )
    return head + "\n".join(lines) + "\n"


def _generator(run: dict[str, Any]) -> str:
    gen = run.get("generator") or {}
    if not gen:
        return (
            "Scenarios ran on data left by an earlier generation run (`--reuse`).\n"
            if run.get("reused_data")
            else ""
        )
    rows = "\n".join(
        f"| {t['table']} | {t['rows']:,} | {t['seconds']} | {t['rows_per_s']:,} |" for t in gen["tables"]
    )
    when = " by an earlier run of the same command (reused here)" if run.get("reused_data") else ""
    return (
        f"Data generated{when} with seed {gen['seed']} "
        f"(peak RSS of the generator: {gen['peak_rss_mb']} MiB):\n\n"
        "| Table | Rows | Seconds | Rows/s |\n|---|---:|---:|---:|\n" + rows + "\n"
    )


def _machine(run: dict[str, Any]) -> str:
    m = run["machine"]
    return (
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB RAM, load average "
        f"{'/'.join(str(v) for v in m['load_average_at_start'])} at start; PostgreSQL {m['postgresql']}, "
        f"PostGIS {m['postgis']}, GEOS {m['geos']}, Python {m['python']}; commit {m['commit']}, "
        f"{m['date_utc']} UTC. {run.get('note', '')}\n"
    )


INTRO = """# Benchmarks

Every figure below comes from `make bench` (scripts/bench.py → app/bench/): each run creates a fresh
database `hongtu_bench_<scale>` on the embedded PostGIS, migrates it, generates the scale's data with
`app/demo/generate.py` (fixed seed), then runs each scenario: a warm-up, then samples until enough are
taken, one request or call at a time. Each scenario's reference is measured in the same run, on the same
data: the same SQL sent directly through a bare psycopg2 connection (SQL scenarios), a hello-world route of
the same app under the same gunicorn settings (HTTP scenarios), a minimal Flask + psycopg2 app running the
same query (throughput, `scripts/minimal_app.py`). "vs ref" is our p50 time over the reference's
("× time", lower is better) or our requests per second over the reference's ("× req/s").
Raw numbers: `docs/bench-raw/<scale>.json`. Percentiles are in milliseconds.

## Reproduce

```
make bench                                    # city scale (Fuzhou): about 6 min on 2 cores, set-up included
make bench BENCH_ARGS="--scale province"      # Fujian, ten times the city
make bench BENCH_ARGS="--scale province --sites 1000000 --pois 200000"   # guide's scale, ~15 min
make bench BENCH_ARGS="--only nearby-10,nearby-http"                     # a subset
make bench BENCH_ARGS="--reuse --only map-pages"                         # the map-page rows alone
make bench BENCH_ARGS="--scale nation --only nearby-10,radius-2km,search-keyword,http,load"
                                              # the guide at nation scale, ~30 min of generation
```

What the scenarios do: `nearby-10` and `radius-2km` call `app.sites.queries.nearby_sites` (k = 10;
all within 2 km) from 400 seeded points near sites, and check the 10 nearest against a brute-force
ST_Distance ranking; the HTTP scenarios send one request at a time to one warm gunicorn sync worker
(`/api/v1/sites/nearby`, `/api/v1/sites/<id>`, `/ogc/collections/sites/items` with 100 and with 1,000
features in a bbox, `/tiles/sites/<z>/<x>/<y>.pbf` at z10/13/16, `/`); `nearby-throughput` drives 2
workers with 16 concurrent connections after a warm-up, in five 5-second rounds that alternate with the
minimal app's, the pair of adjacent rounds with the median ratio counting (its notes give each side's
CPU time per request, of the gunicorn workers and of the database backends, over all rounds). Hongtu sends
its unfiltered nearest search as a statement prepared once per connection, the minimal app the statement's
text; three more pairs of rounds with `HONGTU_DB_PREPARE=0` give the ratio without that, noted as
`without_prepared_statements`; `coverage-full` is
`app.coverage.service.coverage_report` (all six findings) for the scale's region as the service keeps it:
its cells, zone facts and merged pieces stored and kept current by the edit triggers; `coverage-first-run`
is the same report with nothing stored (every cell cut and computed), what a region costs once, after an
import: the stored state is forgotten, every zone queued as an import's trigger leaves it, and this committed
before each sample, so the report's transaction starts
clean and shares the cutting and computing among `HONGTU_COVERAGE_WORKERS` connections (the CPU count, 2
here) as the service does, and its memory figure is the peak of all the database's backends together,
sampled every 50 ms; `coverage-incremental` moves one zone by ~40 m and recomputes what
went stale (`app.coverage.service.refresh_region`), and notes the full report after such an edit;
`coverage-growth-1k/5k/20k` replace the region's zones by a generated grid of 1,000, 5,000 and 20,000
zones (rolled back afterwards), note the first analysis (on one connection: the replaced zones are not
committed) and time the maintained report;
`route-plan-10` plans 10 sites away from any road
(geodesic travel), `route-plan-25` 25 sites on a synthetic 50,880-edge street grid laid at the largest
town (pgRouting), both with `app.routing.service.plan`.

The map-page rows (`map-html-<n>`, `map-first-layer-<n>`, `map-pan-<n>`, group `map-pages`) run at 2,376,
15,000 and 100,000 sites: the bench data is copied into `<bench database>_maps`, its sites topped up with
the generator (seeded) and, for the last step, its zones regenerated at 20,000 when the scale has fewer;
2 gunicorn workers serve it and Debian's chromium loads the home page, each load in a new browser context
(empty cache). `map-html` gives the HTML size for a visitor and an admin (timed: `GET /` against the
hello-world route); `map-first-layer` the median of 5 loads from navigation to the first drawn layer
(against navigation to the hello-world route's load event); `map-pan` the bytes each of 8 half-screen moves
at zoom 12 around the largest town fetches, for a visitor and an admin (timed: until the admin's last
answer, against the same moves with the data layers off). The issue set those limits at 100,000 sites and
20,000 zones; every step is judged against them.

The HTTP load generator is `wrk` (installed by scripts/bench.sh from Debian when missing), run as a
second process on loopback; without it, `python -m app.bench.loadgen` does the same job more slowly.
A smoke test (tests/test_bench_smoke.py, part of `make test`) runs every scenario once at a tiny scale so
the harness cannot rot; it checks that the scenarios run, not how fast.
"""


def render(directory: Path = RAW_DIR) -> str:
    """Return docs/benchmarks.md for every scale that has raw figures in directory."""
    runs = []
    for name in SCALE_ORDER:
        path = directory / f"{name}.json"
        if path.exists() and name != "tiny":
            runs.append(json.loads(path.read_text(encoding="utf-8")))
    parts = [INTRO]
    for run in runs:
        parts.append(f"\n## {run['scale'].capitalize()} scale\n\n")
        parts.append(_machine(run) + "\n")
        parts.append(_generator(run) + "\n")
        parts.append(verdicts(run) + "\n")
        parts.append(table(run))
    return "".join(parts)


def write_markdown(directory: Path = RAW_DIR, path: Path = MARKDOWN) -> Path:
    """Write docs/benchmarks.md from the raw figures in directory."""
    path.write_text(render(directory), encoding="utf-8")
    return path
