"""`hongtu coverage ...`: run and store an analysis, show history, export the ledger, refresh stale cells."""

from __future__ import annotations

import sys

import click
from flask import Flask

from ..db import get_session
from ..errors import ApiError
from ..vocab import CENTRE_LEVELS
from . import queries, service
from .service import KINDS, CoverageParams


def _fail(err: ApiError) -> None:
    click.echo(f"error: {err.message}", err=True)
    for item in err.errors:
        click.echo(f"  - {item.get('param') or ''}: {item['message']}", err=True)
    sys.exit(1)


def _params(tolerance_m2: float, reach: tuple[str, ...]) -> CoverageParams:
    overrides = {}
    for item in reach:
        level, _, metres = item.partition("=")
        if level not in CENTRE_LEVELS or not metres.replace(".", "", 1).isdigit():
            levels = ", ".join(CENTRE_LEVELS)
            message = f"expected LEVEL=METRES with LEVEL in {levels}: {item}"
            raise click.BadParameter(message, param_hint="--reach")
        overrides[level] = float(metres)
    return CoverageParams(tolerance_m2, overrides)


def register(app: Flask) -> None:
    """Add the `coverage` command group to app.cli."""

    @app.cli.group("coverage")
    def coverage_group() -> None:
        """Coverage analysis (党建盲区): blind zones, overlaps, assignment problems, reach gaps."""

    @coverage_group.command("run")
    @click.argument("adcode")
    @click.option("--tolerance-m2", default=service.DEFAULT_TOLERANCE_M2, show_default=True, type=float)
    @click.option("--reach", multiple=True, metavar="LEVEL=METRES", help="override a centre level's reach")
    @click.option("--no-store", is_flag=True, help="report only, store no snapshot")
    @click.option("--json", "as_json", is_flag=True, help="print the whole report as JSON")
    def run(adcode: str, tolerance_m2: float, reach: tuple[str, ...], no_store: bool, as_json: bool) -> None:
        """Analyse region ADCODE now and store the result as a snapshot."""
        session = get_session()
        try:
            params = _params(tolerance_m2, reach)
            if no_store:
                report = service.coverage_report(session, adcode, params)
            else:
                report = service.run_snapshot(session, adcode, params)
        except ApiError as err:
            session.rollback()
            _fail(err)
        session.commit()
        if as_json:
            click.echo(service.dumps(report.as_dict()))
            return
        f = report.figures
        click.echo(
            f"{report.region.adcode} {report.region.name}: covered {f.covered_ratio:.4%} "
            f"(blind {f.blind_area_m2:,.0f} m² of {f.region_area_m2:,.0f} m²), "
            f"service reach {f.reach_ratio:.4%}; {report.duration_ms:.0f} ms"
        )
        for kind, label in KINDS.items():
            if kind in report.counts:
                click.echo(f"  {label}（{kind}）: {report.counts[kind]}")
        slivers = report.counts.get("blind_slivers", {})
        click.echo(f"  slivers below {params.tolerance_m2:g} m² dropped: {slivers.get('count', 0)}")
        if report.snapshot_id:
            click.echo(f"  snapshot {report.snapshot_id}")

    @coverage_group.command("history")
    @click.argument("adcode")
    def history(adcode: str) -> None:
        """Show the stored coverage ratios of region ADCODE over time."""
        try:
            points = service.history(get_session(), adcode)
        except ApiError as err:
            _fail(err)
        for p in points:
            when = f"{p['created_at']:%Y-%m-%d %H:%M:%S}"
            click.echo(f"{when}  #{p['snapshot_id']:<6d} {p['covered_ratio']:.4%}")

    @coverage_group.command("export")
    @click.argument("adcode")
    @click.option("-o", "--output", type=click.Path(dir_okay=False), help="file to write (default: stdout)")
    @click.option("--kind", type=click.Choice(list(KINDS)))
    @click.option("--snapshot", type=int, help="export a stored snapshot instead of analysing now")
    def export(adcode: str, output: str | None, kind: str | None, snapshot: int | None) -> None:
        """Write the findings of region ADCODE as a work-ledger CSV (台账, UTF-8 with BOM)."""
        session = get_session()
        try:
            text = service.findings_csv(session, adcode, kind, snapshot_id=snapshot)
        except ApiError as err:
            session.rollback()
            _fail(err)
        session.commit()
        if output:
            with open(output, "w", encoding="utf-8", newline="") as out:
                out.write(text)
        else:
            click.echo(text, nl=False)

    @coverage_group.command("refresh")
    def refresh() -> None:
        """Recompute the stale cells of every analysed region."""
        session = get_session()
        done = service.refresh_stale(session)
        session.commit()
        for adcode, stats in done.items():
            click.echo(
                f"{adcode}: {stats.blind_cells} blind cells, {stats.reach_cells} reach cells, "
                f"{stats.zones} zones in {stats.duration_ms:.0f} ms"
            )

    @coverage_group.command("stale")
    def stale() -> None:
        """List the analysed regions with cells waiting for a recompute."""
        for r in queries.stale_regions(get_session()):
            click.echo(f"{r.adcode} {r.name}: {r.stale_cells}/{r.cells} cells stale")
