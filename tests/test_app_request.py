"""The app's request class: query parameters read the way werkzeug's do, without raising for absent names."""

from __future__ import annotations

from app import QueryArgs


def test_query_args_answer_like_werkzeugs():
    args = QueryArgs([("k", "10"), ("category", "museum"), ("category", "monument"), ("bad", "x")])
    assert args.get("k") == "10"
    assert args.get("k", type=int) == 10
    assert args.get("absent") is None and args.get("absent", "d") == "d"
    assert args.get("bad", -1, type=int) == -1
    assert args.getlist("category") == ["museum", "monument"]


def test_requests_use_them(app):
    with app.test_request_context("/api/v1/sites/nearby?lon=1&lon=2"):
        from flask import request

        assert isinstance(request.args, QueryArgs)
        assert request.args.getlist("lon") == ["1", "2"] and request.args.get("lat") is None


def test_a_request_without_a_session_cookie_builds_no_signing_serializer(app, client, monkeypatch):
    built = []
    interface = app.session_interface
    original = interface.get_signing_serializer
    monkeypatch.setattr(interface, "get_signing_serializer", lambda a: built.append(1) or original(a))
    response = client.get("/api/v1/sites/nearby?lon=119.3&lat=26.08&k=1")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert built == []
    # A request that brings the cookie still has it read and checked.
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], "not-a-signed-value")
    assert client.get("/api/v1/sites/nearby?lon=119.3&lat=26.08&k=1").status_code == 200
    assert built == [1]
