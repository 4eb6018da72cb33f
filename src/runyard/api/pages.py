"""List responses assembled from stored message bytes.

Every List response here has the page in field 1, next_page_token in field 2
and total_size in field 3. Framing the stored bodies and parsing the whole
response once costs about a third of parsing each body and copying it into
the repeated field (36 µs vs 107 µs for 50 runs, measured). Not parsing it at
all is cheaper still: every List method returns `framed_response`, which
hands the bytes over as they are (grpc sends them, the gateway's JSON memo is
keyed by the bodies), and the message is parsed only if someone reads it."""

from __future__ import annotations

from typing import TypeVar

from google.protobuf.message import Message

from runyard.gateway.framed import Framed
from runyard.store.interface import Page

M = TypeVar("M", bound=Message)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        bits = value & 0x7F
        value >>= 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


# Field 1's tag and length, by length, as met (a dict read is a third of encoding it).
_HEADS: dict[int, bytes] = {}


def _head(length: int) -> bytes:
    head = b"\x0a" + _varint(length)  # field 1, length-delimited
    if length < 1 << 14:
        _HEADS[length] = head
    return head


def _frame(page: Page[bytes]) -> tuple[bytes, bytes]:
    """The whole response's bytes (items as field 1), and its other fields' bytes."""
    parts: list[bytes] = []
    add = parts.append
    heads = _HEADS
    for body in page.items:
        head = heads.get(len(body))
        add(head if head is not None else _head(len(body)))
        add(body)
    rest: list[bytes] = []
    if page.next_page_token:
        token = page.next_page_token.encode()
        rest += (b"\x12", _varint(len(token)), token)  # field 2
    if page.total_size:
        rest += (b"\x18", _varint(page.total_size))  # field 3, varint
    tail = b"".join(rest)
    parts.append(tail)
    return b"".join(parts), tail


def framed_response(cls: type[M], page: Page[bytes]) -> Framed[M]:
    """The List response `cls` holding `page`, as its bytes: grpc sends them as
    they are and the gateway's JSON memo is keyed by the stored bodies; it is
    parsed only for whoever reads `.message`."""
    data, rest = _frame(page)
    return Framed(cls, data, 1, page.items, rest)
