"""`hongtu maps measure`: the home map's HTML size, first-layer time and bytes per pan, from chromium."""

from __future__ import annotations

import json

import click
from flask import Flask

from .measure import measure_home


def register(app: Flask) -> None:
    """Add the `maps` command group to app.cli."""

    @app.cli.group("maps")
    def maps_group() -> None:
        """Map page tools."""

    @maps_group.command("measure")
    @click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="a running Hongtu")
    @click.option("--zoom", type=int, default=12, show_default=True, help="zoom at which to pan (city)")
    @click.option("--pans", type=int, default=6, show_default=True)
    @click.option("--lat", type=float, default=26.08, show_default=True)
    @click.option("--lon", type=float, default=119.30, show_default=True)
    def measure(url: str, zoom: int, pans: int, lat: float, lon: float) -> None:
        """Print the home page HTML bytes, ms to the first drawn layer and bytes fetched per pan (JSON)."""
        result = measure_home(url.rstrip("/"), lat=lat, lon=lon, zoom=zoom, pans=pans)
        click.echo(json.dumps(result.as_dict()))
