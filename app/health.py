"""Liveness and readiness: the app answers and its PostGIS is reachable."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .db import get_session

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        postgis = get_session().execute(text("SELECT postgis_lib_version()")).scalar_one()
    except SQLAlchemyError:
        return {"status": "unavailable", "database": False}, 503
    return {"status": "ok", "database": True, "postgis": postgis}
