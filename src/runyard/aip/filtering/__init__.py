"""AIP-160 filtering, one module per step:

- parser.parse(text) → the syntax tree of ast.py (None for an empty filter);
- checker.check(tree, schema) → a checked tree: fields resolved against the
  Schema (schema.py), literals converted to their stored form;
- evaluator.evaluate(tree, schema, row) → its meaning over a Python row.

`check_filter(text, schema)` does the first two and is what a List call
validates before anything is read. Turning a checked tree into SQL is
runyard.aip.sql's job: nothing here knows of a database.
docs/filtering.md describes the language, the semantics and the limits."""

from __future__ import annotations

from runyard.aip.errors import invalid_argument
from runyard.aip.filtering.checker import Checked, FilterTypeError, check
from runyard.aip.filtering.parser import MAX_DEPTH, MAX_LENGTH, MAX_TERMS, FilterSyntaxError, parse
from runyard.aip.filtering.schema import Field, FieldType, Schema

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_TERMS",
    "Checked",
    "Field",
    "FieldType",
    "FilterSyntaxError",
    "FilterTypeError",
    "Schema",
    "check",
    "check_filter",
    "parse",
]


# Checked trees of recent filters, by schema and text: a list page asks the
# same filter again and again (every page of a walk, every poll of a
# dashboard). Checked trees are immutable, so one serves every caller.
CACHE_SIZE = 1024
_checked: dict[tuple[int, str], tuple[Schema, Checked | None]] = {}


def check_filter(text: str, schema: Schema, field_path: str = "filter") -> Checked | None:
    """The checked tree of an AIP-160 filter, None when it is empty, or
    INVALID_ARGUMENT (reason INVALID_FILTER, the position in metadata)."""
    key = (id(schema), text)
    hit = _checked.get(key)
    if hit is not None and hit[0] is schema:  # not the id of a schema since collected
        return hit[1]
    try:
        tree = parse(text)
        checked = None if tree is None else check(tree, schema)
    except (FilterSyntaxError, FilterTypeError) as exc:
        raise invalid_argument(
            field_path, str(exc), "INVALID_FILTER", position=str(exc.pos)
        ) from None
    if len(_checked) >= CACHE_SIZE:
        _checked.clear()
    _checked[key] = (schema, checked)
    return checked
