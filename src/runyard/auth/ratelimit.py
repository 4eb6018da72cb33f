"""Per-token rate limits: one token bucket per token, in this process.

Limits are per replica (each server process keeps its own buckets), so N
replicas behind a balancer allow up to N times the configured rate; the
documented defaults (docs/security.md) account for that.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from runyard.v1 import token_pb2

Role = token_pb2.Token.Role


@dataclass(frozen=True)
class Limit:
    rate: float  # tokens added per second
    burst: int  # bucket size

    @classmethod
    def of(cls, rate: float, burst: int = 0) -> Limit:
        """A limit of `rate` per second; burst 0 means twice the rate, at least 1."""
        burst = burst or max(1, int(rate * 2))
        if rate <= 0 or burst < 1:
            raise ValueError(f"a rate limit must be positive: {rate}/{burst}")
        return cls(rate, burst)

    @classmethod
    def parse(cls, text: str) -> Limit:
        """`RATE` or `RATE/BURST`."""
        rate_text, _, burst_text = text.partition("/")
        return cls.of(float(rate_text), int(burst_text) if burst_text else 0)


# Defaults per role: generous for people and dashboards, more for runners,
# which report every state change and journal batch.
DEFAULT_LIMITS: dict[int, Limit] = {
    Role.VIEWER: Limit(50, 100),
    Role.OPERATOR: Limit(50, 100),
    Role.ADMIN: Limit(50, 100),
    Role.RUNNER: Limit(200, 400),
}


class _Bucket:
    __slots__ = ("level", "stamp")

    def __init__(self, level: float, stamp: float) -> None:
        self.level = level
        self.stamp = stamp


class RateLimiter:
    """take(key, limit) -> 0.0 when allowed, else the seconds until it would be."""

    def __init__(self) -> None:
        self._clock = time.monotonic
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str, limit: Limit) -> float:
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(float(limit.burst), now)
            else:
                bucket.level = min(
                    float(limit.burst), bucket.level + (now - bucket.stamp) * limit.rate
                )
                bucket.stamp = now
            if bucket.level >= 1.0:
                bucket.level -= 1.0
                return 0.0
            return (1.0 - bucket.level) / limit.rate
