"""Admin create, replace, patch and delete routes for a point layer, added to that layer's blueprint."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, request

from ..auth import require_admin
from ..db import get_session
from ..geo import parse_coordsys
from ..transfer.layers import get_layer
from .params import json_body
from .writes import body_to_feature, delete_row, get_row_or_404, merged_feature, save_feature

# show(row_id, coordsys) returns the saved record as the JSON its detail endpoint gives.
Show = Callable[[int, str], Response]


def add_admin_writes(bp: Blueprint, layer_name: str, show: Show, location: Callable[[int], str]) -> None:
    """Add POST "", PUT/PATCH/DELETE "/<int:row_id>" to bp for layer_name, each behind require_admin."""
    layer = get_layer(layer_name)

    def saved(row_id: int, status: int) -> Response:
        get_session().commit()
        response = show(row_id, parse_coordsys(request.args))
        response.status_code = status
        response.headers["Location"] = location(row_id)
        return response

    def create() -> Response:
        require_admin()
        src = parse_coordsys(request.args)
        return saved(save_feature(get_session(), layer, body_to_feature(json_body()), src), 201)

    def replace(row_id: int) -> Response:
        require_admin()
        src = parse_coordsys(request.args)
        get_row_or_404(get_session(), layer, row_id)
        save_feature(get_session(), layer, body_to_feature(json_body()), src, row_id=row_id)
        return saved(row_id, 200)

    def update(row_id: int) -> Response:
        require_admin()
        src = parse_coordsys(request.args)
        feature = merged_feature(get_session(), layer, row_id, body_to_feature(json_body()), src)
        save_feature(get_session(), layer, feature, src, row_id=row_id)
        return saved(row_id, 200)

    def delete(row_id: int) -> tuple[str, int]:
        require_admin()
        delete_row(get_session(), layer, row_id)
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
