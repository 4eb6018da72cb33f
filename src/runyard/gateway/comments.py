"""Proto comments by full name, from a FileDescriptorSet built with source info
(``protoc --include_source_info``), for the OpenAPI document's descriptions.

Descriptors loaded from generated code or server reflection carry no comments
(protobuf drops ``source_code_info``), hence a descriptor set file. Keys are
full names: messages and enums (``pkg.Msg``, ``pkg.Msg.Inner``), fields and
enum values (``pkg.Msg.field``, ``pkg.Enum.VALUE``), methods
(``pkg.Service.Method``).
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2

__all__ = ["read_comments"]

# FileDescriptorProto / DescriptorProto / ServiceDescriptorProto field numbers.
_FILE_MESSAGE, _FILE_ENUM, _FILE_SERVICE = 4, 5, 6
_MSG_FIELD, _MSG_NESTED, _MSG_ENUM = 2, 3, 4
_ENUM_VALUE = 2
_SERVICE_METHOD = 2


def _clean(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines()]
    return "\n".join(lines).strip()


def read_comments(data: bytes) -> dict[str, str]:
    """The leading comments of every named element of the set's files."""
    fds = descriptor_pb2.FileDescriptorSet.FromString(data)
    out: dict[str, str] = {}
    for f in fds.file:
        by_path = {
            tuple(loc.path): _clean(loc.leading_comments)
            for loc in f.source_code_info.location
            if loc.leading_comments.strip()
        }
        if not by_path:
            continue
        prefix = f.package + "." if f.package else ""
        names: dict[tuple[int, ...], str] = {}
        for i, m in enumerate(f.message_type):
            _message(names, (_FILE_MESSAGE, i), prefix + m.name, m)
        for i, e in enumerate(f.enum_type):
            _enum(names, (_FILE_ENUM, i), prefix + e.name, e)
        for i, s in enumerate(f.service):
            names[(_FILE_SERVICE, i)] = prefix + s.name
            for j, meth in enumerate(s.method):
                names[(_FILE_SERVICE, i, _SERVICE_METHOD, j)] = f"{prefix}{s.name}.{meth.name}"
        for path, name in names.items():
            text = by_path.get(path)
            if text:
                out[name] = text
    return out


def _message(
    names: dict[tuple[int, ...], str],
    path: tuple[int, ...],
    full: str,
    m: descriptor_pb2.DescriptorProto,
) -> None:
    names[path] = full
    for j, fld in enumerate(m.field):
        names[(*path, _MSG_FIELD, j)] = f"{full}.{fld.name}"
    for j, nested in enumerate(m.nested_type):
        _message(names, (*path, _MSG_NESTED, j), f"{full}.{nested.name}", nested)
    for j, e in enumerate(m.enum_type):
        _enum(names, (*path, _MSG_ENUM, j), f"{full}.{e.name}", e)


def _enum(
    names: dict[tuple[int, ...], str],
    path: tuple[int, ...],
    full: str,
    e: descriptor_pb2.EnumDescriptorProto,
) -> None:
    names[path] = full
    for j, v in enumerate(e.value):
        names[(*path, _ENUM_VALUE, j)] = f"{full}.{v.name}"
