"""Site search: every filter, sorting, paging and counts, over the hand-drawn guide fixtures."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.sites.hours import LOCAL_TZ, is_open, local_moment, now_moment, parse_open_at
from tests.guide_support import guide_fixture  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("guide")


def codes(client, query: str) -> list[str]:
    response = client.get(f"/api/v1/sites?{query}")
    assert response.status_code == 200, response.get_json()
    return [item["code"] for item in response.get_json()["items"]]


def test_city_adcode_includes_its_districts_by_the_region_tree(client):
    assert sorted(codes(client, "region=990100&limit=50")) == ["G-1", "G-2", "G-3", "G-4", "G-5"]
    assert sorted(codes(client, "region=990101")) == ["G-1", "G-4"]
    # 990150 starts like a district of 990100 but hangs under 990200: a prefix match would be wrong.
    assert codes(client, "region=990200") == ["G-6"]
    assert sorted(codes(client, "region=990000&limit=50")) == ["G-1", "G-2", "G-3", "G-4", "G-5", "G-6"]


def test_category_level_and_tag_filters(client):
    assert codes(client, "category=memorial_hall") == ["G-2"]
    assert sorted(codes(client, "category=memorial_hall,museum")) == ["G-2", "G-5"]
    assert sorted(codes(client, "level=provincial")) == ["G-2", "G-5"]
    assert sorted(codes(client, "tag=党史")) == ["G-1", "G-2", "G-4", "G-6"]
    assert sorted(codes(client, "tag=党史,故居")) == ["G-4"]
    assert codes(client, "tag=党史&level=national&category=former_site") == ["G-1"]


def test_keyword_finds_substrings_in_name_address_and_intro(client):
    # "古田" is in G-1's name and in G-4's address; G-1 ranks first as its name matches.
    assert codes(client, "q=古田") == ["G-1", "G-4"]
    assert codes(client, "q=长征出发") == ["G-2"]
    assert codes(client, "q=陵园路") == ["G-3"]


def test_keyword_is_fuzzy_on_the_name(client):
    # Not a substring of any text, but close to the name 古田会议旧址.
    assert "G-1" in codes(client, "q=古田会议址")


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("100%忠诚", ["G-3"]),
        ("%", ["G-3"]),
        ("忠诚_永垂", ["G-3"]),
        ("_", ["G-3"]),
        ("'", ["G-5"]),
        ("人民'博", ["G-5"]),
    ],
)
def test_keyword_treats_percent_underscore_and_quotes_as_text(client, q, expected):
    from urllib.parse import quote

    assert codes(client, f"q={quote(q)}") == expected


def test_open_at_reads_the_weekday_and_time_in_shanghai(client):
    # 2026-11-23 is a Monday: G-1 is closed on Mondays, G-2 opens 09-12 and 14-17, G-4 always.
    assert sorted(codes(client, "open_at=2026-11-23T10:00")) == ["G-2", "G-4"]
    assert sorted(codes(client, "open_at=2026-11-23T13:00")) == ["G-4"]
    assert sorted(codes(client, "open_at=2026-11-24T10:00")) == ["G-1", "G-2", "G-4"]
    # 02:00 UTC on Tuesday is 10:00 in Shanghai.
    assert sorted(codes(client, "open_at=2026-11-24T02:00:00%2B00:00")) == ["G-1", "G-2", "G-4"]
    # Closing time is exclusive: G-1 closes at 17:30.
    assert "G-1" not in codes(client, "open_at=2026-11-24T17:30")
    assert "G-1" in codes(client, "open_at=2026-11-24T17:29")


def test_open_now_uses_the_current_shanghai_time(client):
    found = codes(client, "open_now=true&limit=50")
    assert "G-4" in found  # open around the clock
    assert "G-3" not in found  # no opening hours at all
    assert ("G-1" in found) == is_open(
        {d: [["08:00", "17:30"]] for d in ("tue", "wed", "thu", "fri", "sat", "sun")}, now_moment()
    )


def test_hours_helpers():
    moment = local_moment(datetime(2026, 11, 23, 10, 0, tzinfo=LOCAL_TZ))
    assert (moment.day, moment.hhmm) == ("mon", "10:00")
    assert parse_open_at("2026-11-22T16:30:00-08:00").day == "mon"  # 08:30 next day in Shanghai
    assert is_open({"mon": [["09:00", "12:00"]]}, moment)
    assert not is_open({"tue": [["09:00", "12:00"]]}, moment)


def test_bbox_filter_in_wgs84_and_gcj02(client):
    assert sorted(codes(client, "bbox=119.0,26.0,119.02,26.02")) == ["G-1", "G-4"]
    from app.coordsys import wgs84_to_gcj02

    x1, y1 = wgs84_to_gcj02(119.0, 26.0)
    x2, y2 = wgs84_to_gcj02(119.02, 26.02)
    assert sorted(codes(client, f"bbox={x1},{y1},{x2},{y2}&coordsys=gcj02")) == ["G-1", "G-4"]


def test_sorts(client):
    levels = codes(client, "region=990100&sort=level&limit=50")
    assert levels[0] == "G-1" and levels[-1] == "G-4"  # national first, county last
    by_distance = codes(client, "region=990100&lon=119.036&lat=26.014")
    assert by_distance[0] == "G-3" and by_distance[-1] == "G-1"
    assert codes(client, "sort=name&region=990101") == ["G-4", "G-1"]  # pinyin: ge < gu


def test_distance_sort_pages_agree_with_one_long_page(client):
    whole = codes(client, "lon=119.0&lat=26.0&limit=7")
    paged = [c for offset in (0, 3, 6) for c in codes(client, f"lon=119.0&lat=26.0&limit=3&offset={offset}")]
    assert paged == whole and len(whole) == 7


def test_paging_count_and_links(client):
    body = client.get("/api/v1/sites?region=990100&limit=2&offset=2&sort=level").get_json()
    assert body["count"] == 5 and body["count_is_estimate"] is False
    assert len(body["items"]) == 2
    assert "offset=4" in body["links"]["next"] and "offset=0" in body["links"]["prev"]


def test_count_turns_into_an_estimate_past_the_threshold(app, client):
    app.config["COUNT_EXACT_MAX"] = 3
    body = client.get("/api/v1/sites?limit=1").get_json()
    assert body["count_is_estimate"] is True
    assert body["count"] >= 4
    body = client.get("/api/v1/sites?region=990101").get_json()
    assert body["count"] == 2 and body["count_is_estimate"] is False


def test_geojson_format(client):
    response = client.get("/api/v1/sites?region=990101&format=geojson")
    assert response.mimetype == "application/geo+json"
    body = response.get_json()
    assert body["type"] == "FeatureCollection" and body["coordsys"] == "wgs84"
    assert {f["properties"]["code"] for f in body["features"]} == {"G-1", "G-4"}
    [g1] = [f for f in body["features"] if f["properties"]["code"] == "G-1"]
    assert g1["geometry"] == {"type": "Point", "coordinates": [119.005, 26.005]}


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("category=castle", "category"),
        ("level=world", "level"),
        ("region=12ab", "region"),
        ("region=990999", "region"),
        ("coordsys=utm", "coordsys"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=119.1,26,119,27", "bbox"),
        ("bbox=-200,0,0,10", "bbox"),
        ("open_at=tomorrow", "open_at"),
        ("open_now=maybe", "open_now"),
        ("sort=height", "sort"),
        ("sort=distance", "sort"),
        ("limit=0", "limit"),
        ("limit=100000", "limit"),
        ("offset=-1", "offset"),
        ("lon=119", "lat"),
        ("lon=181&lat=26", "lon"),
        ("lon=119&lat=91", "lat"),
        ("format=kml", "format"),
        ("q=" + "长" * 101, "q"),
    ],
)
def test_bad_input_names_the_parameter(client, query, param):
    response = client.get(f"/api/v1/sites?{query}")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][0]["param"] == param


@pytest.mark.parametrize(
    "query", ["region=990000&limit=50", "q=古田", "sort=name&lon=119.01&lat=26.01", "tag=党史&sort=level"]
)
def test_geojson_built_in_postgis_matches_the_json_items(client, query):
    items = client.get(f"/api/v1/sites?{query}").get_json()["items"]
    collection = client.get(f"/api/v1/sites?{query}&format=geojson").get_json()
    assert len(items) == len(collection["features"]) > 0
    for item, feature in zip(items, collection["features"], strict=True):
        lon, lat = item.pop("lon"), item.pop("lat")
        assert feature["properties"] == item
        assert feature["id"] == item["id"]
        assert feature["geometry"] == {"type": "Point", "coordinates": [lon, lat]}
    assert collection["count"] == len(items) and collection["count_is_estimate"] is False
