"""The import/export HTTP API: admin-only writes, problem-details errors, streamed downloads."""

import json

from sqlalchemy import text

from tests.conftest import DATA


def test_import_needs_a_token(client, test_regions):
    response = client.post("/api/v1/import/sites", data=(DATA / "sites.geojson").read_bytes())
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    response = client.post("/api/v1/import/sites", data=b"{}", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 403


def test_import_and_export_through_http(client, admin_headers, test_regions, session):
    response = client.post(
        "/api/v1/import/sites?coordsys=wgs84",
        data=(DATA / "sites.geojson").read_bytes(),
        headers=admin_headers,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["inserted"] == 3
    assert session.execute(text("SELECT count(*) FROM heritage_sites")).scalar_one() == 3
    exported = client.get("/api/v1/export/sites?format=csv")
    assert exported.status_code == 200
    assert exported.headers["Content-Type"].startswith("text/csv")
    assert exported.get_data(as_text=True).count("\n") == 4


def test_multipart_upload_of_csv(client, admin_headers, test_regions):
    with open(DATA / "sites.csv", "rb") as fh:
        response = client.post(
            "/api/v1/import/sites?format=csv",
            data={"file": (fh, "sites.csv")},
            headers=admin_headers,
            content_type="multipart/form-data",
        )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["inserted"] == 2


def test_rejected_import_lists_every_error_and_writes_nothing(client, admin_headers, test_regions, session):
    response = client.post(
        "/api/v1/import/sites", data=(DATA / "sites_bad.geojson").read_bytes(), headers=admin_headers
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["title"] == "Import rejected"
    assert body["error_count"] == len(body["errors"]) == 4
    assert {e["row"] for e in body["errors"]} == {"feature 1", "feature 2", "feature 3"}
    assert session.execute(text("SELECT count(*) FROM heritage_sites")).scalar_one() == 0


def test_bad_parameters_name_themselves(client, admin_headers):
    cases = [
        ("/api/v1/import/sites?format=xml", "format"),
        ("/api/v1/import/sites?coordsys=mars", "coordsys"),
        ("/api/v1/import/sites?repair=maybe", "repair"),
    ]
    for url, param in cases:
        response = client.post(
            url, data=b'{"type": "FeatureCollection", "features": []}', headers=admin_headers
        )
        assert response.status_code == 400, url
        assert response.get_json()["errors"][0]["param"] == param


def test_unknown_layer_is_404_and_admin_layers_need_a_token(client, admin_headers):
    assert client.get("/api/v1/export/castles").status_code == 404
    assert client.get("/api/v1/export/zones").status_code == 401
    assert client.get("/api/v1/export/zones", headers=admin_headers).status_code == 200
    assert client.get("/api/v1/export/sites?sensitive=true").status_code == 401


def test_empty_body_is_a_clear_400(client, admin_headers):
    response = client.post("/api/v1/import/sites", data=b"", headers=admin_headers)
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["param"] == "file"


def test_oversized_body_is_413(app, client, admin_headers):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/api/v1/import/sites", data=b"x" * 5000, headers=admin_headers)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_gcj02_upload_is_stored_as_wgs84(client, admin_headers, session):
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [116.41024449916938, 39.91640428150164]},
                "properties": {"code": "T-G", "name": "天安门参照点", "category": "monument"},
            }
        ],
    }
    response = client.post("/api/v1/import/sites?coordsys=gcj02", data=json.dumps(doc), headers=admin_headers)
    assert response.status_code == 200
    x, y = session.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM heritage_sites")).one()
    assert abs(x - 116.404) < 1e-7 and abs(y - 39.915) < 1e-7
