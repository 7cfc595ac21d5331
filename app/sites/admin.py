"""Admin create, replace, patch and delete routes for a point layer, added to that layer's blueprint."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, request
from sqlalchemy import text

from ..auth import audit, current_scope, deny_write, require_admin
from ..db import get_session
from ..geo import parse_coordsys
from ..transfer.layers import Layer, get_layer
from .params import json_body
from .writes import body_to_feature, current_feature, delete_row, merged_feature, save_feature

# show(row_id, coordsys) returns the saved record as the JSON its detail endpoint gives.
Show = Callable[[int, str], Response]


def _region_id(layer: Layer, row_id: int) -> int | None:
    sql = text(f"SELECT region_id FROM {layer.table} WHERE id = :id")
    return get_session().execute(sql, {"id": row_id}).scalar()


def _check_scope(layer: Layer, row_id: int) -> None:
    """Refuse (403) a write to a row outside the regions the caller administers."""
    if not current_scope().has_region(_region_id(layer, row_id)):
        raise deny_write(f"{layer.name} {row_id}")


def add_admin_writes(bp: Blueprint, layer_name: str, show: Show, location: Callable[[int], str]) -> None:
    """Add POST "", PUT/PATCH/DELETE "/<int:row_id>" to bp for layer_name, each behind require_admin.

    An organization admin may only write rows in its region subtree, before and after the change;
    every write leaves an audit entry in the same transaction.
    """
    layer = get_layer(layer_name)

    def saved(row_id: int, status: int, action: str, before: dict | None) -> Response:
        _check_scope(layer, row_id)
        session = get_session()
        audit(session, action, layer_name, row_id, before, current_feature(session, layer, row_id))
        session.commit()
        response = show(row_id, parse_coordsys(request.args))
        response.status_code = status
        response.headers["Location"] = location(row_id)
        return response

    def stored(row_id: int) -> dict:
        before = current_feature(get_session(), layer, row_id)
        _check_scope(layer, row_id)
        return before

    def create() -> Response:
        require_admin()
        src = parse_coordsys(request.args)
        row_id = save_feature(get_session(), layer, body_to_feature(json_body()), src)
        return saved(row_id, 201, "create", None)

    def replace(row_id: int) -> Response:
        require_admin()
        src = parse_coordsys(request.args)
        before = stored(row_id)
        save_feature(get_session(), layer, body_to_feature(json_body()), src, row_id=row_id)
        return saved(row_id, 200, "replace", before)

    def update(row_id: int) -> Response:
        require_admin()
        src = parse_coordsys(request.args)
        before = stored(row_id)
        feature = merged_feature(get_session(), layer, row_id, body_to_feature(json_body()), src)
        save_feature(get_session(), layer, feature, src, row_id=row_id)
        return saved(row_id, 200, "update", before)

    def delete(row_id: int) -> tuple[str, int]:
        require_admin()
        before = stored(row_id)
        delete_row(get_session(), layer, row_id)
        audit(get_session(), "delete", layer_name, row_id, before, None)
        get_session().commit()
        return "", 204

    create.__doc__ = f"Create one of {layer_name} from a GeoJSON Feature or fields with lon/lat (admin)."
    replace.__doc__ = f"Replace every field of one of {layer_name} (admin)."
    update.__doc__ = (
        f"Change some fields of one of {layer_name}; a moved point is placed in its region again."
    )
    delete.__doc__ = f"Delete one of {layer_name} (admin); 409 while something still refers to it."
    bp.add_url_rule("", "create", create, methods=["POST"])
    bp.add_url_rule("/<int:row_id>", "replace", replace, methods=["PUT"])
    bp.add_url_rule("/<int:row_id>", "update", update, methods=["PATCH"])
    bp.add_url_rule("/<int:row_id>", "delete", delete, methods=["DELETE"])
