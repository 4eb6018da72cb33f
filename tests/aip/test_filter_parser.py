"""AIP-160 parser: the valid and invalid cases of aip.md §1.4 A and B, limits,
and deep nesting. The AST is compared through a compact S-expression."""

from __future__ import annotations

import contextlib
import threading

import pytest

from runyard.aip.filtering.ast import And, Call, Expr, Member, Not, Or, Restriction
from runyard.aip.filtering.parser import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_TERMS,
    FilterSyntaxError,
    parse,
    tokenize,
)


def sx(node: Expr | Member | Call | None) -> str:
    """A compact rendering: AND(..), OR(..), NOT(..), =(a, b), Call, "quoted", a.b."""
    if node is None:
        return "EMPTY"
    if isinstance(node, And):
        return "AND(" + ", ".join(sx(i) for i in node.items) + ")"
    if isinstance(node, Or):
        return "OR(" + ", ".join(sx(i) for i in node.items) + ")"
    if isinstance(node, Not):
        return "NOT(" + sx(node.expr) + ")"
    if isinstance(node, Call):
        return f"{node.name}(" + ", ".join(sx(a) for a in node.args) + ")"
    if isinstance(node, Member):
        head = f'"{node.value.text}"' if node.value.quoted else node.value.text
        return ".".join((head, *node.fields))
    assert isinstance(node, Restriction)
    if node.op is None:
        return sx(node.comparable)
    assert node.arg is not None
    return f"{node.op}({sx(node.comparable)}, {sx(node.arg)})"


VALID = [
    # §1.4 A (einride parser_test.go)
    ("New York Giants", "AND(New, York, Giants)"),
    ("New York Giants OR Yankees", "AND(New, York, OR(Giants, Yankees))"),
    ("New York (Giants OR Yankees)", "AND(New, York, OR(Giants, Yankees))"),
    ("a b AND c AND d", "AND(AND(a, b), c, d)"),
    ("(a b) AND c AND d", "AND(AND(a, b), c, d)"),
    ("a < 10 OR a >= 100", "OR(<(a, 10), >=(a, 100))"),
    ("a OR b OR c", "OR(a, b, c)"),
    ("NOT (a OR b)", "NOT(OR(a, b))"),
    ('-file:".java"', 'NOT(:(file, ".java"))'),
    # runyard reads a leading '-' as negation (LUCI); `-30` is NOT of the text search 30.
    ("-30", "NOT(30)"),
    ("package=com.google", "=(package, com.google)"),
    ("msg != 'hello'", '!=(msg, "hello")'),
    ('msg != "hello"', '!=(msg, "hello")'),
    ('msg != ""', '!=(msg, "")'),
    ("msg != \"[ 'hello' ]\"", "!=(msg, \"[ 'hello' ]\")"),
    ("msg != \"[ \\'hello\\' ]\"", "!=(msg, \"[ 'hello' ]\")"),
    ('msg != "[ \\"hello\\" ]"', '!=(msg, "[ "hello" ]")'),
    ("1 > 0", ">(1, 0)"),
    ("2.5 >= 2.4", ">=(2.5, 2.4)"),
    ("foo >= -2.4", ">=(foo, -2.4)"),
    ("foo >= (-2.4)", ">=(foo, NOT(2.4))"),
    ("-2.5 >= -2.4", "NOT(>=(2.5, -2.4))"),
    ("yesterday < request.time", "<(yesterday, request.time)"),
    ("experiment.rollout <= cohort(request.user)", "<=(experiment.rollout, cohort(request.user))"),
    ("prod", "prod"),
    ("expr.type_map.1.type", "expr.type_map.1.type"),
    ("regex(m.key, '^.*prod.*$')", 'regex(m.key, "^.*prod.*$")'),
    ("math.mem('30mb')", 'math.mem("30mb")'),
    ("time.now()", "time.now()"),
    ("(msg.endsWith('world') AND retries < 10)", 'AND(msg.endsWith("world"), <(retries, 10))'),
    ('timestamp("2012-04-21T11:30:00-04:00")', 'timestamp("2012-04-21T11:30:00-04:00")'),
    ('duration("32s")', 'duration("32s")'),
    ('duration("4h0m0s")', 'duration("4h0m0s")'),
    (
        'start_time > timestamp("2006-01-02T15:04:05+07:00") AND\n'
        '  (driver = "driver1" OR start_driver = "driver1" OR end_driver = "driver1")',
        'AND(>(start_time, timestamp("2006-01-02T15:04:05+07:00")), '
        'OR(=(driver, "driver1"), =(start_driver, "driver1"), =(end_driver, "driver1")))',
    ),
    ("annotations:schedule", ":(annotations, schedule)"),
    ('annotations.schedule = "test"', '=(annotations.schedule, "test")'),
    # LUCI filter_parser_test.go
    ("", "EMPTY"),
    (" ", "EMPTY"),
    (" \t\n ", "EMPTY"),
    (" - negated ", "NOT(negated)"),
    ("NOT negated", "NOT(negated)"),
    ("NOTnegated", "NOTnegated"),
    ("explicit ANDnotand", "AND(explicit, ANDnotand)"),
    ("testORor", "testORor"),
    ("implicit and", "AND(implicit, and)"),
    ("test OR or", "OR(test, or)"),
    ("dash-separated-name", "dash-separated-name"),
    ("term -negated-term", "AND(term, NOT(negated-term))"),
    ("value<21", "<(value, 21)"),
    ("value<=21", "<=(value, 21)"),
    ("value!=21", "!=(value, 21)"),
    ("value:21", ":(value, 21)"),
    ("value=(composite)", "=(value, composite)"),
    ('member."field" > 4', ">(member.field, 4)"),
    ("composite (expression)", "AND(composite, expression)"),
    (
        "implicit (foo=one) OR -bar=two AND foo!=three OR baz:four",
        "AND(AND(implicit, OR(=(foo, one), NOT(=(bar, two)))), OR(!=(foo, three), :(baz, four)))",
    ),
    # P: runyard's additions
    ("a AND b OR c", "AND(a, OR(b, c))"),
    ("a b OR c", "AND(a, OR(b, c))"),
    ("a OR b c", "AND(OR(a, b), c)"),
    ('labels."my key" = "x"', '=(labels.my key, "x")'),
    ("m.foo:*", ":(m.foo, *)"),
    ("r.foo:42", ":(r.foo, 42)"),
    ("x = 2.997e9", "=(x, 2.997e9)"),
    ("x = 0x1F", "=(x, 0x1F)"),
    ("ttl > 20s", ">(ttl, 20s)"),
    ("ttl > 1.5s", ">(ttl, 1.5s)"),
    ("name = my-run-1", "=(name, my-run-1)"),
    ("NOT(a)", "NOT(a)"),
    ("a NOT b", "AND(a, NOT(b))"),
    ("NOT (NOT a)", "NOT(NOT(a))"),
    ("--a", "NOT(-a)"),  # only a leading '-' negates; the second is text
    ("x = -30", "=(x, -30)"),
    ("x=-1.5s", "=(x, -1.5s)"),
    ("f (x)", "AND(f, x)"),
    ('"quoted phrase"', '"quoted phrase"'),
    ('x = "a\\*"', '=(x, "a\\*")'),
    ('x = "a\\\\*"', '=(x, "a\\\\*")'),
]


