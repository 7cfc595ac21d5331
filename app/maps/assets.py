"""Serves the npm-installed front-end libraries and the map pages' own scripts, so no page needs a CDN."""

from __future__ import annotations

import posixpath
from pathlib import Path

from flask import Blueprint, Response, send_from_directory

from ..config import PROJECT_ROOT
from ..errors import NotFound

NODE_MODULES = PROJECT_ROOT / "node_modules"
OWN_STATIC = Path(__file__).parent / "static"

# package -> the folder inside it that may be served; nothing else under node_modules is reachable.
VENDOR_FOLDERS = {
    "leaflet": "dist",
    "leaflet.markercluster": "dist",
    "leaflet.vectorgrid": "dist",
    "leaflet.fullscreen": "dist",
    "bootstrap": "dist",
    "bootstrap-icons": "font",
    "echarts": "dist",
}
ONE_YEAR_S = 365 * 24 * 3600

bp = Blueprint("map_assets", __name__, url_prefix="/static")


def vendor_url(package: str, path: str) -> str:
    """Return the URL under which the app serves node_modules/<package>/<path>."""
    if package not in VENDOR_FOLDERS or not path.startswith(VENDOR_FOLDERS[package] + "/"):
        raise ValueError(f"{package}/{path} is not an allowed vendor asset")
    return f"/static/vendor/{package}/{path}"


def _inside(path: str, folder: str) -> bool:
    # Normalise first: "dist/../package.json" must not pass for a file in dist/.
    clean = posixpath.normpath(path)
    return clean == path and clean.startswith(folder + "/") and ".." not in clean.split("/")


@bp.get("/vendor/<package>/<path:path>")
def vendor(package: str, path: str) -> Response:
    folder = VENDOR_FOLDERS.get(package)
    if folder is None or not _inside(path, folder):
        raise NotFound(f"{package}/{path} is not a served asset")
    root = NODE_MODULES / package
    if not (root / path).is_file():
        raise NotFound(f"{package}/{path} is missing: run `make setup` (npm ci)")
    # Versions are pinned by package-lock.json, so the files can be cached for long.
    return send_from_directory(root, path, max_age=ONE_YEAR_S)


@bp.get("/maps/<path:path>")
def own(path: str) -> Response:
    if not (OWN_STATIC / path).is_file():
        raise NotFound(f"{path} is not a served asset")
    return send_from_directory(OWN_STATIC, path, max_age=300)
