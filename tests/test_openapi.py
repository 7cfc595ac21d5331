"""The OpenAPI document covers every route of the app, and the docs page is rendered from it."""

from __future__ import annotations

from app.openapi.spec import openapi_path


def test_spec_is_openapi_3_with_the_guide_operations(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.0")
    nearby = spec["paths"]["/api/v1/sites/nearby"]["get"]
    names = {p["name"] for p in nearby["parameters"]}
    assert {"lon", "lat", "k", "radius_m", "coordsys", "category", "region", "q", "open_at", "bbox"} <= names
    coordsys = next(p for p in nearby["parameters"] if p["name"] == "coordsys")
    assert coordsys["schema"]["enum"] == ["wgs84", "gcj02", "bd09"]
    assert spec["paths"]["/api/v1/sites"]["post"]["security"] == [{"bearerAuth": []}]
    assert "/collections/{collection_id}/items" in spec["paths"]


def test_spec_covers_every_route_and_method(app, client):
    spec = client.get("/openapi.json").get_json()
    shapes = {}
    for path, ops in spec["paths"].items():
        shapes.setdefault(_shape(path), set()).update(ops)
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith("/ogc/"):
            continue
        methods = {m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}}
        if not methods <= shapes.get(_shape(openapi_path(rule.rule)), set()):
            missing.append(rule.rule)
    assert missing == []


def test_every_operation_has_a_summary_and_responses(client):
    spec = client.get("/openapi.json").get_json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op["summary"], (path, method)
            assert op["responses"], (path, method)
            declared = {p["name"] for p in op["parameters"] if p["in"] == "path"}
            assert declared == set(_placeholders(path)), (path, method)


def test_docs_page_is_local_html_listing_the_endpoints(client):
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "/api/v1/sites/nearby" in page and "/collections/{collection_id}/items" in page
    assert "https://" not in page.replace("https://hongtu.example", "")  # nothing from a CDN


def _shape(path: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", "{}", path)


def _placeholders(path: str) -> list[str]:
    import re

    return re.findall(r"\{([^}]+)\}", path)
