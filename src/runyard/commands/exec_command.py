"""`runyard exec`: run a command as a run of an automation (runyard.runner)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "exec",
        help="run a command as a run of an automation, obeying pause, continue and cancel",
        description="Create a run of AUTOMATION, start COMMAND in its own process group, "
        "record its output lines as journal events and its exit code; a pause stops the "
        "process group (SIGSTOP), a continue resumes it (SIGCONT), a cancel terminates it "
        "(SIGTERM, then SIGKILL after --grace seconds). Exits with the command's exit code.",
    )
    p.add_argument(
        "--automation",
        required=True,
        metavar="NAME",
        help="organizations/O/workspaces/W/automations/A",
    )
    p.add_argument(
        "--server",
        default=os.environ.get("RUNYARD_SERVER", "127.0.0.1:50051"),
        metavar="HOST:PORT",
        help="the gRPC server (default: $RUNYARD_SERVER, else 127.0.0.1:50051)",
    )
    p.add_argument(
        "--token",
        default=os.environ.get("RUNYARD_TOKEN", ""),
        help="a bearer token with the runner role (default: $RUNYARD_TOKEN)",
    )
    p.add_argument(
        "--run",
        default="",
        metavar="NAME",
        help="take this queued run instead of creating one",
    )
    p.add_argument(
        "--grace",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="seconds between SIGTERM and SIGKILL on cancel (default: 10)",
    )
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ARGS…")
    p.set_defaults(func=_exec)


def _echo(stream: str, line: str) -> None:
    out = sys.stdout if stream == "stdout" else sys.stderr
    print(line, file=out, flush=True)


def _exec(args: argparse.Namespace) -> int:
    import grpc

    from runyard.runner import Runner, RunnerOptions

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("runyard exec: a command is required after --", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="runyard exec: %(message)s")
    options = RunnerOptions(server=args.server, token=args.token, grace=args.grace, echo=_echo)
    try:
        with Runner(options) as runner:
            outcome = runner.execute(command, automation=args.automation, run_name=args.run)
    except grpc.RpcError as e:
        print(f"runyard exec: {e.code().name}: {e.details()}", file=sys.stderr)  # type: ignore[attr-defined]
        return 1
    except OSError as e:
        print(f"runyard exec: cannot start {command[0]}: {e.strerror}", file=sys.stderr)
        return 127
    return outcome.exit_code
