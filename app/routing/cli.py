"""`hongtu roads import FILE`: load an OSM road network (.osm or .pbf) for pgRouting."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import text

from ..db import get_session
from ..errors import ApiError
from .roads import import_network


def register(app: Flask) -> None:
    """Add the `roads` command group to app.cli."""

    @app.cli.group("roads")
    def roads_group() -> None:
        """Road network for routing (pgRouting)."""

    @roads_group.command("import")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--replace", is_flag=True, help="drop the loaded network first instead of merging")
    def roads_import(path: str, replace: bool) -> None:
        """Import the highways of an .osm or .pbf file, split at junctions, with walk/drive costs."""
        session = get_session()
        try:
            result = import_network(session, Path(path), replace=replace)
        except ApiError as err:
            session.rollback()
            click.echo(f"error: {err.message}", err=True)
            sys.exit(1)
        session.commit()
        session.execute(text("ANALYZE roads_edges"))
        session.execute(text("ANALYZE roads_vertices"))
        session.commit()
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
