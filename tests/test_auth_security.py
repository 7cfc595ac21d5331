"""Security headers with a strict same-origin CSP, request body limits and geometry limits."""

import io
import re

import pytest
from shapely.geometry import LineString, Point, box

from app.auth import check_geometry
from app.auth.security import policy
from app.errors import InvalidBody


def _csp(response) -> dict[str, str]:
    parts = (p.strip().split(" ", 1) for p in response.headers["Content-Security-Policy"].split(";"))
    return {name: (rest[0] if rest else "") for name, *rest in parts}


def test_every_answer_carries_the_security_headers(client):
    for url in ("/login", "/api/v1/auth/me", "/api/v1/regions", "/no-such-page"):
        response = client.get(url)
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert response.headers["X-Frame-Options"] == "DENY", url
        csp = _csp(response)
        assert csp["default-src"] == "'self'", url
        assert csp["frame-ancestors"] == "'none'", url
        assert csp["object-src"] == "'none'", url
        assert "unsafe-inline" not in csp["script-src"], url
        assert "http" not in response.headers["Content-Security-Policy"], url


def test_the_login_page_inline_style_carries_the_header_nonce(client):
    response = client.get("/login")
    nonce = re.search(r"'nonce-([^']+)'", _csp(response)["style-src"]).group(1)
    assert f'<style nonce="{nonce}">' in response.get_data(as_text=True)
    assert (
        client.get("/login").headers["Content-Security-Policy"] != response.headers["Content-Security-Policy"]
    )


def test_map_pages_allow_inline_style_attributes_but_never_inline_script():
    csp = policy("abc", map_page=True)
    assert "style-src 'self' 'unsafe-inline'" in csp
    assert "script-src 'self' 'nonce-abc'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]


def test_authenticated_answers_are_not_cached(client, admin_headers):
    response = client.get("/api/v1/auth/me", headers=admin_headers)
    assert "no-store" in response.headers["Cache-Control"]
    assert "Cache-Control" not in client.get("/api/v1/auth/me").headers


def test_ordinary_bodies_are_limited_to_one_megabyte(client, admin_headers):
    big = b'{"username": "' + b"x" * (1024 * 1024) + b'"}'
    response = client.post("/api/v1/users", data=big, headers=admin_headers, content_type="application/json")
    assert response.status_code == 413
    body = response.get_json()
    assert response.mimetype == "application/problem+json"
    assert body["limit_bytes"] == 1024 * 1024


def test_imports_may_be_larger(client, admin_headers, test_regions):
    big = b'{"type": "FeatureCollection", "features": [], "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = client.post("/api/v1/import/sites", data=big, headers=admin_headers)
    assert response.status_code == 422  # read and rejected for holding no rows, not refused for its size


def test_the_limit_holds_without_a_content_length(client, admin_headers):
    stream = io.BytesIO(b'{"username": "' + b"x" * (2 * 1024 * 1024) + b'"}')
    response = client.post(
        "/api/v1/users",
        input_stream=stream,
        headers={**admin_headers, "Transfer-Encoding": "chunked", "Content-Type": "application/json"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413


class _Unreadable(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        raise AssertionError("the body of a request that sent none was read")


def test_a_request_without_a_body_is_not_read_for_one(client):
    # Gunicorn marks every request's input terminated, bodiless GETs included.
    unreadable = {"wsgi.input": _Unreadable(), "wsgi.input_terminated": True}
    response = client.get("/api/v1/regions", environ_overrides=unreadable)
    assert response.status_code == 200


def test_geometry_limits_name_the_parameter(app):
    with app.app_context():
        assert check_geometry(box(119, 26, 119.1, 26.1)).bounds == (119, 26, 119.1, 26.1)
        wiggly = LineString([(119 + i * 1e-6, 26 + (i % 2) * 1e-6) for i in range(2000)])
        with pytest.raises(InvalidBody) as err:
            check_geometry(wiggly, "zone", max_vertices=1000)
        assert err.value.errors[0]["param"] == "zone" and "2000 vertices" in err.value.message
        with pytest.raises(InvalidBody, match="spans"):
            check_geometry(box(70, 15, 135, 55), "geometry")
        with pytest.raises(InvalidBody, match="empty"):
            check_geometry(Point(), "geometry")


def test_nul_characters_are_a_400_naming_the_parameter(client, admin_headers):
    response = client.get("/api/v1/audit?action=a%00b", headers=admin_headers)
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["param"] == "action"
    response = client.get("/api/v1/regions/35%0001")
    assert response.status_code == 400 and response.get_json()["errors"][0]["param"] == "adcode"
    response = client.post(
        "/api/v1/users",
        data=b'{"username": "a\\u0000b"}',
        headers=admin_headers,
        content_type="application/json",
    )
    assert response.status_code == 400 and response.get_json()["errors"][0]["param"] == "body"


def test_every_json_write_has_its_geometry_limited(app, client, admin_headers):
    app.config["GEOMETRY_MAX_VERTICES"] = 100
    ring = [[119 + i * 1e-5, 26 + (i % 2) * 1e-5] for i in range(150)] + [[119, 26]]
    feature = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": {}}
    response = client.post("/api/v1/zones", json=feature, headers=admin_headers)
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["param"] == "geometry"
    wide = {
        "type": "FeatureCollection",
        "features": [{**feature, "geometry": {"type": "LineString", "coordinates": [[80, 20], [130, 45]]}}],
    }
    response = client.post("/api/v1/sites", json=wide, headers=admin_headers)
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["param"] == "features[0].geometry"
    assert "spans 50.000°" in response.get_json()["detail"]
