"""Travel times between stops (pgRouting on a loaded network, else a geodesic estimate) and visit plans."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pyproj import Geod
from sqlalchemy.orm import Session

from ..errors import InvalidParameter
from ..vocab import POI_CATEGORIES
from . import planner, queries
from .queries import SiteStop
from .windows import LOCAL_TZ, REASONS, visit_windows

log = logging.getLogger(__name__)

GEOD = Geod(ellps="WGS84")
MAX_STOPS = 50
DETOUR_FACTOR = float(os.environ.get("HONGTU_DETOUR_FACTOR", "1.3"))
# A stop farther than this from the nearest usable road is taken as outside the loaded network.
SNAP_MAX_M = float(os.environ.get("HONGTU_ROUTING_SNAP_M", "500"))
# The edge query takes roads in the stops' box widened by this share of its size (and at least ~1 km).
BOX_MARGIN, BOX_MARGIN_MIN_DEG = 0.25, 0.01
SOLVER_TIMEOUT_S = float(os.environ.get("HONGTU_SOLVER_TIMEOUT_S", "1.0"))

# Geodesic fallback speeds in m/s: walking 4.5 km/h, urban driving 25 km/h, public transport 15 km/h.
MODE_SPEED_MPS = {"walk": 1.25, "drive": 25 / 3.6, "transit": 15 / 3.6}
MODE_LABELS = {"walk": "步行", "drive": "驾车", "transit": "公交（估算）"}
# Transit has no timetable data: road driving time times this factor plus a wait per leg.
TRANSIT_FACTOR, TRANSIT_WAIT_S = 1.8, 300

# Visit length by site category when neither the request nor the site gives one (minutes).
DEFAULT_DWELL_MIN = {
    "former_site": 45,
    "memorial_hall": 90,
    "martyrs_cemetery": 45,
    "former_residence": 40,
    "monument": 20,
    "museum": 90,
    "education_base": 60,
}
FALLBACK_DWELL_MIN = 45


@dataclass(frozen=True)
class Place:
    lon: float
    lat: float
    name: str


@dataclass(frozen=True)
class Leg:
    distance_m: float
    duration_s: int
    geometry: dict  # GeoJSON LineString, EPSG:4326


@dataclass(frozen=True)
class Travel:
    """Travel seconds between places (matrix order = places order) and how they were found."""

    places: list[Place]
    mode: str
    durations_s: list[list[int]]
    source: str  # "roads" or "geodesic"
    estimate: bool
    note: str
    detour_factor: float
    vertices: list[int] = field(default_factory=list)
    snap_m: list[float] = field(default_factory=list)
    bbox: tuple[float, float, float, float] | None = None


def _box(places: list[Place]) -> tuple[float, float, float, float]:
    xs, ys = [p.lon for p in places], [p.lat for p in places]
    mx = max((max(xs) - min(xs)) * BOX_MARGIN, BOX_MARGIN_MIN_DEG)
    my = max((max(ys) - min(ys)) * BOX_MARGIN, BOX_MARGIN_MIN_DEG)
    return min(xs) - mx, min(ys) - my, max(xs) + mx, max(ys) + my


def _geodesic_m(a: Place, b: Place) -> float:
    return GEOD.inv(a.lon, a.lat, b.lon, b.lat)[2]


def _geodesic_travel(places: list[Place], mode: str, detour: float, why: str) -> Travel:
    speed = MODE_SPEED_MPS[mode]
    wait = TRANSIT_WAIT_S if mode == "transit" else 0
    n = len(places)
    lons, lats = [p.lon for p in places], [p.lat for p in places]
    durations = [[0] * n for _ in range(n)]
    for i in range(n):
        _, _, dist = GEOD.inv([lons[i]] * n, [lats[i]] * n, lons, lats)
        for j in range(n):
            if i != j:
                durations[i][j] = round(dist[j] * detour / speed) + wait
    note = f"{why}：按直线距离×{detour:g}、{MODE_LABELS[mode]}速度 {speed * 3.6:g} km/h 估算"
    return Travel(places, mode, durations, "geodesic", True, note, detour)


def travel_between(session: Session, places: list[Place], mode: str, detour: float = DETOUR_FACTOR) -> Travel:
    """Return travel seconds between all places: pgRouting when the network covers them, else geodesic."""
    road_mode = "walk" if mode == "walk" else "drive"
    snaps = queries.snap_points(session, road_mode, [p.lon for p in places], [p.lat for p in places])
    if any(s.vertex_id is None or s.snap_m > SNAP_MAX_M for s in snaps):
        return _geodesic_travel(places, mode, detour, "未覆盖路网")
    box = _box(places)
    vertices = [s.vertex_id for s in snaps]
    costs = queries.cost_matrix(session, road_mode, vertices, box)
    speed = MODE_SPEED_MPS[road_mode]
    n = len(places)
    durations = [[0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            a, b = vertices[i], vertices[j]
            road = 0.0 if a == b else costs.get((a, b))
            if road is None:
                return _geodesic_travel(places, mode, detour, "路网不连通")
            # Reaching the road from the stop and back is walked or driven in a straight line.
            access = (snaps[i].snap_m + snaps[j].snap_m) / speed
            seconds = road + access
            if mode == "transit":
                seconds = seconds * TRANSIT_FACTOR + TRANSIT_WAIT_S
            durations[i][j] = round(seconds)
    estimate = mode == "transit"
    note = "路网计算（pgRouting）"
    if estimate:
        note += f"；公交无时刻表，按驾车时间×{TRANSIT_FACTOR:g}加候车{TRANSIT_WAIT_S // 60}分钟估算"
    return Travel(
        places, mode, durations, "roads", estimate, note, 1.0, vertices, [s.snap_m for s in snaps], box
    )


def _straight(a: Place, b: Place) -> dict:
    return {"type": "LineString", "coordinates": [[a.lon, a.lat], [b.lon, b.lat]]}


def legs_for(session: Session, travel: Travel, pairs: list[tuple[int, int]]) -> list[Leg]:
    """Return distance, duration and geometry of each (from, to) place pair, paths in one query."""
    places = travel.places
    if travel.source == "geodesic":
        return [
            Leg(
                _geodesic_m(places[i], places[j]) * travel.detour_factor,
                travel.durations_s[i][j],
                _straight(places[i], places[j]),
            )
            for i, j in pairs
        ]
    road_mode = "walk" if travel.mode == "walk" else "drive"
    wanted = [(travel.vertices[i], travel.vertices[j]) for i, j in pairs]
    paths = queries.leg_paths(session, road_mode, sorted({w for w in wanted if w[0] != w[1]}), travel.bbox)
    legs = []
    for (i, j), key in zip(pairs, wanted, strict=True):
        a, b = places[i], places[j]
        path = paths.get(key)
        coords = [[a.lon, a.lat], *(path.geometry["coordinates"] if path else []), [b.lon, b.lat]]
        distance = (path.length_m if path else 0.0) + travel.snap_m[i] + travel.snap_m[j]
        legs.append(Leg(distance, travel.durations_s[i][j], {"type": "LineString", "coordinates": coords}))
    return legs


def dwell_minutes(site: SiteStop, override: int | None = None) -> int:
    """Return the visit length in minutes: the override, else the site's own, else its category default."""
    if override is not None:
        return override
    if site.dwell_min is not None:
        return site.dwell_min
    return DEFAULT_DWELL_MIN.get(site.category, FALLBACK_DWELL_MIN)


