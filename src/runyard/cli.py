"""The `runyard` command: the top-level parser; each subcommand lives in
runyard.commands."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from runyard import __version__


def _parser() -> argparse.ArgumentParser:
    from runyard.commands import COMMANDS

    parser = argparse.ArgumentParser(
        prog="runyard",
        description="runyard: a run ledger and lifecycle control plane for automations.",
    )
    parser.add_argument("--version", action="version", version=f"runyard {__version__}")
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging verbosity (default: INFO)",
    )
    parser.add_argument(
        "--log-format",
        default=os.environ.get("RUNYARD_LOG_FORMAT", "text"),
        choices=["text", "json"],
        help="log lines as text or as one JSON object each "
        "(default: $RUNYARD_LOG_FORMAT, else text)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from runyard.ops.logs import configure

    configure(args.log_level, args.log_format)
    # Alembic narrates every plugin at INFO; its migration lines are what matter.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
