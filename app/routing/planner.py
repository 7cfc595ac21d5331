"""Visit ordering with opening-hour time windows: VROOM for answers, Held-Karp for the exact optimum.

VROOM (pyvroom, a manylinux wheel for Python 3.11) is the solver: it takes several time windows per
job, service times, a working-day window and an open or fixed end directly, and stops at a time limit.
OR-Tools serves only as the long-run yardstick in the benchmark (app/routing/reference.py).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import vroom

log = logging.getLogger(__name__)

# VROOM's search effort (1..5): the most for small days, one step less above SMALL sites (where the
# highest level costs about three times as long for little gain), always under a wall-clock limit.
EXPLORATION_LEVEL, LARGE_EXPLORATION_LEVEL, SMALL = 5, 4, 15
DEFAULT_TIMEOUT_S = 1.0
# Extra solver runs on small days, each favouring one left-out site (a fixed number, so that answers
# do not depend on how busy the machine is).
MAX_RETRIES = 3


@dataclass(frozen=True)
class Problem:
    """One visitor, one day (or more): matrix node 0 is the start, 1..n the sites, end_node the end.

    durations_s[i][j] is the travel time in whole seconds from node i to node j. windows_s[k] lists the
    (earliest, latest) start of the visit to site k (node k + 1) in seconds after the start time; a site
    with no windows cannot be visited. end_node is 0 for a round trip, n + 1 for a fixed end, None for an
    open end. The whole day, return included, must fit in budget_s.
    """

    durations_s: list[list[int]]
    windows_s: list[list[tuple[int, int]]]
    service_s: list[int]
    budget_s: int
    end_node: int | None = 0
    max_visits: int | None = None

    @property
    def n(self) -> int:
        return len(self.service_s)


@dataclass(frozen=True)
class Visit:
    site: int  # index into Problem.service_s
    arrive_s: int  # reaching the site, seconds after the start time
    start_s: int  # the visit begins (arrive_s plus any wait for opening)
    leave_s: int


@dataclass(frozen=True)
class Solution:
    visits: list[Visit]
    travel_s: int  # sum of the legs, return leg included
    finish_s: int  # arrival at the end (or leaving the last site for an open end)
    unvisited: list[int] = field(default_factory=list)

    @property
    def order(self) -> list[int]:
        return [v.site for v in self.visits]


def _earliest_start(arrive: int, windows: list[tuple[int, int]]) -> int | None:
    for lo, hi in windows:
        if arrive <= hi:
            return max(arrive, lo)
    return None


def schedule(problem: Problem, order: list[int]) -> Solution | None:
    """Return the earliest-start timetable for visiting sites in order, or None if it breaks a window."""
    d = problem.durations_s
    node, now, travel, visits = 0, 0, 0, []
    for k in order:
        arrive = now + d[node][k + 1]
        start = _earliest_start(arrive, sorted(problem.windows_s[k]))
        if start is None:
            return None
        travel += d[node][k + 1]
        now = start + problem.service_s[k]
        visits.append(Visit(k, arrive, start, now))
        node = k + 1
    if problem.end_node is not None:
        travel += d[node][problem.end_node]
        now += d[node][problem.end_node]
    if order and now > problem.budget_s:
        return None
    unvisited = sorted(set(range(problem.n)) - set(order))
    return Solution(visits, travel, now, unvisited)


def solve(problem: Problem, timeout_s: float = DEFAULT_TIMEOUT_S, threads: int = 1) -> Solution:
    """Return VROOM's best order (most sites first, then least travel time) found within timeout_s.

    VROOM can miss a site that tight windows only just allow, so while sites are left out and time
    remains, it is asked again with one left-out site made a priority; the best answer wins.
    """
    started = time.perf_counter()
    best = _solve_once(problem, timeout_s, threads, None)
    deadline = started + timeout_s
    retries = [k for k in best.unvisited if problem.windows_s[k]] if problem.n <= SMALL else []
    if problem.max_visits is not None and len(best.visits) >= problem.max_visits:
        retries = []
    for k in retries[:MAX_RETRIES]:
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        candidate = _solve_once(problem, left, threads, k)
        if (-len(candidate.visits), candidate.travel_s) < (-len(best.visits), best.travel_s):
            best = candidate
    return best


def _solve_once(problem: Problem, timeout_s: float, threads: int, favour: int | None) -> Solution:
    visitable = [k for k in range(problem.n) if problem.windows_s[k]]
    if not visitable or problem.max_visits == 0:
        return schedule(problem, [])
    matrix = np.asarray(problem.durations_s, dtype=np.uint32)
    inp = vroom.Input()
    inp.set_durations_matrix(profile="car", matrix_input=matrix)
    inp.add_vehicle(
        vroom.Vehicle(
            1,
            start=0,
            end=problem.end_node,
            time_window=vroom.TimeWindow(0, problem.budget_s),
            max_tasks=problem.max_visits if problem.max_visits is not None else len(visitable),
        )
    )
    inp.add_job(
        [
            vroom.Job(
                k + 1,
                location=k + 1,
                default_service=problem.service_s[k],
                time_windows=[vroom.TimeWindow(lo, hi) for lo, hi in sorted(problem.windows_s[k])],
                priority=100 if k == favour else 0,
            )
            for k in visitable
        ]
    )
    level = EXPLORATION_LEVEL if problem.n <= SMALL else LARGE_EXPLORATION_LEVEL
    answer = inp.solve(
        exploration_level=level, nb_threads=threads, timeout=timedelta(seconds=timeout_s)
    ).to_dict()
    routes = answer.get("routes") or []
    order = [step["id"] - 1 for step in routes[0]["steps"] if step["type"] == "job"] if routes else []
    solution = schedule(problem, order)
    if solution is None:  # VROOM honours windows; this guards the reading of its answer
        raise RuntimeError("the solver returned an order that breaks a time window")
    log.debug("vroom: %d of %d sites, travel %d s", len(order), problem.n, solution.travel_s)
    return solution


def exact(problem: Problem) -> Solution:
    """Return the exact optimum (most sites, then least travel time) by Held-Karp over time windows.

    Each (set of sites, last site) keeps its Pareto front of (travel, ready time), which is exact with
    waiting allowed; meant for checks and benchmarks up to about 12 sites.
    """
    n, d = problem.n, problem.durations_s
    windows = [sorted(w) for w in problem.windows_s]
    cap = problem.max_visits if problem.max_visits is not None else n
    # labels[(mask, last)] = list of (travel, ready, previous label key, previous label index)
    labels: dict[tuple[int, int], list[tuple[int, int, tuple[int, int] | None, int]]] = {}
    layer: list[tuple[int, int]] = []
    for k in range(n):
        start = _earliest_start(d[0][k + 1], windows[k])
        if start is not None and start + problem.service_s[k] <= problem.budget_s:
            labels[(1 << k, k)] = [(d[0][k + 1], start + problem.service_s[k], None, -1)]
            layer.append((1 << k, k))
    best: tuple[int, int, tuple[int, int] | None, int] = (0, 0, None, -1)  # (-count, travel, key, index)

    def close(key: tuple[int, int]) -> None:
        nonlocal best
        mask, last = key
        for i, (travel, ready, _, _) in enumerate(labels[key]):
            back = 0 if problem.end_node is None else d[last + 1][problem.end_node]
            if ready + back <= problem.budget_s:
                candidate = (-mask.bit_count(), travel + back, key, i)
                if candidate[:2] < best[:2]:
                    best = candidate

    size = 1
    while layer:
        for key in layer:
            close(key)
        if size >= cap:
            break
        following: dict[tuple[int, int], list] = {}
        for key in layer:
            mask, last = key
            for i, (travel, ready, _, _) in enumerate(labels[key]):
                for k in range(n):
                    if mask >> k & 1:
                        continue
                    start = _earliest_start(ready + d[last + 1][k + 1], windows[k])
                    if start is None or start + problem.service_s[k] > problem.budget_s:
                        continue
                    label = (travel + d[last + 1][k + 1], start + problem.service_s[k], key, i)
                    front = following.setdefault((mask | 1 << k, k), [])
                    if any(t <= label[0] and r <= label[1] for t, r, _, _ in front):
                        continue
                    front[:] = [f for f in front if not (label[0] <= f[0] and label[1] <= f[1])]
                    front.append(label)
        labels.update(following)
        layer = list(following)
        size += 1

    order: list[int] = []
    key, index = best[2], best[3]
    while key is not None:
        order.append(key[1])
        _, _, key, index = labels[key][index]
    order.reverse()
    solution = schedule(problem, order)
    assert solution is not None
    return solution
