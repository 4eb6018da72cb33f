"""The memo of encoded elements (see :mod:`.jsoncodec_encode`): a repeated
message field's elements as ready JSON, keyed by their serialized bytes.

A page framed from stored bodies (:mod:`.framed_json`) looks its elements up by
those bodies, without serializing anything, and prints only the ones missing."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import orjson

Encoder = Callable[[Any], Any]

MEMO_MAX_BYTES = 16 << 20
# Elements with fewer fields encode about as fast as they serialize: not memoised.
MEMO_MIN_FIELDS = 8


class ElementMemo:
    """Serialized element bytes -> its JSON as an ``orjson.Fragment``, oldest out first."""

    def __init__(self, max_bytes: int = MEMO_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.entries: dict[tuple[Encoder, bytes], tuple[Any, int]] = {}
        self.lock = threading.Lock()

    def encode(self, enc: Encoder, m: Any) -> Any:
        key = (enc, m.SerializeToString())
        hit = self.entries.get(key)
        if hit is not None:
            return hit[0]
        text = orjson.dumps(enc(m))
        frag = orjson.Fragment(text)
        cost = len(key[1]) + len(text)
        with self.lock:
            if key not in self.entries:
                self.entries[key] = (frag, cost)
                self.size += cost
            while self.size > self.max_bytes and self.entries:
                oldest = next(iter(self.entries))
                self.size -= self.entries.pop(oldest)[1]
        return frag

    def encode_all(self, enc: Encoder, items: Any) -> list[Any]:
        """The elements of a repeated field, as :meth:`encode` each: looked up
        together and the new ones kept under one lock (a page is one call, not 50)."""
        entries = self.entries
        dumps = orjson.dumps
        fragment = orjson.Fragment
        out: list[Any] = []
        new: list[tuple[tuple[Encoder, bytes], Any, int]] = []
        for m in items:
            key = (enc, m.SerializeToString())
            hit = entries.get(key)
            if hit is not None:
                out.append(hit[0])
                continue
            text = dumps(enc(m))
            frag = fragment(text)
            out.append(frag)
            new.append((key, frag, len(key[1]) + len(text)))
        if new:
            self._keep(new)
        return out

    def encode_keyed(
        self,
        enc: Encoder,
        keys: Sequence[bytes],
        texts: Callable[[list[int]], Sequence[bytes]],
    ) -> list[Any]:
        """As :meth:`encode_all` for elements known by their serialized bytes
        (``keys``), kept under ``enc``: ``texts(indices)`` gives the JSON of the
        ones not kept."""
        entries = self.entries
        out: list[Any] = []
        missing: list[int] = []
        for i, data in enumerate(keys):
            hit = entries.get((enc, data))
            if hit is None:
                missing.append(i)
                out.append(None)
            else:
                out.append(hit[0])
        if missing:
            fragment = orjson.Fragment
            new: list[tuple[tuple[Encoder, bytes], Any, int]] = []
            for i, text in zip(missing, texts(missing), strict=True):
                frag = out[i] = fragment(text)
                data = keys[i]
                new.append(((enc, data), frag, len(data) + len(text)))
            self._keep(new)
        return out

    def _keep(self, new: list[tuple[tuple[Encoder, bytes], Any, int]]) -> None:
        with self.lock:
            entries = self.entries
            for key, frag, cost in new:
                if key not in entries:
                    entries[key] = (frag, cost)
                    self.size += cost
            while self.size > self.max_bytes and entries:
                oldest = next(iter(entries))
                self.size -= entries.pop(oldest)[1]

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0


MEMO = ElementMemo()
