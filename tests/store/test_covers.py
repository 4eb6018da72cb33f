"""Which rollup buckets a local day is read from (runyard.store.covers): as
its UTC day plus and minus the stretch to the local midnight when that reads
fewer rows (the stretch is shared with the neighbouring day, so it counts at
half), else the plain cover; either way exactly the day."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from runyard.domain import aggregates as agg
from runyard.store import covers, layout

Q, H, H4, D = layout.LEVEL_QUARTER, layout.LEVEL_HOUR, layout.LEVEL_FOUR_HOURS, layout.LEVEL_DAY


def _day(zone: str, day: date) -> tuple[int, int]:
    z = ZoneInfo(zone)
    return agg.local_midnight_us(day, z), agg.local_midnight_us(day + timedelta(days=1), z)


def _coverage(plus: list[layout.Piece], minus: list[layout.Piece], at: int) -> int:
    inside = sum(lo <= at < hi for _, lo, hi in plus)
    return inside - sum(lo <= at < hi for _, lo, hi in minus)


@pytest.mark.parametrize(
    ("zone", "day", "plus", "minus"),
    [
        ("UTC", date(2024, 1, 10), None, None),
        ("Europe/London", date(2024, 1, 10), None, None),
        ("Europe/London", date(2024, 7, 10), [D, H], [H]),
        ("America/New_York", date(2024, 1, 10), [D, H, H4], [H, H4]),  # 5 hours
        ("America/New_York", date(2024, 7, 10), [D, H4], [H4]),  # 4 hours
        ("America/New_York", date(2024, 3, 10), [D, H4], [H, H4]),  # 23 hours long
        ("Asia/Kathmandu", date(2024, 1, 10), [D, Q, H, H4], [Q, H, H4]),  # 5:45
        ("Australia/Lord_Howe", date(2024, 1, 10), [D, H, H4], [H, H4]),  # 11 hours
        ("Australia/Lord_Howe", date(2024, 7, 10), [D, Q, H, H4], [Q, H, H4]),  # 10:30
    ],
)
def test_a_local_day_is_read_exactly_from_few_rows(
    zone: str, day: date, plus: list[int] | None, minus: list[int] | None
) -> None:
    lo, hi = _day(zone, day)
    cover = covers.signed_cover(lo, hi)
    if plus is None:
        assert cover is None
        pieces, raw = covers.plain_cover(lo, hi)
        assert raw == []
        cover = (pieces, [])
    else:
        assert cover is not None
        assert [level for level, _, _ in cover[0]] == plus
        assert [level for level, _, _ in cover[1]] == minus
    edges = sorted({lo, hi, *(x for _, a, b in [*cover[0], *cover[1]] for x in (a, b))})
    for a, b in itertools.pairwise(edges):
        assert _coverage(cover[0], cover[1], (a + b) // 2) == (1 if lo <= a and b <= hi else 0)
    steps = dict(layout.LEVELS)
    for level, a, b in [*cover[0], *cover[1]]:
        assert a % steps[level] == 0 and b % steps[level] == 0 and a < b
