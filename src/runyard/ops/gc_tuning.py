"""Cyclic garbage collection tuned for a long-running server.

What a server loads at start (modules, SQLAlchemy metadata, protobuf
descriptors, gRPC's machinery) lives as long as the process, yet CPython's
full collections walk all of it again and again: under 16 callers writing run
lifecycles into SQLite one took ~70-110 ms every few seconds, on top of young
collections every 700 new container objects (docs/performance.md, "SQLite
writes: where a lifecycle's CPU goes, third round"). After start-up those
objects are moved out of the collector's sight (gc.freeze) and the young
generation may grow further before it is collected; reference counting still
frees everything without cycles at once, and cycles are still collected.
"""

from __future__ import annotations

import gc

# Container objects allocated before a young collection (CPython's default: 700).
YOUNG_THRESHOLD = 20_000


def settle_after_start() -> None:
    """Call once the server is up: what exists now is kept out of later collections."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
