"""Nearby sites: exact geodesic ranking, distances against pyproj, index-only plans, and bad input."""

from __future__ import annotations

import pytest
from shapely.geometry import Point
from sqlalchemy import text

from app.coordsys import wgs84_to_bd09, wgs84_to_gcj02
from app.sites.filters import SiteFilters
from app.sites.nearest import nearest_statement
from app.sites.queries import SUMMARY_COLUMNS, TABLE, nearby_sites
from tests.guide_support import geodesic_m, guide_fixture  # noqa: F401 - fixture

# Random sites at 55-65 N, where a degree of longitude is half a degree of latitude: the ranking by
# degree distance (geometry <->) differs there from the geodesic one.
RANDOM_SITES = text("""
    SELECT setseed(0.42);
    INSERT INTO heritage_sites (code, name, category, level, geom)
    SELECT 'R-' || i, '随机' || i, (ARRAY['monument', 'museum'])[1 + i % 2], 'county',
           ST_SetSRID(ST_MakePoint(10 + random() * 4, 55 + random() * 10), 4326)
    FROM generate_series(1, :n) AS i
""")
BRUTE_FORCE = text("""
    SELECT code FROM heritage_sites
    WHERE CAST(:category AS text) IS NULL OR category = :category
    ORDER BY ST_Distance(geom::geography, ST_GeogFromText(:origin)), id
    LIMIT :k
""")
DEGREE_KNN = text("""
    SELECT code FROM heritage_sites ORDER BY geom <-> ST_GeomFromText(:origin, 4326), id LIMIT :k
""")
ORIGINS = [(12.0, 60.0), (10.3, 55.2), (13.9, 64.9), (11.5, 58.1), (12.7, 61.3), (10.0, 65.0)]


@pytest.fixture
def random_sites(session):
    session.execute(RANDOM_SITES, {"n": 4000})
    session.flush()


def nearby_codes(client, query: str) -> list[str]:
    response = client.get(f"/api/v1/sites/nearby?{query}")
    assert response.status_code == 200, response.get_json()
    return [item["code"] for item in response.get_json()["items"]]


@pytest.mark.parametrize("k", [1, 10, 37])
def test_nearest_k_equals_a_brute_force_geodesic_ranking(session, random_sites, k):
    differs_from_degree_knn = False
    for lon, lat in ORIGINS:
        wkt = f"POINT({lon} {lat})"
        expected = list(session.execute(BRUTE_FORCE, {"origin": wkt, "k": k, "category": None}).scalars())
        got = [s.code for s in nearby_sites(session, Point(lon, lat), k=k)]
        assert got == expected
        degree = list(session.execute(DEGREE_KNN, {"origin": wkt, "k": k}).scalars())
        differs_from_degree_knn |= degree != expected
    # The data is such that the plain geometry KNN gets it wrong, so the re-ranking is really tested.
    assert differs_from_degree_knn or k == 1


def test_nearest_with_a_filter_equals_brute_force(session, random_sites):
    for lon, lat in ORIGINS:
        wkt = f"POINT({lon} {lat})"
        expected = list(
            session.execute(BRUTE_FORCE, {"origin": wkt, "k": 10, "category": "museum"}).scalars()
        )
        got = nearby_sites(session, Point(lon, lat), SiteFilters(categories=("museum",)), k=10)
        assert [s.code for s in got] == expected


def test_a_rare_filter_is_ranked_over_its_few_matches(session, random_sites):
    session.execute(
        text("UPDATE heritage_sites SET tags = '{稀有}' WHERE code IN ('R-7', 'R-77', 'R-777', 'R-3777')")
    )
    brute = text("""SELECT code FROM heritage_sites WHERE '稀有' = ANY(tags)
                    ORDER BY ST_Distance(geom::geography, ST_GeogFromText('POINT(12 60)')), id""")
    expected = list(session.execute(brute).scalars())
    got = nearby_sites(session, Point(12.0, 60.0), SiteFilters(tags=("稀有",)), k=10)
    assert [s.code for s in got] == expected and len(expected) == 4
    assert [
        s.code for s in nearby_sites(session, Point(12.0, 60.0), SiteFilters(tags=("稀有",)), k=2)
    ] == expected[:2]
    for site in got:
        lon, lat = site.geometry["coordinates"]
        assert site.distance_m == pytest.approx(geodesic_m(12.0, 60.0, lon, lat), rel=0.005)


