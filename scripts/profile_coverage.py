"""Where a first coverage analysis spends its time, step by step, on a benchmark database.

python scripts/profile_coverage.py [--scale city|province] [--runs N] [--timeline]

Runs on the database `make bench` left for the scale (hongtu_bench_<scale> on the server of
DATABASE_URL). Each run forgets the stored coverage, as the coverage-first-run scenario does, then
reports the scale's root region; it prints the wall time and each step's own time summed over the
connections (the shares run side by side, so the sum exceeds the wall time), and with --timeline when
each step ran on which connection. A profiling aid, not a benchmark: figures for docs/ come from
`make bench`.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.bench.scenarios import FORGET_COVERAGE
from app.config import database_url
from app.coverage import queries, service

ROOTS = {"city": "350100", "province": "350000"}
# The steps of coverage.queries a first analysis goes through, on the shares' connections and the report's.
STEPS = (
    "refresh_zone_facts",
    "build_cells",
    "refresh_overlap_pairs",
    "refresh_reach",
    "refresh_blind",
    "ensure_merged",
    "fill_piece_details",
    "analyze_refreshed",
    "add_area_findings",
    "add_overlap_findings",
    "add_zone_findings",
    "figures",
    "child_coverage",
)


class StepClock:
    """Wraps the steps of app.coverage.queries so that each call is recorded with its thread and times."""

    def __init__(self) -> None:
        self.origin = time.perf_counter()
        self.calls: list[tuple[str, str, float, float]] = []
        self._lock = threading.Lock()

    def wrap(self, name: str, step: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(step)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return step(*args, **kwargs)
            finally:
                with self._lock:
                    call = (threading.current_thread().name, name, started, time.perf_counter())
                    self.calls.append(call)

        return timed

    def restart(self) -> None:
        self.origin = time.perf_counter()
        self.calls.clear()

    def totals(self) -> dict[str, float]:
        spent: dict[str, float] = defaultdict(float)
        for _, name, started, ended in self.calls:
            spent[name] += ended - started
        return spent

    def timeline(self) -> list[str]:
        return [
            f"  {thread:<12} {name:<22} {started - self.origin:7.3f} {ended - self.origin:7.3f}"
            for thread, name, started, ended in sorted(self.calls, key=lambda c: c[2])
        ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=sorted(ROOTS), default="city")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--timeline", action="store_true", help="print when each step ran on which connection"
    )
    args = parser.parse_args(argv)
    url = make_url(database_url()).set(database=f"hongtu_bench_{args.scale}")
    clock = StepClock()
    for name in STEPS:
        setattr(queries, name, clock.wrap(name, getattr(queries, name)))
    engine = create_engine(url)
    walls = []
    for run in range(args.runs):
        with Session(engine) as session:
            session.execute(FORGET_COVERAGE)
            session.commit()
        with Session(engine) as session:
            clock.restart()
            service.coverage_report(session, ROOTS[args.scale], with_findings=False)
            walls.append(time.perf_counter() - clock.origin)
            session.rollback()
        by_time = sorted(clock.totals().items(), key=lambda kv: -kv[1])
        spent = "  ".join(f"{name} {s:.2f}" for name, s in by_time)
        print(f"run {run + 1}: {walls[-1]:.3f} s; steps (s, summed over connections): {spent}", flush=True)
        if args.timeline:
            print("\n".join(clock.timeline()))
    print(f"median of {len(walls)}: {statistics.median(walls):.3f} s")
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
