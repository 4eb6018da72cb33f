"""AIP-160 lexer and parser (the EBNF of aip.dev/160), with documented limits.

Precedence, loosest first: `AND`, the implicit AND of a whitespace sequence,
`OR`, unary `NOT`/`-`, then restrictions. So `a AND b OR c` is `a AND (b OR c)`
and `a b OR c` is `a AND (b OR c)`. Keywords are case-sensitive. `NOT` must be
followed by whitespace or `(`. `f(x)` is a call, `f (x)` a sequence.

tokenize() (lexer.py) is a hand-written lexer (the grammar is whitespace-sensitive in
ways a regular lexer is not); lark's LALR parser then applies the grammar.
Neither recurses, the limits are checked with an explicit stack, and lark's
Transformer_NonRecursive builds the AST, so no input can exhaust the Python
stack.

Limits: at most MAX_LENGTH characters, MAX_DEPTH nested parentheses, calls or
negations, MAX_TERMS restrictions (comparisons and bare words, also inside
calls). Exceeding one is a FilterSyntaxError like any other.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import lark
import lark.exceptions
import lark.lexer
import lark.visitors

from runyard.aip.filtering.ast import And, Call, Expr, Member, Not, Or, Restriction, Value
from runyard.aip.filtering.lexer import MAX_LENGTH, FilterSyntaxError, Token, tokenize

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_TERMS",
    "FilterSyntaxError",
    "Token",
    "parse",
    "tokenize",
]

MAX_DEPTH = 32
MAX_TERMS = 100

# The grammar of aip.dev/160 for lark's LALR parser. tokenize() (lexer.py) does the
# lexing, because the EBNF is whitespace-sensitive where a regular lexer is not:
# `f(x)` is a call but `f (x)` a sequence, `NOT` needs a following space or
# `(`, `-` negates only at the start of a term, and `a . b` is no traversal.
# _classify() turns its tokens into these terminals.
_GRAMMAR = r"""
start: expression?
expression: sequence (AND sequence)*
sequence: factor+
factor: term (OR term)*
term: NOT simple -> negation
    | MINUS simple -> negation
    | simple
?simple: restriction | composite
restriction: comparable (COMPARATOR arg)?
?comparable: member | call
member: value (DOT field)*
call: member CALL_OPEN (expression (COMMA expression)*)? RPAREN
composite: LPAREN expression RPAREN
?arg: comparable | composite
value: TEXT | STRING
field: TEXT | STRING | AND | OR | NOT | KEYWORD
%declare TEXT STRING AND OR NOT KEYWORD MINUS COMPARATOR DOT STRAY_DOT CALL_OPEN LPAREN RPAREN COMMA
"""

# What an error message calls each terminal.
_NAMES = {
    "TEXT": "a value",
    "STRING": "a value",
    "AND": "AND",
    "OR": "OR",
    "NOT": "NOT",
    "KEYWORD": "a keyword",
    "MINUS": "'-'",
    "COMPARATOR": "a comparator",
    "DOT": "'.'",
    "STRAY_DOT": "'.'",
    "CALL_OPEN": "'('",
    "LPAREN": "'('",
    "RPAREN": "')'",
    "COMMA": "','",
    "$END": "the end",
}


def _classify(tokens: list[Token]) -> list[lark.Token]:
    """Lark terminals for tokenize()'s tokens (without the END token)."""
    out: list[lark.Token] = []
    n = len(tokens) - 1
    parens = 0
    for i in range(n):
        tok, nxt = tokens[i], tokens[i + 1]
        prev = out[-1].type if out else ""
        kind = tok.kind
        text = tok.text
        if kind == "TEXT" and text in ("AND", "OR"):
            kind = text
        elif kind == "TEXT" and text == "NOT":
            # NOT negates only when followed by whitespace or '(' (and something).
            negates = nxt.kind != "END" and (nxt.space_before or nxt.kind == "(")
            kind = "NOT" if negates else "KEYWORD"
        elif kind == "OP":
            kind = "COMPARATOR"
        elif kind == "-":
            if prev == "COMPARATOR" and nxt.kind == "TEXT" and nxt.text[:1].isdigit():
                # A negative number on the right-hand side: `x = -30`, `x >= - 1.5`.
                out.append(lark.Token("TEXT", "-" + nxt.text, tok.pos))
                tokens[i + 1] = Token("SKIP", "", nxt.pos, nxt.space_before)
                continue
            kind = "MINUS"
        elif kind == "SKIP":
            continue
        elif kind == ".":
            # `a.b` traverses; `a . b` is no traversal (and no valid filter).
            traversal = not tok.space_before and not nxt.space_before and prev in _MEMBER_END
            kind = "DOT" if traversal else "STRAY_DOT"
        elif kind == "(":
            # Early, so that an unclosed run of '(' says why it is refused.
            parens += 1
            if parens > MAX_DEPTH:
                raise FilterSyntaxError(f"filter is nested deeper than {MAX_DEPTH}", tok.pos)
            # Only a name written right before '(' calls it; `f (x)` is a sequence.
            called = not tok.space_before and prev == "TEXT" and not _after_quoted_head(out)
            kind = "CALL_OPEN" if called else "LPAREN"
        elif kind == ")":
            parens -= 1
            kind = "RPAREN"
        elif kind == ",":
            kind = "COMMA"
        out.append(lark.Token(kind, text, tok.pos))
    return out


# Terminals that can end a member, so a '.' after them may traverse.
_MEMBER_END = ("TEXT", "STRING", "AND", "OR", "NOT", "KEYWORD")


def _after_quoted_head(out: list[lark.Token]) -> bool:
    """Whether the member that ends `out` starts with a quoted value (no call then)."""
    i = len(out) - 1
    while i >= 2 and out[i - 1].type == "DOT":
        i -= 2
    return out[i].type == "STRING"