def test_radius_search_returns_exactly_the_sites_within_it(session, random_sites):
    origin = Point(12.0, 60.0)
    found = nearby_sites(session, origin, k=None, radius_m=30_000, limit=1000)
    expected = session.execute(
        text("""SELECT count(*) FROM heritage_sites
                WHERE ST_Distance(geom::geography, ST_GeogFromText('POINT(12 60)')) <= 30000""")
    ).scalar_one()
    assert len(found) == expected > 5
    assert all(s.distance_m <= 30_000 for s in found)
    assert [s.distance_m for s in found] == sorted(s.distance_m for s in found)


RADIUS_BRUTE_FORCE = text("""
    SELECT code FROM heritage_sites
    WHERE ST_Distance(geom::geography, ST_GeogFromText(:origin)) <= :radius
    ORDER BY ST_Distance(geom::geography, ST_GeogFromText(:origin)), id
    LIMIT :limit
""")


@pytest.mark.parametrize("limit", [1, 7, 40])
def test_a_radius_search_cut_at_its_limit_keeps_the_nearest_within_it(session, random_sites, limit):
    # A radius search stops at limit; the sites it keeps must be the nearest ones within the radius.
    for lon, lat in ORIGINS[:3]:
        found = nearby_sites(session, Point(lon, lat), k=None, radius_m=60_000, limit=limit)
        params = {"origin": f"POINT({lon} {lat})", "radius": 60_000, "limit": limit}
        assert [s.code for s in found] == list(session.execute(RADIUS_BRUTE_FORCE, params).scalars())
        assert len(found) == limit


def test_distances_match_pyproj_geod(session, random_sites):
    origin = Point(12.0, 60.0)
    for site in nearby_sites(session, origin, k=20):
        lon, lat = site.geometry["coordinates"]
        assert site.distance_m == pytest.approx(geodesic_m(12.0, 60.0, lon, lat), rel=0.005)


def _plan(session, filters: SiteFilters, *, knn: bool, max_m: float | None) -> str:
    from app.sites.tablesql import where

    sql, params = where(filters.conditions())
    params.update(origin="SRID=4326;POINT(12 60)", use_knn=knn, k=10, max_m=max_m, skip=0)
    statement = nearest_statement(TABLE, SUMMARY_COLUMNS, sql)
    rows = session.execute(text("EXPLAIN " + statement.text), params)
    return "\n".join(r[0] for r in rows)


@pytest.mark.parametrize(
    ("filters", "knn", "max_m"),
    [
        (SiteFilters(), True, None),
        (SiteFilters(), False, 5_000.0),
        (SiteFilters(), True, 20_000.0),
        (SiteFilters(categories=("museum",)), True, None),
    ],
)
def test_nearby_plan_uses_the_gist_index_and_never_scans_the_table(session, filters, knn, max_m):
    session.execute(RANDOM_SITES, {"n": 20_000})
    session.execute(text("ANALYZE heritage_sites"))
    plan = _plan(session, filters, knn=knn, max_m=max_m)
    assert "Seq Scan on heritage_sites" not in plan, plan
    assert "Index Scan using ix_heritage_sites_geom on heritage_sites" in plan, plan
    if knn:
        assert "Order By: (geom <->" in plan, plan


@pytest.mark.usefixtures("guide")
def test_nearby_endpoint_k_and_distances(client):
    body = client.get("/api/v1/sites/nearby?lon=119.005&lat=26.005&k=3").get_json()
    assert [i["code"] for i in body["items"]] == ["G-1", "G-4", "G-2"]
    assert body["items"][0]["distance_m"] == 0
    for item in body["items"]:
        assert item["distance_m"] == pytest.approx(
            geodesic_m(119.005, 26.005, item["lon"], item["lat"]), rel=0.005
        )
    assert body["coordsys"] == "wgs84" and body["k"] == 3


@pytest.mark.usefixtures("guide")
def test_nearby_endpoint_radius_and_filters(client):
    # G-4 is ~1.5 km and G-2 2.0 km from G-1.
    assert nearby_codes(client, "lon=119.005&lat=26.005&radius_m=1800") == ["G-1", "G-4"]
    assert nearby_codes(client, "lon=119.005&lat=26.005&radius_m=2100") == ["G-1", "G-4", "G-2"]
    assert nearby_codes(client, "lon=119.005&lat=26.005&k=1&category=memorial_hall") == ["G-2"]
    assert nearby_codes(client, "lon=119.005&lat=26.005&k=5&radius_m=1800") == ["G-1", "G-4"]
    assert nearby_codes(client, "lon=119.005&lat=26.005&k=2&region=990102") == ["G-2", "G-3"]
    assert nearby_codes(client, "lon=119.005&lat=26.005&k=2&q=%E5%8F%A4%E7%94%B0&tag=党史") == ["G-1", "G-4"]


