"""Imports a whole file in one transaction (all rows or none) and exports a layer as GeoJSON or CSV."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from shapely.geometry import shape
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from .. import coordsys
from ..errors import Forbidden, ImportRejected
from . import queries
from .layers import Layer
from .readers import read_rows
from .validate import GeometryLimits, check_rows

log = logging.getLogger(__name__)

MAX_ERRORS_LISTED = 200


@dataclass(frozen=True)
class ImportScope:
    """The organization and region ids an organization admin's import may touch."""

    org_ids: list[int]
    region_ids: list[int]


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote: row counts, and the geometries repaired (with areas in m²)."""

    layer: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    repaired: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _rejected(layer: Layer, errors: list[dict[str, Any]]) -> ImportRejected:
    shown = errors[:MAX_ERRORS_LISTED]
    more = f" (first {MAX_ERRORS_LISTED} listed)" if len(errors) > MAX_ERRORS_LISTED else ""
    return ImportRejected(
        f"{layer.name}: {len(errors)} problem(s) found, nothing was imported{more}",
        errors=shown,
        extra={"error_count": len(errors)},
    )


def import_layer(
    session: Session,
    layer: Layer,
    data: bytes,
    fmt: str,
    src_coordsys: str = "wgs84",
    repair: bool = False,
    *,
    scope: ImportScope | None = None,
    limits: GeometryLimits | None = None,
) -> ImportResult:
    """Validate and upsert every row of data into layer in one savepoint; ImportRejected on any error,
    Forbidden when scope is given and a row lies outside it."""
    checked = check_rows(layer, read_rows(data, fmt, layer.geometry), src_coordsys, limits)
    if checked.errors:
        raise _rejected(layer, checked.errors)
    if not checked.rows:
        raise _rejected(layer, [{"row": None, "field": None, "message": "the file holds no rows"}])
    try:
        with session.begin_nested():
            result = _write(session, layer, checked.rows, repair, scope)
    except DBAPIError as err:
        # A constraint the checks above did not foresee: report the database's own words, not its SQL.
        diag = getattr(err.orig, "diag", None)
        message = getattr(diag, "message_primary", None) or "the database refused the rows"
        log.warning("import of %s refused by the database: %s", layer.name, err.orig)
        raise _rejected(layer, [{"row": None, "field": None, "message": message}]) from None
    log.info("imported %s: %s", layer.name, result)
    return result


def _write(
    session: Session, layer: Layer, rows: list[dict[str, Any]], repair: bool, scope: ImportScope | None
) -> ImportResult:
    queries.stage(session, layer, rows)
    repaired: list[dict[str, Any]] = []
    if layer.geometry == "polygon":
        if repair:
            repaired = queries.repair_geometries(session)
        else:
            errors = queries.invalid_geometries(session)
            if errors:
                raise _rejected(layer, errors)
    errors = queries.resolve_and_check(session, layer)
    if errors:
        raise _rejected(layer, errors)
    if scope is not None:
        outside = queries.out_of_scope(session, layer, scope.org_ids, scope.region_ids)
        if outside:
            log.warning("out-of-scope import of %s: %d row(s)", layer.name, len(outside))
            raise Forbidden(
                f"{layer.name}: {len(outside)} row(s) lie outside the organization you administer; "
                "nothing was imported",
                errors=[
                    {"row": where, "message": "outside your scope"} for where in outside[:MAX_ERRORS_LISTED]
                ],
            )
    inserted, updated, unchanged = queries.upsert(session, layer)
    errors = queries.after_upsert(session, layer)
    if errors:
        raise _rejected(layer, errors)
    return ImportResult(layer.name, len(rows), inserted, updated, unchanged, repaired)


SENSITIVE_MASK = "***"


def _mask(value: Any) -> Any:
    """Return value with all but its first character (names) or its last four digits (phones) hidden."""
    if not value:
        return value
    text = str(value)
    if any(ch.isdigit() for ch in text) and len(text) > 4:
        return "*" * (len(text) - 4) + text[-4:]
    return text[0] + "*" * max(len(text) - 1, 1)


def _export_features(
    session: Session, layer: Layer, dst: str, include_sensitive: bool, scope: dict[str, Any] | None
) -> Iterator[dict]:
    sensitive = {f.name for f in layer.fields if f.sensitive}
    for row in queries.export_rows(session, layer, scope):
        props = {f.name: row[f.name] for f in layer.fields}
        if not include_sensitive:
            for name in sensitive:
                props[name] = _mask(props[name])
        geometry = row["geometry"]
        if geometry is not None and dst != "wgs84":
            geometry = coordsys.convert_geometry(shape(geometry), "wgs84", dst).__geo_interface__
        yield {"type": "Feature", "id": row["id"], "geometry": geometry, "properties": props}


def export_geojson(
    session: Session,
    layer: Layer,
    dst: str = "wgs84",
    include_sensitive: bool = False,
    scope: dict[str, Any] | None = None,
) -> Iterator[str]:
    """Yield the layer as a GeoJSON FeatureCollection in chunks, coordinates in dst."""
    yield (
        json.dumps({"type": "FeatureCollection", "name": layer.name, "coordsys": dst})[:-1]
        + ', "features": ['
    )
    for i, feature in enumerate(_export_features(session, layer, dst, include_sensitive, scope)):
        yield ("," if i else "") + "\n" + json.dumps(feature, ensure_ascii=False, default=str)
    yield "\n]}\n"


def _csv_value(value: Any) -> Any:
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def export_csv(
    session: Session,
    layer: Layer,
    dst: str = "wgs84",
    include_sensitive: bool = False,
    scope: dict[str, Any] | None = None,
) -> Iterator[str]:
    """Yield the layer as CSV: lon/lat columns for points, a wkt column for polygons, lists joined by |."""
    geo_cols = {"point": ["lon", "lat"], "polygon": ["wkt"]}.get(layer.geometry or "", [])
    header = [f.name for f in layer.fields] + geo_cols
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for feature in _export_features(session, layer, dst, include_sensitive, scope):
        values = [_csv_value(feature["properties"][f.name]) for f in layer.fields]
        geometry = feature["geometry"]
        if layer.geometry == "point":
            values += [f"{geometry['coordinates'][0]:.7f}", f"{geometry['coordinates'][1]:.7f}"]
        elif layer.geometry == "polygon":
            values.append(shape(geometry).wkt)
        writer.writerow(values)
        if buffer.tell() > 65536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
