"""The coverage API over HTTP: reports, snapshots, history, layers, the ledger and every bad parameter."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import text

from tests.conftest import load


@pytest.fixture
def grid(session, test_regions):
    load(session, "organizations", "coverage_orgs.geojson")
    load(session, "zones", "coverage_zones.geojson")
    load(session, "centres", "coverage_centres.geojson")


def _errors(response):
    return {e.get("param") for e in response.get_json().get("errors", [])}


def test_coverage_needs_an_admin(client, grid):
    assert client.get("/api/v1/coverage/990100").status_code == 401
    bad = client.get("/api/v1/coverage/990100", headers={"Authorization": "Bearer wrong"})
    assert bad.status_code in (401, 403)


def test_report(client, admin_headers, grid):
    body = client.get("/api/v1/coverage/990100", headers=admin_headers).get_json()
    assert body["region"] == {"adcode": "990100", "name": "测试市", "level": "city"}
    assert body["counts"]["blind"] == 1 and body["counts"]["overlap"] == 2
    assert 0.85 < body["figures"]["covered_ratio"] < 0.9
    assert [c["adcode"] for c in body["children"]] == ["990101", "990102"]
    blind = next(f for f in body["findings"] if f["kind"] == "blind")
    assert blind["kind_label"] == "党建盲区"
    assert blind["region"]["adcode"] == "990101"
    assert blind["suggested_orgs"][0]["code"] == "T-B3"
    assert body["snapshot"] is None
    lean = client.get("/api/v1/coverage/990100?findings=false", headers=admin_headers).get_json()
    assert "findings" not in lean


def test_snapshot_history_and_stored_report(client, admin_headers, grid, session):
    first = client.post("/api/v1/coverage/990100/snapshots?tolerance_m2=10", headers=admin_headers)
    assert first.status_code == 201
    session.execute(
        text(
            "UPDATE zones SET geom = ST_Multi(ST_MakeEnvelope(119.009, 26.0, 119.02, 26.02, 4326)) "
            "WHERE code = '990101001001002'"
        )
    )
    client.post("/api/v1/coverage/990100/snapshots", headers=admin_headers)
    history = client.get("/api/v1/coverage/990100/history", headers=admin_headers).get_json()["history"]
    assert len(history) == 2
    assert history[0]["covered_ratio"] < history[1]["covered_ratio"]
    listed = client.get("/api/v1/coverage/990100/snapshots", headers=admin_headers).get_json()["snapshots"]
    assert listed[0]["params"]["tolerance_m2"] == 10
    snapshot_id = first.get_json()["snapshot"]["id"]
    stored = client.get(f"/api/v1/coverage/snapshots/{snapshot_id}", headers=admin_headers).get_json()
    assert stored["counts"]["blind"] == 2
    assert client.get("/api/v1/coverage/snapshots/999999", headers=admin_headers).status_code == 404


def test_layers_filter_by_kind_and_region(client, admin_headers, grid):
    layer = client.get("/api/v1/coverage/990100/layers/overlap", headers=admin_headers)
    assert layer.mimetype == "application/geo+json"
    features = layer.get_json()["features"]
    assert len(features) == 2
    assert all(f["geometry"]["type"] == "MultiPolygon" for f in features)
    east = client.get(
        "/api/v1/coverage/990100/layers/overlap?region=990102", headers=admin_headers
    ).get_json()
    assert [f["properties"]["region"]["adcode"] for f in east["features"]] == ["990102"]
    everything = client.get("/api/v1/coverage/990100/layers/all", headers=admin_headers).get_json()
    assert {f["properties"]["kind"] for f in everything["features"]} == {
        "blind",
        "overlap",
        "unassigned",
        "inactive_org",
        "org_outside_region",
        "spill",
        "reach_gap",
    }


def test_children_for_the_choropleth(client, admin_headers, grid):
    body = client.get("/api/v1/coverage/990100/children", headers=admin_headers).get_json()
    shares = {c["adcode"]: c["covered_ratio"] for c in body["children"]}
    assert shares["990102"] == pytest.approx(1.0)
    assert shares["990101"] < 0.8


def test_ledger_csv_opens_in_excel(client, admin_headers, grid):
    response = client.get("/api/v1/coverage/990100/findings?format=csv", headers=admin_headers)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    raw = response.get_data(as_text=True)
    assert raw.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(raw.lstrip("\ufeff"))))
    assert rows[0]["类型"] == "党建盲区"
    assert "西区第二党支部" in rows[0]["建议责任组织/最近阵地(距离米)"]
    kinds = [r["类型代码"] for r in rows]
    assert kinds.count("overlap") == 2
    unassigned = next(r for r in rows if r["类型代码"] == "unassigned")
    assert unassigned["涉及网格编码"] == "990101001001002"
    as_json = client.get("/api/v1/coverage/990100/findings?kind=spill", headers=admin_headers).get_json()
    assert [f["kind"] for f in as_json["findings"]] == ["spill"]


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/coverage/abc", "adcode"),
        ("/api/v1/coverage/990100?tolerance_m2=-1", "tolerance_m2"),
        ("/api/v1/coverage/990100?tolerance_m2=lots", "tolerance_m2"),
        ("/api/v1/coverage/990100?tolerance_m2=nan", "tolerance_m2"),
        ("/api/v1/coverage/990100?reach_community_m=0", "reach_community_m"),
        ("/api/v1/coverage/990100?reach_station_m=99999", "reach_station_m"),
        ("/api/v1/coverage/990100?findings=maybe", "findings"),
        ("/api/v1/coverage/990100/layers/bogus", "kind"),
        ("/api/v1/coverage/990100/layers/blind?region=12", "region"),
        ("/api/v1/coverage/990100/layers/blind?snapshot=-4", "snapshot"),
        ("/api/v1/coverage/990100/findings?format=xlsx", "format"),
        ("/api/v1/coverage/990100/findings?kind=gaps", "kind"),
    ],
)
def test_bad_parameters_name_themselves(client, admin_headers, grid, url, param):
    response = client.get(url, headers=admin_headers)
    assert response.status_code == 400, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert _errors(response) == {param}


def test_unknown_regions_and_foreign_snapshots(client, admin_headers, grid):
    assert client.get("/api/v1/coverage/990199", headers=admin_headers).status_code == 404
    assert (
        client.get("/api/v1/coverage/990100/layers/blind?region=990199", headers=admin_headers).status_code
        == 404
    )
    snapshot_id = client.post("/api/v1/coverage/990101/snapshots", headers=admin_headers).get_json()[
        "snapshot"
    ]["id"]
    other = client.get(f"/api/v1/coverage/990100/layers/blind?snapshot={snapshot_id}", headers=admin_headers)
    assert other.status_code == 400
    assert _errors(other) == {"snapshot"}


def test_stale_and_refresh(client, admin_headers, grid, session):
    client.get("/api/v1/coverage/990100?findings=false", headers=admin_headers)
    assert client.get("/api/v1/coverage/stale", headers=admin_headers).get_json()["stale"] == []
    session.execute(text("DELETE FROM zones WHERE code = '990102001001002'"))
    stale = client.get("/api/v1/coverage/stale", headers=admin_headers).get_json()["stale"]
    assert [s["adcode"] for s in stale] == ["990100"]
    done = client.post("/api/v1/coverage/refresh", headers=admin_headers).get_json()["refreshed"]
    assert done["990100"]["blind_cells"] >= 1
    assert client.get("/api/v1/coverage/stale", headers=admin_headers).get_json()["stale"] == []


def test_what_a_user_can_type_never_answers_500(client, admin_headers, grid, session):
    # A region stored with an empty outline exists but has nothing to cut into cells.
    session.execute(
        text(
            "INSERT INTO regions (adcode, name, level, parent_id, geom) "
            "SELECT '990103', '无界区', 'district', id, ST_GeomFromText('MULTIPOLYGON EMPTY', 4326) "
            "FROM regions WHERE adcode = '990100'"
        )
    )
    bare = client.get("/api/v1/coverage/990103", headers=admin_headers)
    assert bare.status_code == 409 and bare.mimetype == "application/problem+json"
    assert client.get("/api/v1/coverage/990103/children", headers=admin_headers).status_code == 409
    assert client.get("/api/v1/coverage/990100", headers=admin_headers).status_code == 200
    for url in (
        "/api/v1/coverage/snapshots/99999999999999999999",
        "/api/v1/coverage/snapshots/0",
        "/api/v1/coverage/990100/layers/blind?snapshot=99999999999999999999",
        "/api/v1/coverage/990100/findings?region=990100%00",
        "/api/v1/coverage/%E4%B8%80%E4%BA%8C%E4%B8%89%E5%9B%9B%E4%BA%94%E5%85%AD",
        "/api/v1/coverage/990100/layers/blind?snapshot=1e3",
        "/api/v1/coverage/990100?tolerance_m2=1e309",
        "/api/v1/coverage/999999999999/history",
    ):
        response = client.get(url, headers=admin_headers)
        assert 400 <= response.status_code < 500, (url, response.status_code)
        assert response.mimetype == "application/problem+json", url
