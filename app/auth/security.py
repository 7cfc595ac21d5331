"""Response security headers (CSP with a per-request nonce) and request body size limits."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask, Request, Response, current_app, g, request

from ..errors import ApiError, InvalidBody, InvalidParameter
from .identity import current_user
from .limits import check_json_geometries


class PayloadTooLarge(ApiError):
    status, code, title = 413, "payload-too-large", "Payload too large"


def csp_nonce() -> str:
    """Return this request's CSP nonce (Jinja global csp_nonce()); put it on every inline script/style."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def nonce_html(html: str) -> str:
    """Return html with this request's nonce on every <script> and <style> tag.

    Only for markup the application generated itself (folium output): user data inside it must already be
    escaped, as folium's tojson does, or the nonce would bless injected script.
    """
    nonce = csp_nonce()
    return html.replace("<script", f'<script nonce="{nonce}"').replace("<style", f'<style nonce="{nonce}"')


def is_import_request() -> bool:
    """Return True for bulk uploads, which get the larger body limit (MAX_CONTENT_LENGTH)."""
    return "import" in request.path.split("/")


def body_limit() -> int:
    """Return the body size limit in bytes of this request: imports vs everything else."""
    config = current_app.config
    if is_import_request():
        return config["MAX_CONTENT_LENGTH"]
    return min(config["MAX_JSON_BYTES"], config["MAX_CONTENT_LENGTH"] or config["MAX_JSON_BYTES"])


STATIC_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "geolocation=(self), camera=(), microphone=()"),
)


def policy(nonce: str | None, map_page: bool, img_extra: str = "") -> str:
    """Return the Content-Security-Policy: our own origin only, inline code only with the nonce."""
    script = "script-src 'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    # folium writes style="..." attributes, which no nonce can cover; styles cannot run code.
    if map_page:
        style = "style-src 'self' 'unsafe-inline'"
    else:
        style = "style-src 'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    img = " ".join(["img-src 'self' data: blob:", img_extra]).strip()
    return "; ".join(
        [
            "default-src 'self'",
            script,
            style,
            img,
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def has_body(environ: Mapping[str, Any]) -> bool:
    """Return True when the request sends a body: a non-zero Content-Length, or chunked transfer.

    Gunicorn marks every request's input as terminated, so that flag alone does not mean a body.
    """
    length = environ.get("CONTENT_LENGTH")
    return bool(length and length != "0") or "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()


def _limit_body(req: Request, limit: int) -> None:
    size = req.content_length
    if size is None and req.environ.get("wsgi.input_terminated"):
        # A chunked body has no length up front; werkzeug would silently cut it at the limit, so read one
        # byte more (the body stays cached for the view) and refuse it when that byte arrives.
        req.max_content_length = limit + 1
        size = len(req.get_data(cache=True))
    req.max_content_length = limit
    if size is not None and size > limit:
        kind = "an import" if is_import_request() else "a request"
        raise PayloadTooLarge(
            f"the body is larger than {limit} bytes, the most {kind} may send", extra={"limit_bytes": limit}
        )


def _refuse_nul(req: Request) -> None:
    # PostgreSQL text cannot hold U+0000; refuse it here, naming the parameter, instead of failing in SQL.
    environ = req.environ
    raw = environ.get("QUERY_STRING", "")
    if "%00" not in raw and "\x00" not in raw and "\x00" not in environ.get("PATH_INFO", ""):
        return  # nothing in the URL decodes to NUL
    for name, value in [*req.args.items(multi=True), *(req.view_args or {}).items()]:
        if "\x00" in name or (isinstance(value, str) and "\x00" in value):
            raise InvalidParameter(f"{name[:40]!r} contains a NUL character", param=name[:40])


def _refuse_body_nul(req: Request) -> None:
    if req.content_length and req.is_json and b"\\u0000" in req.get_data(cache=True):
        raise InvalidBody("the JSON body contains a NUL character (\\u0000)", param="body")


def _limit_geometries(req: Request, config: Mapping[str, Any]) -> None:
    # Every JSON write is checked here, so no endpoint can forget; file imports are checked per row.
    if req.method in ("POST", "PUT", "PATCH") and req.is_json and not is_import_request():
        document = req.get_json(silent=True)
        if document is not None:
            check_json_geometries(
                document, config["GEOMETRY_MAX_VERTICES"], config["GEOMETRY_MAX_EXTENT_DEG"]
            )


def init_app(app: Flask) -> None:
    """Register the request checks (body size, NUL characters, geometry limits) and the security headers."""

    @app.before_request
    def _check_request() -> None:
        # One hook and one look-up of the request object for the three checks: they run on every request.
        req = request._get_current_object()
        if has_body(req.environ):
            _limit_body(req, body_limit())
            _refuse_body_nul(req)
            _limit_geometries(req, app.config)
        _refuse_nul(req)

    # Most answers (the API) carry no nonce: their headers are built once per kind of page, not per request.
    without_nonce: dict[tuple[bool, str], tuple[tuple[str, str], ...]] = {}

    def defaults(nonce: str | None, map_page: bool, img_extra: str) -> tuple[tuple[str, str], ...]:
        return (("Content-Security-Policy", policy(nonce, map_page, img_extra)), *STATIC_HEADERS)

    @app.after_request
    def _headers(response: Response) -> Response:
        config = app.config
        req = request._get_current_object()
        map_page = req.blueprint in config["CSP_MAP_BLUEPRINTS"]
        headers = response.headers
        nonce = g.get("csp_nonce")
        img_extra = config["CSP_IMG_SRC_EXTRA"]
        if nonce is None:
            key = (map_page, img_extra)
            if key not in without_nonce:
                without_nonce[key] = defaults(None, map_page, img_extra)
            wanted = without_nonce[key]
        else:
            wanted = defaults(nonce, map_page, img_extra)
        # One pass over the names already set (a missing name makes werkzeug's setdefault raise and catch).
        present = {name.lower() for name, _ in headers.items()}
        for name, value in wanted:
            if name.lower() not in present:
                headers.add(name, value)
        if req.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if "hongtu_identity" in g and current_user().authenticated:
            # Answers that depend on who asked must not be kept by shared caches.
            headers.setdefault("Cache-Control", "private, no-store")
            headers.add("Vary", "Authorization")
            headers.add("Vary", "Cookie")
        return response
