"""The signed session cookie, opened only when a request sends one."""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, without building a signing serializer for requests that bring no
    cookie: the API's callers and the public pages, nearly every request, start with an empty session
    exactly as Flask would give them, at none of the cost."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not request.cookies.get(self.get_cookie_name(app)):
            return None if not app.secret_key else self.session_class()
        return super().open_session(app, request)
