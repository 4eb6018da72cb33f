"""AIP-122 resource names: patterns like `organizations/{organization}/workspaces/{workspace}`
parsed into their ids, with AIP-122 id rules and AIP-159 `-` wildcards."""

from __future__ import annotations

import re
from dataclasses import dataclass

from runyard.aip.errors import ApiError, invalid_argument

# AIP-122: lower-case letters, digits and hyphens, starting with a letter, at most 63.
_ID = re.compile(r"^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$")
WILDCARD = "-"


def is_valid_id(value: str) -> bool:
    return bool(_ID.match(value))


def validate_id(field_path: str, value: str) -> None:
    if not is_valid_id(value):
        raise invalid_argument(
            field_path,
            f"{value!r} is not a valid id: 1-63 characters of a-z, 0-9 and '-', "
            "starting with a letter and not ending with '-'",
            "INVALID_RESOURCE_ID",
        )


@dataclass(frozen=True)
class Pattern:
    """One resource name pattern, e.g. `organizations/{organization}/workspaces/{workspace}`."""

    template: str
    resource_type: str

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(s[1:-1] for s in self.template.split("/") if s.startswith("{"))

    def parse(
        self, name: str, field_path: str = "name", *, wildcards: tuple[str, ...] = ()
    ) -> dict[str, str]:
        """The ids of `name`, or INVALID_ARGUMENT naming `field_path`.

        `wildcards` lists the variables that may be `-` (AIP-159)."""
        if not name:
            raise invalid_argument(field_path, "is required", "REQUIRED_FIELD_MISSING")
        parts = name.split("/")
        segments = self.template.split("/")
        if len(parts) != len(segments):
            raise self._malformed(name, field_path)
        ids: dict[str, str] = {}
        for part, segment in zip(parts, segments, strict=True):
            if segment.startswith("{"):
                var = segment[1:-1]
                if (part == WILDCARD and var in wildcards) or is_valid_id(part):
                    ids[var] = part
                else:
                    raise self._malformed(name, field_path)
            elif part != segment:
                raise self._malformed(name, field_path)
        return ids

    def format(self, **ids: str) -> str:
        out = self.template
        for key, value in ids.items():
            out = out.replace("{" + key + "}", value)
        return out

    def _malformed(self, name: str, field_path: str) -> ApiError:
        shown = name if len(name) <= 200 else name[:200] + "…"
        return invalid_argument(
            field_path,
            f"{shown!r} is not a {self.resource_type} name of the form {self.template}",
            "INVALID_RESOURCE_NAME",
        )
