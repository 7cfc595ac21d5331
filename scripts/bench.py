"""`make bench`: run the benchmark scenarios at a scale on a fresh database and write docs/benchmarks.md.

python scripts/bench.py [--scale city|province|nation] [--seed N] [--sites N] [--pois N]
                        [--only a,b] [--quick] [--note TEXT]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from app.bench.report import RAW_DIR, write_markdown, write_raw
from app.bench.runner import bench
from app.bench.stats import Sampling
from app.config import database_url
from app.demo.generate import SCALES

log = logging.getLogger("bench")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=[s for s in SCALES if s != "tiny"], default="city")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sites", type=int, help="red sites instead of the scale's number")
    parser.add_argument("--pois", type=int, help="POIs instead of the scale's number")
    parser.add_argument("--only", help="comma-separated scenario names")
    parser.add_argument("--quick", action="store_true", help="one sample per scenario (checks, not figures)")
    parser.add_argument("--note", default="", help="a sentence printed under the machine facts")
    parser.add_argument(
        "--reuse", action="store_true", help="run on the data a previous run left (no generation)"
    )
    parser.add_argument("--no-write", action="store_true", help="print the JSON instead of writing docs/")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run = bench(
        database_url(),
        args.scale,
        args.seed,
        sampling=Sampling.once() if args.quick else Sampling(),
        only=args.only.split(",") if args.only else None,
        sites=args.sites,
        pois=args.pois,
        note=args.note,
        reuse=args.reuse,
    )
    if args.no_write:
        json.dump(run, sys.stdout, ensure_ascii=False, indent=1)
        return 0
    raw = write_raw(run, RAW_DIR)
    md = write_markdown(RAW_DIR)
    log.info("wrote %s and %s in %.0f s", raw, md, run["total_s"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
