"""Routing benchmark on a scratch database: plan timings and tour-quality ratios, written as Markdown.

python scripts/bench_routing.py [--runs N] [--ortools-seconds S] [--keep-db NAME] [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import migrate
from app.config import database_url
from app.routing import bench

log = logging.getLogger("bench_routing")


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def _markdown(setup: dict, timing: dict, quality: dict, args: argparse.Namespace) -> str:
    lines = [
        "# Routing benchmarks",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()},"
        f" Python {platform.python_version()};"
        f" `python scripts/bench_routing.py --runs {args.runs} --ortools-seconds {args.ortools_seconds:g}`.",
        "",
        f"Load average (1/5/15 min) right after the timings: {timing.pop('load')}"
        f" (the machine's {os.cpu_count()} cores are shared with other work).",
        "",
        f"Synthetic city network: {setup['edges']} edges, {setup['vertices']} vertices, "
        f"imported in {setup['import_s']} s (osmium + PostGIS).",
        "",
        "| scenario | runs | median ms | p95 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, t in timing.items():
        lines.append(f"| {name} | {t['runs']} | {t['median_ms']} | {t['p95_ms']} | {t['max_ms']} |")
    lines += [
        "",
        f"Targets: 10 stops geodesic under 100 ms per plan (median {timing['geodesic_10']['median_ms']} ms); "
        "25 stops on the network under 2 s including the cost matrix"
        f" (median {timing['roads_25']['median_ms']} ms).",
    ]
    exact = quality["exact_n_le_10"]
    lines += [
        "",
        "Tour travel time of the planner (VROOM) divided by the exact optimum (Held-Karp), n = 4..10 sites "
        "on the city network with opening hours:",
        "",
        f"- instances {exact['instances']}, compared {exact.get('compared', 0)}, "
        f"fewer sites than the optimum {exact['fewer_sites_than_optimum']}",
        f"- mean ratio {exact.get('mean_ratio')}, max ratio {exact.get('max_ratio')}, "
        f"optimal in {exact.get('optimal_share')} of instances",
        "",
        "Against a long OR-Tools run (guided local search):",
        "",
        "| n | OR-Tools s | sites planner / OR-Tools | ratio | planner solve ms |",
        "| ---: | ---: | --- | ---: | ---: |",
    ]
    for n in (25, 50):
        block = quality[f"ortools_n{n}"]
        for row in block["runs"]:
            lines.append(
                f"| {n} | {block['ortools_seconds']:g} | {row['sites_planner']} / {row['sites_ortools']} "
                f"| {row['ratio']} | {row['solve_ms']} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--ortools-seconds", type=float, default=30.0)
    parser.add_argument("--small", type=int, default=40, help="instances compared with the exact optimum")
    parser.add_argument("--keep-db", help="reuse (or keep) this scratch database instead of a throwaway one")
    parser.add_argument("--output", default="docs/benchmarks-routing.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = make_url(database_url())
    name = args.keep_db or f"hongtu_bench_routing_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        fresh = not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if fresh:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    try:
        migrate.upgrade(url)
        with Session(engine) as session, tempfile.TemporaryDirectory() as tmp:
            setup = bench.setup(session, Path(tmp))
            log.info("network: %s", setup)
            timing = bench.timings(session, runs=args.runs)
            timing["load"] = _load()
            log.info("timings: %s", timing)
            quality = bench.quality(session, small=args.small, ortools_s=args.ortools_seconds)
            log.info("quality: %s", json.dumps(quality))
        Path(args.output).write_text(_markdown(setup, timing, quality, args), encoding="utf-8")
        log.info("wrote %s", args.output)
    finally:
        engine.dispose()
        if not args.keep_db:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
