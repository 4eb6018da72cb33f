"""`runyard runs archive|purge-archive`: retention on demand (docs/retention.md).
Each starts an operation (RunBatchService ArchiveRuns / PurgeArchivedRuns) on a
workspace; `--validate-only` counts, `--wait` follows it."""

from __future__ import annotations

import argparse
import uuid
from typing import Any

from runyard.commands.workspaces import duration_arg
from runyard.v1 import run_batch_service_pb2 as rbs

__all__ = ["add_archive"]

# command -> (request type, stub method name, help, description)
ACTIONS: dict[str, tuple[Any, str, str, str]] = {
    "archive": (
        rbs.ArchiveRunsRequest,
        "ArchiveRuns",
        "move a workspace's old ended runs to the archive",
        "Starts an operation that moves every run of WORKSPACE that ended longer ago than "
        "--older-than (default: the workspace's run retention) to the archive, with its "
        "events and executions. Archived runs stay readable (runs list --show-archived); "
        "aggregates do not change.",
    ),
    "purge-archive": (
        rbs.PurgeArchivedRunsRequest,
        "PurgeArchivedRuns",
        "delete a workspace's old archived runs for good (admin)",
        "Starts an operation that deletes every archived run of WORKSPACE that ended longer "
        "ago than --older-than (default: the workspace's archive retention), with its events "
        "and executions. Aggregates do not change.",
    ),
}


def add_archive(rsub: Any, api: argparse.ArgumentParser) -> None:
    for command, (_, _, help_text, description) in ACTIONS.items():
        p = rsub.add_parser(command, parents=[api], help=help_text, description=description)
        p.add_argument("parent", metavar="WORKSPACE", help="organizations/O/workspaces/W")
        p.add_argument(
            "--older-than",
            type=duration_arg,
            metavar="DURATION",
            help="runs that ended longer ago than this, such as 30d or 12w "
            "(default: the workspace's retention window)",
        )
        p.add_argument(
            "--validate-only",
            action="store_true",
            help="only count the runs it would affect now; change nothing",
        )
        p.add_argument(
            "--request-id",
            default="",
            help="a UUID that makes a repeated command start one operation (default: a new one)",
        )
        p.add_argument(
            "--wait",
            action="store_true",
            help="show the operation's progress until it is done, then the finished operation",
        )
        p.set_defaults(func=_start, archive_command=command)


def _start(args: argparse.Namespace) -> int:
    from runyard.commands.operations import start_operation

    request_type, method, _, _ = ACTIONS[args.archive_command]
    request = request_type(
        parent=args.parent,
        validate_only=args.validate_only,
        request_id=args.request_id or str(uuid.uuid4()),
    )
    if args.older_than is not None and args.older_than.seconds:
        request.older_than.CopyFrom(args.older_than)
    return start_operation(args, method, request)
