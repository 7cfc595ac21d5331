"""No public answer carries contact persons, phone numbers, grid workers, zones or organizations.

Every GET route of the app is walked with the Fuzhou demo loaded, as a visitor and as a member, with
real ids filled into its URL; each body (JSON, HTML, GeoJSON, GPX, vector tiles) is searched byte for
byte for every sensitive value stored in the demo.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from app import create_app
from tests.auth_support import demo_connection, demo_tokens
from tests.routing_support import next_weekday

# Values no public answer may contain, read from the demo itself.
SENSITIVE_SQL = text("""
    SELECT 'contact person' AS kind, contact_person AS value FROM organizations WHERE contact_person <> ''
    UNION SELECT 'contact phone', contact_phone FROM organizations WHERE contact_phone <> ''
    UNION SELECT 'grid worker', grid_worker FROM zones WHERE grid_worker <> ''
    UNION SELECT 'grid worker phone', grid_worker_phone FROM zones WHERE grid_worker_phone <> ''
    UNION SELECT 'zone code', code FROM zones
    UNION SELECT 'organization code', code FROM organizations
    UNION SELECT 'account', username FROM users
""")
SENSITIVE_KEYS = {
    "contact_person",
    "contact_phone",
    "grid_worker",
    "grid_worker_phone",
    "member_counts",
    "member_total",
    "password_hash",
    "token_hash",
}
IDS_SQL = text("""
    SELECT (SELECT min(id) FROM heritage_sites) AS site_id,
           (SELECT code FROM heritage_sites ORDER BY id LIMIT 1) AS site_code,
           (SELECT min(id) FROM pois) AS poi_id,
           (SELECT min(id) FROM service_centres) AS centre_id,
           (SELECT min(id) FROM routes) AS route_id,
           (SELECT code FROM routes ORDER BY id LIMIT 1) AS route_code,
           (SELECT min(id) FROM zones) AS zone_id,
           (SELECT code FROM zones ORDER BY id LIMIT 1) AS zone_code,
           (SELECT min(id) FROM users) AS user_id,
           (SELECT min(id) FROM organizations) AS org_id,
           (SELECT min(id) FROM heritage_sites
            WHERE jsonb_array_length(coalesce(opening_hours -> 'wed', '[]')) > 0) AS open_site