def path_line(legs: list[Leg]) -> dict:
    """Return the legs joined into one GeoJSON LineString (EPSG:4326)."""
    coords: list[list[float]] = []
    for leg in legs:
        for xy in leg.geometry["coordinates"]:
            if not coords or coords[-1] != xy:
                coords.append(xy)
    if len(coords) == 1:
        coords.append(coords[0])
    return {"type": "LineString", "coordinates": coords}


def site_json(site: SiteStop) -> dict:
    """Return the public fields of a planned site."""
    return {"id": site.id, "code": site.code, "name": site.name, "category": site.category,
            "lon": site.lon, "lat": site.lat}  # fmt: skip


def leg_json(leg: Leg, **extra: Any) -> dict:
    """Return a leg as JSON: metres, minutes and the GeoJSON line."""
    return {
        **extra,
        "distance_m": round(leg.distance_m, 1),
        "duration_min": round(leg.duration_s / 60, 1),
        "geometry": leg.geometry,
    }


def travel_json(travel: Travel) -> dict:
    """Return how travel times were found: source, mode, whether estimated and a note for users."""
    return {
        "mode": travel.mode,
        "source": travel.source,
        "estimate": travel.estimate,
        "detour_factor": travel.detour_factor if travel.source == "geodesic" else None,
        "note": travel.note,
    }


