"""The solver against the exact optimum, and opening hours read as visit windows."""

from __future__ import annotations

import random
from datetime import datetime

from app.routing.planner import Problem, exact, schedule, solve
from app.routing.windows import LOCAL_TZ, visit_windows
from tests.routing_support import CLOSED_MONDAY, LUNCH_BREAK, OPEN_9_17

# Opening patterns of real sites: all day, a lunch break, a short morning and afternoon, dawn to dusk.
HOURS_MIN = [
    [(540, 1020)],
    [(510, 720), (870, 1050)],
    [(540, 690), (840, 960)],
    [(360, 1080)],
    [(480, 1050)],
]


def random_problem(rng: random.Random, n: int) -> Problem:
    """A one-day visit of n sites scattered over 15 km, walked or driven, with real-looking hours."""
    points = [(rng.uniform(0, 15_000), rng.uniform(0, 15_000)) for _ in range(n + 2)]
    speed = rng.choice([1.25, 6.9])
    matrix = [[round(1.3 * ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5 / speed) for b in points]
              for a in points]  # fmt: skip
    start_min = rng.choice([480, 540, 600, 780])
    budget = rng.choice([4, 6, 8, 10]) * 3600
    windows, service = [], []
    for _ in range(n):
        dwell = rng.choice([20, 30, 45, 60, 90]) * 60
        spans = [] if rng.random() < 0.1 else rng.choice(HOURS_MIN)
        found = []
        for lo, hi in spans:
            lo_s, hi_s = max(0, (lo - start_min) * 60), min(budget, (hi - start_min) * 60) - dwell
            if lo_s <= hi_s:
                found.append((lo_s, hi_s))
        windows.append(found)
        service.append(dwell)
    return Problem(matrix, windows, service, budget, rng.choice([0, None, n + 1]))


def test_solver_is_near_the_exact_optimum_on_random_instances():
    rng = random.Random(20261121)
    ratios, fewer = [], 0
    for _ in range(120):
        problem = random_problem(rng, rng.randint(2, 9))
        found, best = solve(problem), exact(problem)
        assert schedule(problem, found.order) is not None
        assert len(found.visits) <= len(best.visits)
        if len(found.visits) < len(best.visits):
            fewer += 1
            continue
        ratios.append(found.travel_s / best.travel_s if best.travel_s else 1.0)
    assert fewer <= 3, f"the solver left out a site the optimum visits in {fewer} of 120 instances"
    assert sum(ratios) / len(ratios) <= 1.03
    assert max(ratios) <= 1.10


def test_exact_knows_the_optimum_of_a_line():
    # Start at 0, sites on one side of a line up to 400 s away, round trip: at best out and back, 800 s.
    pos = [0, 300, 100, 400, 200]
    matrix = [[abs(a - b) for b in pos] for a in pos]
    problem = Problem(matrix, [[(0, 10_000)]] * 4, [60] * 4, 10_000, 0)
    assert exact(problem).travel_s == 800
    assert solve(problem).travel_s == 800
    # With an open end the farthest site comes last: 400 s.
    assert exact(Problem(matrix, [[(0, 10_000)]] * 4, [60] * 4, 10_000, None)).order == [1, 3, 0, 2]


def test_a_window_forces_the_longer_order():
    # Site 1 (far) only opens in the first hour, so it must come first although site 0 is on the way.
    matrix = [[0, 100, 200], [100, 0, 100], [200, 100, 0]]
    problem = Problem(matrix, [[(0, 10_000)], [(0, 300)]], [600, 600], 10_000, 0)
    assert solve(problem).order == [1, 0] == exact(problem).order


def test_the_planner_waits_for_opening_rather_than_arriving_early():
    matrix = [[0, 60], [60, 0]]
    problem = Problem(matrix, [[(3600, 7200)]], [1800], 10_000, 0)
    [visit] = solve(problem).visits
    assert visit.arrive_s == 60 and visit.start_s == 3600


def test_max_visits_picks_the_nearest():
    pos = [0, 500, 100, 900, 200]
    matrix = [[abs(a - b) for b in pos] for a in pos]
    problem = Problem(matrix, [[(0, 10_000)]] * 4, [60] * 4, 10_000, 0, max_visits=2)
    assert sorted(solve(problem).order) == [1, 3] == sorted(exact(problem).order)


def _at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 11, day, hh, mm, tzinfo=LOCAL_TZ)  # 2026-11-23 is a Monday


def test_closed_on_monday_has_no_window():
    assert visit_windows(CLOSED_MONDAY, _at(23, 9), 8 * 3600, 1800) == ([], "closed")
    windows, reason = visit_windows(CLOSED_MONDAY, _at(24, 9), 8 * 3600, 1800)
    assert windows == [(0, 8 * 3600 - 1800)] and reason is None


def test_lunch_break_splits_the_day_and_the_visit_must_end_before_closing():
    windows, _ = visit_windows(LUNCH_BREAK, _at(24, 8), 10 * 3600, 3600)
    assert windows == [(3600, 3 * 3600), (6 * 3600, 8 * 3600)]


def test_opening_too_short_for_the_visit_is_outside_hours():
    assert visit_windows(OPEN_9_17, _at(24, 16, 30), 3 * 3600, 3600) == ([], "outside_hours")


def test_overnight_budget_reaches_the_next_morning():
    windows, _ = visit_windows(OPEN_9_17, _at(24, 18), 18 * 3600, 3600)
    assert windows == [(15 * 3600, 18 * 3600 - 3600)]
    overnight = {"tue": [["20:00", "02:00"]]}
    windows, _ = visit_windows(overnight, _at(25, 0, 30), 4 * 3600, 1800)
    assert windows == [(0, 3600)]
