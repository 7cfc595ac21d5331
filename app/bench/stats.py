"""Timing samples and their summary: percentiles in milliseconds, throughput in operations per second."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Sampling:
    """How long to warm up and how many samples to take (seconds, counts)."""

    warmup_s: float = 1.0
    min_samples: int = 30
    max_samples: int = 400
    max_s: float = 8.0
    load_s: float = 10.0

    def heavy(self) -> Sampling:
        """The plan for calls of up to seconds each: one warm-up call, at least 3 samples."""
        return Sampling(
            warmup_s=0.0,
            min_samples=min(self.min_samples, 3),
            max_samples=min(self.max_samples, 30),
            max_s=self.max_s,
            load_s=self.load_s,
        )

    @classmethod
    def once(cls) -> Sampling:
        """One warm-up call and one sample: enough for the smoke test to prove a scenario still runs."""
        return cls(warmup_s=0.0, min_samples=1, max_samples=1, max_s=0.0, load_s=1.0)


@dataclass(frozen=True)
class Stats:
    """Latency percentiles (ms) of n samples and the sequential throughput they imply (per second)."""

    n: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    throughput: float

    @classmethod
    def of(cls, samples_s: list[float], wall_s: float | None = None) -> Stats:
        """Summarise samples (seconds each); throughput is n over wall_s, or over their sum."""
        ms = np.array(samples_s) * 1000
        p50, p95, p99 = np.percentile(ms, [50, 95, 99])
        total = wall_s if wall_s is not None else float(np.sum(samples_s))
        return cls(
            len(samples_s), float(p50), float(p95), float(p99), len(samples_s) / total if total else 0.0
        )


def measure(
    call: Callable[[int], object], sampling: Sampling, reset: Callable[[], object] | None = None
) -> Stats:
    """Warm up, then time call(i) for i = 0, 1, ... until enough samples or time have been taken;
    reset, when given, runs untimed after every call (a rollback, say)."""
    reset = reset or (lambda: None)
    i = 0
    started = time.perf_counter()
    call(i)
    reset()
    # A call of many seconds (a naive reference at province scale) gets fewer samples, at least one.
    first_s = time.perf_counter() - started
    min_samples = sampling.min_samples
    if first_s * min_samples > 4 * sampling.max_s:
        min_samples = max(1, int(4 * sampling.max_s / first_s))
    while time.perf_counter() - started < sampling.warmup_s:
        i += 1
        call(i)
        reset()
    samples: list[float] = []
    started = time.perf_counter()
    while len(samples) < sampling.max_samples and (
        len(samples) < min_samples or time.perf_counter() - started < sampling.max_s
    ):
        i += 1
        t0 = time.perf_counter()
        call(i)
        samples.append(time.perf_counter() - t0)
        reset()
    return Stats.of(samples)
