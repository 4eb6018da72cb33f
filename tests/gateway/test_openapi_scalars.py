"""The OpenAPI document's bounds for values proto3 JSON writes as strings."""

from __future__ import annotations

import re

import pytest

from runyard.gateway.openapi_scalars import INT64_PATTERN, UINT64_PATTERN, WKT_SCHEMAS, up_to

DURATION = WKT_SCHEMAS["google.protobuf.Duration"]["pattern"]


@pytest.mark.parametrize("limit", [0, 5, 9, 10, 19, 100, 101, 1000, 315_575_999_999, 2**63 - 1])
def test_up_to_matches_exactly_zero_to_limit(limit: int) -> None:
    rx = re.compile(f"^{up_to(limit)}$")
    near = [*range(min(limit + 30, 1200)), limit - 1, limit, limit + 1, limit * 10 + 7]
    for v in (v for v in near if v >= 0):
        assert bool(rx.match(str(v))) == (v <= limit), v
    assert not rx.match("-1") and not rx.match("")
    if limit:
        assert not rx.match(f"0{limit}")  # no leading zeros


@pytest.mark.parametrize(
    ("pattern", "text", "ok"),
    [
        (INT64_PATTERN, str(2**63 - 1), True),
        (INT64_PATTERN, str(2**63), False),
        (INT64_PATTERN, str(-(2**63)), True),
        (INT64_PATTERN, str(-(2**63) - 1), False),
        (INT64_PATTERN, "-0", True),
        (INT64_PATTERN, "12a", False),
        (UINT64_PATTERN, str(2**64 - 1), True),
        (UINT64_PATTERN, str(2**64), False),
        (UINT64_PATTERN, "-1", False),
        (DURATION, "315575999999.999999999s", True),
        (DURATION, "-315575999999s", True),
        (DURATION, "315576000001s", False),
        (DURATION, "1.5s", True),
        (DURATION, "1.5", False),
    ],
)
def test_string_integer_patterns(pattern: str, text: str, ok: bool) -> None:
    assert bool(re.match(pattern, text)) == ok
