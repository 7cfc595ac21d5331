"""Map pages."""

from __future__ import annotations

from flask import Blueprint

from ..db import get_session
from .render import home_page

bp = Blueprint("maps", __name__)


@bp.get("/")
def home():
    return home_page(get_session())
