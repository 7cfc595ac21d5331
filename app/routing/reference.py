"""A long OR-Tools run on the same Problem: a yardstick for the planner where Held-Karp is too slow."""

from __future__ import annotations

from .planner import Problem, Solution, schedule

# Leaving a site out costs more than any day of travel, so OR-Tools also visits as many sites as it can.
DROP_PENALTY = 10_000_000


def ortools_solve(problem: Problem, seconds: float = 30.0) -> Solution:
    """Return OR-Tools' best order after seconds of guided local search (most sites, then least travel)."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = problem.n
    # Nodes: 0 start, 1..n sites, n + 1 the end (a copy of the start, the fixed end, or free for open end).
    size = n + 2

    def travel(i: int, j: int) -> int:
        if j == n + 1:
            if problem.end_node is None:
                return 0
            return problem.durations_s[i][problem.end_node]
        if i == n + 1:
            return 0
        return problem.durations_s[i][j]

    manager = pywrapcp.RoutingIndexManager(size, 1, [0], [n + 1])
    routing = pywrapcp.RoutingModel(manager)

    def cost(a: int, b: int) -> int:
        return travel(manager.IndexToNode(a), manager.IndexToNode(b))

    def elapsed(a: int, b: int) -> int:
        i = manager.IndexToNode(a)
        service = problem.service_s[i - 1] if 1 <= i <= n else 0
        return service + travel(i, manager.IndexToNode(b))

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(cost))
    time_cb = routing.RegisterTransitCallback(elapsed)
    routing.AddDimension(time_cb, problem.budget_s, problem.budget_s, True, "time")
    clock = routing.GetDimensionOrDie("time")
    for k in range(n):
        index = manager.NodeToIndex(k + 1)
        windows = sorted(problem.windows_s[k])
        if not windows:
            routing.AddDisjunction([index], 0)
            routing.solver().Add(routing.ActiveVar(index) == 0)
            continue
        clock.CumulVar(index).SetRange(windows[0][0], windows[-1][1])
        for (_, hi), (lo, _) in zip(windows, windows[1:], strict=False):
            if lo > hi + 1:
                clock.CumulVar(index).RemoveInterval(hi + 1, lo - 1)
        routing.AddDisjunction([index], DROP_PENALTY)
    if problem.max_visits is not None:
        count = routing.RegisterUnaryTransitCallback(lambda a: 1 if 1 <= manager.IndexToNode(a) <= n else 0)
        routing.AddDimension(count, 0, problem.max_visits, True, "visits")
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    found = routing.SolveWithParameters(params)
    order: list[int] = []
    if found is not None:
        index = routing.Start(0)
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            if 1 <= node <= n:
                order.append(node - 1)
            index = found.Value(routing.NextVar(index))
    solution = schedule(problem, order)
    if solution is None:
        raise RuntimeError("OR-Tools returned an order that breaks a time window")
    return solution
