"""`runyard operations …`: list, inspect, wait for and cancel a workspace's
long-running operations (bulk actions on runs), and list the runs an
operation could not change, over gRPC (see docs/cli.md)."""

from __future__ import annotations

import argparse
from typing import Any

import grpc

from runyard.console import paging, render_ops
from runyard.console.command import api_parser, invoke
from runyard.console.connection import Client
from runyard.console.errors import ExitCode, exit_code_for
from runyard.console.output import emit, stderr_console
from runyard.v1 import operation_pb2 as ops

OPERATION_NAME = "organizations/O/workspaces/W/operations/OP"


def register(sub: Any) -> None:
    group = sub.add_parser(
        "operations",
        help="long-running operations (bulk actions on runs): list, get, wait, cancel, failures",
        description="Operations over the gRPC API (AIP-151). Bulk actions start them: "
        "see `runyard runs batch-cancel --help`. Exit codes are listed in docs/cli.md.",
    )
    osub = group.add_subparsers(dest="operations_command", required=True, metavar="COMMAND")
    api = api_parser()

    ls = osub.add_parser("list", parents=[api], help="a workspace's operations, newest first")
    ls.add_argument("parent", metavar="PARENT", help="organizations/O/workspaces/W")
    ls.add_argument(
        "--filter",
        default="",
        help='AIP-160 filter on done, state, action and create_time, e.g. "done = false"',
    )
    paging.add_arguments(ls, "operations")
    ls.set_defaults(func=_list)

    for verb, helptext in (
        ("get", "show one operation and its progress"),
        ("wait", "show an operation's progress until it is done, then the operation"),
        ("cancel", "ask an operation to stop (runs already changed stay changed)"),
    ):
        p = osub.add_parser(verb, parents=[api], help=helptext)
        p.add_argument("name", metavar="NAME", help=OPERATION_NAME)
        p.set_defaults(func=_one, verb=verb)

    fl = osub.add_parser(
        "failures",
        parents=[api],
        help="the runs an operation could not change (failed) or left alone (skipped), and why",
    )
    fl.add_argument("name", metavar="NAME", help=OPERATION_NAME)
    fl.add_argument(
        "--filter", default="", help='AIP-160 filter on skipped, e.g. "skipped = false"'
    )
    paging.add_arguments(fl, "failures")
    fl.set_defaults(func=_failures)


def _list(args: argparse.Namespace) -> int:
    def body(client: Client) -> None:
        request = ops.ListOperationsRequest(parent=args.parent, filter=args.filter)
        page = paging.collect(
            args,
            lambda r: client.call(client.operations.ListOperations, r),
            request,
            "operations",
            noun="operations",
        )
        emit(page, args.output, render_ops.operations)

    return invoke(args, body)


def _one(args: argparse.Namespace) -> int:
    outcome = ExitCode.OK

    def body(client: Client) -> None:
        nonlocal outcome
        if args.verb == "cancel":
            request: Any = ops.CancelOperationRequest(name=args.name)
            op = client.call(client.operations.CancelOperation, request)
        elif args.verb == "wait":
            op = wait_for(client, args.name)
            outcome = ended(op)
        else:
            get = ops.GetOperationRequest(name=args.name)
            op = client.call(client.operations.GetOperation, get)
        emit(op, args.output, render_ops.operation)

    try:
        return invoke(args, body) or outcome
    except KeyboardInterrupt:
        return 130  # the shell's code for an interrupt


def start_operation(args: argparse.Namespace, method: str, request: Any) -> int:
    """Calls RunBatchService.`method` (which starts an operation), follows it
    with --wait, prints it; the exit code is the finished operation's."""
    outcome = ExitCode.OK

    def body(client: Client) -> None:
        nonlocal outcome
        op = client.call(getattr(client.batch, method), request)
        if args.wait and op.name:
            stderr_console().print(f"started {op.name}", markup=False, soft_wrap=True)
            op = wait_for(client, op.name)
            outcome = ended(op)
        emit(op, args.output, render_ops.operation)

    try:
        return invoke(args, body) or outcome
    except KeyboardInterrupt:
        return 130  # the shell's code for an interrupt; the operation goes on


def ended(op: ops.Operation) -> int:
    """The exit code of a finished operation: that of its error, if it has one."""
    if not op.HasField("error"):
        return ExitCode.OK
    code = render_ops.code_name(op.error.code)
    stderr_console().print(
        f"runyard: the operation ended with {code}: {op.error.message}",
        markup=False,
        soft_wrap=True,
    )
    return exit_code_for(grpc.StatusCode[code]) if code in grpc.StatusCode.__members__ else 1


def wait_for(client: Client, name: str) -> ops.Operation:
    """The operation once done; Ctrl-C stops waiting, not the operation."""
    from runyard.console.waiting import wait

    try:
        op = wait(client, name)
    except KeyboardInterrupt:
        stderr_console().print(
            f"stopped waiting; the operation goes on: runyard operations wait {name}",
            markup=False,
            soft_wrap=True,
        )
        raise
    if op.metadata.failed_count or op.metadata.skipped_count:
        stderr_console().print(
            f"runs not changed: runyard operations failures {name}", markup=False, soft_wrap=True
        )
    return op


def _failures(args: argparse.Namespace) -> int:
    def body(client: Client) -> None:
        request = ops.ListOperationFailuresRequest(parent=args.name, filter=args.filter)
        page = paging.collect(
            args,
            lambda r: client.call(client.operations.ListOperationFailures, r),
            request,
            "failures",
            noun="failures",
        )
        emit(page, args.output, render_ops.failures)

    return invoke(args, body)
