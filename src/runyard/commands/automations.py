"""`runyard automations list`: the automations of a workspace."""

from __future__ import annotations

import argparse
from typing import Any

from runyard.console import paging, render
from runyard.console.command import api_parser, invoke
from runyard.console.connection import Client
from runyard.console.output import emit
from runyard.v1 import automation_pb2


def register(sub: Any) -> None:
    automations = sub.add_parser("automations", help="list the automations of a workspace")
    asub = automations.add_subparsers(dest="automations_command", required=True, metavar="COMMAND")
    ls = asub.add_parser("list", parents=[api_parser()], help="list the automations of a workspace")
    ls.add_argument("parent", metavar="PARENT", help="organizations/O/workspaces/W")
    ls.add_argument("--filter", default="", help="AIP-160 filter")
    ls.add_argument("--order-by", default="", help="AIP-132 ordering")
    paging.add_arguments(ls, "automations")
    ls.set_defaults(func=_list)


def _list(args: argparse.Namespace) -> int:
    def body(client: Client) -> None:
        request = automation_pb2.ListAutomationsRequest(
            parent=args.parent, filter=args.filter, order_by=args.order_by
        )
        page = paging.collect(
            args,
            lambda r: client.call(client.automations.ListAutomations, r),
            request,
            "automations",
            noun="automations",
        )
        emit(page, args.output, render.automations)

    return invoke(args, body)
