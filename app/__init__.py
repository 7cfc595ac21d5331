"""Hongtu (红图): the Flask application factory."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from flask import Flask, Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.middleware.proxy_fix import ProxyFix

from . import db, errors, jsonio
from .config import Config

# Each domain package exposes a blueprint `bp` in its routes module; new domains add one line here.
BLUEPRINTS = (
    "app.health",
    "app.transfer.routes",
    "app.regions.routes",
    "app.maps.routes",
    "app.routing.routes",
    "app.tiles.routes",
    "app.sites.routes",
    "app.pois.routes",
    "app.centres.routes",
    "app.ogc.routes",
    "app.openapi.routes",
    "app.coverage.routes",
    "app.zones.routes",
    "app.organizations.routes",
)


class QueryArgs(ImmutableMultiDict):
    """Query parameters whose get() answers an absent name without raising and catching a KeyError.

    Every search asks for a dozen optional parameters a request rarely sends; werkzeug's get() builds a
    BadRequestKeyError for each, a measurable share of a nearby search.
    """

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        if key not in self:
            return default
        return super().get(key, default, type)


class HongtuRequest(Request):
    parameter_storage_class = QueryArgs


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Return a configured Hongtu app; overrides replace config values (tests pass DB_CONNECTION)."""
    app = Flask(__name__, static_folder=None)
    app.request_class = HongtuRequest
    app.config.from_object(Config())
    app.config.update(overrides or {})
    jsonio.init_app(app)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    db.init_app(app)
    errors.init_app(app)
    importlib.import_module("app.auth").init_app(app)  # accounts, security headers, body limits
    for module in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(module).bp)
    from .cli import register_commands

    register_commands(app)
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app
