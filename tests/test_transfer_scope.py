"""Imports and exports respect the caller's organization scope and are audited as one entry."""

import json

from sqlalchemy import text

from tests.auth_support import headers_by_role, make_accounts
from tests.conftest import DATA

SQUARE_WEST = {
    "type": "Polygon",
    "coordinates": [[[119.0, 26.0], [119.01, 26.0], [119.01, 26.01], [119.0, 26.01], [119.0, 26.0]]],
}
SQUARE_EAST = {
    "type": "Polygon",
    "coordinates": [[[119.03, 26.0], [119.04, 26.0], [119.04, 26.01], [119.03, 26.01], [119.03, 26.0]]],
}


def _zones(*features) -> str:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "geometry": geom, "properties": props} for geom, props in features
            ],
        }
    )


def _count(session, sql: str) -> int:
    return session.execute(text(sql)).scalar_one()


def test_org_admin_imports_inside_scope_and_is_audited(client, session, test_regions):
    headers = headers_by_role(session, make_accounts(session))["org_admin"]
    body = _zones(
        (
            SQUARE_WEST,
            {"code": "990101001001001", "name": "西区网格", "adcode": "990101", "org_code": "T-WEST-B1"},
        )
    )
    response = client.post("/api/v1/import/zones", data=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    entry = session.execute(
        text("SELECT action, object_type, details FROM audit_log ORDER BY id DESC LIMIT 1")
    ).one()
    assert (entry.action, entry.object_type) == ("import", "zones")
    assert entry.details["inserted"] == 1


def test_org_admin_import_outside_scope_is_403_and_writes_nothing(client, session, test_regions):
    headers = headers_by_role(session, make_accounts(session))["org_admin"]
    body = _zones(
        (SQUARE_WEST, {"code": "990101001001001", "name": "西区网格", "adcode": "990101"}),
        (SQUARE_EAST, {"code": "990102001001001", "name": "东区网格", "adcode": "990102"}),
    )
    response = client.post("/api/v1/import/zones", data=body, headers=headers)
    assert response.status_code == 403
    assert [e["row"] for e in response.get_json()["errors"]] == ["feature 1"]
    assert _count(session, "SELECT count(*) FROM zones") == 0
    # Boundaries and curated routes are for super admins only.
    response = client.post(
        "/api/v1/import/regions", data=(DATA / "regions.geojson").read_bytes(), headers=headers
    )
    assert response.status_code == 403


def test_zone_export_shows_an_org_admin_only_its_scope(client, session, test_regions, admin_headers):
    body = _zones(
        (SQUARE_WEST, {"code": "990101001001001", "name": "西区网格", "adcode": "990101"}),
        (SQUARE_EAST, {"code": "990102001001001", "name": "东区网格", "adcode": "990102"}),
    )
    assert client.post("/api/v1/import/zones", data=body, headers=admin_headers).status_code == 200
    headers = headers_by_role(session, make_accounts(session))
    own = client.get("/api/v1/export/zones", headers=headers["org_admin"]).get_json()
    assert [f["properties"]["code"] for f in own["features"]] == ["990101001001001"]
    everything = client.get("/api/v1/export/zones", headers=headers["super_admin"]).get_json()
    assert len(everything["features"]) == 2
    assert client.get("/api/v1/export/zones", headers=headers["member"]).status_code == 403


def test_geometry_limits_apply_to_uploads(client, admin_headers, test_regions, app):
    app.config["GEOMETRY_MAX_VERTICES"] = 4
    body = _zones((SQUARE_WEST, {"code": "990101001001001", "name": "西区网格", "adcode": "990101"}))
    response = client.post("/api/v1/import/zones", data=body, headers=admin_headers)
    assert response.status_code == 422
    assert "at most 4 are accepted" in response.get_json()["errors"][0]["message"]
