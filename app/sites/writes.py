"""Admin writes of single point records (sites, POIs) with the same validation and upsert as imports."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import Conflict, ImportRejected, InvalidBody, NotFound
from ..transfer.layers import Layer
from ..transfer.service import import_layer
from .output import convert_geometries

log = logging.getLogger(__name__)

# Layer fields the API reads back for a PATCH; references are written as the codes the importer takes.
_REF_SELECT = {"adcode": "(SELECT g.adcode FROM regions g WHERE g.id = t.region_id)"}


def body_to_feature(body: Any) -> dict[str, Any]:
    """Return a request body as a GeoJSON Feature: a Feature as is, or flat properties with lon and lat."""
    if not isinstance(body, dict):
        raise InvalidBody("the body must be a JSON object: a GeoJSON Feature or fields with lon and lat")
    if body.get("type") == "Feature":
        props = body.get("properties")
        if props is not None and not isinstance(props, dict):
            raise InvalidBody("properties must be an object", param="properties")
        return {"type": "Feature", "geometry": body.get("geometry"), "properties": dict(props or {})}
    props = {k: v for k, v in body.items() if k not in ("lon", "lat")}
    geometry = None
    if "lon" in body or "lat" in body:
        geometry = {"type": "Point", "coordinates": [body.get("lon"), body.get("lat")]}
    return {"type": "Feature", "geometry": geometry, "properties": props}


def current_feature(session: Session, layer: Layer, row_id: int) -> dict[str, Any]:
    """Return the stored record row_id of layer as an import-ready GeoJSON Feature (EPSG:4326)."""
    select = ", ".join(f"{_REF_SELECT[f.name] if f.ref else 't.' + f.name} AS {f.name}" for f in layer.fields)
    sql = f"SELECT {select}, ST_AsGeoJSON(t.geom, 9)::json AS geometry FROM {layer.table} t WHERE t.id = :id"
    row = session.execute(text(sql), {"id": row_id}).mappings().first()
    if row is None:
        raise NotFound(f"{layer.name} {row_id} does not exist", param="id")
    props = {f.name: row[f.name] for f in layer.fields if row[f.name] is not None}
    return {"type": "Feature", "geometry": row["geometry"], "properties": props}


def _find_id(session: Session, layer: Layer, code: str) -> int | None:
    return session.execute(text(f"SELECT id FROM {layer.table} WHERE code = :code"), {"code": code}).scalar()


def save_feature(
    session: Session, layer: Layer, feature: dict[str, Any], coordsys: str, *, row_id: int | None = None
) -> int:
    """Write one Feature into layer, creating it (row_id None) or replacing row_id; return its id.

    Geometry is read in coordsys and stored in WGS84; bad fields give 400 with one error per field.
    """
    code = feature["properties"].get("code")
    if not isinstance(code, str) or not code.strip():
        raise InvalidBody("code is required", param="code")
    existing = _find_id(session, layer, code.strip())
    if row_id is None and existing is not None:
        raise Conflict(f"{layer.name} with code {code} already exists (id {existing})", param="code")
    if row_id is not None and existing not in (None, row_id):
        raise Conflict(f"another {layer.name} already has code {code}", param="code")
    if row_id is not None and existing is None:
        # A new code for an existing row: rename first so that the upsert by code updates this row.
        session.execute(
            text(f"UPDATE {layer.table} SET code = :code WHERE id = :id"), {"code": code, "id": row_id}
        )
    data = json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False).encode()
    try:
        import_layer(session, layer, data, "geojson", coordsys)
    except ImportRejected as err:
        errors = [{"param": e.get("field") or "body", "message": e["message"]} for e in err.errors]
        raise InvalidBody(
            f"the {layer.name} was not saved: {len(errors)} problem(s)", errors=errors
        ) from None
    new_id = _find_id(session, layer, code.strip())
    assert new_id is not None
    return new_id


def delete_row(session: Session, layer: Layer, row_id: int) -> None:
    """Delete row_id of layer; NotFound if absent, Conflict if a route still visits it."""
    try:
        with session.begin_nested():
            deleted = session.execute(
                text(f"DELETE FROM {layer.table} WHERE id = :id RETURNING id"), {"id": row_id}
            ).scalar()
    except IntegrityError:
        raise Conflict(
            f"{layer.name} {row_id} is still used (by a route stop); remove it there first"
        ) from None
    if deleted is None:
        raise NotFound(f"{layer.name} {row_id} does not exist", param="id")


def merged_feature(
    session: Session, layer: Layer, row_id: int, patch: dict[str, Any], coordsys: str
) -> dict[str, Any]:
    """Return the stored record row_id with the patch Feature's geometry and properties laid over it.

    The result is in coordsys, ready for save_feature; a moved point loses its stored adcode so that
    the importer places it in its region again.
    """
    feature = current_feature(session, layer, row_id)
    if patch["geometry"] is not None:
        feature["geometry"] = patch["geometry"]
        if "adcode" not in patch["properties"]:
            feature["properties"].pop("adcode", None)
    elif coordsys != "wgs84":
        [feature["geometry"]] = convert_geometries([feature["geometry"]], coordsys)
    feature["properties"].update(patch["properties"])
    return feature
