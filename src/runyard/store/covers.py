"""Which rollup buckets tile a time range (see runyard.store.aggregates): the
plain cover of layout.decompose, or whole UTC days plus and minus their edges
when that reads fewer rows. Pure arithmetic on microseconds, no database."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from runyard.store import layout


def _cost(pieces: Sequence[layout.Piece]) -> int:
    """Rollup buckets (so rows per state) that `pieces` read."""
    step = dict(layout.LEVELS)
    return sum((hi - lo) // step[level] for level, lo, hi in pieces if level in step) + len(pieces)


def signed_cover(lo: int, hi: int) -> tuple[list[layout.Piece], list[layout.Piece]] | None:
    """[lo, hi) as whole UTC days plus (first list) and minus (second list) the
    quarter-aligned stretches to the nearest day edges, when that reads fewer
    rollup rows than layout.decompose's positive cover, the edges counted at
    half (a daily query shares each with the neighbouring day); else None."""
    base = layout.floor_to(lo, layout.DAY_US)
    shape = _signed_shape(lo - base, hi - base)
    if shape is None:
        return None
    plus, minus = shape
    return _shift(plus, base), _shift(minus, base)


def _shift(pieces: Sequence[layout.Piece], by: int) -> list[layout.Piece]:
    return [(level, lo + by, hi + by) for level, lo, hi in pieces]


@functools.lru_cache(maxsize=256)
def _signed_shape(
    lo: int, hi: int
) -> tuple[tuple[layout.Piece, ...], tuple[layout.Piece, ...]] | None:
    # Every level divides a day, so covers repeat from day to day: one per
    # (offset into the day, length), cached.
    plain, raw = layout.decompose(lo, hi)
    if raw:
        return None
    best: tuple[tuple[layout.Piece, ...], tuple[layout.Piece, ...]] | None = None
    best_cost: float = _cost(plain)
    day = layout.DAY_US
    for a in {layout.floor_to(lo, day), layout.ceil_to(lo, day)}:
        for b in {layout.floor_to(hi, day), layout.ceil_to(hi, day)}:
            if a >= b:
                continue
            plus: list[layout.Piece] = [(layout.LEVEL_DAY, a, b)]
            minus: list[layout.Piece] = []
            for x, y, inside in ((lo, a, lo < a), (b, hi, b < hi)):
                edge, _ = layout.decompose(min(x, y), max(x, y))
                (plus if inside else minus).extend(edge)
            # A day's edges are its neighbours' too (the stretch between two
            # midnights ends one day and starts the next), and a daily query
            # reads each once: half their rows count against this day.
            cost = _cost(plus[:1]) + (_cost(plus[1:]) + _cost(minus)) / 2
            if cost < best_cost:
                best, best_cost = (tuple(plus), tuple(minus)), cost
    return best


def plain_cover(lo: int, hi: int) -> tuple[list[layout.Piece], list[layout.RawPiece]]:
    base = layout.floor_to(lo, layout.DAY_US)
    pieces, raw = _plain_shape(lo - base, hi - base)
    return _shift(pieces, base), [(a + base, b + base) for a, b in raw]


@functools.lru_cache(maxsize=256)
def _plain_shape(lo: int, hi: int) -> tuple[tuple[layout.Piece, ...], tuple[layout.RawPiece, ...]]:
    pieces, raw = layout.decompose(lo, hi)
    return tuple(pieces), tuple(raw)
