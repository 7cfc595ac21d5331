"""`hongtu demo generate`: scale data for benchmarks, into an empty database of its own."""

from __future__ import annotations

import json
import sys

import click
from sqlalchemy import text

from ..db import get_session
from .generate import SCALES, generate

ORGANIZATION_COUNT = text("SELECT count(*) FROM organizations")


def _progress(table: str, done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    bar = "#" * filled + "." * (width - filled)
    click.echo(f"\r{table:16s} [{bar}] {done}/{total}", nl=done >= total, err=True)


@click.command("generate")
@click.option("--scale", type=click.Choice(["city", "province", "nation"]), default="city", show_default=True)
@click.option("--seed", type=int, default=1, show_default=True, help="same seed, same data")
@click.option("--sites", type=int, help="number of red sites instead of the scale's (e.g. 1000000)")
@click.option("--pois", type=int, help="number of POIs instead of the scale's (e.g. 200000)")
@click.option("--root", help="adcode whose districts get the data instead of the scale's region")
@click.option(
    "--fraction",
    type=float,
    default=1.0,
    help="multiply every count (a partial run: e.g. --scale nation --root 350000 --fraction 0.029)",
)
def generate_command(
    scale: str, seed: int, sites: int | None, pois: int | None, root: str | None, fraction: float
) -> None:
    """Generate SCALE data (city: Fuzhou, province: Fujian, nation) with COPY; prints rows per second."""
    session = get_session()
    existing = session.execute(ORGANIZATION_COUNT).scalar_one()
    if existing:
        # Scale data would swamp a real or demo database; it belongs in a database of its own.
        click.echo(
            f"error: the database already holds {existing} organizations; "
            "create an empty one (e.g. createdb hongtu_bench_city), run `hongtu db upgrade`, then generate",
            err=True,
        )
        sys.exit(1)
    chosen = SCALES[scale] if fraction == 1.0 else SCALES[scale].scaled(fraction)
    result = generate(session, chosen, seed, root=root, sites=sites, pois=pois, progress=_progress)
    click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
