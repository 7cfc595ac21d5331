"""OGC API - Features: landing, conformance, collections, items paging and filters, single items."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.guide_support import guide_fixture  # noqa: F401 - fixture

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
GEOJSON = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"


def rels(links: list[dict]) -> dict[str, dict]:
    return {link["rel"]: link for link in links}


def test_landing_and_conformance(client):
    landing = client.get("/ogc").get_json()
    found = rels(landing["links"])
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(found)
    assert found["data"]["href"].endswith("/collections")
    assert all({"href", "rel", "type"} <= set(link) for link in landing["links"])
    for url in ("/conformance", "/ogc/conformance"):
        assert {CORE, GEOJSON} <= set(client.get(url).get_json()["conformsTo"])


def test_collections_lists_the_public_layers_only(client, guide):
    body = client.get("/collections").get_json()
    ids = [c["id"] for c in body["collections"]]
    assert ids == ["sites", "centres", "pois", "routes", "regions"]
    sites = body["collections"][0]
    assert sites["itemType"] == "feature"
    assert rels(sites["links"])["items"]["type"] == "application/geo+json"
    assert sites["extent"]["spatial"]["bbox"][0] == pytest.approx([119.005, 26.001, 119.5, 26.5])
    assert client.get("/collections/zones").status_code == 404
    assert client.get("/collections/organizations").status_code == 404
    assert client.get("/collections/sites").get_json()["id"] == "sites"


def test_items_are_geojson_with_counts_and_paging_links(client, guide):
    response = client.get("/collections/sites/items?limit=3")
    assert response.mimetype == "application/geo+json"
    body = response.get_json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == 7 and body["numberReturned"] == 3 == len(body["features"])
    links = rels(body["links"])
    assert {"self", "next", "collection"} <= set(links) and "prev" not in links
    assert links["self"]["type"] == "application/geo+json"
    follow = links["next"]["href"].split("localhost", 1)[1]
    second = client.get(follow).get_json()
    assert second["numberReturned"] == 3 and "prev" in rels(second["links"])
    last = client.get("/collections/sites/items?limit=3&offset=6").get_json()
    assert last["numberReturned"] == 1 and "next" not in rels(last["links"])
    seen = [f["id"] for page in (body, second, last) for f in page["features"]]
    assert len(set(seen)) == 7
    assert "timeStamp" in body


def test_items_bbox_and_property_filters(client, guide):
    body = client.get("/collections/sites/items?bbox=119.0,26.0,119.02,26.02").get_json()
    assert sorted(f["properties"]["code"] for f in body["features"]) == ["G-1", "G-4"]
    assert body["numberMatched"] == 2
    body = client.get("/collections/sites/items?category=memorial_hall").get_json()
    assert [f["properties"]["code"] for f in body["features"]] == ["G-2"]
    body = client.get("/collections/sites/items?tag=党史&level=municipal").get_json()
    assert [f["properties"]["code"] for f in body["features"]] == ["G-6"]
    body = client.get("/collections/pois/items?category=food").get_json()
    assert body["numberMatched"] == 3
    body = client.get("/collections/regions/items?parent_adcode=990100").get_json()
    assert sorted(f["properties"]["adcode"] for f in body["features"]) == ["990101", "990102"]
    assert body["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_routes_are_lines_through_their_stops(client, guide, session):
    session.execute(text("INSERT INTO routes (code, name, theme) VALUES ('R1', '初心之路', '长征')"))
    session.execute(
        text("""INSERT INTO route_stops (route_id, seq, site_id)
                SELECT r.id, s.seq, h.id FROM routes r,
                       (VALUES (1, 'G-1'), (2, 'G-2'), (3, 'G-3')) AS s(seq, code)
                JOIN heritage_sites h ON h.code = s.code WHERE r.code = 'R1'""")
    )
    body = client.get("/collections/routes/items?theme=长征").get_json()
    [route] = body["features"]
    assert route["geometry"]["type"] == "LineString"
    assert route["geometry"]["coordinates"] == [[119.005, 26.005], [119.025, 26.005], [119.035, 26.015]]
    assert route["properties"]["stops"] == ["G-1", "G-2", "G-3"]
    assert client.get(f"/collections/routes/items/{route['id']}").status_code == 200


def test_single_item_and_its_links(client, guide):
    response = client.get(f"/collections/sites/items/{guide['G-1']}")
    assert response.mimetype == "application/geo+json"
    body = response.get_json()
    assert body["type"] == "Feature" and body["id"] == guide["G-1"]
    assert body["geometry"] == {"type": "Point", "coordinates": [119.005, 26.005]}
    assert {"self", "collection"} <= set(rels(body["links"]))
    assert client.get(f"/ogc/collections/sites/items/{guide['G-1']}").status_code == 200


@pytest.mark.parametrize(
    ("url", "status", "param"),
    [
        ("/collections/sites/items?colour=red", 400, "colour"),
        ("/collections/sites/items?bbox=1,2,3", 400, "bbox"),
        ("/collections/sites/items?limit=0", 400, "limit"),
        ("/collections/sites/items?limit=1e3", 400, "limit"),
        ("/collections/sites/items?offset=-3", 400, "offset"),
        ("/collections/sites/items?f=html", 400, "f"),
        ("/collections/sites/items?bbox-crs=EPSG:3857", 400, "bbox-crs"),
        ("/collections/sites/items/abc", 404, "fid"),
        ("/collections/sites/items/99999999", 404, "fid"),
        ("/collections/sites/items/999999999999", 404, "fid"),
    ],
)
def test_items_bad_input(client, guide, url, status, param):
    response = client.get(url)
    assert response.status_code == status
    assert response.get_json()["errors"][0]["param"] == param


def test_a_limit_above_the_maximum_is_served_at_the_maximum(client, guide):
    body = client.get("/collections/sites/items?limit=50000").get_json()
    assert body["numberReturned"] == 7


def test_numbermatched_is_left_out_when_only_an_estimate_is_known(app, client, guide):
    app.config["COUNT_EXACT_MAX"] = 2
    body = client.get("/collections/sites/items?limit=2").get_json()
    assert "numberMatched" not in body and body["numberReturned"] == 2
    assert "next" in rels(body["links"])


def test_items_in_gcj02_match_the_crs84_page_shifted(client, guide):
    from app.coordsys import wgs84_to_gcj02

    plain = client.get("/collections/sites/items?limit=3").get_json()
    shifted = client.get("/collections/sites/items?limit=3&coordsys=gcj02").get_json()
    assert shifted["coordsys"] == "gcj02" and shifted["numberMatched"] == plain["numberMatched"]
    for a, b in zip(plain["features"], shifted["features"], strict=True):
        assert a["properties"] == b["properties"] and a["id"] == b["id"]
        assert b["geometry"]["coordinates"] == pytest.approx(
            list(wgs84_to_gcj02(*a["geometry"]["coordinates"]))
        )