# ---------------------------------------------------------------- curated routes


def route_detail(
    session: Session,
    ref: str,
    mode: str = "walk",
    poi_within_m: float = 300.0,
    poi_categories: tuple[str, ...] = ("food", "parking"),
) -> dict:
    """Return a curated route with its stops, legs, LineString path, totals and POIs along the path."""
    route = queries.get_route(session, ref)
    stops = queries.route_stops(session, route.id)
    body: dict[str, Any] = {
        "id": route.id,
        "code": route.code,
        "name": route.name,
        "theme": route.theme,
        "description": route.description,
        "suggested_duration_min": route.suggested_duration_min,
        "season": route.season,
    }
    places = [Place(s.lon, s.lat, s.name) for _, _, s in stops]
    travel = travel_between(session, places, mode) if len(places) > 1 else None
    legs = legs_for(session, travel, [(i, i + 1) for i in range(len(places) - 1)]) if travel else []
    body["stops"] = [
        {"seq": seq, **site_json(site), "dwell_min": dwell_minutes(site, dwell)} for seq, dwell, site in stops
    ]
    body["legs"] = [leg_json(leg, from_seq=stops[k][0], to_seq=stops[k + 1][0]) for k, leg in enumerate(legs)]
    path = path_line(legs) if legs else None
    travel_s = sum(leg.duration_s for leg in legs)
    visit_min = sum(stop["dwell_min"] for stop in body["stops"])
    body["path"] = path
    body["totals"] = {
        "distance_m": round(sum(leg.distance_m for leg in legs), 1),
        "travel_min": round(travel_s / 60, 1),
        "visit_min": visit_min,
        "total_min": round(travel_s / 60 + visit_min, 1),
    }
    body["travel"] = travel_json(travel) if travel else None
    pois = queries.corridor_pois(session, path, poi_within_m, list(poi_categories)) if path else []
    body["pois"] = {
        "within_m": poi_within_m,
        "categories": list(poi_categories),
        "items": [{**poi.__dict__, "category_label": POI_CATEGORIES[poi.category]} for poi in pois],
    }
    return body


# ---------------------------------------------------------------- plans


@dataclass(frozen=True)
class PlanRequest:
    """A checked plan request; see routes.parse_plan_request for the JSON it comes from."""

    start: Place
    start_at: datetime  # aware, any zone
    budget_min: int
    mode: str = "walk"
    end: Place | None = None  # a fixed end
    end_kind: str = "round"  # round, fixed, open
    site_refs: tuple[int | str, ...] = ()
    rule_tag: str | None = None
    rule_category: str | None = None
    rule_region: str | None = None
    rule_count: int | None = None
    dwell_min: dict[str, int] = field(default_factory=dict)  # by site id or code
    dwell_all_min: int | None = None
    detour_factor: float = DETOUR_FACTOR


def _ewkt(place: Place) -> str:
    return f"SRID=4326;POINT({place.lon!r} {place.lat!r})"


def _iso(start_at: datetime, seconds: float) -> str:
    return (start_at + timedelta(seconds=seconds)).astimezone(LOCAL_TZ).isoformat(timespec="minutes")


