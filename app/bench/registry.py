"""Scenarios: a name, a target from the issue that set it, and how to set up, run and compare one call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .stats import Stats


class Unavailable(Exception):
    """The function or endpoint a scenario measures does not exist (yet) in this build."""


@dataclass
class Outcome:
    """One scenario's figures: its own stats, the reference's, whether the target is met, and notes."""

    scenario: str
    scale: str
    target: str
    stats: Stats | None = None
    reference: str = ""
    reference_stats: Stats | None = None
    # "time": ratio = p50 / reference p50 (lower is better); "rate": ratio = throughput / reference's.
    ratio_kind: str = "time"
    met: bool | None = None
    notes: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    @property
    def ratio(self) -> float | None:
        own, ref = self.stats, self.reference_stats
        if own is None or ref is None:
            return None
        if self.ratio_kind == "rate":
            return own.throughput / ref.throughput if ref.throughput else None
        return own.p50_ms / ref.p50_ms if ref.p50_ms else None

    def as_dict(self) -> dict[str, Any]:
        def stats(s: Stats | None) -> dict[str, float] | None:
            if s is None:
                return None
            return {
                "n": s.n,
                "p50_ms": round(s.p50_ms, 3),
                "p95_ms": round(s.p95_ms, 3),
                "p99_ms": round(s.p99_ms, 3),
                "throughput_per_s": round(s.throughput, 1),
            }

        ratio = self.ratio
        return {
            "scenario": self.scenario,
            "scale": self.scale,
            "target": self.target,
            "met": self.met,
            "stats": stats(self.stats),
            "reference": self.reference,
            "reference_stats": stats(self.reference_stats),
            "ratio": None if ratio is None else round(ratio, 3),
            "ratio_kind": self.ratio_kind,
            "notes": self.notes,
            "error": self.error,
        }


@dataclass(frozen=True)
class Scenario:
    """A registered scenario; measure(ctx, outcome) fills the outcome or raises Unavailable."""

    name: str
    target: str
    measure: Callable[[Any, Outcome], None]
    group: str = "sql"


SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str, target: str, group: str = "sql") -> Callable:
    """Register the decorated measure(ctx, outcome) function under name."""

    def register(fn: Callable[[Any, Outcome], None]) -> Callable[[Any, Outcome], None]:
        SCENARIOS[name] = Scenario(name, target, fn, group)
        return fn

    return register
