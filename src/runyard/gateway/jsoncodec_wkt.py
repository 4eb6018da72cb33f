"""Scalar and well-known-type helpers shared by the JSON encoder and decoder.

Private to :mod:`runyard.gateway.jsoncodec`. Formatting follows protobuf's
``json_format`` exactly (Timestamp/Duration with 0, 3, 6 or 9 fractional
digits, FieldMask paths in lowerCamelCase, float32 printed at the shortest
precision that survives a round trip through 4 bytes).
"""

from __future__ import annotations

import binascii
import datetime
import re
import struct
from typing import Any

TIMESTAMP_SECONDS_MIN = -62135596800  # 0001-01-01T00:00:00Z
TIMESTAMP_SECONDS_MAX = 253402300799  # 9999-12-31T23:59:59Z
DURATION_SECONDS_MAX = 315576000000  # 10,000 years, as in duration.proto
NANOS_PER_SECOND = 1_000_000_000
FLOAT32_MAX = float.fromhex("0x1.fffffep+127")

_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_F32 = struct.Struct("<f")


class EncodeError(ValueError):
    """A message holds a value that has no proto3 JSON form (bad Timestamp, NaN in Value…)."""


# Formatting is table lookups and concatenation (about 2x faster than divmod and
# f-string formatting per field, measured): dates of a page repeat, so a bounded cache
# maps day -> "YYYY-MM-DDT"; times of day are filled in as they are met (at most
# 86,400 short strings); fractions are two 1,000-entry tables.
_DAY_CACHE: dict[int, str] = {}
_DAY_CACHE_MAX = 4096
_HMS: list[str | None] = [None] * 86400
_MILLIS = tuple(f".{i:03d}" for i in range(1000))
_DIGITS3 = tuple(f"{i:03d}" for i in range(1000))


def _day(days: int) -> str:
    s = _DAY_CACHE.get(days)
    if s is None:
        s = datetime.date.fromordinal(_EPOCH_ORDINAL + days).isoformat() + "T"
        if len(_DAY_CACHE) >= _DAY_CACHE_MAX:
            _DAY_CACHE.clear()
        _DAY_CACHE[days] = s
    return s


def _hms(rem: int) -> str:
    hours, rest = divmod(rem, 3600)
    text = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    _HMS[rem] = text
    return text


def _fraction(nanos: int) -> str:
    """ ".123", ".123456" or ".123456789": the fewest groups of three digits (nanos > 0)."""
    micros, n = divmod(nanos, 1000)
    if n:
        return f".{nanos:09d}"
    millis, u = divmod(micros, 1000)
    if u:
        return _MILLIS[millis] + _DIGITS3[u]
    return _MILLIS[millis]


def format_timestamp(seconds: int, nanos: int) -> str:
    if not (
        TIMESTAMP_SECONDS_MIN <= seconds <= TIMESTAMP_SECONDS_MAX and 0 <= nanos < NANOS_PER_SECOND
    ):
        raise EncodeError(f"Timestamp out of range: seconds={seconds} nanos={nanos}")
    days, rem = divmod(seconds, 86400)
    day = _DAY_CACHE.get(days) or _day(days)
    hms = _HMS[rem] or _hms(rem)
    # _fraction inline (one call fewer); one f-string builds the result at once.
    if not nanos:
        return f"{day}{hms}Z"
    micros, n = divmod(nanos, 1000)
    if n:
        return f"{day}{hms}.{nanos:09d}Z"
    millis, u = divmod(micros, 1000)
    if u:
        return f"{day}{hms}{_MILLIS[millis]}{_DIGITS3[u]}Z"
    return f"{day}{hms}{_MILLIS[millis]}Z"


def format_duration(seconds: int, nanos: int) -> str:
    if (
        not -DURATION_SECONDS_MAX <= seconds <= DURATION_SECONDS_MAX
        or not -NANOS_PER_SECOND < nanos < NANOS_PER_SECOND
        or (nanos < 0 < seconds)
        or (seconds < 0 < nanos)
    ):
        raise EncodeError(f"Duration out of range: seconds={seconds} nanos={nanos}")
    if seconds < 0 or nanos < 0:
        if nanos:
            return f"-{-seconds}{_fraction(-nanos)}s"
        return f"-{-seconds}s"
    if not nanos:
        return f"{seconds}s"
    micros, n = divmod(nanos, 1000)
    if n:
        return f"{seconds}.{nanos:09d}s"
    millis, u = divmod(micros, 1000)
    if u:
        return f"{seconds}{_MILLIS[millis]}{_DIGITS3[u]}s"
    return f"{seconds}{_MILLIS[millis]}s"


