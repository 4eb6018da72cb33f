"""AIP-160 lexer: source text to tokens, by hand.

The grammar is whitespace-sensitive in ways a regular lexer is not (`f(x)` is a
call, `f (x)` a sequence), so each token records whether whitespace came before
it; parser.py classifies them into the grammar's terminals.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_LENGTH = 4096
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
    if code == 0:
        # As for a literal NUL in tokenize(): no stored text can hold one.
        raise FilterSyntaxError("NUL characters are not allowed", i)
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
