"""Nearby merchants of a site (周边推荐), POI lists and nearby search, POI admin writes, service centres."""

from __future__ import annotations

import pytest

from app.coordsys import wgs84_to_gcj02
from tests.guide_support import geodesic_m, guide_fixture  # noqa: F401 - fixture


def merchant_codes(client, site_id: int, query: str = "") -> list[str]:
    response = client.get(f"/api/v1/sites/{site_id}/merchants?{query}")
    assert response.status_code == 200, response.get_json()
    return [item["code"] for item in response.get_json()["items"]]


def test_merchants_within_the_default_kilometre_nearest_first(client, guide):
    # GP-1 ~100 m, GP-2 ~333 m, GP-4 ~554 m, GP-3 ~800 m from G-1; GP-5 is ~2.6 km away.
    assert merchant_codes(client, guide["G-1"]) == ["GP-1", "GP-2", "GP-4", "GP-3"]


def test_merchants_by_category_and_radius(client, guide):
    assert merchant_codes(client, guide["G-1"], "category=food") == ["GP-1", "GP-4"]
    assert merchant_codes(client, guide["G-1"], "category=food,parking") == ["GP-1", "GP-4", "GP-3"]
    assert merchant_codes(client, guide["G-1"], "radius_m=400") == ["GP-1", "GP-2"]
    assert merchant_codes(client, guide["G-1"], "radius_m=5000&category=food") == ["GP-1", "GP-4", "GP-5"]
    assert merchant_codes(client, guide["G-1"], "category=toilet") == []
    assert merchant_codes(client, guide["G-1"], "limit=2") == ["GP-1", "GP-2"]


def test_merchant_distances_match_pyproj(client, guide):
    body = client.get(f"/api/v1/sites/{guide['G-1']}/merchants?radius_m=5000").get_json()
    assert body["site"]["code"] == "G-1" and body["radius_m"] == 5000
    for item in body["items"]:
        expected = geodesic_m(119.005, 26.005, item["lon"], item["lat"])
        assert item["distance_m"] == pytest.approx(expected, rel=0.005)
        assert item["category_label"]


def test_merchants_in_gcj02_and_geojson(client, guide):
    body = client.get("/api/v1/sites/G-1/merchants?coordsys=gcj02&format=geojson&category=food").get_json()
    assert body["type"] == "FeatureCollection" and body["coordsys"] == "gcj02"
    first = body["features"][0]
    assert first["geometry"]["coordinates"] == pytest.approx(list(wgs84_to_gcj02(119.006, 26.005)), abs=1e-7)


@pytest.mark.parametrize(
    ("query", "param", "status"),
    [
        ("category=spa", "category", 400),
        ("radius_m=50001", "radius_m", 400),
        ("radius_m=-5", "radius_m", 400),
        ("limit=0", "limit", 400),
        ("coordsys=mars", "coordsys", 400),
    ],
)
def test_merchants_bad_input(client, guide, query, param, status):
    response = client.get(f"/api/v1/sites/{guide['G-1']}/merchants?{query}")
    assert response.status_code == status
    assert response.get_json()["errors"][0]["param"] == param


def test_merchants_of_an_unknown_site_is_404(client):
    assert client.get("/api/v1/sites/424242/merchants").status_code == 404


def test_poi_list_nearby_and_detail(client, guide):
    body = client.get("/api/v1/pois?category=food&region=990100").get_json()
    assert sorted(i["code"] for i in body["items"]) == ["GP-1", "GP-4", "GP-5"] and body["count"] == 3
    assert [i["code"] for i in client.get("/api/v1/pois?q=古田").get_json()["items"]] == ["GP-1"]
    near = client.get("/api/v1/pois/nearby?lon=119.03&lat=26.01&k=2").get_json()
    assert [i["code"] for i in near["items"]] == ["GP-5", "GP-3"]
    one = client.get(f"/api/v1/pois/{guide['GP-2']}").get_json()
    assert one["name"] == "红军宾馆" and one["category_label"] == "住宿"
    assert client.get("/api/v1/pois/999999").status_code == 404
    assert client.get("/api/v1/pois/nearby?lon=119&lat=95").status_code == 400


def test_poi_admin_writes(client, admin_headers, guide):
    body = {"code": "GP-9", "name": "新停车场", "category": "parking", "lon": 119.0051, "lat": 26.0051}
    assert client.post("/api/v1/pois", json=body).status_code == 401
    created = client.post("/api/v1/pois", json=body, headers=admin_headers)
    assert created.status_code == 201
    poi_id = created.get_json()["id"]
    assert merchant_codes(client, guide["G-1"], "category=parking") == ["GP-9", "GP-3"]
    patched = client.patch(f"/api/v1/pois/{poi_id}", json={"phone": "0591-1234"}, headers=admin_headers)
    assert patched.get_json()["phone"] == "0591-1234" and patched.get_json()["name"] == "新停车场"
    bad = client.patch(f"/api/v1/pois/{poi_id}", json={"category": "spa"}, headers=admin_headers)
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["param"] == "category"
    assert client.delete(f"/api/v1/pois/{poi_id}", headers=admin_headers).status_code == 204
    assert merchant_codes(client, guide["G-1"], "category=parking") == ["GP-3"]


def test_centres_nearest_list_and_detail(client, guide):
    body = client.get("/api/v1/centres/nearest?lon=119.029&lat=26.01").get_json()
    [centre] = body["items"]
    assert centre["code"] == "GC-2" and centre["reach_m"] == 500  # community default
    assert centre["distance_m"] == pytest.approx(geodesic_m(119.029, 26.01, 119.03, 26.01), rel=0.005)
    both = client.get("/api/v1/centres/nearest?lon=119.029&lat=26.01&k=5").get_json()["items"]
    assert [c["code"] for c in both] == ["GC-2", "GC-1"]
    listed = client.get("/api/v1/centres?level=street").get_json()
    assert [c["code"] for c in listed["items"]] == ["GC-1"] and listed["items"][0]["reach_m"] == 1000
    assert client.get(f"/api/v1/centres/{guide['GC-1']}").get_json()["level_label"] == "街道党群服务中心"
    assert client.get("/api/v1/centres/0").status_code == 404
    bad = client.get("/api/v1/centres/nearest?lon=119&lat=26&k=1000")
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["param"] == "k"
    assert client.get("/api/v1/centres?level=palace").status_code == 400