def snake_to_camel(path: str) -> str:
    """FieldMask path to its JSON form; rejects paths that would not parse back."""
    out: list[str] = []
    after_underscore = False
    for c in path:
        if c.isupper():
            raise EncodeError(f"FieldMask path {path!r} must not contain uppercase letters")
        if after_underscore:
            if not c.islower():
                raise EncodeError(
                    f"FieldMask path {path!r}: the character after '_' must be a lowercase letter"
                )
            out.append(c.upper())
            after_underscore = False
        elif c == "_":
            after_underscore = True
        else:
            out.append(c)
    if after_underscore:
        raise EncodeError(f"FieldMask path {path!r} ends with '_'")
    return "".join(out)


def format_field_mask(paths: object) -> str:
    return ",".join(snake_to_camel(p) for p in paths)  # type: ignore[attr-defined]


# Struct, Value and ListValue describe themselves: their JSON is their content.
def value_json(v: Any) -> Any:
    kind = v.WhichOneof("kind")
    if kind == "string_value":
        return v.string_value
    if kind == "number_value":
        x = v.number_value
        if x - x != 0.0:
            raise EncodeError(
                f"Value.number_value {x} has no JSON form (it would read back as a string)"
            )
        return x
    if kind == "bool_value":
        return v.bool_value
    if kind == "struct_value":
        return struct_json(v.struct_value)
    if kind == "list_value":
        return [value_json(x) for x in v.list_value.values]
    return None  # null_value, or nothing set (json_format prints null too)


def struct_json(s: Any) -> dict[str, Any]:
    return {k: value_json(x) for k, x in s.fields.items()}


def list_value_json(lv: Any) -> list[Any]:
    return [value_json(x) for x in lv.values]


def nonfinite(x: float) -> str:
    if x != x:
        return "NaN"
    return "Infinity" if x > 0 else "-Infinity"


def shortest_float32(x: float) -> float | str:
    """The float32 value ``x`` at the fewest significant digits that still maps back to it."""
    if x - x != 0.0:
        return nonfinite(x)
    for precision in (6, 7, 8, 9):
        rounded = float(f"{x:.{precision}g}")
        if _F32.unpack(_F32.pack(rounded))[0] == x:
            return rounded
    return x


def b64encode(b: bytes) -> str:
    return binascii.b2a_base64(b, newline=False).decode("ascii")


# ---- decoding helpers -------------------------------------------------------------------

_TIMESTAMP_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)
_DURATION_RE = re.compile(r"(-)?(\d+)(?:\.(\d{1,9}))?s", re.ASCII)


def parse_timestamp(text: str) -> tuple[int, int]:
    m = _TIMESTAMP_RE.fullmatch(text)
    if m is None:
        raise ValueError(f"invalid RFC 3339 timestamp {text!r}")
    year, month, day, hour, minute, second, frac, z, sign, oh, om = m.groups()
    try:
        ordinal = datetime.date(int(year), int(month), int(day)).toordinal()
    except ValueError:
        raise ValueError(f"invalid date in timestamp {text!r}") from None
    h, mi, s = int(hour), int(minute), int(second)
    if h > 23 or mi > 59 or s > 59:
        raise ValueError(f"invalid time of day in timestamp {text!r}")
    seconds = (ordinal - _EPOCH_ORDINAL) * 86400 + h * 3600 + mi * 60 + s
    if z is None:
        offset = int(oh) * 3600 + int(om) * 60
        if int(oh) > 23 or int(om) > 59:
            raise ValueError(f"invalid UTC offset in timestamp {text!r}")
        seconds = seconds - offset if sign == "+" else seconds + offset
    nanos = int(frac.ljust(9, "0")) if frac else 0
    if not TIMESTAMP_SECONDS_MIN <= seconds <= TIMESTAMP_SECONDS_MAX:
        raise ValueError(f"timestamp {text!r} is outside 0001-01-01..9999-12-31")
    return seconds, nanos


def parse_duration(text: str) -> tuple[int, int]:
    m = _DURATION_RE.fullmatch(text)
    if m is None:
        raise ValueError(f'invalid duration {text!r}, expected e.g. "1.5s"')
    neg, secs, frac = m.groups()
    seconds = int(secs)
    nanos = int(frac.ljust(9, "0")) if frac else 0
    if seconds > DURATION_SECONDS_MAX:
        raise ValueError(f"duration {text!r} is out of range")
    if neg:
        seconds, nanos = -seconds, -nanos
    return seconds, nanos
