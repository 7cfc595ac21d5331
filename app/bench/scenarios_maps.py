"""Map pages in headless chromium as the number of sites grows: home HTML size, navigation to the first
drawn layer, bytes fetched per pan at city zoom (the targets of the map pages performance issue).

The bench data (boundaries, organizations, centres, POIs, zones and the first sites) is copied into a
database of its own, `<bench database>_maps`, so the bench database stays as generated; there the sites
are topped up step by step with the generator (seeded, so every run holds the same sites), and the zones
are regenerated at the last step when the scale has fewer than the issue's number. One gunicorn serves
that database; Debian's chromium loads its pages, a new browser context (empty cache) per load.

Each step gives three rows: map-html-<n>, map-first-layer-<n>, map-pan-<n> (`--only map-pages` runs
them all). Every row is judged against the issue's limits, which it set for 100,000 sites and 20,000 zones.
"""

from __future__ import annotations

import logging
import statistics
import tempfile
import time
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ..demo.generate import RESET_SEQUENCE, SCALES, Generator
from ..maps import measure as page
from .context import ADMIN_TOKEN, HELLO, BenchContext
from .registry import Outcome, Unavailable, scenario
from .scenarios import DELETE_ZONES, PROVINCE_ROOTS
from .servers import Gunicorn, get
from .stats import Stats, measure

log = logging.getLogger(__name__)

KB = 1024
HTML_LIMIT_BYTES = 150 * KB
FIRST_LAYER_LIMIT_MS = 2_500.0
PAN_LIMIT_BYTES = 1024 * KB
CITY_ZOOM = 12
WORKERS = 2
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
GROUP = "map-pages"


@dataclass(frozen=True)
class Steps:
    """Sites at each step, and the zones the last step needs at least."""

    sites: tuple[int, ...]
    zones_at_last: int


# The issue's steps; the smoke test's tiny scale runs the same three steps on a few dozen sites.
ISSUE_STEPS = Steps((2_376, 15_000, 100_000), 20_000)
STEPS = {"tiny": Steps((30, 60, 90), 120)}

# Copied in this order, so that every foreign key finds its row.
COPIED = ("regions", "organizations", "service_centres", "heritage_sites", "pois", "zones")
COLUMNS = text("""
    SELECT column_name FROM information_schema.columns
    WHERE table_schema = 'public' AND table_name = :table AND is_generated = 'NEVER'
    ORDER BY ordinal_position
""")
COUNTS = text("SELECT (SELECT count(*) FROM heritage_sites), (SELECT count(*) FROM zones)")
# The page's own layers, off for the reference pans: the boundaries (the offline basemap) stay.
DATA_LAYERS_OFF = """() => { Object.keys(Hongtu.layers).forEach(k => {
    if (k !== 'regions') Hongtu.map.removeLayer(Hongtu.layers[k]); }); }"""


def _steps(ctx: BenchContext) -> Steps:
    return STEPS.get(ctx.scale, ISSUE_STEPS)


def _copy_table(source: Any, target: Any, table: str, columns: list[str], limit: int | None) -> None:
    """COPY table's columns from the source to the target psycopg2 connection (the first limit rows by id)."""
    cols = ", ".join(columns)
    query = f"SELECT {cols} FROM {table} ORDER BY id" + (f" LIMIT {int(limit)}" if limit is not None else "")
    with tempfile.TemporaryFile() as buffer:
        with source.cursor() as cursor:
            cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT binary)", buffer)
        buffer.seek(0)
        with target.cursor() as cursor:
            cursor.copy_expert(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT binary)", buffer)


