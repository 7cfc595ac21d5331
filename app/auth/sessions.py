"""The signed session cookie, opened and saved only when a request has one to open or to save."""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, without building a signing serializer for requests that bring no
    cookie: the API's callers and the public pages, nearly every request, start with an empty session
    exactly as Flask would give them, at none of the cost. Saving a session nobody touched does
    nothing either, as Flask's would, without first reading the seven cookie settings."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not request.cookies.get(self.get_cookie_name(app)):
            return None if not app.secret_key else self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified and not session.accessed:
            return  # no cookie to set or clear, and no Vary: Cookie to add
        super().save_session(app, session, response)
