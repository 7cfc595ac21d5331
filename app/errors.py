"""The ApiError family and the one handler that answers every error as RFC 9457 problem details."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class ApiError(Exception):
    """An error a client can act on; subclasses fix the status and the problem code."""

    status, code, title = 500, "internal-error", "Internal error"

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        errors: list[dict] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = (
            errors if errors is not None else ([{"param": param, "message": message}] if param else [])
        )
        self.extra = extra or {}


class InvalidParameter(ApiError):
    status, code, title = 400, "invalid-parameter", "Invalid parameter"


class InvalidBody(ApiError):
    status, code, title = 400, "invalid-body", "Invalid request body"


class Unauthorized(ApiError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(ApiError):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(ApiError):
    status, code, title = 404, "not-found", "Not found"


class Conflict(ApiError):
    status, code, title = 409, "conflict", "Conflict"


class ImportRejected(ApiError):
    status, code, title = 422, "import-rejected", "Import rejected"


def problem(status: int, code: str, title: str, detail: str, errors: list[dict] | None = None, **extra: Any):
    """Return a Flask response carrying one problem-details document."""
    body: dict[str, Any] = {
        "type": current_app.config["PROBLEM_TYPE_BASE"] + code,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    return response


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-").replace("'", "")


def init_app(app: Flask) -> None:
    """Register the handlers that turn ApiError, HTTPException and anything else into problem details."""

    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        return problem(err.status, err.code, err.title, err.message, err.errors, **err.extra)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        status = err.code or 500
        detail = err.description or err.name
        response = problem(status, _slug(err.name), err.name, detail)
        if status == 405 and getattr(err, "valid_methods", None):
            response.headers["Allow"] = ", ".join(err.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        log.exception("unhandled error")
        return problem(500, "internal-error", "Internal error", "The server could not complete the request.")
