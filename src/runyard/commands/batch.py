"""`runyard runs batch-cancel|batch-pause|batch-continue|batch-retry`: one
action on every run a filter (or a list of names) picks, as a long-running
operation (RunBatchService); `--validate-only` counts, `--wait` follows it."""

from __future__ import annotations

import argparse
import uuid
from typing import Any

from runyard.v1 import run_batch_service_pb2 as rbs

__all__ = ["add_batch"]

# verb -> (request type, stub method name, help)
ACTIONS: dict[str, tuple[Any, str, str]] = {
    "cancel": (rbs.BatchCancelRunsRequest, "BatchCancelRuns", "queued, running or paused"),
    "pause": (rbs.BatchPauseRunsRequest, "BatchPauseRuns", "queued or running"),
    "continue": (rbs.BatchContinueRunsRequest, "BatchContinueRuns", "paused"),
    "retry": (rbs.BatchRetryRunsRequest, "BatchRetryRuns", "failed or cancelled"),
}


def add_batch(rsub: Any, api: argparse.ArgumentParser) -> None:
    for verb, (_, _, states) in ACTIONS.items():
        p = rsub.add_parser(
            f"batch-{verb}",
            parents=[api],
            help=f"{verb} every {states} run a filter or a list of names picks",
            description=f"Starts an operation that will {verb} each {states} run the "
            f"filter matches, through the same state machine as `runyard runs {verb}`; "
            "named runs in another state, and runs changed meanwhile, are skipped. "
            "Prints the operation; follow it with --wait or `runyard operations wait NAME`.",
        )
        p.add_argument(
            "parent",
            metavar="PARENT",
            help="organizations/O/workspaces/W/automations/A ('-' for every automation)",
        )
        which = p.add_mutually_exclusive_group()
        which.add_argument(
            "--filter", default="", help="AIP-160 filter on runs as in `runs list` (default: all)"
        )
        which.add_argument(
            "--names",
            nargs="+",
            default=[],
            metavar="NAME",
            help="these runs (under PARENT; at most 1000) instead of a filter",
        )
        p.add_argument(
            "--reason",
            required=verb == "pause",
            default="",
            help="why: recorded in each run's event" + (" (required)" if verb == "pause" else ""),
        )
        p.add_argument(
            "--validate-only",
            action="store_true",
            help="only count the runs the action would change now; change nothing",
        )
        p.add_argument(
            "--max-runs-per-second",
            type=float,
            default=0.0,
            metavar="N",
            help="rate cap of the operation (default: the server's)",
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
        p.set_defaults(func=_batch, verb=verb)


def _batch(args: argparse.Namespace) -> int:
    from runyard.commands.operations import start_operation

    request_type, method, _ = ACTIONS[args.verb]
    request = request_type(
        parent=args.parent,
        filter=args.filter,
        names=args.names,
        reason=args.reason,
        validate_only=args.validate_only,
        max_runs_per_second=args.max_runs_per_second,
        request_id=args.request_id or str(uuid.uuid4()),
    )
    return start_operation(args, method, request)
