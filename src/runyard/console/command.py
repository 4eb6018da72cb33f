"""Running one API command: connect, call, print, and turn failures into a
line on stderr and an exit code (see :mod:`.errors`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

import grpc

from . import connection, output
from .errors import ExitCode, describe
from .output import stderr_console

__all__ = ["api_parser", "invoke"]

Body = Callable[[connection.Client], None]


def api_parser(*, formats: bool = True) -> argparse.ArgumentParser:
    """A parent parser with the connection options (and ``-o`` when ``formats``)."""
    parent = argparse.ArgumentParser(add_help=False)
    connection.add_arguments(parent)
    if formats:
        output.add_arguments(parent)
    return parent


def fail(message: str, code: int) -> int:
    stderr_console().print(f"runyard: {message}", markup=False, soft_wrap=True)
    return code


def invoke(args: argparse.Namespace, body: Body) -> int:
    """Run ``body`` with a connected client; the exit code of how it went."""
    try:
        with connection.connect(args) as client:
            body(client)
    except connection.ConfigError as e:
        return fail(str(e), ExitCode.USAGE)
    except grpc.RpcError as e:
        line, code = describe(e)
        return fail(line, code)
    return ExitCode.OK
