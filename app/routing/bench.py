"""Routing benchmark: plan timings (geodesic and on a 50,000+ edge network) and tour quality ratios.

Everything runs in a scratch database the caller creates; the synthetic city and its sites are written
there (a made-up region 980100 of about 18 x 18 km near Fuzhou, with a street grid of 180 x 180 nodes).
"""

from __future__ import annotations

import logging
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from . import planner
from .roads import import_network
from .service import Place, PlanRequest, plan, prepare, travel_between
from .windows import LOCAL_TZ

log = logging.getLogger(__name__)

CITY = {"adcode": "980100", "lon0": 119.10, "lat0": 25.90, "step_lon": 0.001, "step_lat": 0.0009}
FAR = {"adcode": "980200", "lon0": 118.00, "lat0": 25.00, "size": 0.2}  # sites with no network: geodesic
HOURS = [
    {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    {
        "mon": [],
        **{d: [["08:30", "12:00"], ["14:30", "17:30"]] for d in ("tue", "wed", "thu", "fri", "sat", "sun")},
    },
    {d: [["06:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    {"mon": [], **{d: [["09:00", "16:30"]] for d in ("tue", "wed", "thu", "fri", "sat", "sun")}},
]
CATEGORIES = ["former_site", "memorial_hall", "monument", "museum", "former_residence"]


def city_osm(path: Path, size: int = 180, seed: int = 1) -> None:
    """Write a jittered street grid of size x size nodes with every 10th street a primary road.

    About 8% of residential blocks are missing, so the graph is not a perfect lattice.
    """
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="hongtu-bench">\n')
        for r in range(size):
            for c in range(size):
                lon = CITY["lon0"] + (c + rng.uniform(-0.15, 0.15)) * CITY["step_lon"]
                lat = CITY["lat0"] + (r + rng.uniform(-0.15, 0.15)) * CITY["step_lat"]
                out.write(f'<node id="{1 + r * size + c}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>\n')
        way = 1
        for horizontal in (True, False):
            for line in range(size):
                major = line % 10 == 0
                run: list[int] = []
                for k in range(size):
                    node = 1 + (line * size + k if horizontal else k * size + line)
                    run.append(node)
                    cut = not major and k < size - 1 and rng.random() < 0.08
                    if cut or k == size - 1:
                        if len(run) > 1:
                            highway = "primary" if major else "residential"
                            refs = "".join(f'<nd ref="{n}"/>' for n in run)
                            out.write(
                                f'<way id="{way}" version="1">{refs}<tag k="highway" v="{highway}"/></way>\n'
                            )
                            way += 1
                        run = [] if cut else run
        out.write("</osm>\n")


REGION = text("""
    INSERT INTO regions (adcode, name, level, geom)
    VALUES (:adcode, :name, 'city', ST_Multi(ST_MakeEnvelope(:x1, :y1, :x2, :y2, 4326)))
    ON CONFLICT (adcode) DO NOTHING
""")
SITE = text("""
    INSERT INTO heritage_sites (code, name, category, geom, opening_hours, tags)
    VALUES (:code, :name, :category, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), CAST(:hours AS jsonb),
            ARRAY['bench'])
    ON CONFLICT (code) DO NOTHING
""")


def setup(
    session: Session, workdir: Path, size: int = 180, sites: int = 300, seed: int = 1
) -> dict[str, Any]:
    """Create the bench regions, the synthetic city network and random sites; return the import counts."""
    import json

    rng = random.Random(seed)
    span_lon, span_lat = size * CITY["step_lon"], size * CITY["step_lat"]
    x1, y1 = CITY["lon0"] - 0.001, CITY["lat0"] - 0.001
    x2, y2 = CITY["lon0"] + span_lon, CITY["lat0"] + span_lat
    session.execute(
        REGION, {"adcode": CITY["adcode"], "name": "基准城市", "x1": x1, "y1": y1, "x2": x2, "y2": y2}
    )
    x1, y1 = FAR["lon0"], FAR["lat0"]
    x2, y2 = x1 + FAR["size"], y1 + FAR["size"]
    session.execute(
        REGION, {"adcode": FAR["adcode"], "name": "无路网城市", "x1": x1, "y1": y1, "x2": x2, "y2": y2}
    )
    osm = workdir / "bench_city.osm"
    started = time.perf_counter()
    city_osm(osm, size, seed)
    imported = import_network(session, osm, replace=True)
    import_s = time.perf_counter() - started
    for k in range(sites):
        in_city = k % 3 != 0
        if in_city:
            lon = CITY["lon0"] + rng.uniform(0.05, 0.95) * span_lon
            lat = CITY["lat0"] + rng.uniform(0.05, 0.95) * span_lat
        else:
            lon = FAR["lon0"] + rng.uniform(0.02, 0.98) * FAR["size"]
            lat = FAR["lat0"] + rng.uniform(0.02, 0.98) * FAR["size"]
        params = {"code": f"BENCH-{k:04d}", "name": f"基准点{k}", "category": rng.choice(CATEGORIES),
                  "lon": lon, "lat": lat, "hours": json.dumps(rng.choice(HOURS))}  # fmt: skip
        session.execute(SITE, params)
    session.commit()
    session.execute(text("ANALYZE"))
    return {**imported.as_dict(), "import_s": round(import_s, 1)}


def _sites_in(session: Session, adcode: str) -> list[tuple[str, float, float]]:
    rows = session.execute(
        text("""SELECT s.code, ST_X(s.geom), ST_Y(s.geom)
                FROM heritage_sites s JOIN regions r ON ST_Intersects(s.geom, r.geom)
                WHERE r.adcode = :a AND s.code LIKE 'BENCH-%' ORDER BY s.code"""),
        {"a": adcode},
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def _request(
    rng: random.Random, pool: list, n: int, mode: str, budget_min: int, near_km: float
) -> PlanRequest:
    """n sites of pool within about near_km of a random start, for a Tuesday starting at 09:00."""
    centre = rng.choice(pool)
    near = [
        s for s in pool if abs(s[1] - centre[1]) < near_km / 100 and abs(s[2] - centre[2]) < near_km / 111
    ]
    chosen = rng.sample(near, min(n, len(near))) if len(near) >= n else rng.sample(pool, n)
    today = datetime.now(LOCAL_TZ).date()
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    start_at = datetime(tuesday.year, tuesday.month, tuesday.day, 9, tzinfo=LOCAL_TZ)
    return PlanRequest(
        start=Place(centre[1] + 0.002, centre[2] + 0.002, "起点"),
        start_at=start_at,
        budget_min=budget_min,
        mode=mode,
        site_refs=tuple(code for code, _, _ in chosen),
    )


def _timed(fn: Callable[[], Any], runs: int) -> dict[str, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "runs": runs,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
        "max_ms": round(times[-1], 1),
    }


def timings(session: Session, runs: int = 20, seed: int = 2) -> dict[str, Any]:
    """Return plan timings: 10 stops geodesic, 25 stops on the city network (with the matrix alone)."""
    rng = random.Random(seed)
    far, city = _sites_in(session, FAR["adcode"]), _sites_in(session, CITY["adcode"])
    geo_reqs = [_request(rng, far, 10, "walk", 600, 8) for _ in range(runs)]
    road_reqs = [_request(rng, city, 25, "drive", 720, 8) for _ in range(runs)]
    out: dict[str, Any] = {}
    it = iter(geo_reqs)
    out["geodesic_10"] = _timed(lambda: plan(session, next(it)), runs)
    it = iter(road_reqs)
    out["roads_25"] = _timed(lambda: plan(session, next(it)), runs)
    it = iter(road_reqs)

    def matrix_only() -> None:
        req = next(it)
        ready = prepare(session, req)
        assert ready.travel.source == "roads", ready.travel.note

    out["roads_25_prepare_only"] = _timed(matrix_only, runs)
    places = [Place(lon, lat, code) for code, lon, lat in city[:26]]
    out["roads_26_matrix_call"] = _timed(lambda: travel_between(session, places, "drive"), 5)
    session.rollback()
    return out


def quality(
    session: Session, small: int = 40, large_runs: int = 3, ortools_s: float = 30.0, seed: int = 3
) -> dict:
    """Return travel ratios of the planner against Held-Karp (n <= 10) and long OR-Tools runs (n = 25, 50)."""
    from .reference import ortools_solve

    rng = random.Random(seed)
    city = _sites_in(session, CITY["adcode"])
    ratios, fewer = [], 0
    for _ in range(small):
        n = rng.randint(4, 10)
        ready = prepare(
            session, _request(rng, city, n, rng.choice(["walk", "drive"]), rng.choice([360, 480, 600]), 4)
        )
        found, best = planner.solve(ready.problem), planner.exact(ready.problem)
        if len(found.visits) < len(best.visits):
            fewer += 1
            continue
        ratios.append(found.travel_s / best.travel_s if best.travel_s else 1.0)
    out: dict[str, Any] = {
        "exact_n_le_10": {"instances": small, "fewer_sites_than_optimum": fewer, **_ratio_stats(ratios)}
    }
    for n in (25, 50):
        rows = []
        for _ in range(large_runs):
            # Short visits so that (nearly) every site fits and the comparison is about the order.
            req = replace(_request(rng, city, n, "drive", 720, 6), dwell_all_min=10 if n == 25 else 5)
            ready = prepare(session, req)
            started = time.perf_counter()
            found = planner.solve(ready.problem)
            solve_ms = (time.perf_counter() - started) * 1000
            reference = ortools_solve(ready.problem, ortools_s)
            rows.append({
                "sites_planner": len(found.visits),
                "sites_ortools": len(reference.visits),
                # Travel is only comparable between tours of the same sites count.
                "ratio": round(found.travel_s / reference.travel_s, 4)
                if reference.travel_s and len(found.visits) == len(reference.visits)
                else None,
                "solve_ms": round(solve_ms, 1),
            })  # fmt: skip
        out[f"ortools_n{n}"] = {"ortools_seconds": ortools_s, "runs": rows}
    session.rollback()
    return out


def _ratio_stats(ratios: list[float]) -> dict[str, float]:
    if not ratios:
        return {"compared": 0}
    return {
        "compared": len(ratios),
        "mean_ratio": round(statistics.fmean(ratios), 4),
        "max_ratio": round(max(ratios), 4),
        "optimal_share": round(sum(r <= 1.0000001 for r in ratios) / len(ratios), 3),
    }
