"""JSON in and out with orjson, keeping what Flask's own JSON writes for every type it knows.

Encoding a page of results with the standard library took a tenth of an API answer's CPU time; orjson
does it several times faster. Dates and datetimes are still written as Flask writes them (HTTP dates),
and decimals, UUIDs and dataclasses too, because those types go to Flask's own `default`. NaN and
infinities become null (the standard library wrote tokens JSON does not have). Debug mode keeps
Flask's indented output.
"""

from __future__ import annotations

from typing import Any

import orjson
import psycopg2.extras
from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS


def dumps_bytes(obj: Any) -> bytes:
    """Return obj as compact UTF-8 JSON, types beyond JSON's written as Flask writes them."""
    return orjson.dumps(obj, default=DefaultJSONProvider.default, option=_OPTIONS)


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider with orjson underneath (compact, UTF-8, keys in the order given)."""

    ensure_ascii = False
    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs:  # a caller asking for the standard library's options (indent, ...) gets them
            return super().dumps(obj, **kwargs)
        return dumps_bytes(obj).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return super().loads(s, **kwargs) if kwargs else orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if self._app.debug:
            return super().response(*args, **kwargs)
        body = dumps_bytes(self._prepare_response_obj(args, kwargs))
        return self._app.response_class(body, mimetype=self.mimetype)


def init_app(app: Flask) -> None:
    """Use orjson for the app's JSON answers and for the json/jsonb columns psycopg2 reads."""
    app.json = OrjsonProvider(app)
    psycopg2.extras.register_default_json(globally=True, loads=orjson.loads)
    psycopg2.extras.register_default_jsonb(globally=True, loads=orjson.loads)