@pytest.mark.parametrize(("source", "expected"), VALID, ids=[v[0][:40] for v in VALID])
def test_valid_filters_parse_to_the_expected_tree(source: str, expected: str) -> None:
    assert sx(parse(source)) == expected


ESCAPES = [
    ('"\\\\\\""', '\\\\"'),  # \\ stays escaped (see the parser), \" is a quote
    ('"\\303\\277"', "Ã¿"),
    ('"\\377"', "ÿ"),
    ('"\\u263A\\u263A"', "☺☺"),
    ('"\\U0001F600"', "😀"),
    ('"\\x41\\x7a"', "Az"),
    ('"\\a\\b\\f\\n\\r\\t\\v\\\'\\"\\? Legal escapes"', "\a\b\f\n\r\t\v'\"? Legal escapes"),
    ("'it\\'s'", "it's"),
    ('"\\400"', "400"),  # not an octal escape: the character stands for itself
    ('"\\*"', "\\*"),
]


@pytest.mark.parametrize(("source", "text"), ESCAPES)
def test_string_escapes_decode_as_in_go_and_cel(source: str, text: str) -> None:
    tree = parse(source)
    assert isinstance(tree, Restriction) and isinstance(tree.comparable, Member)
    assert tree.comparable.value.quoted
    assert tree.comparable.value.text == text


