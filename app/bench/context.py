"""What every scenario gets: the bench database, sample points from its data, servers started on demand."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .servers import Gunicorn, get
from .stats import Sampling, Stats, measure

log = logging.getLogger(__name__)

ORIGINS = text("""
    SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat FROM heritage_sites ORDER BY id LIMIT :n
""")
HELLO = "/_bench/hello"
ADMIN_TOKEN = "bench-admin-token"


@dataclass
class Captured:
    """The SQL statements (driver form, with their parameters) that one call of a domain function ran."""

    statements: list[tuple[str, Any]] = field(default_factory=list)


@dataclass
class BenchContext:
    """The database under test, the sampling plan and the servers shared by the HTTP scenarios."""

    url: str
    engine: Engine
    scale: str
    seed: int
    sampling: Sampling
    # The region the data was generated under (adcode) and its largest town (lon, lat).
    root: str = ""
    centre: tuple[float, float] = (0.0, 0.0)
    origins: list[tuple[float, float]] = field(default_factory=list)
    _stack: ExitStack = field(default_factory=ExitStack)
    _servers: dict[tuple[str, int], Gunicorn] = field(default_factory=dict)
    _session: Session | None = None
    scratch: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="hongtu-bench-")))

    def load_origins(self, n: int = 400) -> None:
        """Pick n query points: site locations shifted by up to ~1 km (seeded), so no query hits a site."""
        with self.engine.connect() as conn:
            base = [(r.lon, r.lat) for r in conn.execute(ORIGINS, {"n": n})]
        if not base:
            raise RuntimeError("the bench database holds no sites")
        rng = np.random.default_rng(self.seed)
        shift = rng.uniform(-0.01, 0.01, (len(base), 2))
        self.origins = [
            (float(lon + dx), float(lat + dy)) for (lon, lat), (dx, dy) in zip(base, shift, strict=True)
        ]

    def origin(self, i: int) -> tuple[float, float]:
        return self.origins[i % len(self.origins)]

    @property
    def session(self) -> Session:
        """One long-lived session, as a request would hold one; rolled back between scenarios."""
        if self._session is None:
            self._session = Session(self.engine)
        return self._session

    def reset_session(self) -> None:
        if self._session is not None:
            self._session.rollback()

    def raw_connection(self) -> Any:
        """A psycopg2 connection of its own, for running captured SQL directly (the reference)."""
        conn = self.engine.raw_connection()
        self._stack.callback(conn.close)
        return conn

    def server(
        self,
        target: str,
        workers: int,
        *,
        pythonpath: str | None = None,
        env: dict[str, str] | None = None,
        alongside: bool = False,
    ) -> Gunicorn:
        """Return a running gunicorn for target with workers workers, starting it on first use; the
        others are stopped first unless alongside (a comparison that alternates between two servers)."""
        key = (target, workers, tuple(sorted((env or {}).items())))
        if key not in self._servers:
            # One server at a time otherwise: a second idle one would still hold memory the run reports.
            if not alongside:
                self.stop_servers()
            self._servers[key] = Gunicorn(
                target, self.url, workers, pythonpath=pythonpath, env=env
            ).__enter__()
        return self._servers[key]

    def app_server(self, workers: int = 1) -> Gunicorn:
        return self.server("app.bench.wsgi:app", workers)

    def stop_servers(self) -> None:
        for server in self._servers.values():
            server.__exit__(None, None, None)
        self._servers.clear()

    def on_close(self, callback: Callable[..., object], *args: object) -> None:
        """Run callback(*args) when the run ends (after its servers stop), last registered first."""
        self._stack.callback(callback, *args)

    def close(self) -> None:
        self.stop_servers()
        if self._session is not None:
            self._session.close()
        self._stack.close()
        shutil.rmtree(self.scratch, ignore_errors=True)

    # -- measuring --------------------------------------------------------------------------------
    def measure(self, call: Callable[[int], object], reset: Callable[[], object] | None = None) -> Stats:
        return measure(call, self.sampling, reset)

    def measure_heavy(
        self, call: Callable[[int], object], reset: Callable[[], object] | None = None
    ) -> Stats:
        """Measure a call that takes up to seconds: fewer samples, the same time cap."""
        return measure(call, self.sampling.heavy(), reset)

    def http_stats(self, server: Gunicorn, path_of: Callable[[int], str]) -> Stats:
        """Time GET base+path_of(i), one request at a time, each on a new connection."""
        return self.measure(lambda i: get(server.base + path_of(i)))

    def hello_stats(self, server: Gunicorn) -> Stats:
        return self.http_stats(server, lambda i: HELLO)


@contextmanager
def capture(engine: Engine) -> Iterator[Captured]:
    """Record every statement the engine sends while the block runs."""
    found = Captured()

    def _record(conn, cursor, statement, parameters, context, executemany):
        found.statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", _record)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", _record)


def run_direct(raw: Any, statements: list[tuple[str, Any]]) -> list[tuple]:
    """Run captured statements on a bare psycopg2 connection and return the last one's rows."""
    rows: list[tuple] = []
    with raw.cursor() as cursor:
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            rows = cursor.fetchall() if cursor.description else []
    raw.rollback()
    return rows


def timed(call: Callable[[], object]) -> tuple[float, object]:
    """Return (seconds, result) of one call."""
    t0 = time.perf_counter()
    result = call()
    return time.perf_counter() - t0, result