""")
WEDNESDAY_10 = next_weekday(2, 10).isoformat()  # the next Wednesday, when the demo sites open
# Routes that serve files from the checkout (vendored libraries, the pages' own scripts), never rows.
FILE_ROUTES = {"/static/vendor/<package>/<path:path>", "/static/maps/<path:path>"}
ROLES = ("visitor", "member")


def _tile(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def _urls(rule: str, ids: Any, collections: list[str]) -> list[str]:
    """Concrete URLs with real demo ids for one GET rule (several where a rule has several kinds)."""
    z, x, y = _tile(119.30, 26.08, 12)
    per_rule = {
        "/api/v1/sites/<ref>": [f"/api/v1/sites/{ids.site_id}", f"/api/v1/sites/{ids.site_code}"],
        "/api/v1/sites/<ref>/merchants": [f"/api/v1/sites/{ids.site_id}/merchants"],
        "/api/v1/pois/<int:poi_id>": [f"/api/v1/pois/{ids.poi_id}"],
        "/api/v1/centres/<int:centre_id>": [f"/api/v1/centres/{ids.centre_id}"],
        "/api/v1/routes/<ref>": [f"/api/v1/routes/{ids.route_id}", f"/api/v1/routes/{ids.route_code}"],
        "/api/v1/routes/<ref>.geojson": [f"/api/v1/routes/{ids.route_code}.geojson"],
        "/api/v1/routes/<ref>.gpx": [f"/api/v1/routes/{ids.route_code}.gpx"],
        "/api/v1/regions/<adcode>": ["/api/v1/regions/350100", "/api/v1/regions/350102"],
        "/api/v1/regions/<adcode>/outline": ["/api/v1/regions/350102/outline"],
        "/api/v1/export/<name>": [
            f"/api/v1/export/{layer}?format={fmt}"
            for layer in ("sites", "centres", "pois", "routes", "regions", "organizations", "zones")
            for fmt in ("geojson", "csv")
        ],
        "/api/v1/zones/<code>": [f"/api/v1/zones/{ids.zone_code}?sensitive=true"],
        "/api/v1/organizations/<ref>": [f"/api/v1/organizations/{ids.org_id}?sensitive=true"],
        "/api/v1/organizations/<ref>/children": [
            f"/api/v1/organizations/{ids.org_id}/children?sensitive=true"
        ],
        "/api/v1/organizations/<ref>/subtree": [f"/api/v1/organizations/{ids.org_id}/subtree?sensitive=true"],
        "/api/v1/users/<int:user_id>": [f"/api/v1/users/{ids.user_id}"],
        "/api/v1/coverage/<adcode>": ["/api/v1/coverage/350102"],
        "/api/v1/coverage/<adcode>/children": ["/api/v1/coverage/350100/children"],
        "/api/v1/coverage/<adcode>/findings": ["/api/v1/coverage/350102/findings"],
        "/api/v1/coverage/<adcode>/history": ["/api/v1/coverage/350102/history"],
        "/api/v1/coverage/<adcode>/layers/<kind>": ["/api/v1/coverage/350102/layers/all"],
        "/api/v1/coverage/<adcode>/snapshots": ["/api/v1/coverage/350102/snapshots"],
        "/api/v1/coverage/snapshots/<int:snapshot_id>": ["/api/v1/coverage/snapshots/1"],
        "/api/v1/plans/<token>": ["/api/v1/plans/{plan}"],
        "/api/v1/plans/<token>.geojson": ["/api/v1/plans/{plan}.geojson"],
        "/api/v1/plans/<token>.gpx": ["/api/v1/plans/{plan}.gpx"],
        "/collections/<collection_id>": [f"/collections/{c}" for c in collections],
        "/collections/<collection_id>/items": [f"/collections/{c}/items?limit=1000" for c in collections],
        "/collections/<collection_id>/items/<fid>": [
            f"/collections/{c}/items/{{first:{c}}}" for c in collections
        ],
        "/ogc/collections/<collection_id>": [f"/ogc/collections/{c}" for c in collections],
        "/ogc/collections/<collection_id>/items": [f"/ogc/collections/{c}/items" for c in collections],
        "/ogc/collections/<collection_id>/items/<fid>": [
            f"/ogc/collections/{c}/items/{{first:{c}}}" for c in collections
        ],
        "/maps/data/site/<int:site_id>": [f"/maps/data/site/{ids.site_id}"],
        "/routes/<int:route_id>": [f"/routes/{ids.route_id}"],
        "/sites/<int:site_id>": [f"/sites/{ids.site_id}"],
        "/tiles/<layer>/<int:z>/<int:x>/<int:y>.pbf": [
            f"/tiles/{layer}/{z}/{x}/{y}.pbf" for layer in ("regions", "sites", "centres", "zones")
        ],
    }
    box = "bbox=118.9,25.6,119.9,26.4"
    with_box = {
        "/api/v1/sites": [f"/api/v1/sites?{box}&limit=1000", "/api/v1/sites?format=geojson&limit=1000"],
        "/api/v1/pois": [f"/api/v1/pois?{box}&limit=1000"],
        "/api/v1/centres": [f"/api/v1/centres?{box}&limit=1000"],
        "/api/v1/zones": [f"/api/v1/zones?{box}&sensitive=true"],
        "/api/v1/organizations": ["/api/v1/organizations?sensitive=true&limit=1000"],
        "/api/v1/sites/nearby": ["/api/v1/sites/nearby?lon=119.30&lat=26.08&radius_m=50000"],
        "/api/v1/pois/nearby": ["/api/v1/pois/nearby?lon=119.30&lat=26.08&radius_m=5000"],
        "/api/v1/centres/nearest": ["/api/v1/centres/nearest?lon=119.30&lat=26.08"],
        "/maps/data/sites": [f"/maps/data/sites?{box}"],
        "/maps/data/centres": [f"/maps/data/centres?{box}"],
        "/maps/data/pois": [f"/maps/data/pois?{box}"],
        "/maps/data/org-heat": [f"/maps/data/org-heat?{box}"],
        "/maps/data/search": [
            "/maps/data/search?q=林",
            "/maps/data/search?q=党委",
            "/maps/data/search?q=1390000",
        ],
        "/api/v1/audit": ["/api/v1/audit?limit=1000"],
    }
    return per_rule.get(rule) or with_box.get(rule) or [rule]


ASCII_TOKEN = re.compile(r"[A-Za-z0-9_.@-]+")
CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


def _found(body: bytes, needles: dict[str, str]) -> set[str]:
    """Return the needles that occur in body: as whole ASCII tokens, or anywhere inside a run of hanzi."""
    text = body.decode("utf-8", errors="ignore")
    found = {token for token in ASCII_TOKEN.findall(text) if token in needles}
    for run in set(CJK_RUN.findall(text)):
        found |= {run[i : i + n] for n in (2, 3, 4) for i in range(len(run) - n + 1)} & needles.keys()
    return found


def _walk_json(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in SENSITIVE_KEYS and item not in (None, "", {}, []):
                yield f"{path}.{key}"
            yield from _walk_json(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk_json(item, f"{path}[{i}]")


@pytest.fixture(scope="module")
def demo() -> Iterator[Connection]:
    with demo_connection() as conn:
        yield conn


@pytest.fixture(scope="module")
def headers(demo):
    return demo_tokens(demo)


@pytest.fixture(scope="module")
def walk(demo, headers):
    """Every GET route's concrete URLs, and the sensitive values of the demo."""
    app = create_app({"TESTING": True, "DB_CONNECTION": demo, "ADMIN_TOKEN": None})
    client = app.test_client()
    ids = demo.execute(IDS_SQL).one()
    collections = [c["id"] for c in client.get("/collections").get_json()["collections"]]
    first = {}
    for c in collections:
        features = client.get(f"/collections/{c}/items?limit=1").get_json()["features"]
        first[c] = features[0]["id"] if features else 1
    body = {"sites": [ids.open_site], "start": {"lon": 119.30, "lat": 26.08}, "start_at": WEDNESDAY_10}
    plan = client.post("/api/v1/plans", json=body)
    assert plan.status_code == 201, plan.get_data(as_text=True)[:300]
    plan_token = plan.get_json()["token"]
    urls: list[str] = []
    rules = sorted({r.rule for r in app.url_map.iter_rules() if "GET" in r.methods} - FILE_ROUTES)
    for rule in rules:
        for url in _urls(rule, ids, collections):
            url = url.replace("{plan}", plan_token)
            for c, fid in first.items():
                url = url.replace(f"{{first:{c}}}", str(fid))
            urls.append(url)
    sensitive = [(r.kind, r.value) for r in demo.execute(SENSITIVE_SQL)]
    return app, urls, sensitive


