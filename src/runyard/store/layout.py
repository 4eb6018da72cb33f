"""How run rollups are laid out in the run_rollups table (runyard.store.rollups
writes them, runyard.store.aggregates reads them). Only the store knows this;
the arithmetic on totals is runyard.domain.aggregates.

Rollups are kept at five levels, each keyed by (workspace, automation, bucket
start, state, trigger) and bucketed on a run's create_time in UTC:

- QUARTER: 15-minute buckets. Every UTC offset in use today is a multiple of
  15 minutes, so every local midnight falls on a quarter boundary;
- HOUR, FOUR_HOURS and DAY (UTC): coarser copies, so a long range reads few
  rows (the hours between a local and the UTC midnight, 5 in New York in
  winter, are one four-hour and one hour row instead of five hour rows);
- ALL: one bucket for all time (answers window-less queries at once).

Beside each automation's rows there are rows summed over all automations
(automation ``ALL_AUTOMATIONS``) and over all triggers (trigger
``ALL_TRIGGERS``), so an unfiltered workspace-wide query reads one row per
bucket and state instead of one per automation and trigger.
"""

from __future__ import annotations

from runyard.domain.aggregates import DAY_US
from runyard.v1 import run_pb2

QUARTER_US = 15 * 60 * 1_000_000
HOUR_US = 4 * QUARTER_US
FOUR_HOURS_US = 4 * HOUR_US

LEVEL_QUARTER = 1
LEVEL_HOUR = 2
LEVEL_DAY = 3
LEVEL_ALL = 4
LEVEL_FOUR_HOURS = 5  # added later (migration 0012), hence numbered after ALL
# Bucket lengths, finest first, each dividing the next; LEVEL_ALL has the
# single bucket start 0.
LEVELS: tuple[tuple[int, int], ...] = (
    (LEVEL_QUARTER, QUARTER_US),
    (LEVEL_HOUR, HOUR_US),
    (LEVEL_FOUR_HOURS, FOUR_HOURS_US),
    (LEVEL_DAY, DAY_US),
)

ALL_AUTOMATIONS = ""  # automation ids are never empty (AIP-122)
ALL_TRIGGERS = -1  # trigger enum values are never negative
# Every trigger a run can have, from the enum itself (a new value counts at once).
TRIGGERS: tuple[int, ...] = tuple(int(v) for v in run_pb2.Run.Trigger.values())

# Far-away, day-aligned stand-ins for an open end of a time window.
MIN_US = -(2**62 // DAY_US) * DAY_US
MAX_US = (2**62 // DAY_US) * DAY_US

Piece = tuple[int, int, int]  # (level, first bucket start, bucket start bound)
RawPiece = tuple[int, int]  # [lo, hi) of create_time, read from the runs themselves


def floor_to(t: int, step: int) -> int:
    return (t // step) * step


def ceil_to(t: int, step: int) -> int:
    return -((-t) // step) * step


def decompose(lo: int | None, hi: int | None) -> tuple[list[Piece], list[RawPiece]]:
    """Covers [lo, hi) (None: open) with the fewest rollup buckets, plus the
    parts finer than a quarter, which only the runs table can answer."""
    if lo is None and hi is None:
        return [(LEVEL_ALL, 0, 1)], []
    a0 = MIN_US if lo is None else lo
    b0 = MAX_US if hi is None else hi
    if a0 >= b0:
        return [], []
    a, b = ceil_to(a0, QUARTER_US), floor_to(b0, QUARTER_US)
    if a >= b:
        return [], [(a0, b0)]
    raw: list[RawPiece] = []
    if a0 < a:
        raw.append((a0, a))
    if b < b0:
        raw.append((b, b0))
    pieces: list[Piece] = []
    for i, (level, _) in enumerate(LEVELS):
        if i == len(LEVELS) - 1:
            pieces.append((level, a, b))
            break
        step = LEVELS[i + 1][1]
        a2, b2 = ceil_to(a, step), floor_to(b, step)
        if a2 >= b2:
            pieces.append((level, a, b))
            break
        if a < a2:
            pieces.append((level, a, a2))
        if b2 < b:
            pieces.append((level, b2, b))
        a, b = a2, b2
    return pieces, raw


def bucket_starts(create_time_us: int) -> list[tuple[int, int]]:
    """The (level, bucket start) of every rollup a run created then counts in."""
    out = [(level, floor_to(create_time_us, step)) for level, step in LEVELS]
    out.append((LEVEL_ALL, 0))
    return out


def bucket_span(level: int, start: int) -> tuple[int | None, int | None]:
    """The create_time range of one bucket (None: open)."""
    if level == LEVEL_ALL:
        return None, None
    step = dict(LEVELS)[level]
    return start, start + step
