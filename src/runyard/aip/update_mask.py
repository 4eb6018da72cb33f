"""AIP-134's update mask: which fields an Update writes."""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf import field_mask_pb2
from google.protobuf.message import Message

from runyard.aip.errors import invalid_argument


def update_paths(
    patch: Message, mask: field_mask_pb2.FieldMask, present: bool, writable: Sequence[str]
) -> list[str]:
    """The fields of `writable` to write: `*` is all of them; no (or an empty)
    mask is the ones populated in `patch` (the implied mask); any other path is
    INVALID_ARGUMENT (INVALID_UPDATE_MASK)."""
    if not present or not mask.paths:
        populated = {f.name for f, _ in patch.ListFields()}
        return [f for f in writable if f in populated]
    if list(mask.paths) == ["*"]:
        return list(writable)
    for path in mask.paths:
        if path not in writable:
            raise invalid_argument(
                "update_mask",
                f"{path!r} cannot be updated; updatable fields: {', '.join(writable)}",
                "INVALID_UPDATE_MASK",
            )
    return list(dict.fromkeys(mask.paths))
