"""Process plumbing: free ports, readiness, /proc CPU accounting, group cleanup."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited early: {log.read_text(errors='replace')[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} not open after {timeout} s")


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields from 3 (state) on


def family(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))):
            parents[int(entry)] = int(fields[1])
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(c for c, pp in parents.items() if pp == p)
    return found


def cpu_seconds(pid: int) -> float:
    """user + system CPU of one process so far."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / TICK if fields else 0.0


def stop_group(process: subprocess.Popen | None, timeout: float = 20) -> None:
    """SIGTERM, then SIGKILL to the process group that `process` leads (start_new_session)."""
    if process is None:
        return
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # stragglers in its own group only
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        user, nice, system, idle, iowait, irq, softirq, steal, *_ = map(
            int, f.readline().split()[1:]
        )
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait


class CpuWindow:
    """CPU seconds of given processes by role, and of the whole machine, over one window."""

    def __init__(self, roles: dict[int, str]) -> None:
        self.roles = roles
        self.start = {pid: cpu_seconds(pid) for pid in roles}
        self.machine = machine_ticks()
        self.wall = time.monotonic()

    def stop(self) -> dict:
        by_role: dict[str, float] = {}
        for pid, role in self.roles.items():
            by_role[role] = by_role.get(role, 0.0) + cpu_seconds(pid) - self.start[pid]
        busy, total = machine_ticks()
        wall = time.monotonic() - self.wall
        return {
            "wall_s": wall,
            "cpu_s": by_role,
            "machine_busy_pct": 100 * (busy - self.machine[0]) / max(total - self.machine[1], 1),
            "machine_busy_cores": (busy - self.machine[0]) / TICK / max(wall, 1e-9),
        }
