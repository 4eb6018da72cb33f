"""Rate-limit settings: parsing and defaults, as a table."""

from __future__ import annotations

import pytest

from runyard.auth.ratelimit import Limit, RateLimiter


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("5", Limit(5, 10)),
        ("5/7", Limit(5, 7)),
        ("0.2", Limit(0.2, 1)),
        ("100000/100000", Limit(100000, 100000)),
    ],
)
def test_parse(text: str, limit: Limit) -> None:
    assert Limit.parse(text) == limit


@pytest.mark.parametrize("text", ["0", "-1", "5/-2", "x", "5/y"])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        Limit.parse(text)


def test_bucket_allows_the_burst_then_says_how_long_to_wait() -> None:
    limiter = RateLimiter()
    limit = Limit(1, 3)
    assert [limiter.take("t", limit) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.take("t", limit)
    assert 0 < wait <= 1.0
    assert limiter.take("other", limit) == 0.0
