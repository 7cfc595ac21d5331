"""Opening hours (heritage_sites.opening_hours) as visit time windows in seconds after a plan's start."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ..vocab import WEEKDAYS

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

# Reasons a site is left out of a plan, with the wording shown to users (zh-CN first).
REASONS = {
    "closed": "当天闭馆 (closed on that day)",
    "outside_hours": "开放时间内无法到达或参观不完 (cannot be visited within its opening hours)",
    "over_budget": "超出时间预算 (does not fit in the time budget)",
}


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def day_spans(hours: dict, day: datetime) -> list[tuple[datetime, datetime]]:
    """Return the local [open, close) spans of day's date; a close at or before the opening is next day."""
    spans = hours.get(WEEKDAYS[day.weekday()]) if isinstance(hours, dict) else None
    midnight = datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)
    out = []
    for span in spans if isinstance(spans, list) else []:
        opens, closes = _minutes(span[0]), _minutes(span[1])
        if closes <= opens:
            closes += 24 * 60
        out.append((midnight + timedelta(minutes=opens), midnight + timedelta(minutes=closes)))
    return out


def visit_windows(
    hours: dict, start: datetime, budget_s: int, dwell_s: int
) -> tuple[list[tuple[int, int]], str | None]:
    """Return the windows (earliest, latest visit start, seconds after start) that fit a whole visit.

    The second value names why there is none: "closed" if the site does not open at all during the
    budget, "over_budget" if an opening would hold the visit but the budget ends first, "outside_hours"
    if no opening leaves room for the visit.
    """
    start = start.astimezone(LOCAL_TZ)
    end = start + timedelta(seconds=budget_s)
    windows: list[tuple[int, int]] = []
    opens_at_all = budget_bound = False
    day = start - timedelta(days=1)  # yesterday's overnight opening may still run
    while day.date() <= end.date():
        for opens, closes in day_spans(hours, day):
            if closes <= start or opens >= end:
                continue
            opens_at_all = True
            lo = max(0, int((opens - start).total_seconds()))
            latest = int((closes - start).total_seconds()) - dwell_s
            if lo <= min(latest, budget_s - dwell_s):
                windows.append((lo, min(latest, budget_s - dwell_s)))
            elif lo <= latest:
                budget_bound = True
        day += timedelta(days=1)
    if windows:
        return _merged(windows), None
    if budget_bound:
        return [], "over_budget"
    return [], "outside_hours" if opens_at_all else "closed"


def _merged(windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    # The solver wants disjoint windows in order; spans of two days may touch or overlap.
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(windows):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out
