"""The aggregate arithmetic, shared by the rollups kept on write and the
queries that read them (how the store lays rollups out is
runyard.store.layout). No I/O here.

Durations go into a fixed log-scale histogram of ``HIST_BINS`` bins: bin 0 is
[0, 10 ms), bin k (1..54) is [10 ms·√2^(k-1), 10 ms·√2^k), bin 55 is
everything from 10 ms·2^27 (≈15.5 days) up. Percentiles (nearest rank) are
reported as the geometric midpoint of the bin holding that rank, clamped to
the exact maximum; between 10 ms and 15.5 days that is within 2^(1/4) - 1
(≈19 %) of the true value, below 10 ms within 10 ms, above 15.5 days the
maximum. Counts, the mean and the maximum are exact.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from runyard.v1 import run_pb2

Run = run_pb2.Run

DAY_US = 86_400_000_000

HIST_BINS = 56
HIST_BASE_US = 10_000
# EDGES[k] is where bin k+1 starts.
EDGES: tuple[int, ...] = tuple(round(HIST_BASE_US * 2 ** (k / 2)) for k in range(HIST_BINS - 1))
# Precision bound of a percentile in bins 1..54 (documented above).
PERCENTILE_RELATIVE_ERROR = 2**0.25 - 1

STATES: tuple[int, ...] = tuple(int(s) for s in Run.State.values())
MAX_STATE = max(STATES)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def hist_bin(duration_us: int) -> int:
    return bisect_right(EDGES, duration_us)


def bin_value(k: int, maximum: int) -> int:
    """What a percentile falling into bin `k` is reported as (microseconds)."""
    if k == 0:
        value = HIST_BASE_US // 2
    elif k >= HIST_BINS - 1:
        value = maximum
    else:
        value = round(math.sqrt(EDGES[k - 1] * EDGES[k]))
    return min(value, maximum)


@dataclass
class Totals:
    """Runs summed up: counts by state and the durations of those that ended."""

    by_state: list[int] = field(default_factory=lambda: [0] * (MAX_STATE + 1))
    duration_count: int = 0
    duration_sum: int = 0
    duration_max: int = 0
    hist: list[int] = field(default_factory=lambda: [0] * HIST_BINS)

    @property
    def total(self) -> int:
        return sum(self.by_state)

    def add_row(
        self, state: int, count: int, d_count: int, d_sum: int, d_max: int, hist: Sequence[int]
    ) -> None:
        self.by_state[state] += count
        self.duration_count += d_count
        self.duration_sum += d_sum
        self.duration_max = max(self.duration_max, d_max)
        self.hist = [a + b for a, b in zip(self.hist, hist, strict=True)]

    def add_run(self, state: int, duration_us: int | None) -> None:
        self.by_state[state] += 1
        if duration_us is not None:
            self.duration_count += 1
            self.duration_sum += duration_us
            self.duration_max = max(self.duration_max, duration_us)
            self.hist[hist_bin(duration_us)] += 1

    def success_rate(self) -> float:
        ok, failed = self.by_state[Run.SUCCEEDED], self.by_state[Run.FAILED]
        return ok / (ok + failed) if ok + failed else 0.0

    def mean(self) -> int:
        """Rounded to the microsecond."""
        if not self.duration_count:
            return 0
        q, r = divmod(self.duration_sum, self.duration_count)
        return q + (1 if 2 * r >= self.duration_count else 0)

    def percentile(self, p: int) -> int:
        """The nearest-rank p-th percentile from the histogram (see the module doc)."""
        n = self.duration_count
        if not n:
            return 0
        rank = max(1, -(-p * n // 100))
        seen = 0
        for k, count in enumerate(self.hist):
            seen += count
            if seen >= rank:
                return bin_value(k, self.duration_max)
        return self.duration_max


@dataclass
class AutomationTotals:
    """One automation's totals and its most recently created run (ids, not names)."""

    automation: str
    totals: Totals = field(default_factory=Totals)
    last_run: str = ""
    last_run_time: int | None = None
    last_run_state: int = 0


def to_us(dt: datetime) -> int:
    return (dt - _EPOCH) // timedelta(microseconds=1)


def local_midnight_us(day: date, zone: ZoneInfo) -> int:
    """The first instant of `day` in `zone`, as UTC epoch microseconds.

    fold=0 makes a midnight skipped by a DST gap map to the gap's end (the
    day's real start) and an ambiguous one to its first occurrence."""
    return to_us(datetime(day.year, day.month, day.day, tzinfo=zone))


def day_bounds(start: date, end: date, zone: ZoneInfo) -> list[int]:
    """Boundaries of the days start..end (inclusive): day i is [b[i], b[i+1])."""
    n = (end - start).days + 1
    return [local_midnight_us(start + timedelta(days=i), zone) for i in range(n + 1)]
