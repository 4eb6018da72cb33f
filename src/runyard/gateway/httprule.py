"""google.api.http path templates: parse → compile → match.

A template (``/v1/{name=shelves/*/items/*}:archive``) is parsed once into
:class:`Template`; every template of a gateway is compiled into one
:class:`Router` trie keyed by segment, then verb and HTTP method. Matching
tries the literal child first, then ``*``, then ``**`` (backtracking), so the
result never depends on declaration order. A ``:verb`` suffix is split off the
last segment only when some template registers that verb; otherwise the colon
stays part of the segment (``/v1/ids/abc:xyz`` → ``"abc:xyz"``).

Captured values are percent-decoded per variable kind, after splitting on
``/``: a single-segment variable fully (``%2F`` → ``/``), a multi-segment one
except RFC 6570 reserved characters (``%2F`` stays ``%2F``). A malformed escape
is an error (400), never passed through.

Policies: no trailing-slash or dot-segment normalisation (``/a/`` does not
match ``/a``, ``..`` is an ordinary segment); verbs match case-sensitively;
duplicate (method, template, verb) triples are rejected when compiling.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = [
    "DuplicateRouteError",
    "Match",
    "PathDecodeError",
    "Router",
    "Template",
    "TemplateSyntaxError",
    "Variable",
    "parse_template",
    "percent_decode",
]

T = TypeVar("T")

WILD = "*"
WILD2 = "**"

# RFC 6570 reserved characters stay encoded inside multi-segment captures.
_RESERVED = frozenset(":/?#[]@!$&'()*+,;=")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_LITERAL = re.compile(r"[^/{}*:=]+\Z")


class TemplateSyntaxError(ValueError):
    """A template that does not follow the google.api.http grammar."""


class DuplicateRouteError(ValueError):
    """Two rules with the same method, template and verb."""


class PathDecodeError(ValueError):
    """A malformed percent escape (or non-UTF-8 bytes) in a captured value."""


@dataclass(frozen=True)
class Variable:
    """A path variable: the field path and the segment range ``[start, end)`` it
    captures (``end`` is ``None`` for a capture that ends in ``**``)."""

    field_path: tuple[str, ...]
    start: int
    end: int | None

    @property
    def multi_segment(self) -> bool:
        return self.end is None or self.end - self.start != 1


@dataclass(frozen=True)
class Template:
    """A parsed template: flat segments (literals, ``*``, ``**``), the verb and
    the variables as ranges over the segments."""

    segments: tuple[str, ...]
    verb: str
    variables: tuple[Variable, ...]
    source: str
    # Per variable, its own segment pattern (for OpenAPI and messages).
    variable_segments: tuple[tuple[str, ...], ...] = field(default=())

    def canonical(self) -> str:
        """The template without variable names: equal for routes that collide."""
        s = "/" + "/".join(self.segments)
        return s + (":" + self.verb if self.verb else "")


def parse_template(text: str) -> Template:
    """Parses ``text``; raises :class:`TemplateSyntaxError` when it is not a template."""
    body, verb = _split_verb(text)
    segments: list[str] = []
    variables: list[Variable] = []
    var_segments: list[tuple[str, ...]] = []
    names: set[tuple[str, ...]] = set()
    i = 0
    n = len(body)
    while i <= n:
        if i < n and body[i] == "{":
            close = body.find("}", i)
            if close < 0:
                raise TemplateSyntaxError(f"template {text!r}: unclosed variable")
            field_path, sub = _variable(text, body[i + 1 : close], names)
            start = len(segments)
            segments.extend(sub)
            end: int | None = None if sub[-1] == WILD2 else len(segments)
            variables.append(Variable(field_path, start, end))
            var_segments.append(tuple(sub))
            i = close + 1
        else:
            slash = body.find("/", i)
            seg = body[i:] if slash < 0 else body[i:slash]
            if not seg:
                raise TemplateSyntaxError(f"template {text!r}: empty segment")
            _check_segment(text, seg)
            segments.append(seg)
            i += len(seg)
        if i >= n:
            break
        if body[i] != "/":
            raise TemplateSyntaxError(f"template {text!r}: expected '/' at {i + 1}")
        i += 1
        if i >= n:
            raise TemplateSyntaxError(f"template {text!r}: trailing '/'")
    if WILD2 in segments[:-1]:
        raise TemplateSyntaxError(f"template {text!r}: '**' must be the last segment")
    return Template(tuple(segments), verb, tuple(variables), text, tuple(var_segments))


def _split_verb(text: str) -> tuple[str, str]:
    """The segments' text (without the leading '/') and the verb ('' when none)."""
    if not text.startswith("/"):
        raise TemplateSyntaxError(f"template {text!r} must start with '/'")
    body = text[1:]
    verb = ""
    # The verb is after the last ':' that is outside braces.
    depth = 0
    colon = -1
    for i, ch in enumerate(body):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == ":" and depth == 0:
            colon = i
    if depth != 0:
        raise TemplateSyntaxError(f"template {text!r}: unbalanced braces")
    if colon >= 0:
        verb = body[colon + 1 :]
        body = body[:colon]
        if not verb or not _LITERAL.match(verb):
            raise TemplateSyntaxError(f"template {text!r}: bad verb {verb!r}")
    if not body:
        raise TemplateSyntaxError(f"template {text!r} has no segments")
    return body, verb