@pytest.mark.parametrize("coordsys", ["gcj02", "bd09"])
@pytest.mark.usefixtures("guide")
def test_nearby_reads_and_writes_the_requested_coordsys(client, coordsys):
    to = wgs84_to_gcj02 if coordsys == "gcj02" else wgs84_to_bd09
    lon, lat = to(119.005, 26.005)
    body = client.get(f"/api/v1/sites/nearby?lon={lon}&lat={lat}&k=1&coordsys={coordsys}").get_json()
    [item] = body["items"]
    assert body["coordsys"] == coordsys
    assert item["code"] == "G-1" and item["distance_m"] < 0.01
    assert item["lon"] == pytest.approx(lon, abs=1e-7) and item["lat"] == pytest.approx(lat, abs=1e-7)


@pytest.mark.usefixtures("guide")
def test_nearby_geojson(client):
    response = client.get("/api/v1/sites/nearby?lon=119.005&lat=26.005&k=2&format=geojson")
    body = response.get_json()
    assert response.mimetype == "application/geo+json"
    assert [f["properties"]["code"] for f in body["features"]] == ["G-1", "G-4"]
    assert body["features"][1]["properties"]["distance_m"] > 1000


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("lat=26", "lon"),
        ("lon=119", "lat"),
        ("lon=180.5&lat=26", "lon"),
        ("lon=119&lat=-90.1", "lat"),
        ("lon=abc&lat=26", "lon"),
        ("lon=nan&lat=26", "lon"),
        ("lon=119&lat=26&radius_m=50001", "radius_m"),
        ("lon=119&lat=26&radius_m=0", "radius_m"),
        ("lon=119&lat=26&k=101", "k"),
        ("lon=119&lat=26&k=0", "k"),
        ("lon=119&lat=26&k=1.5", "k"),
        ("lon=119&lat=26&coordsys=wgs-72", "coordsys"),
        ("lon=119&lat=26&category=temple", "category"),
        ("lon=119&lat=26&bbox=1,2,3,4,5", "bbox"),
    ],
)
def test_nearby_bad_input(client, query, param):
    response = client.get(f"/api/v1/sites/nearby?{query}")
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["errors"][0]["param"] == param


def test_radius_cap_follows_configuration(app, client):
    app.config["NEARBY_MAX_RADIUS_M"] = 1000
    assert client.get("/api/v1/sites/nearby?lon=119&lat=26&radius_m=1500").status_code == 400
    assert client.get("/api/v1/sites/nearby?lon=119&lat=26&radius_m=900").status_code == 200


@pytest.mark.parametrize(
    ("sort", "index"), [("level", "ix_heritage_sites_level_rank"), ("name", "ix_heritage_sites_name_zh")]
)
def test_list_sorts_are_served_by_their_indexes(session, sort, index):
    from app.sites.queries import SORTS

    session.execute(RANDOM_SITES, {"n": 20_000})
    session.execute(text("ANALYZE heritage_sites"))
    sql = (
        f"EXPLAIN SELECT {SUMMARY_COLUMNS} FROM {TABLE} t WHERE TRUE ORDER BY {SORTS[sort]} LIMIT 20 OFFSET 0"
    )
    plan = "\n".join(r[0] for r in session.execute(text(sql)))
    assert f"Index Scan using {index}" in plan or f"Index Only Scan using {index}" in plan, plan
    assert "Sort" not in plan.split("SubPlan")[0], plan


def test_open_at_filter_is_served_by_an_opening_hours_index(session):
    from app.sites.hours import parse_open_at
    from app.sites.tablesql import where

    session.execute(RANDOM_SITES, {"n": 20_000})
    session.execute(text("ANALYZE heritage_sites"))
    sql, params = where(SiteFilters(open_at=parse_open_at("2026-11-24T03:00")).conditions())
    plan = "\n".join(
        r[0] for r in session.execute(text(f"EXPLAIN SELECT 1 FROM heritage_sites t WHERE {sql}"), params)
    )
    assert "ix_heritage_sites_open_hours" in plan or "ix_heritage_sites_open_minutes" in plan, plan
    assert "Seq Scan" not in plan, plan
