"""Routing test data: the generated street grid over the test city and sites placed on its nodes."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.routing.roads import NetworkImport, import_network
from app.routing.windows import LOCAL_TZ

GRID = Path(__file__).parent / "data" / "routing_grid.osm"
STEP = 0.002
WALK_MPS = 4.5 / 3.6
EARTH_M_PER_DEG = 111_320.0  # along a meridian, and along the equator; parallels shrink by cos(lat)
LAT_M_PER_DEG = 110_700.0  # near 26 degrees north a degree of latitude is about 110.7 km

OPEN_9_17 = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
CLOSED_MONDAY = {**OPEN_9_17, "mon": []}
LUNCH_BREAK = {d: [["09:00", "12:00"], ["14:00", "17:00"]] for d in OPEN_9_17}
ALWAYS = {d: [["00:00", "24:00"]] for d in OPEN_9_17}


def node(row: int, col: int) -> tuple[float, float]:
    """Return the lon/lat of grid node (row, col)."""
    return round(119.0 + col * STEP, 7), round(26.0 + row * STEP, 7)


def east_m(lat: float, cols: int) -> float:
    """Return the hand-computed length of cols grid steps east at latitude lat, in metres."""
    return cols * STEP * EARTH_M_PER_DEG * math.cos(math.radians(lat))


def north_m(rows: int) -> float:
    """Return the hand-computed length of rows grid steps north, in metres."""
    return rows * STEP * LAT_M_PER_DEG


def load_grid(session: Session) -> NetworkImport:
    return import_network(session, GRID, replace=True)


ADD_SITE = text("""
    INSERT INTO heritage_sites (code, name, category, geom, opening_hours, dwell_min, tags)
    VALUES (:code, :name, :category, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), CAST(:hours AS jsonb),
            :dwell, CAST(:tags AS text[]))
    RETURNING id
""")


def add_site(
    session: Session,
    code: str,
    at: tuple[float, float],
    hours: dict = OPEN_9_17,
    dwell: int | None = 30,
    category: str = "former_site",
    tags: tuple[str, ...] = ("测试",),
) -> int:
    params = {"code": code, "name": f"测试点{code}", "category": category, "lon": at[0], "lat": at[1],
              "hours": json.dumps(hours), "dwell": dwell, "tags": list(tags)}  # fmt: skip
    return int(session.execute(ADD_SITE, params).scalar_one())


def next_weekday(weekday: int, hour: int = 9, minute: int = 0) -> datetime:
    """Return the next date (after today, Asia/Shanghai) falling on weekday (0 = Monday) at hour:minute."""
    today = datetime.now(LOCAL_TZ).date()
    days = (weekday - today.weekday()) % 7 or 7
    day = today + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TZ)
