"""Structured opening hours: the moment a visitor asks about, read as a weekday and HH:MM in Asia/Shanghai."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ..errors import InvalidParameter
from ..vocab import WEEKDAYS

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class LocalMoment:
    """A weekday key (mon..sun) and a zero-padded HH:MM, both in Asia/Shanghai."""

    day: str
    hhmm: str
    iso: str

    @property
    def minute_of_week(self) -> int:
        """Return the minutes since Monday 00:00."""
        hours, minutes = self.hhmm.split(":")
        return WEEKDAYS.index(self.day) * 1440 + int(hours) * 60 + int(minutes)


def local_moment(at: datetime) -> LocalMoment:
    """Return at as a weekday and HH:MM in Asia/Shanghai; a naive datetime is taken as Shanghai time."""
    local = at.replace(tzinfo=LOCAL_TZ) if at.tzinfo is None else at.astimezone(LOCAL_TZ)
    iso = local.isoformat(timespec="minutes")
    return LocalMoment(WEEKDAYS[local.weekday()], local.strftime("%H:%M"), iso)


def now_moment() -> LocalMoment:
    """Return the current moment in Asia/Shanghai."""
    return local_moment(datetime.now(LOCAL_TZ))


def parse_open_at(raw: str, param: str = "open_at") -> LocalMoment:
    """Return the moment given in ISO 8601 (no offset means Shanghai time); 400 naming param otherwise."""
    try:
        at = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidParameter(
            f"{param} must be an ISO 8601 date and time such as 2026-05-04T10:30+08:00, got {raw[:40]!r}",
            param=param,
        ) from None
    return local_moment(at)


def is_open(hours: dict, moment: LocalMoment) -> bool:
    """Return True when moment falls inside one of the day's [open, close) spans; a missing day is closed."""
    spans = hours.get(moment.day) if isinstance(hours, dict) else None
    if not isinstance(spans, list):
        return False
    return any(opens <= moment.hhmm < closes for opens, closes in spans)


# The SQL twin of is_open, on the alias t: open_minutes is the generated, GiST-indexed multirange of
# the opening hours in minutes of the week (migration 0002_guide); :open_minute comes from a LocalMoment.
# open_hours (the hours of the week touched by a span) is there for the planner and its GIN index.
OPEN_AT_SQL = (
    "t.open_hours @> ARRAY[CAST(:open_hour AS smallint)] AND t.open_minutes @> CAST(:open_minute AS integer)"
)
