"""The `runyard` command's subcommands, one module each.

A module exposes `register(sub)`, which adds its parser(s) to the top-level
subparsers and sets `func` (a callable taking the parsed arguments and
returning an exit code) as the parser default. `COMMANDS` lists them in the
order `--help` shows them.
"""

from __future__ import annotations

from runyard.commands import (
    aggregates,
    automations,
    exec_command,
    operations,
    runs,
    server_commands,
    tokens,
    workspaces,
)

COMMANDS = [
    server_commands,
    tokens,
    workspaces,
    runs,
    operations,
    automations,
    aggregates,
    exec_command,
]
