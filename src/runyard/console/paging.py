"""Reading a list page by page: one page, the first N items, or every page
(``--all``, with a progress indicator on stderr)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, TypeVar

from google.protobuf.message import Message
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from .output import stderr_console

__all__ = ["MAX_PAGES", "MAX_PAGE_SIZE", "add_arguments", "collect", "positive"]

MAX_PAGE_SIZE = 1000
# A bound on one command's loop, far above any real list (10,000,000 items at 1,000).
MAX_PAGES = 10_000

R = TypeVar("R", bound=Message)


def positive(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"a positive integer expected, not {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser, noun: str) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--limit", type=positive, metavar="N", help=f"at most N {noun} (default: one page)"
    )
    group.add_argument("--all", action="store_true", help=f"all the {noun}, page after page")
    parser.add_argument(
        "--page-size",
        type=positive,
        metavar="N",
        help=f"{noun} per call (default: the server's; at most {MAX_PAGE_SIZE})",
    )
    parser.add_argument("--page-token", default="", help="start at this page token")


def collect(
    args: argparse.Namespace,
    fetch: Callable[[Message], R],
    request: Message,
    items: str,
    *,
    noun: str,
) -> R:
    """The pages ``args`` asks for, merged into one response of the same type.

    ``request`` is the first page's request (its page_size and page_token are
    set here); ``items`` names the response's repeated field. The merged
    response keeps the last page's next_page_token unless the list was cut at
    ``--limit`` inside a page."""
    limit: int | None = args.limit
    size = args.page_size or 0
    if limit is not None:
        size = min(size or limit, limit, MAX_PAGE_SIZE)
    elif args.all:
        size = size or MAX_PAGE_SIZE
    req: Any = request
    req.page_size = size
    req.page_token = args.page_token
    want_total = bool(args.all) and hasattr(req, "show_total_size")
    if want_total:
        req.show_total_size = True
    first = fetch(req)
    if not args.all and (limit is None or len(getattr(first, items)) >= limit):
        return _cut(first, items, limit)
    merged = first
    pages = 1
    with _progress(bool(args.all), noun, getattr(first, "total_size", 0)) as progress:
        task = progress.add_task(noun, total=getattr(first, "total_size", 0) or None)
        progress.update(task, completed=len(getattr(merged, items)))
        token = first.next_page_token  # type: ignore[attr-defined]
        while token and pages < MAX_PAGES:
            if limit is not None and len(getattr(merged, items)) >= limit:
                break
            req.page_token = token
            page = fetch(req)
            pages += 1
            getattr(merged, items).extend(getattr(page, items))
            token = page.next_page_token  # type: ignore[attr-defined]
            merged.next_page_token = token  # type: ignore[attr-defined]
            progress.update(task, completed=len(getattr(merged, items)))
    if args.all:
        count = len(getattr(merged, items))
        stderr_console().print(f"{count:,} {noun} in {pages:,} page{'s' if pages > 1 else ''}")
    return _cut(merged, items, limit)


def _cut(response: R, items: str, limit: int | None) -> R:
    field = getattr(response, items)
    if limit is not None and limit < len(field):
        del field[limit:]
        response.next_page_token = ""  # type: ignore[attr-defined]
    return response


def _progress(enabled: bool, noun: str, total: int) -> Progress:
    return Progress(
        TextColumn(f"fetching {noun}"),
        BarColumn(),
        MofNCompleteColumn() if total else TextColumn("{task.completed:,}"),
        console=stderr_console(),
        transient=True,
        disable=not enabled,
    )
