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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from ._json import JsonDecodeError, decode_message
from .descriptors import camel_to_snake, field_by_name, is_map_field
from .errors import GatewayError, bad_request
from .query_values import (
    NO_SUBFIELDS,
    QUERY_LEAF_MESSAGES,
    ValueError400,
    parse_query,
    scalar_value,
    set_leaf,
    wkt_range_error,
)
from .routes import HTTP_BODY, Binding

# parse_query, ValueError400 and QUERY_LEAF_MESSAGES are re-exported for callers
# that know them from here.
__all__ = ["QUERY_LEAF_MESSAGES", "RequestBuilder", "ValueError400", "parse_query"]

FD = FieldDescriptor


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
            if desc is None or desc.full_name in NO_SUBFIELDS:
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
                set_leaf(parent, leaf, value)
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
