"""`runyard runs …`: list, get, pause, continue, cancel, retry and read the
events of runs, over gRPC (see docs/cli.md)."""

from __future__ import annotations

import argparse
import uuid
from typing import Any

from runyard.commands.archive import add_archive
from runyard.commands.batch import add_batch
from runyard.console import paging, render
from runyard.console.command import api_parser, invoke
from runyard.console.connection import Client
from runyard.console.output import emit
from runyard.v1 import run_service_pb2 as rs

RUN_NAME = "organizations/O/workspaces/W/automations/A/runs/R"


def register(sub: Any) -> None:
    runs = sub.add_parser(
        "runs",
        help="list, inspect, pause, continue, cancel, retry and archive runs, one or many at once",
        description="Runs over the gRPC API. Exit codes are listed in docs/cli.md.",
    )
    rsub = runs.add_subparsers(dest="runs_command", required=True, metavar="COMMAND")
    api = api_parser()
    _add_reads(rsub, api)
    _add_lifecycle(rsub, api)
    _add_events(rsub, api)
    add_batch(rsub, api)
    add_archive(rsub, api)


def _add_reads(rsub: Any, api: argparse.ArgumentParser) -> None:
    ls = rsub.add_parser(
        "list",
        parents=[api],
        help="list the runs of an automation ('-' for every automation of a workspace)",
    )
    ls.add_argument("parent", metavar="PARENT", help="organizations/O/workspaces/W/automations/A")
    ls.add_argument("--filter", default="", help='AIP-160 filter, e.g. "state = FAILED"')
    ls.add_argument(
        "--order-by",
        default="",
        help='e.g. "start_time desc" (default: create_time desc)',
    )
    ls.add_argument(
        "--show-archived",
        action="store_true",
        help="list archived runs too (docs/retention.md)",
    )
    paging.add_arguments(ls, "runs")
    ls.set_defaults(func=_list)

    get = rsub.add_parser("get", parents=[api], help="show one run")
    get.add_argument("name", metavar="NAME", help=RUN_NAME)
    get.set_defaults(func=_get)


def _add_lifecycle(rsub: Any, api: argparse.ArgumentParser) -> None:
    for verb, helptext in (
        ("pause", "pause a running or queued run (a reason is required)"),
        ("continue", "continue a paused run"),
        ("cancel", "cancel a run that has not ended"),
        ("retry", "retry a FAILED or CANCELLED run as a new run"),
    ):
        p = rsub.add_parser(verb, parents=[api], help=helptext)
        p.add_argument("name", metavar="NAME", help=RUN_NAME)
        if verb in ("pause", "cancel"):
            p.add_argument("--reason", required=verb == "pause", default="", help="why")
        p.add_argument("--etag", default="", help="act only if the run still has this etag")
        p.add_argument(
            "--request-id",
            default="",
            help="a UUID that makes a repeated command apply once (default: a new one)",
        )
        p.set_defaults(func=_lifecycle, verb=verb)


def _add_events(rsub: Any, api: argparse.ArgumentParser) -> None:
    ev = rsub.add_parser("events", parents=[api], help="a run's event timeline")
    ev.add_argument("name", metavar="NAME", help=RUN_NAME)
    ev.add_argument("--filter", default="", help='AIP-160 filter, e.g. "type = STATE_CHANGE"')
    ev.add_argument("--order-by", default="", help='"sequence" (default) or "sequence desc"')
    paging.add_arguments(ev, "events")
    ev.set_defaults(func=_events)

    watch = rsub.add_parser(
        "watch",
        parents=[api],
        help="follow a run's events live until it ends",
        description="Prints the run's events as they are committed (WatchRunEvents): "
        "first those already stored, then new ones, until the run has ended "
        "(--follow: until interrupted). -o json prints each stream message as a JSON line.",
    )
    watch.add_argument("name", metavar="NAME", help=RUN_NAME)
    watch.add_argument("--filter", default="", help='AIP-160 filter, e.g. "type = STATE_CHANGE"')
    watch.add_argument(
        "--after-sequence",
        type=int,
        default=0,
        metavar="N",
        help="only events after sequence number N (default: 0, the whole timeline)",
    )
    watch.add_argument(
        "--follow", action="store_true", help="keep watching after the run has ended"
    )
    watch.set_defaults(func=_watch)


def _list(args: argparse.Namespace) -> int:
    def body(client: Client) -> None:
        request = rs.ListRunsRequest(
            parent=args.parent,
            filter=args.filter,
            order_by=args.order_by,
            show_archived=args.show_archived,
        )
        page = paging.collect(
            args, lambda r: client.call(client.runs.ListRuns, r), request, "runs", noun="runs"
        )
        emit(page, args.output, render.runs)

    return invoke(args, body)


def _get(args: argparse.Namespace) -> int:
    def body(client: Client) -> None:
        run = client.call(client.runs.GetRun, rs.GetRunRequest(name=args.name))
        emit(run, args.output, render.run)

    return invoke(args, body)


def _lifecycle(args: argparse.Namespace) -> int:
    request_id = args.request_id or str(uuid.uuid4())

    def body(client: Client) -> None:
        if args.verb == "pause":
            req: Any = rs.PauseRunRequest(name=args.name, reason=args.reason)
            method: Any = client.runs.PauseRun
        elif args.verb == "continue":
            req, method = rs.ContinueRunRequest(name=args.name), client.runs.ContinueRun
        elif args.verb == "cancel":
            req = rs.CancelRunRequest(name=args.name, reason=args.reason)
            method = client.runs.CancelRun
        else:
            req, method = rs.RetryRunRequest(name=args.name), client.runs.RetryRun
        req.etag = args.etag
        req.request_id = request_id
        emit(client.call(method, req), args.output, render.run)

    return invoke(args, body)


def _watch(args: argparse.Namespace) -> int:
    from runyard.console.follow import follow

    try:
        return invoke(args, lambda client: follow(client, args))
    except KeyboardInterrupt:
        return 130  # the shell's code for an interrupt; the watch itself went fine


def _events(args: argparse.Namespace) -> int:
    def body(client: Client) -> None:
        request = rs.ListRunEventsRequest(
            parent=args.name, filter=args.filter, order_by=args.order_by
        )
        page = paging.collect(
            args,
            lambda r: client.call(client.runs.ListRunEvents, r),
            request,
            "run_events",
            noun="events",
        )
        emit(page, args.output, render.events)

    return invoke(args, body)
