"""AIP-160 lexer and parser (the EBNF of aip.dev/160), with documented limits.

Precedence, loosest first: `AND`, the implicit AND of a whitespace sequence,
`OR`, unary `NOT`/`-`, then restrictions. So `a AND b OR c` is `a AND (b OR c)`
and `a b OR c` is `a AND (b OR c)`. Keywords are case-sensitive. `NOT` must be
followed by whitespace or `(`. `f(x)` is a call, `f (x)` a sequence.

Limits: at most MAX_LENGTH characters, MAX_DEPTH nested parentheses or
negations, MAX_TERMS restrictions. Recursion is bounded by MAX_DEPTH, so no
input can exhaust the Python stack.
"""

from __future__ import annotations

from dataclasses import dataclass

from runyard.aip.filtering.ast import And, Call, Expr, Member, Not, Or, Restriction, Value

MAX_LENGTH = 4096
MAX_DEPTH = 32
MAX_TERMS = 100

COMPARATORS = ("<=", ">=", "!=", "<", ">", "=", ":")
_SINGLE = "().,"
_TEXT_STOP = set(" \t\r\n\f\v().,:<>=!\"'")


class FilterSyntaxError(ValueError):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(f"{message} (at position {pos})")
        self.description = message
        self.pos = pos


@dataclass(frozen=True)
class Token:
    kind: str  # TEXT, STRING, OP, one of "().," , "-", or END
    text: str
    pos: int
    space_before: bool


_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_HEX_LENGTH = {"x": 2, "u": 4, "U": 8}


def _escape(source: str, i: int) -> tuple[str, int]:
    """Decodes the escape at source[i] (a backslash) as Go and CEL do: `\\n`,
    octal `\\303`, `\\xFF`, `\\u263A`, `\\U0001F600`; returns it and the next index.
    `\\*` and `\\\\` stay escaped so a literal star or backslash is never taken
    for a wildcard (the compiler unescapes them)."""
    nxt = source[i + 1]
    if nxt in "*\\":
        return "\\" + nxt, i + 2
    if nxt in _ESCAPES:
        return _ESCAPES[nxt], i + 2
    digits = ""
    if nxt in "0123":
        digits, base, end = source[i + 1 : i + 4], 8, i + 4
        valid = len(digits) == 3 and all(c in "01234567" for c in digits)
    elif nxt in _HEX_LENGTH:
        end = i + 2 + _HEX_LENGTH[nxt]
        digits, base = source[i + 2 : end], 16
        valid = len(digits) == _HEX_LENGTH[nxt] and all(
            c in "0123456789abcdefABCDEF" for c in digits
        )
    else:
        # \\' \\" \\? and any other character stand for themselves.
        return nxt, i + 2
    code = int(digits, base) if valid else -1
    if not 0 <= code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise FilterSyntaxError("invalid escape sequence", i)
    return chr(code), end


