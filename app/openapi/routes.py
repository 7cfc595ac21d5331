"""Serves the OpenAPI document at /openapi.json and a readable API page at /api/docs (no CDN)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template

from .spec import build_spec

bp = Blueprint("openapi", __name__, template_folder="templates")


@bp.get("/openapi.json")
def spec():
    """The OpenAPI 3.0 document of the whole API."""
    response = jsonify(build_spec(current_app))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/api/docs")
def docs():
    """The API reference page, rendered from the OpenAPI document."""
    return render_template("openapi/api.html", spec=build_spec(current_app))