class MapData:
    """The bench data in a database of its own, topped up to each step, and the gunicorn serving it."""

    def __init__(self, ctx: BenchContext) -> None:
        from .runner import drop_database, fresh_database  # the runner imports this module

        self.ctx = ctx
        self.steps = _steps(ctx)
        name = f"{make_url(ctx.url).database}_maps"
        self.url = fresh_database(ctx.url, name)
        ctx.on_close(drop_database, ctx.url, name)
        self.engine = create_engine(self.url)
        ctx.on_close(self.engine.dispose)
        # One connection throughout: the generator's towns live in a temporary table of its own.
        self.connection = self.engine.connect()
        ctx.on_close(self.connection.close)
        self.session = Session(bind=self.connection)
        ctx.on_close(self.session.close)
        self.generator: Generator | None = None
        self.batch = 0
        self.server: Gunicorn | None = None
        self.browser: Any = None
        self._copy(self.steps.sites[0])

    def _copy(self, sites: int) -> None:
        source = self.ctx.engine.raw_connection()
        target = self.engine.raw_connection()
        try:
            with self.ctx.engine.connect() as conn:
                had = {t: set(conn.execute(COLUMNS, {"table": t}).scalars()) for t in COPIED}
            for table in COPIED:
                # Columns a newer migration added keep their defaults in the copy.
                wanted = self.session.execute(COLUMNS, {"table": table}).scalars()
                columns = [c for c in wanted if c in had[table]]
                _copy_table(source, target, table, columns, sites if table == "heritage_sites" else None)
            target.commit()
        finally:
            source.rollback()
            source.close()
            target.close()
        for table in COPIED:
            # Rows came with their ids; new ones have to continue after them.
            self.session.execute(text(RESET_SEQUENCE.format(table=table)), {"table": table})
        self.session.execute(text("ANALYZE"))
        self.session.commit()

    def _generator(self) -> Generator:
        if self.generator is None:
            scale = replace(SCALES.get(self.ctx.scale, SCALES["city"]), zones=self.steps.zones_at_last)
            self.generator = Generator(self.session, scale, self.ctx.seed)
            roots = [self.ctx.root] if self.ctx.root else list(self.session.execute(PROVINCE_ROOTS).scalars())
            self.generator.make_towns(roots)
        return self.generator

    def counts(self) -> tuple[int, int]:
        """Return (sites, zones) in the database now."""
        sites, zones = self.session.execute(COUNTS).one()
        return int(sites), int(zones)

    def _top_up(self, step: int) -> None:
        sites, zones = self.counts()
        want = self.steps.sites[step]
        if sites < want:
            started = time.perf_counter()
            self.batch += 1
            self._generator().sites(want - sites, self.batch)
            self.session.commit()
            log.info("map pages: %d sites added in %.1f s", want - sites, time.perf_counter() - started)
        if step == len(self.steps.sites) - 1 and zones < self.steps.zones_at_last:
            started = time.perf_counter()
            self.session.execute(DELETE_ZONES)
            written = self._generator().zones()
            self.session.commit()
            seconds = time.perf_counter() - started
            log.info("map pages: %d zones in place of %d in %.1f s", written, zones, seconds)

    def at(self, step: int) -> Gunicorn:
        """Top the data up to step (sites; zones at the last step) and return the server, started once."""
        try:
            self._top_up(step)
        except Exception:
            self.session.rollback()
            raise
        if self.server is None:
            # One server at a time: the bench's own would compete for the two cores.
            self.ctx.stop_servers()
            self.server = Gunicorn(
                "app.bench.wsgi:app", self.url, WORKERS, env={"HONGTU_ADMIN_TOKEN": ADMIN_TOKEN}
            ).__enter__()
            self.ctx.on_close(self.server.__exit__, None, None, None)
        return self.server


_DATA: dict[int, MapData] = {}


def _data(ctx: BenchContext) -> MapData:
    if id(ctx) not in _DATA:
        _DATA[id(ctx)] = MapData(ctx)
        ctx.on_close(_DATA.pop, id(ctx), None)
    return _DATA[id(ctx)]


def _browser_ready() -> None:
    if not Path(page.CHROMIUM).exists():
        raise Unavailable(f"{page.CHROMIUM} is missing (scripts/bench.sh installs Debian's chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as err:
        raise Unavailable("playwright is not installed (the dev extra)") from err


def _browser(ctx: BenchContext) -> Any:
    """Return chromium, started on first use and shared by the map rows (each load has its own context)."""
    data = _data(ctx)
    if data.browser is None:
        from playwright.sync_api import sync_playwright

        driver = sync_playwright().start()
        ctx.on_close(driver.stop)
        data.browser = page.launch(driver)
        ctx.on_close(data.browser.close)
    return data.browser


def _ms_stats(samples_ms: list[float]) -> Stats:
    return Stats.of([ms / 1000 for ms in samples_ms])


def _kb(n: float) -> float:
    return round(n / KB, 1)


def _describe(outcome: Outcome, data: MapData) -> None:
    sites, zones = data.counts()
    outcome.notes.update(sites=sites, zones=zones)


def _fetch(url: str, headers: dict[str, str] | None = None) -> bytes:
    """GET url (with headers) and return the body as sent."""
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30) as response:
        return response.read()


def _html(step: int, ctx: BenchContext, outcome: Outcome) -> None:
    data = _data(ctx)
    base = data.at(step).base
    _describe(outcome, data)
    visitor = len(_fetch(base + "/"))
    admin_html = _fetch(base + "/", ADMIN)
    if b"/tiles/zones/" not in admin_html:
        raise RuntimeError("the admin token was not accepted: the home page has no zones layer")
    # Short sampling: the row is about bytes; the time says what building the page costs.
    sampling = replace(ctx.sampling, max_s=min(ctx.sampling.max_s, 3.0))
    outcome.stats = measure(lambda i: get(base + "/"), sampling)
    outcome.reference = "hello-world route, same gunicorn"
    outcome.reference_stats = measure(lambda i: get(base + HELLO), sampling)
    admin = len(admin_html)
    outcome.notes.update(html_kb_visitor=_kb(visitor), html_kb_admin=_kb(admin))
    outcome.met = max(visitor, admin) < HTML_LIMIT_BYTES


