"""Fast, generic proto3 JSON codec (protobuf message ⇄ JSON bytes).

Output equals ``google.protobuf.json_format`` as parsed JSON: lowerCamelCase
keys (or ``json_name``), 64-bit integers as strings, enums by name (unknown
numbers as numbers), bytes as standard base64, ``"NaN"``/``"Infinity"``,
maps with string keys, proto3 ``optional`` and oneofs by presence, and every
well-known type in its special form. The output is compact (no spaces), keys
in field-number order.

Encoders are generated per message type from its descriptor and cached, see
:mod:`runyard.gateway.jsoncodec_encode`; they build plain dicts and lists that
one ``orjson.dumps`` call serialises. Where the optional C extension is built,
:func:`encode_message` instead prints the message's serialized bytes in one
pass (:mod:`runyard.gateway.jsoncodec_encode_wire`), byte for byte the same
output. Decoding is table-driven per type, see
:mod:`runyard.gateway.jsoncodec_decode`.

Public API:

- :func:`encode_message` / :func:`encode_messages` → ``bytes``
- :func:`to_json_value` → the JSON-ready Python value (to embed in a larger
  document before one ``orjson.dumps``)
- :func:`decode_message` fills a message from JSON text or an already parsed value
- :class:`JsonDecodeError` (a ``ValueError``) for malformed input;
  :class:`JsonEncodeError` (a ``ValueError``) for messages with no JSON form

Differences from json_format, all on inputs it handles inconsistently:
decoding rejects duplicate JSON keys and a field given under both its JSON and
its proto name, bare ``NaN``/``Infinity`` literals, booleans where numbers are
expected, non-numeric strings for numbers and invalid base64 (json_format
silently drops bad characters); it accepts ``null`` for ``NullValue``
elements of repeated fields and maps, which json_format prints but cannot read
back. Extensions are not supported (``[ext]`` keys count as unknown fields).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from google.protobuf.message import Message

from .jsoncodec_decode import JsonDecodeError, decoder_for, loads
from .jsoncodec_encode import encoder_for, memo_encoder_for
from .jsoncodec_encode_wire import WireEncoder, print_message, wire_encoder_for
from .jsoncodec_wkt import EncodeError as JsonEncodeError

__all__ = [
    "JsonDecodeError",
    "JsonEncodeError",
    "decode_message",
    "encode_message",
    "encode_messages",
    "to_json_value",
]


def to_json_value(msg: Message, *, emit_unpopulated: bool = False) -> Any:
    """``msg`` as the Python value of its proto3 JSON form (dicts, lists, str, numbers…).

    With ``emit_unpopulated`` fields without presence (implicit scalars, repeated fields,
    maps) appear with their default values, as json_format's
    ``always_print_fields_with_no_presence``; fields with presence stay absent.

    Raises:
        JsonEncodeError: a Timestamp or Duration out of range, NaN/Infinity in a
            ``Value``, an ``Any`` whose type is not in the default descriptor pool, a
            FieldMask path with no JSON form.
    """
    try:
        return encoder_for(msg.DESCRIPTOR, emit_unpopulated)(msg)
    except RecursionError as e:
        raise _too_deep(e) from None


def encode_message(msg: Message, *, emit_unpopulated: bool = False) -> bytes:
    """``msg`` as compact proto3 JSON (UTF-8). See :func:`to_json_value`.

    With the compiled printer built (runyard.gateway.jsoncodec_encode_wire) the
    message is printed from its serialized bytes in one call, a page included:
    that costs about what looking its elements up in the memo does. Otherwise (and
    with ``emit_unpopulated``) the Python encoder runs, and the elements of a
    page's top-level repeated message fields are memoised by their serialized
    bytes (runyard.gateway.jsoncodec_encode)."""
    if not emit_unpopulated:
        wire = _printers.get(msg.DESCRIPTOR, _UNSET)
        if wire is _UNSET:
            wire = _printers[msg.DESCRIPTOR] = wire_encoder_for(msg.DESCRIPTOR, encoder_for)
        if wire is not None:
            out = print_message(wire, msg)  # type: ignore[arg-type]
            if out is not None:
                return out
    try:
        return orjson.dumps(memo_encoder_for(msg.DESCRIPTOR, emit_unpopulated)(msg))
    except (RecursionError, orjson.JSONEncodeError) as e:
        raise _too_deep(e) from None


_UNSET: Any = object()
_printers: dict[Any, WireEncoder | None] = {}


def _too_deep(e: BaseException) -> JsonEncodeError:
    # Only messages nested hundreds of levels deep get here (orjson stops at 254).
    return JsonEncodeError(f"message nested too deeply for JSON: {e}")


def encode_messages(msgs: Iterable[Message], *, emit_unpopulated: bool = False) -> bytes:
    """A JSON array of the messages, serialised in one go (e.g. the items of a page)."""
    out = []
    enc = None
    wire = None
    desc = None
    for m in msgs:
        d = m.DESCRIPTOR
        if d is not desc:
            desc = d
            enc = encoder_for(d, emit_unpopulated)
            wire = None if emit_unpopulated else wire_encoder_for(d, encoder_for)
        if wire is not None:
            text = print_message(wire, m)
            if text is not None:
                out.append(orjson.Fragment(text))
                continue
        try:
            out.append(enc(m))  # type: ignore[misc]
        except RecursionError as e:
            raise _too_deep(e) from None
    try:
        return orjson.dumps(out)
    except orjson.JSONEncodeError as e:
        raise _too_deep(e) from None


def decode_message(
    data: bytes | bytearray | memoryview | str | dict[str, Any],
    message: Message,
    *,
    ignore_unknown_fields: bool = True,
) -> None:
    """Fills ``message`` from proto3 JSON, as ``json_format.Parse``/``ParseDict`` do.

    ``data`` is JSON text (``bytes``/``str``) or an already parsed JSON value (a
    ``dict`` for ordinary messages; any JSON value for well-known types such as
    Timestamp). Both lowerCamelCase JSON names and proto field names are accepted,
    enums by name or number, 64-bit integers as strings or numbers, ``null`` as "not
    set". Repeated and map fields named in the input replace the message's; other
    fields are merged. With ``ignore_unknown_fields`` unknown keys and unknown enum
    names are skipped; otherwise they are errors.

    Raises:
        JsonDecodeError: (a ``ValueError``) on malformed JSON or a value that does
            not fit its field; ``str(e)`` is ``"<path>: <reason>"``, ``e.path`` the
            field path (e.g. ``runs[0].createTime``) and ``e.reason`` the cause.
            ``message`` may then be partly filled.
    """
    value = loads(data) if isinstance(data, bytes | bytearray | memoryview | str) else data
    try:
        decoder_for(message.DESCRIPTOR)(message, value, ignore_unknown_fields, 1)
    except JsonDecodeError:
        raise
    except RecursionError:
        raise JsonDecodeError("input nested too deeply") from None
    except Exception as e:  # upb may still reject a value; never leak a non-ValueError
        raise JsonDecodeError(f"invalid value: {e}") from None