def test_the_demo_has_sensitive_values_to_look_for(walk):
    _, urls, sensitive = walk
    kinds = {kind for kind, _ in sensitive}
    assert {"contact person", "contact phone", "grid worker", "grid worker phone", "account"} <= kinds
    assert len(sensitive) > 300 and len(urls) > 60


@pytest.mark.parametrize("role", ROLES)
def test_no_public_answer_leaks_contacts_zones_or_organizations(walk, headers, demo, role):
    app, urls, sensitive = walk
    client = app.test_client()
    me = app.test_client().get("/api/v1/auth/me", headers=headers[role]).get_json()["username"]
    # The caller's own account name in its own answers is not a leak.
    needles = {value: kind for kind, value in sensitive if value != me}
    leaks: list[str] = []
    statuses: dict[str, int] = {}
    for url in urls:
        response = client.get(url, headers=headers[role])
        body = response.get_data()
        response.close()  # ends a streamed answer's request context before the next request
        statuses[url] = response.status_code
        assert response.status_code < 500, f"{url}: {response.status_code}"
        leaks += [f"{url}: {needles[value]} {value}" for value in _found(body, needles)]
        if response.is_json:
            leaks += [f"{url}: key {key}" for key in _walk_json(json.loads(body))]
    assert leaks == [], "\n".join(leaks[:40])
    # The walk really read data: public lists answered, admin data was refused.
    assert statuses["/api/v1/sites?bbox=118.9,25.6,119.9,26.4&limit=1000"] == 200
    assert statuses["/api/v1/export/organizations?format=csv"] in (401, 403)


def test_walked_pages_hold_the_public_data(walk, headers):
    """The walk is not vacuous: public answers carry the demo's site names."""
    app, _, _ = walk
    body = app.test_client().get("/api/v1/sites?bbox=118.9,25.6,119.9,26.4&limit=1000").get_data(as_text=True)
    assert "林则徐" in body or len(json.loads(body).get("features", json.loads(body).get("sites", []))) > 10


def test_the_search_finds_what_an_admin_in_scope_may_see(walk, headers):
    """The same search over an admin's unmasked export finds contacts, so a clean walk means something."""
    app, _, sensitive = walk
    needles = {value: kind for kind, value in sensitive}
    response = app.test_client().get(
        "/api/v1/export/organizations?format=csv&sensitive=true", headers=headers["super_admin"]
    )
    assert response.status_code == 200
    kinds = {needles[value] for value in _found(response.get_data(), needles)}
    assert {"contact person", "contact phone", "organization code"} <= kinds
