"""Road import and pgRouting travel times on the generated grid, against lengths worked out by hand."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from app.routing import queries
from app.routing.service import Place, legs_for, travel_between
from tests.routing_support import WALK_MPS, east_m, load_grid, node, north_m


@pytest.fixture
def grid(session, test_regions):
    return load_grid(session)


def _places(*nodes):
    return [Place(*node(r, c), f"n{r}_{c}") for r, c in nodes]


def test_grid_is_split_at_every_junction(grid, session):
    assert (grid.ways, grid.vertices, grid.edges) == (32, 231, 430)
    footway = session.execute(
        text("SELECT count(*) FROM roads_edges WHERE highway = 'footway' AND cost_drive_s < 0")
    ).scalar()
    assert footway == 10


def test_reimport_replaces_rather_than_doubles(grid, session):
    again = load_grid(session)
    assert again.edges == 430
    assert session.execute(text("SELECT count(*) FROM roads_edges")).scalar() == 430


def test_walking_along_a_street_matches_hand_computation(grid, session):
    travel = travel_between(session, _places((2, 2), (2, 7)), "walk")
    assert travel.source == "roads" and not travel.estimate
    expected_m = east_m(26.004, 5)
    assert travel.durations_s[0][1] == pytest.approx(expected_m / WALK_MPS, rel=0.005)
    [leg] = legs_for(session, travel, [(0, 1)])
    assert leg.distance_m == pytest.approx(expected_m, rel=0.005)
    assert len(leg.geometry["coordinates"]) >= 6


def test_driving_takes_the_faster_primary_road(grid, session):
    travel = travel_between(session, _places((2, 0), (2, 20)), "drive")
    [leg] = legs_for(session, travel, [(0, 1)])
    # Up 3 blocks to the primary road (45 km/h), along it, down again: faster than 25 km/h straight on.
    detour_m = 2 * north_m(3) + east_m(26.010, 20)
    assert leg.distance_m == pytest.approx(detour_m, rel=0.005)
    expected_s = 2 * north_m(3) / (25 / 3.6) + east_m(26.010, 20) / (45 / 3.6)
    assert travel.durations_s[0][1] == pytest.approx(expected_s, rel=0.005)
    lats = {round(lat, 4) for _, lat in leg.geometry["coordinates"]}
    assert 26.01 in lats


def test_cars_keep_off_the_footway_and_obey_one_way(grid, session):
    walk = travel_between(session, _places((0, 10), (10, 10)), "walk")
    drive = travel_between(session, _places((0, 10), (10, 10), (10, 12), (10, 11)), "drive")
    [walk_leg] = legs_for(session, walk, [(0, 1)])
    assert walk_leg.distance_m == pytest.approx(north_m(10), rel=0.005)
    up, west = legs_for(session, drive, [(0, 1), (2, 3)])
    assert up.distance_m == pytest.approx(north_m(10) + 2 * east_m(26.0, 1), rel=0.01)
    # Row 10 is one-way eastbound: going one block west means going round the block.
    assert west.distance_m == pytest.approx(2 * north_m(1) + east_m(26.018, 1), rel=0.01)
    assert drive.durations_s[3][2] < drive.durations_s[2][3]


def test_cost_matrix_is_one_call_on_edges_near_the_stops(grid, session):
    vertices = [100_000 + 202, 100_000 + 207, 100_000 + 505]
    costs = queries.cost_matrix(session, "walk", vertices, (119.0, 26.0, 119.02, 26.012))
    assert len(costs) == 6
    assert costs[(100_202, 100_207)] == pytest.approx(east_m(26.004, 5) / WALK_MPS, rel=0.005)
    # Cut out of the box, the far corner cannot be reached: pgRouting only saw the edges inside it.
    boxed = queries.cost_matrix(session, "walk", [100_000, 101_020], (118.999, 25.999, 119.01, 26.01))
    assert boxed == {}


def test_stops_off_the_network_fall_back_to_a_marked_estimate(grid, session):
    far = [Place(119.5, 26.5, "far"), Place(119.51, 26.5, "far2")]
    travel = travel_between(session, far, "walk")
    assert travel.source == "geodesic" and travel.estimate
    assert "估算" in travel.note


def test_cli_imports_a_file_and_rejects_a_bad_one(app, session, tmp_path):
    from tests.routing_support import GRID

    runner = app.test_cli_runner()
    result = runner.invoke(args=["roads", "import", str(GRID), "--replace"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["edges"] == 430
    assert session.execute(text("SELECT count(*) FROM roads_edges")).scalar() == 430
    empty = tmp_path / "empty.osm"
    empty.write_text('<?xml version="1.0"?><osm version="0.6"></osm>', encoding="utf-8")
    bad = runner.invoke(args=["roads", "import", str(empty)])
    assert bad.exit_code == 1 and "no usable highway" in bad.output
