"""A small load generator for machines without wrk: threads on keep-alive-less connections, JSON out.

Run as a second process so that its work does not share the interpreter of the process it measures:
python -m app.bench.loadgen http://127.0.0.1:8000 --clients 16 --duration 10 /path?a=1 /path?a=2
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit

from .stats import Stats


def _client(host: str, port: int, paths: list[str], stop_at: float, offset: int, out: dict) -> None:
    i = offset
    while time.perf_counter() < stop_at:
        t0 = time.perf_counter()
        try:
            conn = http.client.HTTPConnection(host, port, timeout=30)
            conn.request("GET", paths[i % len(paths)])
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status >= 300:
                out["non2xx"] += 1
        except OSError:
            out["errors"] += 1
            continue
        finally:
            i += 1
        out["samples"].append(time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args(argv)
    target = urlsplit(args.base)
    stop_at = time.perf_counter() + args.duration
    outs = [{"samples": [], "errors": 0, "non2xx": 0} for _ in range(args.clients)]
    started = time.perf_counter()
    threads = [
        threading.Thread(
            target=_client, args=(target.hostname, target.port, args.paths, stop_at, k * 7, outs[k])
        )
        for k in range(args.clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    samples = [s for o in outs for s in o["samples"]]
    stats = Stats.of(samples or [0.0], wall)
    json.dump(
        {
            "requests": len(samples),
            "p50_ms": stats.p50_ms,
            "p95_ms": stats.p95_ms,
            "p99_ms": stats.p99_ms,
            "throughput": len(samples) / wall,
            "errors": sum(o["errors"] for o in outs),
            "non2xx": sum(o["non2xx"] for o in outs),
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