class _Feed(lark.lexer.Lexer):
    """Hands lark the classified tokens of the source."""

    def __init__(self, lexer_conf: Any) -> None:
        pass

    def lex(self, data: Any) -> Iterator[lark.Token]:  # type: ignore[override]
        yield from data


class _Feeder:
    """parse() passes a token list, not text, through lark's lexer slot."""

    def __init__(self) -> None:
        self.parser = lark.Lark(_GRAMMAR, parser="lalr", lexer=_Feed)

    def parse(self, tokens: list[lark.Token]) -> lark.Tree[lark.Token]:
        return self.parser.parse(tokens)  # type: ignore[arg-type]


_LARK = _Feeder()


def _pos(node: lark.Tree[lark.Token] | lark.Token) -> int:
    """The position of the first token under `node` (iterative: trees may be deep)."""
    while isinstance(node, lark.Tree):
        node = node.children[0]
    return int(node.start_pos or 0)


_NESTING = frozenset({"composite", "negation", "call"})


def _check_limits(tree: lark.Tree[lark.Token]) -> None:
    """MAX_DEPTH (parentheses, calls and negations) and MAX_TERMS, walked
    top-down with an explicit stack so that no depth reaches Python's stack."""
    stack: list[tuple[lark.Tree[lark.Token], int]] = [(tree, 0)]
    restrictions: list[int] = []
    while stack:
        node, depth = stack.pop()
        rule = str(node.data)  # a lark Token, whose == is slow Python code
        if rule in _NESTING:
            depth += 1
            if depth > MAX_DEPTH:
                at = node.children[1] if rule == "call" else node.children[0]
                raise FilterSyntaxError(f"filter is nested deeper than {MAX_DEPTH}", _pos(at))
        elif rule == "restriction":
            restrictions.append(_pos(node))
        stack.extend((c, depth) for c in node.children if isinstance(c, lark.Tree))
    if len(restrictions) > MAX_TERMS:
        pos = sorted(restrictions)[MAX_TERMS]
        raise FilterSyntaxError(f"filter has more than {MAX_TERMS} restrictions", pos)


def _tokens(children: list[Any]) -> list[lark.Token]:
    return [c for c in children if isinstance(c, lark.Token)]


class _Build(lark.visitors.Transformer_NonRecursive):  # type: ignore[type-arg]
    """lark's tree → the AST of ast.py, bottom-up without recursion."""

    def start(self, children: list[Expr]) -> Expr | None:
        return children[0] if children else None

    def expression(self, children: list[Any]) -> Expr:
        items = [c for c in children if not isinstance(c, lark.Token)]
        return items[0] if len(items) == 1 else And(tuple(items), _first_pos(items[0]))

    def sequence(self, children: list[Expr]) -> Expr:
        return children[0] if len(children) == 1 else And(tuple(children), _first_pos(children[0]))

    def factor(self, children: list[Any]) -> Expr:
        items = [c for c in children if not isinstance(c, lark.Token)]
        return items[0] if len(items) == 1 else Or(tuple(items), _first_pos(items[0]))

    def term(self, children: list[Expr]) -> Expr:
        return children[0]

    def negation(self, children: list[Any]) -> Expr:
        return Not(children[1], int(children[0].start_pos))

    def composite(self, children: list[Any]) -> Expr:
        return children[1]  # type: ignore[no-any-return]

    def restriction(self, children: list[Any]) -> Restriction:
        comparable = children[0]
        if len(children) == 1:
            return Restriction(comparable, None, None, comparable.pos)
        return Restriction(comparable, str(children[1]), children[2], comparable.pos)

    def value(self, children: list[lark.Token]) -> Value:
        tok = children[0]
        return Value(str(tok), tok.type == "STRING", int(tok.start_pos or 0))

    def field(self, children: list[lark.Token]) -> str:
        return str(children[0])

    def member(self, children: list[Any]) -> Member:
        value = children[0]
        fields = tuple(c for c in children[1:] if not isinstance(c, lark.Token))
        return Member(value, fields, value.pos)

    def call(self, children: list[Any]) -> Call:
        name: Member = children[0]
        args = tuple(c for c in children[2:] if not isinstance(c, lark.Token))
        return Call(name.path, args, name.pos)


def _expected_order(name: str) -> tuple[bool, str]:
    return (name != "a value", name)


def _first_pos(expr: Expr) -> int:
    return expr.pos


_BUILD = _Build()


def parse(source: str) -> Expr | None:
    """The syntax tree of `source`, or None when it is empty; FilterSyntaxError otherwise."""
    tokens = _classify(tokenize(source))
    if not tokens:
        return None
    try:
        tree = _LARK.parse(tokens)
    except lark.exceptions.UnexpectedToken as exc:
        tok = exc.token
        expected = sorted({_NAMES.get(t, t) for t in exc.expected}, key=_expected_order)
        if tok.type == "$END":
            raise FilterSyntaxError(
                f"unexpected end of filter; expected {' or '.join(expected)}", len(source)
            ) from None
        pos = int(tok.start_pos or 0)
        if tok.type == "STRAY_DOT":
            raise FilterSyntaxError("'.' joins field names without spaces: a.b", pos) from None
        if tok.type in _MEMBER_END[2:]:
            raise FilterSyntaxError(f"unexpected keyword {tok}", pos) from None
        raise FilterSyntaxError(
            f"unexpected {str(tok)!r}; expected {' or '.join(expected)}", pos
        ) from None
    except lark.exceptions.LarkError as exc:  # pragma: no cover - any other parser failure
        raise FilterSyntaxError(f"invalid filter: {type(exc).__name__}", 0) from None
    _check_limits(tree)
    result: Expr | None = _BUILD.transform(tree)
    return result
