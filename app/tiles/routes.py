"""Vector tiles at /tiles/<layer>/<z>/<x>/<y>.pbf (Mapbox Vector Tile), with caching headers."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, request

from .. import auth, coordsys
from ..db import get_read_session
from ..errors import InvalidParameter, NotFound
from ..geo import parse_coordsys
from .queries import LAYERS, tile_bytes, tile_centre

bp = Blueprint("tiles", __name__, url_prefix="/tiles")

MVT_TYPE = "application/vnd.mapbox-vector-tile"
MAX_ZOOM = 22


@bp.get("/<layer>/<int:z>/<int:x>/<int:y>.pbf")
def tile(layer: str, z: int, x: int, y: int):
    spec = LAYERS.get(layer)
    if spec is None:
        raise NotFound(f"tile layer {layer!r} does not exist; layers: {', '.join(LAYERS)}")
    if spec.admin_only:
        auth.require_admin()
    if z > MAX_ZOOM:
        raise InvalidParameter(f"z must be at most {MAX_ZOOM}", param="z")
    if not (x < 2**z and y < 2**z):
        raise InvalidParameter(f"x and y must be below 2^z = {2**z}", param="x/y")
    crs = parse_coordsys(request.args)
    shift = (0.0, 0.0)
    if crs != "wgs84":
        # GCJ-02 varies slowly, so one offset at the tile centre is well under a pixel across the tile.
        lon, lat = tile_centre(z, x, y)
        sx, sy = coordsys.convert(lon, lat, "wgs84", crs)
        shift = (float(sx) - lon, float(sy) - lat)
    body = tile_bytes(get_read_session(), spec, z, x, y, shift)
    etag = hashlib.sha1(body).hexdigest()[:20]
    response = Response(body, mimetype=MVT_TYPE)
    response.set_etag(etag)
    response.cache_control.max_age = 300
    if spec.admin_only:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    return response.make_conditional(request)
