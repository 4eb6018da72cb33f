"""HTTP request → request message: query, then body, then path.

Policies (where Envoy and grpc-gateway differ, see the design notes):

- The path always wins: path variables are written last, over anything the
  body set. A query parameter may only set fields that are neither bound by the
  path nor covered by the body; naming such a field is 400 (Envoy lets the
  query override both, an authorisation hazard).
- Query values: the key repeated for repeated fields (no comma splitting);
  enums by name (case-sensitive) or number; bool as true/false/1/0; integers as
  plain decimals within range; Timestamp, Duration and FieldMask in their
  proto3 JSON forms (FieldMask paths lowerCamel or snake, stored snake);
  wrappers as their scalar; Struct/Value/ListValue as JSON text; ``+`` is a
  space; a singular field given twice is 400; unknown parameters are 400
  (ignored with ``strict_query=False``). Sub-fields of Timestamp, Duration,
  FieldMask and the wrappers bind too (``startTime.seconds=…``,
  ``updateMask.paths=a&updateMask.paths=b``, ``pageSize.value=…``), as
  google/api/http.proto allows for any message field; one value may not be set
  both ways.
- Body: ``body: "*"`` decodes the whole message, ``body: "field"`` decodes
  that field's JSON value; with no ``body`` rule the body is ignored. Unknown
  JSON fields and enum names are 400 unless ``ignore_unknown_body_fields`` is
  on (then skipped, as protobuf JSON's ignore_unknown_fields). The
  Content-Type is not consulted except for ``google.api.HttpBody`` targets,
  which take the raw bytes and the Content-Type.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from ._json import JsonDecodeError, decode_message
from .descriptors import camel_to_snake, field_by_name, is_map_field
from .errors import GatewayError, bad_request
from .httprule import PathDecodeError, percent_decode
from .routes import HTTP_BODY, Binding

__all__ = ["RequestBuilder", "parse_query"]

FD = FieldDescriptor
_INT = re.compile(r"-?[0-9]+\Z")
_FLOAT = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_RANGES: dict[int, tuple[int, int]] = {
    FD.TYPE_INT32: (-(2**31), 2**31 - 1),
    FD.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FD.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FD.TYPE_INT64: (-(2**63), 2**63 - 1),
    FD.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FD.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FD.TYPE_UINT32: (0, 2**32 - 1),
    FD.TYPE_FIXED32: (0, 2**32 - 1),
    FD.TYPE_UINT64: (0, 2**64 - 1),
    FD.TYPE_FIXED64: (0, 2**64 - 1),
}
_FLOAT_MAX = 3.4028234663852886e38
_BOOLS = {"true": True, "false": False, "1": True, "0": False}
_WRAPPERS = frozenset(
    f"google.protobuf.{n}Value"
    for n in ("Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes")
)
_ANY = "google.protobuf.Any"
_JSON_FORM = frozenset({"google.protobuf.Timestamp", "google.protobuf.Duration"})
_JSON_TEXT = frozenset(
    {"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"}
)
QUERY_LEAF_MESSAGES = (
    _WRAPPERS
    | _JSON_FORM
    | _JSON_TEXT
    | {
        "google.protobuf.FieldMask",
        "google.protobuf.Empty",
    }
)


# Well-known types whose fields cannot be set one by one from the query (their
# JSON form only); Timestamp, Duration, FieldMask and wrappers can (http.proto
# binds any message's sub-fields: ``startTime.seconds``, ``updateMask.paths``).
_NO_SUBFIELDS = _JSON_TEXT | {_ANY, "google.protobuf.Empty"}
_TS_MIN, _TS_MAX = -62135596800, 253402300799  # 0001-01-01 .. 9999-12-31
_DUR_MAX = 315576000000


def wkt_range_error(sub: Any) -> str:
    """Why a Timestamp or Duration is out of its JSON range ("" when fine)."""
    name = sub.DESCRIPTOR.full_name
    if name == "google.protobuf.Timestamp":
        if not _TS_MIN <= sub.seconds <= _TS_MAX:
            return "timestamp seconds out of range (0001-01-01 to 9999-12-31)"
        if not 0 <= sub.nanos <= 999_999_999:
            return "timestamp nanos out of range (0 to 999999999)"
    elif name == "google.protobuf.Duration":
        if not -_DUR_MAX <= sub.seconds <= _DUR_MAX:
            return "duration seconds out of range (±315576000000)"
        if not -999_999_999 <= sub.nanos <= 999_999_999 or sub.seconds * sub.nanos < 0:
            return "duration nanos out of range or of another sign than seconds"
    return ""


class ValueError400(ValueError):
    """A value that does not fit its field (becomes a 400 with a field violation)."""


def parse_query(query: bytes) -> list[tuple[str, str]]:
    """``application/x-www-form-urlencoded`` pairs; ``+`` is a space, a key
    without ``=`` has the empty value. Raises ValueError400 on bad escapes."""
    out: list[tuple[str, str]] = []
    if not query:
        return out
    try:
        text = query.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError400("query string is not ASCII") from None
    for part in text.split("&"):
        if not part:
            continue
        k, _, v = part.partition("=")
        try:
            key = percent_decode(k.replace("+", " "), keep_reserved=False)
            value = percent_decode(v.replace("+", " "), keep_reserved=False)
        except PathDecodeError as e:
            raise ValueError400(str(e)) from None
        out.append((key, value))
    return out


def scalar_value(fd: Any, text: str) -> Any:
    """The Python value of ``text`` for a scalar or enum field."""
    t = fd.type
    if t == FD.TYPE_STRING:
        return text
    if t in _RANGES:
        if not _INT.match(text):
            raise ValueError400(f"invalid integer {text!r}")
        n = int(text)
        lo, hi = _RANGES[t]
        if not lo <= n <= hi:
            raise ValueError400(f"integer {text} out of range")
        return n
    if t in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
        if text in ("NaN", "Infinity", "-Infinity"):
            return float(text.replace("Infinity", "inf"))
        if not _FLOAT.match(text):
            raise ValueError400(f"invalid number {text!r}")
        x = float(text)
        if math.isinf(x) or (t == FD.TYPE_FLOAT and abs(x) > _FLOAT_MAX):
            raise ValueError400(f"number {text} out of range")
        return x
    if t == FD.TYPE_BOOL:
        b = _BOOLS.get(text.lower())
        if b is None:
            raise ValueError400(f"invalid boolean {text!r}")
        return b
    if t == FD.TYPE_BYTES:
        s = text.strip()
        s += "=" * (-len(s) % 4)
        try:
            if "-" in s or "_" in s:
                return base64.urlsafe_b64decode(s)
            return base64.b64decode(s, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError400("invalid base64") from None
    if t == FD.TYPE_ENUM:
        et: Any = fd.enum_type
        ev = et.values_by_name.get(text)
        if ev is not None:
            return ev.number
        if _INT.match(text):
            n = int(text)
            if not -(2**31) <= n < 2**31:
                raise ValueError400(f"enum number {text} out of range")
            if et.is_closed and n not in et.values_by_number:
                raise ValueError400(f"unknown {et.full_name} number {text}")
            return n
        raise ValueError400(f"unknown {et.full_name} value {text!r}")
    raise ValueError400(f"unsupported field type {t}")


def _set_leaf(parent: Message, fd: FieldDescriptor, text: str) -> None:
    """Sets (or, for repeated fields, appends) ``text`` into ``parent.fd``."""
    if fd.type != FD.TYPE_MESSAGE:
        v = scalar_value(fd, text)
        if fd.is_repeated:
            getattr(parent, fd.name).append(v)
        else:
            setattr(parent, fd.name, v)
        return
    sub = getattr(parent, fd.name).add() if fd.is_repeated else getattr(parent, fd.name)
    _fill_wkt(sub, text)


def _fill_wkt(sub: Message, text: str) -> None:
    name = sub.DESCRIPTOR.full_name
    if name in _WRAPPERS:
        vf = sub.DESCRIPTOR.fields_by_name["value"]
        sub.SetInParent()
        setattr(sub, "value", scalar_value(vf, text))  # noqa: B010
    elif name in _JSON_FORM:
        try:
            decode_message(orjson.dumps(text), sub)
        except JsonDecodeError as e:
            raise ValueError400(e.reason if hasattr(e, "reason") else str(e)) from None
    elif name == "google.protobuf.FieldMask":
        sub.SetInParent()
        paths = [camel_to_snake(p.strip(), allow_snake=True) for p in text.split(",") if p.strip()]
        sub.paths.extend(paths)  # type: ignore[attr-defined]
    elif name in _JSON_TEXT:
        try:
            decode_message(text.encode(), sub)
        except JsonDecodeError as e:
            raise ValueError400(f"invalid JSON for {name}: {e}") from None
    elif name == "google.protobuf.Empty":
        if text not in ("", "{}"):
            raise ValueError400("google.protobuf.Empty takes no value")
        sub.SetInParent()
    else:
        raise ValueError400(f"{name} cannot be set from a query parameter; set its fields")


@dataclass(frozen=True)
class _QueryField:
    chain: tuple[FieldDescriptor, ...]
    canonical: str  # proto names joined with '.'

    @property
    def leaf(self) -> FieldDescriptor:
        return self.chain[-1]


class RequestBuilder:
    """Builds the request message of one binding; created once per binding."""

    def __init__(
        self,
        binding: Binding,
        *,
        domain: str,
        strict_query: bool = True,
        ignore_unknown_body_fields: bool = False,
    ) -> None:
        self.binding = binding
        self.domain = domain
        self.strict_query = strict_query
        self.ignore_unknown_body_fields = ignore_unknown_body_fields
        self._cls = binding.request_class
        self._path_paths = binding.path_fields
        self._path_setters: list[tuple[tuple[str, ...], str, Callable[[Message, str], None]]] = [
            (p, ".".join(p), _path_setter(binding.input, p)) for p in self._path_paths
        ]
        self._query_cache: dict[str, _QueryField | None] = {}
        bf = binding.body_field
        self._body_field = bf
        bt: Any = bf.message_type if bf is not None else None
        self._body_is_http_body = (
            binding.body == "*" and binding.input.full_name == HTTP_BODY
        ) or (bt is not None and bt.full_name == HTTP_BODY)

    def build(
        self,
        path_values: dict[tuple[str, ...], str],
        query: list[tuple[str, str]],
        body: bytes,
        content_type: str,
    ) -> Message:
        msg = self._cls()
        if query:
            self._apply_query(msg, query)
        if (self.binding.body and body) or (self._body_is_http_body and content_type):
            self._apply_body(msg, body, content_type)
        for path, name, setter in self._path_setters:
            try:
                setter(msg, path_values[path])
            except ValueError400 as e:
                raise bad_request(
                    f"invalid path value for {name}: {e}",
                    name,
                    str(e),
                    self.domain,
                    "INVALID_PATH_PARAMETER",
                ) from None
        return msg

    # -- query ---------------------------------------------------------------------

    def _resolve(self, key: str) -> _QueryField | None:
        if key in self._query_cache:
            return self._query_cache[key]
        res: _QueryField | None = None
        desc: Descriptor | None = self.binding.input
        chain: list[FieldDescriptor] = []
        for part in key.split("."):
            if desc is None or desc.full_name in _NO_SUBFIELDS:
                chain = []
                break
            fd = field_by_name(desc, part)
            if fd is None:
                chain = []
                break
            chain.append(fd)
            desc = None if (fd.is_repeated or is_map_field(fd)) else fd.message_type
        if chain:
            res = _QueryField(tuple(chain), ".".join(f.name for f in chain))
        if len(self._query_cache) < 4096:  # bounded: keys come from clients
            self._query_cache[key] = res
        return res

    def _reject(self, key: str, why: str, reason: str = "INVALID_QUERY_PARAMETER") -> GatewayError:
        return bad_request(f"query parameter {key!r}: {why}", key, why, self.domain, reason)

    def _check_form(self, key: str, qf: _QueryField, forms: dict[str, str]) -> None:
        """A well-known type is set either in its JSON form (``startTime=…``) or by
        its fields (``startTime.seconds=…``), not both."""
        chain: tuple[Any, ...] = qf.chain
        if chain[-1].type == FD.TYPE_MESSAGE:
            wkt, form = qf.canonical, "form"
        elif len(chain) > 1 and chain[-2].message_type.full_name in QUERY_LEAF_MESSAGES:
            wkt, form = qf.canonical.rpartition(".")[0], "fields"
        else:
            return
        if forms.setdefault(wkt, form) != form:
            raise self._reject(key, f"{wkt} is set both as a value and by its fields")

    def _apply_query(self, msg: Message, query: list[tuple[str, str]]) -> None:
        seen: set[str] = set()
        forms: dict[str, str] = {}
        body = self.binding.body
        for key, value in query:
            qf = self._resolve(key)
            if qf is None:
                if self.strict_query:
                    raise self._reject(key, "unknown parameter", "UNKNOWN_QUERY_PARAMETER")
                continue
            names = tuple(f.name for f in qf.chain)
            for p in self._path_paths:
                n = min(len(p), len(names))
                if p[:n] == names[:n]:
                    raise self._reject(key, "the field is bound by the URL path")
            if body == "*" or (body and names[0] == body):
                raise self._reject(key, "the field is set by the request body")
            leaf: Any = qf.leaf
            if is_map_field(leaf) or (
                leaf.type == FD.TYPE_MESSAGE
                and leaf.message_type.full_name not in QUERY_LEAF_MESSAGES
            ):
                raise self._reject(key, "not a scalar field; set its fields as name.field")
            self._check_form(key, qf, forms)
            if not leaf.is_repeated:
                if qf.canonical in seen:
                    raise self._reject(key, "a singular field given more than once")
                seen.add(qf.canonical)
                oneof = leaf.containing_oneof
                if oneof is not None and len(oneof.fields) > 1:  # not a proto3 `optional`
                    tag = qf.canonical.rpartition(".")[0] + "#" + oneof.name
                    if tag in seen:
                        raise self._reject(key, f"another field of oneof {oneof.name} is set")
                    seen.add(tag)
            parent = msg
            for fd in qf.chain[:-1]:
                parent = getattr(parent, fd.name)
            try:
                _set_leaf(parent, leaf, value)
            except ValueError400 as e:
                raise self._reject(key, str(e)) from None
            except (TypeError, ValueError) as e:  # upb's own checks, e.g. oneof clashes
                raise self._reject(key, f"invalid value: {e}") from None
        for wkt, form in forms.items():
            if form == "fields":
                self._check_wkt(msg, wkt)

    def _check_wkt(self, msg: Message, canonical: str) -> None:
        """Range checks of a Timestamp or Duration set by its fields (the JSON form
        is checked by its parser); FieldMask paths set by field are stored snake."""
        sub: Any = msg
        for name in canonical.split("."):
            sub = getattr(sub, name)
        why = wkt_range_error(sub)
        if why:
            raise self._reject(canonical, why)
        if sub.DESCRIPTOR.full_name == "google.protobuf.FieldMask":
            paths = [camel_to_snake(p, allow_snake=True) for p in sub.paths]
            del sub.paths[:]
            sub.paths.extend(paths)

    # -- body ----------------------------------------------------------------------

    def _apply_body(self, msg: Message, body: bytes, content_type: str) -> None:
        if self._body_is_http_body:
            target: Any = msg if self.binding.body == "*" else getattr(msg, self.binding.body)
            target.content_type = content_type
            target.data = body
            return
        try:
            if self.binding.body == "*":
                decode_message(body, msg, ignore_unknown_fields=self.ignore_unknown_body_fields)
            else:
                bf = self._body_field
                assert bf is not None
                try:
                    value = orjson.loads(body)
                except orjson.JSONDecodeError as e:
                    raise JsonDecodeError(f"invalid JSON: {e}") from None
                if value is not None:
                    decode_message(
                        {bf.name: value},
                        msg,
                        ignore_unknown_fields=self.ignore_unknown_body_fields,
                    )
        except JsonDecodeError as e:
            field = getattr(e, "path", "") or ""
            if self.binding.body not in ("*", "") and field.startswith(self.binding.body):
                field = field[len(self.binding.body) :].lstrip(".")
            raise bad_request(
                f"invalid request body: {e}",
                field or "body",
                str(e),
                self.domain,
                "INVALID_REQUEST_BODY",
            ) from None


def _path_setter(desc: Descriptor, path: tuple[str, ...]) -> Callable[[Message, str], None]:
    fds: list[FieldDescriptor] = []
    d: Descriptor | None = desc
    for name in path:
        assert d is not None
        fd = d.fields_by_name[name]
        fds.append(fd)
        d = fd.message_type
    leaf = fds[-1]

    def set_path(msg: Message, text: str) -> None:
        parent = msg
        for fd in fds[:-1]:
            parent = getattr(parent, fd.name)
        setattr(parent, leaf.name, scalar_value(leaf, text))

    return set_path
