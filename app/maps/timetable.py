"""A curated route (as app.routing returns it) turned into map features and a visiting timetable."""

from __future__ import annotations

from typing import Any

from ..geo import feature_collection, to_feature


def _clock(minutes: float) -> str:
    m = int(round(minutes))
    return f"{m // 60 % 24:02d}:{m % 60:02d}"


def timetable(route: dict[str, Any], start: str = "09:00") -> list[dict[str, Any]]:
    """Return the route's stops in order with arrive/leave clock times, leaving the first stop at start."""
    hours, minutes = (int(p) for p in start.split(":"))
    now = float(hours * 60 + minutes)
    travel = {leg["to_seq"]: leg["duration_min"] for leg in route.get("legs", [])}
    out = []
    for stop in route["stops"]:
        now += travel.get(stop["seq"], 0.0)
        arrive = now
        now += stop["dwell_min"] or 0
        out.append({**stop, "site_id": stop["id"], "arrive": _clock(arrive), "leave": _clock(now)})
    return out


def route_features(route: dict[str, Any]) -> dict[str, Any]:
    """Return the route's path (if routed) and its numbered stops as a FeatureCollection (EPSG:4326)."""
    features = [
        to_feature(
            {"type": "Point", "coordinates": [s["lon"], s["lat"]]},
            {"seq": i + 1, "site_id": s["id"], "name": s["name"], "category": s["category"]},
        )
        for i, s in enumerate(route["stops"])
    ]
    if route.get("path"):
        features.insert(0, to_feature(route["path"], {"path": True}))
    return feature_collection(features)