def _chosen_sites(session: Session, req: PlanRequest) -> tuple[list[SiteStop], bool]:
    if req.site_refs:
        if len(set(req.site_refs)) > MAX_STOPS:
            raise InvalidParameter(f"a plan takes at most {MAX_STOPS} sites", param="sites")
        ids = [r for r in req.site_refs if isinstance(r, int)]
        codes = [r for r in req.site_refs if isinstance(r, str)]
        found = queries.sites_by_ref(session, ids, codes)
        by_ref = {s.id: s for s in found} | {s.code: s for s in found}
        unknown = [r for r in req.site_refs if r not in by_ref]
        if unknown:
            raise InvalidParameter(
                f"unknown sites: {', '.join(map(str, unknown[:10]))}",
                errors=[{"param": "sites", "message": f"site {r} does not exist"} for r in unknown[:10]],
            )
        ordered = list({by_ref[r].id: by_ref[r] for r in req.site_refs}.values())
        return ordered, True
    if req.rule_region and not queries.region_exists(session, req.rule_region):
        raise InvalidParameter(f"region {req.rule_region} is not loaded", param="rule.region")
    count = req.rule_count or 5
    # Twice the wanted count (nearest first) leaves the solver room to skip closed or distant sites.
    limit = min(MAX_STOPS, max(2 * count, count + 5))
    found = queries.candidate_sites(
        session, _ewkt(req.start), limit, req.rule_tag, req.rule_category, req.rule_region
    )
    if not found:
        raise InvalidParameter("no site matches the rule", param="rule")
    return found, False


def _drop_reason(problem: planner.Problem, k: int, closed_reason: str | None) -> str:
    if closed_reason:
        return closed_reason
    alone = planner.schedule(problem, [k])
    if alone is None:
        arrive = problem.durations_s[0][k + 1]
        if all(arrive > hi for _, hi in problem.windows_s[k]):
            return "outside_hours"
    return "over_budget"


@dataclass(frozen=True)
class Prepared:
    """A plan request turned into a solver Problem, with what is needed to answer it."""

    sites: list[SiteStop]
    dwell_min: list[int]
    closed_reasons: list[str | None]
    travel: Travel
    problem: planner.Problem
    explicit: bool


def prepare(session: Session, req: PlanRequest, now: datetime | None = None) -> Prepared:
    """Return the checked request's sites, visit windows and travel matrix as a solver Problem."""
    now = now or datetime.now(LOCAL_TZ)
    if req.start_at < now - timedelta(minutes=5):
        today = req.start_at.astimezone(LOCAL_TZ).date() == now.astimezone(LOCAL_TZ).date()
        raise InvalidParameter(
            "start_at is earlier today than now" if today else "start_at is in the past", param="start_at"
        )
    if not queries.point_in_regions(session, _ewkt(req.start)):
        raise InvalidParameter("the start point lies outside every loaded region", param="start")
    sites, explicit = _chosen_sites(session, req)
    budget_s = req.budget_min * 60
    dwell = [
        dwell_minutes(s, req.dwell_min.get(str(s.id), req.dwell_min.get(s.code, req.dwell_all_min)))
        for s in sites
    ]
    found = [
        visit_windows(s.opening_hours, req.start_at, budget_s, d * 60)
        for s, d in zip(sites, dwell, strict=True)
    ]
    places = [req.start, *(Place(s.lon, s.lat, s.name) for s in sites)]
    end_node: int | None = {"round": 0, "open": None}.get(req.end_kind, len(places))
    if req.end_kind == "fixed":
        places.append(req.end)
    travel = travel_between(session, places, req.mode, req.detour_factor)
    if end_node and travel.durations_s[0][end_node] > budget_s:
        raise InvalidParameter("the end cannot be reached from the start within the time budget", param="end")
    problem = planner.Problem(
        travel.durations_s,
        [w for w, _ in found],
        [d * 60 for d in dwell],
        budget_s,
        end_node,
        None if explicit else req.rule_count or 5,
    )
    return Prepared(sites, dwell, [r for _, r in found], travel, problem, explicit)


