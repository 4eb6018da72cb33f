"""Response message → HTTP body.

Unary: proto3 JSON of the response (or of its ``response_body`` field), or the
raw bytes and content type of a ``google.api.HttpBody``. Server streaming:
newline-delimited JSON, one ``{"result": …}`` line per message and, when the
stream fails after its first message, a last ``{"error": <Status>}`` line
(grpc-gateway's framing; Envoy drops such errors). A streamed HttpBody is sent
as its raw bytes.
"""

from __future__ import annotations

from typing import Any

import orjson
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from ._json import encode_framed, encode_message, to_json_value
from .descriptors import is_map_field
from .errors import GatewayError, status_json
from .framed import Framed
from .routes import HTTP_BODY, Binding

__all__ = ["NDJSON", "ResponseEncoder"]

NDJSON = "application/x-ndjson"
JSON = "application/json"


def _default_json(fd: FieldDescriptor) -> Any:
    # The JSON of an unpopulated field, for a response_body that names it.
    if fd.is_repeated:
        return {} if is_map_field(fd) else []
    if fd.type == FieldDescriptor.TYPE_MESSAGE:
        return None
    if fd.type in (
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_SINT64,
        FieldDescriptor.TYPE_FIXED64,
        FieldDescriptor.TYPE_SFIXED64,
    ):
        return "0"
    if fd.type == FieldDescriptor.TYPE_ENUM:
        et: Any = fd.enum_type
        ev = et.values_by_number.get(0)
        return ev.name if ev is not None else 0
    if fd.type == FieldDescriptor.TYPE_BOOL:
        return False
    if fd.type in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES):
        return ""
    return 0


class ResponseEncoder:
    """Encodes the responses of one binding."""

    def __init__(self, binding: Binding, *, emit_unpopulated: bool) -> None:
        self.emit_unpopulated = emit_unpopulated
        out: Descriptor = binding.output
        self.field: FieldDescriptor | None = (
            out.fields_by_name[binding.response_body] if binding.response_body else None
        )
        target = self.field.message_type if self.field is not None else out
        self.http_body = (
            target is not None
            and target.full_name == HTTP_BODY
            and (self.field is None or not self.field.is_repeated)
        )

    def body(self, msg: Message | Framed[Any]) -> tuple[bytes, str]:
        """Body bytes and content type of a unary response (a message, or one
        still as its wire bytes)."""
        if type(msg) is Framed:
            if self.field is None and not self.http_body:
                return encode_framed(msg, emit_unpopulated=self.emit_unpopulated), JSON
            msg = msg.message
        assert isinstance(msg, Message)
        if self.http_body:
            hb: Any = getattr(msg, self.field.name) if self.field is not None else msg
            return bytes(hb.data), hb.content_type or "application/octet-stream"
        if self.field is None:
            return encode_message(msg, emit_unpopulated=self.emit_unpopulated), JSON
        return orjson.dumps(self._field_json(msg)), JSON

    def _field_json(self, msg: Message) -> Any:
        fd = self.field
        assert fd is not None
        value = to_json_value(msg, emit_unpopulated=self.emit_unpopulated)
        if fd.json_name in value:
            return value[fd.json_name]
        return _default_json(fd)

    def stream_line(self, msg: Message) -> bytes:
        """One NDJSON line (or the raw bytes of a streamed HttpBody)."""
        if self.http_body:
            hb: Any = getattr(msg, self.field.name) if self.field is not None else msg
            return bytes(hb.data)
        if self.field is None:
            # The same bytes as dumping {"result": value}, printed as a page is.
            data = encode_message(msg, emit_unpopulated=self.emit_unpopulated)
            return b'{"result":' + data + b"}\n"
        return orjson.dumps({"result": self._field_json(msg)}) + b"\n"

    def stream_content_type(self, first: Message | None) -> str:
        if self.http_body and first is not None:
            hb: Any = getattr(first, self.field.name) if self.field is not None else first
            return str(hb.content_type or "application/octet-stream")
        return NDJSON

    @staticmethod
    def error_line(err: GatewayError) -> bytes:
        return orjson.dumps({"error": status_json(err.status)}) + b"\n"
