"""Printing answers: ``-o json`` and ``-o yaml`` are the REST API's JSON exactly
(the gateway's proto3 JSON codec, which equals google.protobuf.json_format);
``-o table`` (the default) goes through a renderer to rich tables."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import orjson
from google.protobuf.message import Message
from rich.console import Console

from runyard.gateway.jsoncodec import to_json_value

__all__ = ["FORMATS", "add_arguments", "emit", "stderr_console", "stdout_console"]

FORMATS = ("table", "json", "yaml")

Renderer = Callable[[Console, Any], None]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        choices=FORMATS,
        default="table",
        help="table (default), or json/yaml: the API's JSON as the REST API returns it",
    )


def stdout_console() -> Console:
    # soft_wrap off: rich fits tables to the terminal's width (COLUMNS when not a tty).
    return Console(highlight=False)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False)


def json_value(msg: Message) -> Any:
    return to_json_value(msg)


def emit(msg: Message, fmt: str, render: Renderer, *, console: Console | None = None) -> None:
    """``msg`` in ``fmt``; ``render`` draws the table form from the message."""
    if fmt == "json":
        sys.stdout.buffer.write(orjson.dumps(json_value(msg), option=orjson.OPT_INDENT_2) + b"\n")
        sys.stdout.flush()
    elif fmt == "yaml":
        import yaml

        sys.stdout.write(yaml.safe_dump(json_value(msg), sort_keys=False, allow_unicode=True))
        sys.stdout.flush()
    else:
        render(console or stdout_console(), msg)
