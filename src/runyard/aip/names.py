"""AIP-122 resource names: patterns like `organizations/{organization}/workspaces/{workspace}`
parsed into their ids, with AIP-122 id rules and AIP-159 `-` wildcards."""

from __future__ import annotations

import functools
import re
import secrets
import time
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


def generated_id(prefix: str, *, at_ms: int | None = None, tail: str = "") -> str:
    """A system-generated id: a letter `prefix`, the creation time in milliseconds
    (11 hex digits, so ids sort by creation) and 8 random hex digits (or `tail`)."""
    ms = int(time.time() * 1000) if at_ms is None else at_ms
    return f"{prefix}{ms:011x}{tail or secrets.token_hex(4)}"


@dataclass(frozen=True)
class Pattern:
    """One resource name pattern, e.g. `organizations/{organization}/workspaces/{workspace}`."""

    template: str
    resource_type: str

    # Computed once per pattern (names are formatted and parsed on every call).
    @functools.cached_property
    def variables(self) -> tuple[str, ...]:
        return tuple(s[1:-1] for s in self._segments if s.startswith("{"))

    @functools.cached_property
    def _segments(self) -> tuple[str, ...]:
        return tuple(self.template.split("/"))

    @functools.cached_property
    def _variable_set(self) -> frozenset[str]:
        return frozenset(self.variables)

    def parse(
        self, name: str, field_path: str = "name", *, wildcards: tuple[str, ...] = ()
    ) -> dict[str, str]:
        """The ids of `name`, or INVALID_ARGUMENT naming `field_path`.

        `wildcards` lists the variables that may be `-` (AIP-159)."""
        if not name:
            raise invalid_argument(field_path, "is required", "REQUIRED_FIELD_MISSING")
        ids = self.match(name, wildcards=wildcards)
        if ids is None:
            raise self._malformed(name, field_path)
        return ids

    def match(self, name: str, *, wildcards: tuple[str, ...] = ()) -> dict[str, str] | None:
        """The ids of `name`, or None when it does not fit the pattern."""
        parts = name.split("/")
        segments = self._segments
        if len(parts) != len(segments):
            return None
        ids: dict[str, str] = {}
        for part, segment in zip(parts, segments, strict=True):
            if segment.startswith("{"):
                var = segment[1:-1]
                if not ((part == WILDCARD and var in wildcards) or is_valid_id(part)):
                    return None
                ids[var] = part
            elif part != segment:
                return None
        return ids

    def format(self, **ids: str) -> str:
        """The name with these ids; every variable must be given, and no other."""
        if ids.keys() != self._variable_set:
            raise ValueError(f"{self.template} needs {self.variables}, got {tuple(ids)}")
        # The template is a str.format template (ids are never parsed as one).
        return self.template.format_map(ids)

    def child(self, collection: str, variable: str, resource_type: str) -> Pattern:
        """The pattern of a resource nested under this one."""
        return Pattern(f"{self.template}/{collection}/{{{variable}}}", resource_type)

    def _malformed(self, name: str, field_path: str) -> ApiError:
        shown = name if len(name) <= 200 else name[:200] + "…"
        return invalid_argument(
            field_path,
            f"{shown!r} is not a {self.resource_type} name of the form {self.template}",
            "INVALID_RESOURCE_NAME",
        )
