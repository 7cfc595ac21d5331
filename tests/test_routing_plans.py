"""POST /api/v1/plans on the test grid: opening hours, dropped sites, bad input, share links and exports."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest

from app.routing.windows import LOCAL_TZ
from tests.routing_support import (
    ALWAYS,
    CLOSED_MONDAY,
    LUNCH_BREAK,
    OPEN_9_17,
    WALK_MPS,
    add_site,
    east_m,
    load_grid,
    next_weekday,
    node,
)

START = dict(zip(("lon", "lat"), node(1, 1), strict=True))
MONDAY, TUESDAY = 0, 1


@pytest.fixture
def grid(session, test_regions):
    return load_grid(session)


@pytest.fixture
def sites(session, test_regions):
    return {
        "A": add_site(session, "T-A", node(2, 4), OPEN_9_17),
        "B": add_site(session, "T-B", node(2, 8), CLOSED_MONDAY),
        "C": add_site(session, "T-C", node(6, 8), LUNCH_BREAK, dwell=90),
        "D": add_site(session, "T-D", node(8, 14), OPEN_9_17, dwell=60),
    }


def _post(client, **body):
    body.setdefault("start", START)
    body.setdefault("mode", "walk")
    body.setdefault("budget_min", 480)
    if isinstance(body.get("start_at"), datetime):
        body["start_at"] = body["start_at"].isoformat()
    return client.post("/api/v1/plans", json=body)


def _local(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(LOCAL_TZ)


def _inside_hours(stop: dict, hours: dict) -> bool:
    arrive, leave = _local(stop["arrive_at"]), _local(stop["depart_at"])
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[arrive.weekday()]
    return any(
        opens <= arrive.strftime("%H:%M") and leave.strftime("%H:%M") <= closes
        for opens, closes in hours[day]
    )


def test_a_site_closed_on_mondays_is_dropped_with_its_reason(client, grid, sites):
    reply = _post(client, sites=["T-A", "T-B", "T-C"], start_at=next_weekday(MONDAY, 9))
    assert reply.status_code == 201, reply.get_json()
    plan = reply.get_json()
    assert [s["code"] for s in plan["stops"]] and "T-B" not in [s["code"] for s in plan["stops"]]
    assert [(d["code"], d["reason"]) for d in plan["dropped"]] == [("T-B", "closed")]
    hours = {"T-A": OPEN_9_17, "T-C": LUNCH_BREAK}
    assert all(_inside_hours(stop, hours[stop["code"]]) for stop in plan["stops"])
    assert plan["travel"]["source"] == "roads" and plan["travel"]["estimate"] is False
    assert len(plan["legs"]) == len(plan["stops"]) + 1  # a round trip by default


def test_a_lunch_break_moves_a_long_visit_to_the_afternoon(client, grid, sites):
    plan = _post(client, sites=["T-C"], start_at=next_weekday(TUESDAY, 11)).get_json()
    [stop] = plan["stops"]
    # 90 minutes from about 11:05 would run into the 12:00 closing, so the visit starts at 14:00.
    assert stop["arrive_at"][11:16] == "14:00" and stop["depart_at"][11:16] == "15:30"
    assert plan["legs"][0]["depart_at"] < stop["arrive_at"]
    # Waiting is the three hours from 11:00 to 14:00 less the walk there.
    assert plan["totals"]["wait_min"] == pytest.approx(180 - plan["legs"][0]["duration_min"], abs=0.2)


def test_an_overnight_budget_visits_the_next_morning(client, grid, sites):
    start = next_weekday(TUESDAY, 16, 30)
    plan = _post(client, sites=["T-A", "T-D"], start_at=start, budget_min=20 * 60).get_json()
    assert [s["code"] for s in plan["stops"]] != []
    for stop in plan["stops"]:
        arrive = _local(stop["arrive_at"])
        assert arrive.date() == (start + timedelta(days=1)).date() and arrive.hour >= 9
    assert plan["dropped"] == []


def test_travel_times_come_from_the_road_network(client, grid, sites):
    plan = _post(client, sites=["T-A"], start_at=next_weekday(TUESDAY, 9), end="open").get_json()
    [leg] = plan["legs"]
    # (1,1) -> (2,4): one block north and three east on the grid.
    expected_m = east_m(26.002, 3) + 0.002 * 110_700
    assert leg["distance_m"] == pytest.approx(expected_m, rel=0.01)
    assert leg["duration_min"] == pytest.approx(expected_m / WALK_MPS / 60, rel=0.01)
    assert leg["geometry"]["type"] == "LineString" and len(leg["geometry"]["coordinates"]) >= 4


def test_without_a_network_the_answer_says_it_is_an_estimate(client, sites):
    plan = _post(client, sites=["T-A", "T-D"], start_at=next_weekday(TUESDAY, 9)).get_json()
    assert plan["travel"] == {**plan["travel"], "source": "geodesic", "estimate": True, "detour_factor": 1.3}
    assert "估算" in plan["travel"]["note"]


def test_transit_is_always_marked_approximate(client, grid, sites):
    plan = _post(client, sites=["T-A"], start_at=next_weekday(TUESDAY, 9), mode="transit").get_json()
    assert plan["travel"]["estimate"] is True and "公交" in plan["travel"]["note"]


def test_a_rule_picks_the_wanted_number_of_open_sites(client, grid, sites):
    body = {"rule": {"tag": "测试", "count": 2}, "start_at": next_weekday(MONDAY, 9)}
    plan = _post(client, **body).get_json()
    codes = [s["code"] for s in plan["stops"]]
    assert len(codes) == 2 and "T-B" not in codes


def test_a_fixed_end_gets_the_last_leg(client, grid, sites):
    end = dict(zip(("lon", "lat"), node(9, 19), strict=True))
    plan = _post(client, sites=["T-A", "T-D"], start_at=next_weekday(TUESDAY, 9), end=end).get_json()
    assert len(plan["legs"]) == 3
    assert plan["path"]["coordinates"][-1] == pytest.approx(list(node(9, 19)))


def test_a_site_that_does_not_fit_the_budget_is_dropped_as_over_budget(client, grid, session, sites):
    add_site(session, "T-E", node(9, 19), ALWAYS, dwell=120)
    plan = _post(client, sites=["T-A", "T-E"], start_at=next_weekday(TUESDAY, 9), budget_min=100).get_json()
    assert [s["code"] for s in plan["stops"]] == ["T-A"]
    assert [(d["code"], d["reason"]) for d in plan["dropped"]] == [("T-E", "over_budget")]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"sites": ["T-A", "NOPE", 999999]}, "sites"),
        ({"sites": list(range(1, 52))}, "sites"),
        ({"sites": ["T-A"], "start": {"lon": 120.5, "lat": 26.5}}, "start"),
        ({"sites": ["T-A"], "budget_min": 10}, "budget_min"),
        ({"sites": ["T-A"], "mode": "fly"}, "mode"),
        ({"sites": ["T-A"], "start_at": "tomorrow"}, "start_at"),
        ({"sites": ["T-A"], "start": {"lon": "x", "lat": 26}}, "start.lon"),
        ({"sites": ["T-A"], "rule": {"count": 2}}, "sites"),
        ({"rule": {"region": "123456"}}, "rule.region"),
        ({"sites": ["T-B"], "start_at": "MONDAY"}, "start_at"),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(client, grid, sites, body, param):
    body.setdefault("start_at", next_weekday(TUESDAY, 9))
    if body["start_at"] == "MONDAY":
        body["start_at"] = next_weekday(MONDAY, 9)
    reply = _post(client, **body)
    assert reply.status_code == 400, reply.get_json()
    assert reply.mimetype == "application/problem+json"
    assert param in [e["param"] for e in reply.get_json()["errors"]]


def test_a_start_earlier_today_is_refused(client, grid, sites):
    earlier = datetime.now(LOCAL_TZ) - timedelta(hours=1)
    reply = _post(client, sites=["T-A"], start_at=earlier)
    assert reply.status_code == 400
    assert reply.get_json()["errors"][0]["param"] == "start_at"


def test_no_open_site_is_a_400_listing_why(client, grid, sites):
    reply = _post(client, sites=["T-B"], start_at=next_weekday(MONDAY, 9))
    body = reply.get_json()
    assert reply.status_code == 400 and body["dropped"][0]["reason"] == "closed"


def test_the_share_link_reopens_the_same_plan_and_exports_it(client, grid, sites):
    made = _post(client, sites=["T-A", "T-C", "T-D"], start_at=next_weekday(TUESDAY, 9)).get_json()
    again = client.get(made["share_url"])
    assert again.status_code == 200
    assert again.get_json()["stops"] == made["stops"] and again.get_json()["legs"] == made["legs"]
    gpx = client.get(f"/api/v1/plans/{made['token']}.gpx")
    assert gpx.mimetype == "application/gpx+xml"
    root = ET.fromstring(gpx.data)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert len(root.findall("g:wpt", ns)) == len(made["stops"])
    assert len(root.findall(".//g:trkpt", ns)) == len(made["path"]["coordinates"])
    assert root.find("g:wpt/g:time", ns).text.endswith("Z")
    geo = client.get(f"/api/v1/plans/{made['token']}.geojson")
    assert geo.mimetype == "application/geo+json"
    kinds = [f["properties"]["kind"] for f in geo.get_json()["features"]]
    assert kinds.count("stop") == len(made["stops"]) and kinds.count("leg") == len(made["legs"])
    assert client.get("/api/v1/plans/doesnotexist").status_code == 404
