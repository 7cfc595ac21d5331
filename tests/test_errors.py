"""Every error is RFC 9457 problem details: no HTML pages, no stack traces."""

from flask import Blueprint


def test_unknown_path_is_problem_json(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 404 and body["title"] == "Not Found"
    assert body["type"].endswith("/not-found")


def test_wrong_method_is_405_with_allow(client):
    response = client.delete("/api/v1/export/sites")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert response.mimetype == "application/problem+json"


def test_unexpected_errors_hide_their_details(connection):
    from app import create_app

    app = create_app({"TESTING": False, "DB_CONNECTION": connection})
    boom = Blueprint("boom", __name__)

    @boom.get("/boom")
    def explode():
        raise RuntimeError("secret table name and password")

    app.register_blueprint(boom)
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert b"secret" not in response.data
    assert response.get_json()["detail"] == "The server could not complete the request."


def test_health_reports_postgis(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["postgis"].startswith("3.")