def _variable(
    text: str, inner: str, names: set[tuple[str, ...]]
) -> tuple[tuple[str, ...], list[str]]:
    """``{inner}``'s field path and segments; records the path in ``names`` (once only)."""
    path_text, eq, pattern = inner.partition("=")
    field_path = tuple(path_text.split("."))
    if not all(_IDENT.match(p) for p in field_path):
        raise TemplateSyntaxError(f"template {text!r}: bad field path {path_text!r}")
    if field_path in names:
        raise TemplateSyntaxError(f"template {text!r}: {path_text} bound twice")
    names.add(field_path)
    sub = pattern.split("/") if eq else [WILD]
    if "{" in pattern or any(not s for s in sub):
        raise TemplateSyntaxError(f"template {text!r}: bad variable pattern {inner!r}")
    for s in sub:
        _check_segment(text, s)
    return field_path, sub


def _check_segment(text: str, seg: str) -> None:
    if seg in (WILD, WILD2):
        return
    if not _LITERAL.match(seg):
        raise TemplateSyntaxError(f"template {text!r}: bad segment {seg!r}")


_HEX = "0123456789abcdefABCDEF"


def percent_decode(raw: str, *, keep_reserved: bool) -> str:
    """Decodes ``%XX`` escapes; with ``keep_reserved`` an escape of an RFC 6570
    reserved character is kept as it is. Raises :class:`PathDecodeError`."""
    if "%" not in raw:
        return raw
    out = bytearray()
    i = 0
    n = len(raw)
    while i < n:
        ch = raw[i]
        if ch == "%":
            h = raw[i + 1 : i + 3]
            if len(h) != 2 or h[0] not in _HEX or h[1] not in _HEX:
                raise PathDecodeError(f"malformed percent escape in {raw!r}")
            b = int(h, 16)
            if keep_reserved and chr(b) in _RESERVED:
                out += raw[i : i + 3].encode()
            else:
                out.append(b)
            i += 3
        else:
            out += ch.encode()
            i += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise PathDecodeError(f"percent escapes in {raw!r} are not UTF-8") from None


@dataclass
class _Node(Generic[T]):
    children: dict[str, _Node[T]] = field(default_factory=dict)
    star: _Node[T] | None = None
    # `**` ends a template (before its verb), so it only holds leaves.
    star2: dict[str, dict[str, tuple[Template, T]]] | None = None
    # verb → method → (template, target)
    leaves: dict[str, dict[str, tuple[Template, T]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Match(Generic[T]):
    """A successful lookup: the target and its decoded path variables."""

    target: T
    template: Template
    values: dict[tuple[str, ...], str]


class Router(Generic[T]):
    """Routes (method, path) to targets registered with :meth:`add`."""

    def __init__(self) -> None:
        self._root: _Node[T] = _Node()
        self._verbs: set[str] = set()
        self._seen: set[tuple[str, str]] = set()

    def add(self, method: str, template: Template, target: T) -> None:
        key = (method, template.canonical())
        if key in self._seen:
            raise DuplicateRouteError(
                f"{method} {template.source} duplicates another rule ({template.canonical()})"
            )
        self._seen.add(key)
        node = self._root
        for seg in template.segments:
            if seg == WILD2:
                if node.star2 is None:
                    node.star2 = {}
                node.star2.setdefault(template.verb, {})[method] = (template, target)
                break
            if seg == WILD:
                if node.star is None:
                    node.star = _Node()
                node = node.star
            else:
                node = node.children.setdefault(seg, _Node())
        else:
            node.leaves.setdefault(template.verb, {})[method] = (template, target)
        if template.verb:
            self._verbs.add(template.verb)

    def split(self, path: str) -> tuple[list[str], str]:
        """Raw (still encoded) segments of ``path`` and its registered verb, if any."""
        segs = path[1:].split("/") if path.startswith("/") else path.split("/")
        verb = ""
        last = segs[-1]
        colon = last.rfind(":")
        if colon >= 0 and last[colon + 1 :] in self._verbs:
            verb = last[colon + 1 :]
            segs[-1] = last[:colon]
        return segs, verb

    def _walk(
        self, node: _Node[T], segs: list[str], i: int, verb: str
    ) -> Iterator[dict[str, tuple[Template, T]]]:
        # Literal, then `*`, then `**`: the first full match wins.
        if i == len(segs):
            leaf = node.leaves.get(verb)
            if leaf:
                yield leaf
        else:
            seg = segs[i]
            child = node.children.get(seg)
            if child is not None:
                yield from self._walk(child, segs, i + 1, verb)
            if node.star is not None and seg:
                yield from self._walk(node.star, segs, i + 1, verb)
        if node.star2 is not None:
            leaf = node.star2.get(verb)
            if leaf:
                yield leaf

    def lookup(self, method: str, path: str) -> Match[T] | list[str] | None:
        """The match for ``method`` and the raw ``path``; else the sorted methods the
        path does allow (for 405), or ``None`` when no template matches it (404).

        Raises :class:`PathDecodeError` for malformed escapes in a captured value."""
        segs, verb = self.split(path)
        allowed: set[str] = set()
        for leaf in self._walk(self._root, segs, 0, verb):
            hit = leaf.get(method)
            if hit is not None:
                template, target = hit
                return Match(target, template, _capture(template, segs))
            allowed.update(leaf)
        return sorted(allowed) if allowed else None


def _capture(template: Template, segs: list[str]) -> dict[tuple[str, ...], str]:
    values: dict[tuple[str, ...], str] = {}
    for var in template.variables:
        raw = segs[var.start : var.end]
        if var.multi_segment:
            values[var.field_path] = "/".join(percent_decode(s, keep_reserved=True) for s in raw)
        else:
            values[var.field_path] = percent_decode(raw[0], keep_reserved=False)
    return values
