"""HTTP import and export of every layer as GeoJSON or CSV."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from flask import Blueprint, Response, current_app, request, stream_with_context

from ..auth import audit, current_scope, require_admin
from ..db import get_session
from ..errors import InvalidParameter, NotFound
from ..geo import parse_choice, parse_coordsys
from .layers import LAYERS, Layer
from .readers import FORMATS
from .service import ImportScope, export_csv, export_geojson, import_layer
from .validate import GeometryLimits

bp = Blueprint("transfer", __name__, url_prefix="/api/v1")

_MEDIA = {"geojson": "application/geo+json; charset=utf-8", "csv": "text/csv; charset=utf-8"}


def _layer(name: str) -> Layer:
    if name not in LAYERS:
        raise NotFound(f"no layer {name!r}; layers are {', '.join(LAYERS)}")
    return LAYERS[name]


def _flag(name: str) -> bool:
    value = request.args.get(name, "false").lower()
    if value not in ("true", "false", "1", "0"):
        raise InvalidParameter(f"{name} must be true or false", param=name)
    return value in ("true", "1")


def _import_scope() -> ImportScope | None:
    """None for a super admin; otherwise the organization and region ids the caller administers."""
    scope = current_scope()
    return None if scope.all else ImportScope(sorted(scope.org_ids), sorted(scope.region_ids))


def _limits(layer: Layer) -> GeometryLimits | None:
    # Administrative boundaries are exempt: a province legitimately spans tens of degrees.
    if layer.name == "regions":
        return None
    config = current_app.config
    return GeometryLimits(config["GEOMETRY_MAX_VERTICES"], config["GEOMETRY_MAX_EXTENT_DEG"])


def _own_session_stream(writer: Callable[..., Iterator[str]], *args, **kwargs) -> Iterator[str]:
    """Run writer on a session of its own: the body streams after the request's session is closed."""
    factory = current_app.extensions["hongtu_sessionmaker"]
    with factory() as session:
        yield from writer(session, *args, **kwargs)


@bp.post("/import/<name>")
def import_file(name: str):
    require_admin()
    layer = _layer(name)
    fmt = parse_choice(request.args, "format", FORMATS, default="geojson")
    src = parse_coordsys(request.args)
    upload = request.files.get("file")
    data = upload.read() if upload else request.get_data()
    if not data:
        raise InvalidParameter("send the file as the request body or as multipart field 'file'", param="file")
    session = get_session()
    result = import_layer(
        session, layer, data, fmt, src, _flag("repair"), scope=_import_scope(), limits=_limits(layer)
    )
    audit(session, "import", layer.name, None, details=result.as_dict())
    session.commit()
    return result.as_dict(), 200


@bp.get("/export/<name>")
def export_file(name: str):
    layer = _layer(name)
    if not layer.public:
        require_admin()
    fmt = parse_choice(request.args, "format", FORMATS, default="geojson")
    dst = parse_coordsys(request.args)
    sensitive = _flag("sensitive")
    if sensitive:
        require_admin()
    writer = export_geojson if fmt == "geojson" else export_csv
    scope = None if layer.public else current_scope().params()
    body = _own_session_stream(writer, layer, dst, include_sensitive=sensitive, scope=scope)
    filename = f"hongtu-{layer.name}-{dst}.{fmt}"
    return Response(
        stream_with_context(body),
        mimetype=_MEDIA[fmt].split(";")[0],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Type": _MEDIA[fmt],
            "X-Coordsys": dst,
        },
    )
