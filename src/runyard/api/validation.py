"""Checks every request gets before its method runs."""

from __future__ import annotations

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from runyard.aip.errors import invalid_argument

_MAX_DEPTH = 32


def reject_nul(message: Message, path: str = "", depth: int = 0) -> None:
    """NUL characters in any string field are INVALID_ARGUMENT: PostgreSQL cannot
    store them and SQLite can, so refusing them keeps both stores alike."""
    if depth > _MAX_DEPTH:
        return
    for field, value in message.ListFields():
        name = f"{path}.{field.name}" if path else field.name
        if field.type == FieldDescriptor.TYPE_STRING:
            for item in value if field.is_repeated else [value]:
                if "\x00" in item:
                    raise invalid_argument(name, "must not contain NUL characters", "NUL_CHARACTER")
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            if field.message_type is not None and field.message_type.GetOptions().map_entry:
                for key, item in value.items():
                    if "\x00" in str(key):
                        raise invalid_argument(
                            name, "must not contain NUL characters", "NUL_CHARACTER"
                        )
                    if isinstance(item, Message):
                        reject_nul(item, f"{name}[{key}]", depth + 1)
                    elif isinstance(item, str) and "\x00" in item:
                        raise invalid_argument(
                            f"{name}[{key}]", "must not contain NUL characters", "NUL_CHARACTER"
                        )
            elif field.is_repeated:
                for i, item in enumerate(value):
                    reject_nul(item, f"{name}[{i}]", depth + 1)
            else:
                reject_nul(value, name, depth + 1)
