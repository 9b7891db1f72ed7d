"""The processes of services the project's scripts started (each in its own process group, by setsid)."""

from __future__ import annotations

import os
from pathlib import Path

import psutil


def service_groups(state: Path) -> list[int]:
    """The process groups of every service started under ``state`` (their leaders' pid files)."""
    return [int(path.read_text()) for path in state.rglob("*.pid")]


def processes_in(groups: list[int]) -> list[psutil.Process]:
    """Live processes of those groups: after a stop, there must be none."""
    return [process for process in psutil.process_iter() if _group_of(process) in groups]


def listening_addresses(groups: list[int]) -> set[str]:
    """Every address a process of those groups listens on."""
    addresses = set()
    for process in processes_in(groups):
        try:
            # A dual-stack JVM socket bound to 127.0.0.1 shows as the IPv4-mapped ::ffff:127.0.0.1.
            addresses |= {c.laddr.ip.removeprefix("::ffff:") for c in process.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}
        except psutil.Error:
            continue
    return addresses


def _group_of(process: psutil.Process) -> int | None:
    try:
        return os.getpgid(process.pid)
    except (ProcessLookupError, psutil.Error):
        return None