def tokenize(source: str) -> list[Token]:
    if len(source) > MAX_LENGTH:
        raise FilterSyntaxError(f"filter is longer than {MAX_LENGTH} characters", MAX_LENGTH)
    if "\x00" in source:
        # No stored text can hold NUL (PostgreSQL refuses it), so no filter needs it.
        raise FilterSyntaxError("NUL characters are not allowed", source.index("\x00"))
    tokens: list[Token] = []
    i, n = 0, len(source)
    space = True
    while i < n:
        ch = source[i]
        if ch.isspace():
            space = True
            i += 1
            continue
        start = i
        if ch in "\"'":
            i += 1
            out: list[str] = []
            while True:
                if i >= n:
                    raise FilterSyntaxError("unterminated string", start)
                c = source[i]
                if c == "\\":
                    if i + 1 >= n:
                        raise FilterSyntaxError("unterminated string", start)
                    decoded, i = _escape(source, i)
                    out.append(decoded)
                    continue
                if c == ch:
                    i += 1
                    break
                out.append(c)
                i += 1
            tokens.append(Token("STRING", "".join(out), start, space))
        elif source.startswith(("<=", ">=", "!="), i):
            tokens.append(Token("OP", source[i : i + 2], start, space))
            i += 2
        elif ch in "<>=:":
            tokens.append(Token("OP", ch, start, space))
            i += 1
        elif ch == "!":
            raise FilterSyntaxError("'!' must be followed by '='", start)
        elif ch in _SINGLE:
            tokens.append(Token(ch, ch, start, space))
            i += 1
        elif ch == "-" and (space or (tokens and tokens[-1].kind in "(")):
            # A leading '-' negates; inside a word (`dash-separated`) it is text.
            tokens.append(Token("-", ch, start, space))
            i += 1
        else:
            while i < n and source[i] not in _TEXT_STOP:
                i += 1
            tokens.append(Token("TEXT", source[start:i], start, space))
        space = False
    tokens.append(Token("END", "", n, space))
    return tokens


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.i = 0
        self.depth = 0
        self.terms = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def is_keyword(self, word: str) -> bool:
        return self.tok.kind == "TEXT" and self.tok.text == word

    def parse(self) -> Expr | None:
        if self.tok.kind == "END":
            return None
        expr = self.expression()
        if self.tok.kind != "END":
            raise FilterSyntaxError(f"unexpected {self.tok.text!r}", self.tok.pos)
        return expr

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FilterSyntaxError(f"filter is nested deeper than {MAX_DEPTH}", pos)

    def expression(self) -> Expr:
        pos = self.tok.pos
        items = [self.sequence()]
        while self.is_keyword("AND"):
            self.take()
            items.append(self.sequence())
        return items[0] if len(items) == 1 else And(tuple(items), pos)

    def sequence(self) -> Expr:
        pos = self.tok.pos
        items = [self.factor()]
        while self.tok.kind not in ("END", ")", ",") and not self.is_keyword("AND"):
            items.append(self.factor())
        return items[0] if len(items) == 1 else And(tuple(items), pos)

    def factor(self) -> Expr:
        pos = self.tok.pos
        items = [self.term()]
        while self.is_keyword("OR"):
            self.take()
            items.append(self.term())
        return items[0] if len(items) == 1 else Or(tuple(items), pos)

    def term(self) -> Expr:
        tok = self.tok
        negate = False
        if tok.kind == "-" or (
            tok.kind == "TEXT"
            and tok.text == "NOT"
            and (self.tokens[self.i + 1].space_before or self.tokens[self.i + 1].kind == "(")
            and self.tokens[self.i + 1].kind != "END"
        ):
            self.take()
            negate = True
        if self.tok.kind in ("END", ")"):
            raise FilterSyntaxError("expected a restriction", self.tok.pos)
        if negate:
            self.enter(tok.pos)
            inner = self.simple()
            self.depth -= 1
            return Not(inner, tok.pos)
        return self.simple()

    def simple(self) -> Expr:
        if self.tok.kind == "(":
            return self.composite()
        return self.restriction()

    def composite(self) -> Expr:
        open_tok = self.take()
        self.enter(open_tok.pos)
        expr = self.expression()
        if self.tok.kind != ")":
            raise FilterSyntaxError("expected ')'", self.tok.pos)
        self.take()
        self.depth -= 1
        return expr

    def restriction(self) -> Restriction:
        pos = self.tok.pos
        comparable = self.comparable()
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise FilterSyntaxError(f"filter has more than {MAX_TERMS} restrictions", pos)
        if self.tok.kind != "OP":
            return Restriction(comparable, None, None, pos)
        op = self.take().text
        return Restriction(comparable, op, self.arg(), pos)

    def arg(self) -> Member | Call | Expr:
        tok = self.tok
        if tok.kind == "(":
            return self.composite()
        nxt = self.tokens[min(self.i + 1, len(self.tokens) - 1)]
        if tok.kind == "-" and nxt.kind == "TEXT" and nxt.text[:1].isdigit():
            # A negative number: `-30`, `-1.5`.
            self.take()
            member = self.member()
            return Member(Value("-" + member.value.text, False, tok.pos), member.fields, tok.pos)
        return self.comparable()

    def comparable(self) -> Member | Call:
        member = self.member()
        if self.tok.kind == "(" and not self.tok.space_before and not member.value.quoted:
            return self.call(member)
        return member

    def member(self) -> Member:
        tok = self.tok
        if tok.kind not in ("TEXT", "STRING"):
            raise FilterSyntaxError(
                f"expected a value, found {tok.text!r}" if tok.text else "unexpected end", tok.pos
            )
        if tok.kind == "TEXT" and tok.text in ("AND", "OR", "NOT"):
            raise FilterSyntaxError(f"unexpected keyword {tok.text}", tok.pos)
        self.take()
        value = Value(tok.text, tok.kind == "STRING", tok.pos)
        fields: list[str] = []
        while self.tok.kind == "." and not self.tok.space_before:
            self.take()
            nxt = self.tok
            if nxt.kind not in ("TEXT", "STRING") or nxt.space_before:
                raise FilterSyntaxError("expected a field name after '.'", nxt.pos)
            self.take()
            fields.append(nxt.text)
        return Member(value, tuple(fields), tok.pos)

    def call(self, name: Member) -> Call:
        open_tok = self.take()
        self.enter(open_tok.pos)
        args: list[Expr] = []
        if self.tok.kind != ")":
            while True:
                args.append(self.expression())
                if self.tok.kind == ",":
                    self.take()
                    continue
                break
        if self.tok.kind != ")":
            raise FilterSyntaxError("expected ')' closing the call", self.tok.pos)
        self.take()
        self.depth -= 1
        return Call(name.path, tuple(args), name.pos)


def parse(source: str) -> Expr | None:
    """The syntax tree of `source`, or None when it is empty; FilterSyntaxError otherwise."""
    return _Parser(source).parse()