def _loads(ctx: BenchContext) -> int:
    return min(5, max(1, ctx.sampling.min_samples))


def _first_layer(step: int, ctx: BenchContext, outcome: Outcome) -> None:
    _browser_ready()
    data = _data(ctx)
    base = data.at(step).base
    _describe(outcome, data)
    browser = _browser(ctx)
    # ms from navigation to each layer's first drawing, one dict per load.
    drawn: dict[str, list[dict[str, float]]] = {"visitor": [], "admin": []}
    blank: list[float] = []

    def load(role: str, headers: dict[str, str] | None) -> None:
        context, home, _ = page.open_home(browser, base + "/", headers)
        try:
            home.wait_for_function("() => 'sites' in Hongtu.drawnMs", timeout=30_000)
            drawn[role].append(home.evaluate("Hongtu.drawnMs"))
        finally:
            context.close()

    if ctx.sampling.warmup_s > 0:
        # A discarded round warms the workers (imports, pools) and the database's caches.
        load("visitor", None)
        load("admin", ADMIN)
        page.blank_load_ms(browser, base + HELLO)
        drawn = {"visitor": [], "admin": []}
    for _ in range(_loads(ctx)):
        load("visitor", None)
        load("admin", ADMIN)
        blank.append(page.blank_load_ms(browser, base + HELLO))
    first = {role: [min(d.values()) for d in loads] for role, loads in drawn.items()}
    first_kinds = [min(d, key=d.get) for d in drawn["visitor"]]
    outcome.stats = _ms_stats(first["visitor"])
    outcome.reference = "hello-world route: navigation to load, same browser and gunicorn"
    outcome.reference_stats = _ms_stats(blank)
    outcome.notes.update(
        loads=f"{len(blank)} visitor, {len(blank)} admin, each in a new context (empty cache)",
        admin_p50_ms=round(statistics.median(first["admin"]), 1),
        first_drawn=", ".join(f"{k} {first_kinds.count(k)}×" for k in sorted(set(first_kinds))),
        sites_drawn_p50_ms=round(statistics.median(d["sites"] for d in drawn["visitor"]), 1),
    )
    outcome.met = all(statistics.median(ms) < FIRST_LAYER_LIMIT_MS for ms in first.values())


def _moves(ctx: BenchContext) -> int:
    return min(len(page.SPIRAL), max(1, ctx.sampling.min_samples))


def _pan(step: int, ctx: BenchContext, outcome: Outcome) -> None:
    _browser_ready()
    data = _data(ctx)
    base = data.at(step).base
    _describe(outcome, data)
    lon, lat = ctx.centre
    moves = _moves(ctx)
    browser = _browser(ctx)
    found: dict[str, list[page.Pan]] = {}
    for role, headers, setup in (
        ("visitor", None, None),
        ("admin", ADMIN, None),
        ("boundaries", None, DATA_LAYERS_OFF),
    ):
        context, home, _ = page.open_home(browser, base + "/", headers)
        try:
            if setup:
                home.evaluate(setup)
            found[role] = page.pan(home, lat, lon, CITY_ZOOM, moves)
        finally:
            context.close()
    # Timed: the admin's moves, which fetch every layer a visitor's do and the grid zones besides.
    outcome.stats = _ms_stats([p.ms for p in found["admin"]])
    outcome.reference = "the same moves with the data layers off (boundaries only)"
    outcome.reference_stats = _ms_stats([p.ms for p in found["boundaries"]])
    for role, moved in found.items():
        sizes = [p.bytes for p in moved]
        outcome.notes[f"{role}_kb"] = {"median": _kb(statistics.median(sizes)), "max": _kb(max(sizes))}
    outcome.notes["moves"] = f"{moves} × half a screen at z{CITY_ZOOM} around the largest town"
    worst = max(p.bytes for role in ("visitor", "admin") for p in found[role])
    outcome.met = worst < PAN_LIMIT_BYTES


def _register(step: int, label: int) -> None:
    where = "at 100,000 sites, 20,000 zones"
    scenario(f"map-html-{label}", f"home HTML < 150 KB, visitor and admin ({where})", GROUP)(
        lambda ctx, outcome: _html(step, ctx, outcome)
    )
    scenario(f"map-first-layer-{label}", f"navigation → first drawn layer p50 < 2.5 s ({where})", GROUP)(
        lambda ctx, outcome: _first_layer(step, ctx, outcome)
    )
    scenario(f"map-pan-{label}", f"each pan at z{CITY_ZOOM} fetches < 1 MB ({where})", GROUP)(
        lambda ctx, outcome: _pan(step, ctx, outcome)
    )


for _step, _sites in enumerate(ISSUE_STEPS.sites):
    _register(_step, _sites)
