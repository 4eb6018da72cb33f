"""Path templates: parsing, precedence, verbs, percent-decoding, duplicates."""

from __future__ import annotations

import itertools

import pytest

from runyard.gateway.httprule import (
    DuplicateRouteError,
    Match,
    PathDecodeError,
    Router,
    TemplateSyntaxError,
    parse_template,
    percent_decode,
)

BAD_TEMPLATES = [
    "v1/x",  # no leading slash
    "/",
    "/v1//x",
    "/v1/x/",
    "/v1/{a=**}/b",  # ** not last
    "/v1/**/b",
    "/v1/{a.}",
    "/v1/{a/b}",
    "/v1/{a}/{a}",
    "/v1/{a=x/{b}}",
    "/v1/{a",
    "/v1/x:",
]


@pytest.mark.parametrize("text", BAD_TEMPLATES)
def test_bad_templates_are_rejected(text: str) -> None:
    with pytest.raises(TemplateSyntaxError):
        parse_template(text)


@pytest.mark.parametrize(
    ("text", "segments", "verb", "variables"),
    [
        ("/v1/{name}", ("v1", "*"), "", [(("name",), 1, 2)]),
        (
            "/v1/{name=shelves/*/items/*}:archive",
            ("v1", "shelves", "*", "items", "*"),
            "archive",
            [(("name",), 1, 5)],
        ),
        ("/v1/{name=blobs/**}", ("v1", "blobs", "**"), "", [(("name",), 1, None)]),
        (
            "/v1/{item.name=a/*}/x/{id}",
            ("v1", "a", "*", "x", "*"),
            "",
            [(("item", "name"), 1, 3), (("id",), 4, 5)],
        ),
        ("/v1/*/x:do", ("v1", "*", "x"), "do", []),
    ],
)
def test_parse(text: str, segments: tuple[str, ...], verb: str, variables: list[object]) -> None:
    t = parse_template(text)
    assert t.segments == segments
    assert t.verb == verb
    assert [(v.field_path, v.start, v.end) for v in t.variables] == variables


TEMPLATES = [
    ("GET", "/v1/{name=shelves/*/items/*}", "get"),
    ("GET", "/v1/{parent=shelves/*}/items/latest", "latest"),
    ("POST", "/v1/{name=shelves/*/items/*}:archive", "archive"),
    ("GET", "/v1/{name=blobs/**}", "blob"),
    ("GET", "/v1/{name=blobs/*}/info", "info"),
    ("GET", "/v1/{name=blobs/**}:download", "download"),
    ("GET", "/v1/ids/{id}", "id"),
    ("DELETE", "/v1/{name=shelves/*/items/*}", "delete"),
]

CASES = [
    # method, path, target or allowed methods or None, variables
    ("GET", "/v1/shelves/s/items/i", "get", {"name": "shelves/s/items/i"}),
    ("GET", "/v1/shelves/s/items/latest", "latest", {"parent": "shelves/s"}),
    ("POST", "/v1/shelves/s/items/i:archive", "archive", {"name": "shelves/s/items/i"}),
    ("GET", "/v1/shelves/s/items/i:archive", ["POST"], None),  # registered verb is a verb
    ("GET", "/v1/shelves/s/items/i:xyz", "get", {"name": "shelves/s/items/i:xyz"}),
    ("GET", "/v1/shelves/s/items/i:ARCHIVE", "get", {"name": "shelves/s/items/i:ARCHIVE"}),
    ("PUT", "/v1/shelves/s/items/i", ["DELETE", "GET"], None),
    ("GET", "/v1/shelves/s/items", None, None),
    ("GET", "/v1/shelves/s/items/i/", None, None),  # no trailing-slash normalisation
    ("GET", "/v1/shelves//items/i", None, None),  # `*` needs a non-empty segment
    ("GET", "/v1/blobs/a/b/c", "blob", {"name": "blobs/a/b/c"}),
    ("GET", "/v1/blobs", "blob", {"name": "blobs"}),
    ("GET", "/v1/blobs/a/info", "info", {"name": "blobs/a"}),  # * beats **
    ("GET", "/v1/blobs/a/b/info", "blob", {"name": "blobs/a/b/info"}),
    ("GET", "/v1/blobs/a/b:download", "download", {"name": "blobs/a/b"}),
    # single-segment: fully decoded; multi-segment: reserved characters stay encoded
    ("GET", "/v1/ids/a%2Fb%20c%3Ad", "id", {"id": "a/b c:d"}),
    ("GET", "/v1/ids/abc%3Aarchive", "id", {"id": "abc:archive"}),
    ("GET", "/v1/shelves/a%2Fb%20c%3Ad/items/i", "get", {"name": "shelves/a%2Fb c%3Ad/items/i"}),
    ("GET", "/v1/blobs/x%2Fy/%C3%A9", "blob", {"name": "blobs/x%2Fy/é"}),
    ("GET", "/v1/ids/..", "id", {"id": ".."}),  # dot segments are not special
]


@pytest.mark.parametrize("order", [0, 1, 2])
@pytest.mark.parametrize(("method", "path", "want", "values"), CASES)
def test_lookup_independent_of_order(
    order: int, method: str, path: str, want: object, values: dict[str, str] | None
) -> None:
    perms = list(itertools.permutations(range(len(TEMPLATES))))
    router: Router[str] = Router()
    for i in perms[[0, len(perms) // 2, -1][order]]:
        m, t, target = TEMPLATES[i]
        router.add(m, parse_template(t), target)
    got = router.lookup(method, path)
    if isinstance(want, str):
        assert isinstance(got, Match)
        assert got.target == want
        assert {".".join(k): v for k, v in got.values.items()} == values
    else:
        assert got == want


def test_duplicates_are_rejected() -> None:
    router: Router[str] = Router()
    router.add("GET", parse_template("/v1/{name=shelves/*}"), "a")
    router.add("POST", parse_template("/v1/{name=shelves/*}"), "b")  # other method: fine
    router.add("GET", parse_template("/v1/{name=shelves/*}:x"), "c")  # other verb: fine
    with pytest.raises(DuplicateRouteError):
        router.add("GET", parse_template("/v1/shelves/{id}"), "d")


@pytest.mark.parametrize(
    ("raw", "keep", "want"),
    [
        ("a%20b", False, "a b"),
        ("a%2Fb", False, "a/b"),
        ("a%2Fb", True, "a%2Fb"),
        ("a%2fb%3A", True, "a%2fb%3A"),
        ("%C3%A9", True, "é"),
        ("plain", True, "plain"),
    ],
)
def test_percent_decode(raw: str, keep: bool, want: str) -> None:
    assert percent_decode(raw, keep_reserved=keep) == want


@pytest.mark.parametrize("raw", ["a%zz", "a%2", "%", "%C3"])
def test_percent_decode_rejects_malformed(raw: str) -> None:
    with pytest.raises(PathDecodeError):
        percent_decode(raw, keep_reserved=False)


def test_malformed_escape_in_capture_is_an_error() -> None:
    router: Router[str] = Router()
    router.add("GET", parse_template("/v1/ids/{id}"), "id")
    with pytest.raises(PathDecodeError):
        router.lookup("GET", "/v1/ids/a%zz")
