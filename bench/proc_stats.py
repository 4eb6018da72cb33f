"""Linux /proc readings for the workers benchmark: which processes serve a port,
how many connections each holds, how much CPU each used. Read-only; elsewhere
the readings come back empty and the bench says "not measured"."""

from __future__ import annotations

import os
from pathlib import Path

_LISTEN, _ESTABLISHED = "0A", "01"
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _sockets(port: int, state: str) -> set[str]:
    """Inodes of TCP sockets on local `port` in `state` (IPv4 and IPv6 tables)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[1].endswith(f":{port:04X}") and fields[3] == state:
                inodes.add(fields[9])
    return inodes


def _socket_inodes(pid: int) -> list[str]:
    found: list[str] = []
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return found
    for fd in fds:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            found.append(link[8:-1])
    return found


def listeners(port: int) -> list[int]:
    """PIDs holding a socket that listens on `port` (one per worker with SO_REUSEPORT)."""
    wanted = _sockets(port, _LISTEN)
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and wanted.intersection(_socket_inodes(int(entry))):
            pids.append(int(entry))
    return sorted(pids)


def connections(pids: list[int], port: int) -> dict[int, int]:
    """Established connections to local `port` held by each of `pids`."""
    established = _sockets(port, _ESTABLISHED)
    return {pid: len(established.intersection(_socket_inodes(pid))) for pid in pids}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` so far (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # The command name may hold spaces: fields are counted after its ")".
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def machine_busy_seconds() -> float:
    """CPU time every core has spent busy since boot (all processes, the kernel's
    too), from /proc/stat's first line: what is not idle or waiting for I/O."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in first[1:9])
    return (user + nice + system + irq + softirq + steal) / _TICK