def plan(session: Session, req: PlanRequest, now: datetime | None = None) -> dict:
    """Return a visit plan: sites in order with times, legs, totals, and the sites left out with reasons."""
    ready = prepare(session, req, now)
    problem, sites = ready.problem, ready.sites
    solution = planner.solve(problem, timeout_s=SOLVER_TIMEOUT_S)
    wanted = problem.max_visits if problem.max_visits is not None else problem.n
    dropped = [
        {
            **site_json(sites[k]),
            "reason": (r := _drop_reason(problem, k, ready.closed_reasons[k])),
            "message": REASONS[r],
        }  # fmt: skip
        for k in solution.unvisited
        if ready.explicit or ready.closed_reasons[k] is not None and len(solution.visits) < wanted
    ]
    if not solution.visits:
        all_closed = bool(dropped) and all(d["reason"] != "over_budget" for d in dropped)
        why = "all are closed at that time" if all_closed else "the time budget is too short"
        raise InvalidParameter(
            f"no site can be visited: {why}",
            param="start_at" if all_closed else "budget_min",
            extra={"dropped": [{k: v for k, v in d.items() if k != "lon" and k != "lat"} for d in dropped]},
        )
    return _plan_answer(session, req, ready, solution, dropped)


def _plan_answer(
    session: Session, req: PlanRequest, ready: Prepared, solution: planner.Solution, dropped: list[dict]
) -> dict:
    travel, sites, dwell, end_node = ready.travel, ready.sites, ready.dwell_min, ready.problem.end_node
    nodes = [0, *(v.site + 1 for v in solution.visits)] + ([end_node] if end_node is not None else [])
    legs = legs_for(session, travel, list(zip(nodes, nodes[1:], strict=False)))
    stops, leg_rows, left = [], [], 0
    for k, visit in enumerate(solution.visits):
        leg = legs[k]
        leave_previous = visit.start_s - leg.duration_s  # wait where we are rather than at a closed door
        leg_rows.append(leg_json(leg, depart_at=_iso(req.start_at, leave_previous),
                                 wait_before_min=round((leave_previous - left) / 60, 1)))  # fmt: skip
        stops.append({
            "seq": k + 1,
            **site_json(sites[visit.site]),
            "arrive_at": _iso(req.start_at, visit.start_s),
            "depart_at": _iso(req.start_at, visit.leave_s),
            "dwell_min": dwell[visit.site],
        })  # fmt: skip
        left = visit.leave_s
    if end_node is not None:
        leg_rows.append(leg_json(legs[-1], depart_at=_iso(req.start_at, left), wait_before_min=0.0))
    travel_s = sum(leg.duration_s for leg in legs)
    visit_min = sum(dwell[v.site] for v in solution.visits)
    path = path_line(legs) if legs else None
    return {
        "start": {"lon": req.start.lon, "lat": req.start.lat, "name": req.start.name},
        "end": {
            "kind": req.end_kind,
            **({"lon": req.end.lon, "lat": req.end.lat, "name": req.end.name} if req.end else {}),
        },  # fmt: skip
        "start_at": _iso(req.start_at, 0),
        "finish_at": _iso(req.start_at, solution.finish_s),
        "budget_min": req.budget_min,
        "travel": travel_json(travel),
        "stops": stops,
        "legs": leg_rows,
        "path": path,
        "totals": {
            "sites": len(stops),
            "distance_m": round(sum(leg.distance_m for leg in legs), 1),
            "travel_min": round(travel_s / 60, 1),
            "visit_min": visit_min,
            "wait_min": round((solution.finish_s - travel_s - visit_min * 60) / 60, 1),
            "total_min": round(solution.finish_s / 60, 1),
        },
        "dropped": dropped,
    }


def save_plan(session: Session, request_json: dict, answer: dict, user_id: int | None = None) -> str:
    """Store the plan for its share link (owned by user_id when an account made it) and return the token."""
    token = secrets.token_urlsafe(12)
    queries.save_plan(session, token, request_json, answer, user_id)
    return token