INVALID = [
    # §1.4 B
    ("<", 0),
    ("(-2.5) >= -2.4", 7),
    ('a = "foo', 4),
    ("explicit AND ", 13),
    ("test OR ", 8),
    ("!negated", 0),
    ("value!21", 5),
    ("AND a", 0),
    ("OR a", 0),
    ("a AND", 5),
    ("a OR", 4),
    ("(a", 2),
    ("a)", 1),
    ("a = ", 4),
    ("a.b.", 4),
    ("f(a,)", 4),
    ("a == b", 3),
    ("a => b", 3),
    ("a = -b", 4),
    ("a=b=c", 3),
    ("NOT", 0),
    ("a = NOT", 4),
    ("a AND AND b", 6),
    ("-", 1),
    ("()", 1),
    ("a = (b", 6),
    ('a = "\\x4"', 5),
    ("NOT NOT a", 4),  # term: [NOT] simple; nest with parentheses
    ('a = "\\uD800"', 5),
    ("a = 'b\\", 4),
    ("a . b", 2),
    ("f(a", 3),
    ('a = "\\000"', 5),
    ('a = "x\\x00"', 6),
    ('a = "\\u0000"', 5),
    ("a = \x00", 4),
]


@pytest.mark.parametrize(("source", "pos"), INVALID, ids=[v[0] for v in INVALID])
def test_invalid_filters_fail_with_a_position(source: str, pos: int) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse(source)
    assert info.value.pos == pos
    assert f"(at position {pos})" in str(info.value)
    assert info.value.description


def test_indexing_a_repeated_field_is_no_known_field() -> None:
    # `e[0].foo` parses as a member named `e[0]`; the compiler then rejects it
    # as an unknown field (test_filter_compiler.py).
    tree = parse("e[0].foo = 42")
    assert sx(tree) == "=(e[0].foo, 42)"


def test_positions_point_at_tokens() -> None:
    tree = parse("a = 1 AND  b:x")
    assert isinstance(tree, And)
    first, second = tree.items
    assert isinstance(first, Restriction) and first.pos == 0
    assert isinstance(second, Restriction) and second.pos == 11
    assert isinstance(second.arg, Member) and second.arg.pos == 13


def test_tokens_record_whitespace_before_them() -> None:
    kinds = [(t.kind, t.text, t.space_before) for t in tokenize("f(x) g (y)")]
    assert kinds[:3] == [("TEXT", "f", True), ("(", "(", False), ("TEXT", "x", False)]
    assert ("(", "(", True) in kinds


# --- limits -----------------------------------------------------------------


def test_length_limit() -> None:
    ok = "a = " + '"' + "x" * (MAX_LENGTH - 6) + '"'
    assert len(ok) == MAX_LENGTH
    assert parse(ok) is not None
    with pytest.raises(FilterSyntaxError, match="longer than"):
        parse(ok + " ")


def test_depth_limit_parentheses() -> None:
    ok = "(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH
    assert sx(parse(ok)) == "a"
    too_deep = "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(FilterSyntaxError, match="nested deeper") as info:
        parse(too_deep)
    assert info.value.pos == MAX_DEPTH


def test_depth_limit_negations() -> None:
    # Each NOT ( ... ) is two levels: the negation and the parenthesis.
    half = MAX_DEPTH // 2
    assert parse("NOT (" * half + "a" + ")" * half) is not None
    with pytest.raises(FilterSyntaxError, match="nested deeper"):
        parse("NOT (" * half + "NOT a" + ")" * half)
    with pytest.raises(FilterSyntaxError, match="nested deeper"):
        parse("-(" * half + "-a" + ")" * half)


def test_depth_limit_calls() -> None:
    with pytest.raises(FilterSyntaxError, match="nested deeper"):
        parse("f(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1))


def test_term_limit() -> None:
    assert parse(" ".join(["a"] * MAX_TERMS)) is not None
    with pytest.raises(FilterSyntaxError, match=f"more than {MAX_TERMS}"):
        parse(" ".join(["a"] * (MAX_TERMS + 1)))
    with pytest.raises(FilterSyntaxError, match=f"more than {MAX_TERMS}"):
        parse(" OR ".join([f"x = {i}" for i in range(MAX_TERMS + 1)]))


@pytest.mark.parametrize(
    "source",
    [
        "(" * 10_000,
        "(" * 10_000 + "a" + ")" * 10_000,
        "NOT (" * 1000 + "a",
        "-(" * 4000 + "a",
        "f(" * 2000,
        "a = " + "(" * 4000,
        "x" + ".x" * 2000,
    ],
    ids=["open", "balanced", "not", "minus", "calls", "arg", "traversal"],
)
def test_deep_nesting_never_exhausts_the_stack(source: str) -> None:
    # Either a tree or a FilterSyntaxError (length or depth), never RecursionError.
    for text in (source, source[:MAX_LENGTH], source[: MAX_LENGTH // 2]):
        with contextlib.suppress(FilterSyntaxError):
            parse(text)


def test_one_parser_serves_many_threads() -> None:
    # The lark parser is built once per process and shared by the server's threads.
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                for source, expected in VALID:
                    assert sx(parse(source)) == expected, source
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
