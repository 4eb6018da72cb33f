"""`runyard workspaces get|update`: a workspace, and its display name, labels
and retention windows (docs/retention.md) changed through UpdateWorkspace."""

from __future__ import annotations

import argparse
import re
from typing import Any

from google.protobuf import duration_pb2, field_mask_pb2
from rich.console import Console
from rich.table import Table

from runyard.console.command import api_parser, fail, invoke
from runyard.console.connection import Client
from runyard.console.errors import ExitCode
from runyard.console.output import emit
from runyard.console.render import when
from runyard.v1 import workspace_pb2

Workspace = workspace_pb2.Workspace
WS_NAME = "organizations/O/workspaces/W"
_CLEAR = ("none", "off")
_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SPANS = ((7 * 86400, "w"), (86400, "d"), (3600, "h"), (60, "m"), (1, "s"))


def duration_arg(text: str) -> duration_pb2.Duration:
    """An argparse type: `90d` -> a Duration; `none` -> a zero one (no window)."""
    if text.strip().lower() in _CLEAR:
        return duration_pb2.Duration()
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(
            f"expected a duration such as 30m, 12h or 90d, not {text!r}"
        )
    return duration_pb2.Duration(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def register(sub: Any) -> None:
    workspaces = sub.add_parser(
        "workspaces",
        help="show a workspace or change its name, labels and retention windows",
        description="Workspaces over the gRPC API. Exit codes are listed in docs/cli.md.",
    )
    wsub = workspaces.add_subparsers(dest="workspaces_command", required=True, metavar="COMMAND")
    api = api_parser()
    get = wsub.add_parser("get", parents=[api], help="show one workspace")
    get.add_argument("name", metavar="WORKSPACE", help=WS_NAME)
    get.set_defaults(func=_get)

    up = wsub.add_parser(
        "update",
        parents=[api],
        help="change a workspace's display name, labels or retention windows (admin)",
        description="Changes only the given settings (UpdateWorkspace with an update mask); "
        "the others stay as they are.",
    )
    up.add_argument("name", metavar="WORKSPACE", help=WS_NAME)
    up.add_argument("--display-name", help="a human-readable name")
    up.add_argument(
        "--label",
        action="append",
        metavar="KEY=VALUE",
        help="replaces all labels with the given ones (repeatable); --label '' removes them all",
    )
    for flag, field in (
        ("--run-retention", "ended runs"),
        ("--archive-retention", "archived runs"),
    ):
        up.add_argument(
            flag,
            type=duration_arg,
            metavar="DURATION",
            help=f"keep {field} this long, such as 90d or 52w; 'none' keeps them forever",
        )
    up.add_argument("--etag", default="", help="update only if the workspace still has this etag")
    up.add_argument(
        "--validate-only", action="store_true", help="show the result without changing anything"
    )
    up.set_defaults(func=_update)


def _get(args: argparse.Namespace) -> int:
    def body(client: Client) -> None:
        request = workspace_pb2.GetWorkspaceRequest(name=args.name)
        emit(client.call(client.workspaces.GetWorkspace, request), args.output, render)

    return invoke(args, body)


def update_request(args: argparse.Namespace) -> workspace_pb2.UpdateWorkspaceRequest:
    """The request for the flags given; the mask names exactly those."""
    ws = Workspace(name=args.name, etag=args.etag)
    paths: list[str] = []
    if args.display_name is not None:
        ws.display_name = args.display_name
        paths.append("display_name")
    if args.label is not None:
        for item in filter(None, args.label):
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise ValueError(f"--label: expected KEY=VALUE, got {item!r}")
            ws.labels[key] = value
        paths.append("labels")
    for field in ("run_retention", "archive_retention"):
        given = getattr(args, field)
        if given is None:
            continue
        if given.seconds:  # a zero window is `none`: the field is cleared
            getattr(ws, field).CopyFrom(given)
        paths.append(field)
    if not paths:
        raise ValueError(
            "give at least one of --display-name, --label, --run-retention, --archive-retention"
        )
    return workspace_pb2.UpdateWorkspaceRequest(
        workspace=ws,
        update_mask=field_mask_pb2.FieldMask(paths=paths),
        validate_only=args.validate_only,
    )


def _update(args: argparse.Namespace) -> int:
    try:
        request = update_request(args)
    except ValueError as e:
        return fail(f"workspaces update: {e}", ExitCode.USAGE)

    def body(client: Client) -> None:
        emit(client.call(client.workspaces.UpdateWorkspace, request), args.output, render)

    return invoke(args, body)


def window(d: duration_pb2.Duration | None) -> str:
    """A retention window in the unit the CLI takes it in: `90d`, `52w`, `36h`."""
    if d is None or d.ToMicroseconds() <= 0:
        return "forever"
    seconds = d.seconds
    for size, unit in _SPANS:
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{d.ToTimedelta()}"


def render(console: Console, ws: Workspace) -> None:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    labels = ", ".join(f"{k}={v}" for k, v in sorted(ws.labels.items()))
    rows = [
        ("name", ws.name),
        ("display name", ws.display_name),
        ("labels", labels),
        ("run retention", window(ws.run_retention if ws.HasField("run_retention") else None)),
        (
            "archive retention",
            window(ws.archive_retention if ws.HasField("archive_retention") else None),
        ),
        ("etag", ws.etag),
        ("created", when(ws.create_time)),
        ("updated", when(ws.update_time)),
    ]
    for key, value in rows:
        if value:
            table.add_row(key, value)
    console.print(table)
