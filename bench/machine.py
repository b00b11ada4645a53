"""Machine facts and a calibration line, so runs on different machines can be compared."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
import timeit
from importlib import metadata

from bench import nginx

PACKAGES = ("aiohttp", "uvloop", "orjson", "SQLAlchemy", "fastapi", "uvicorn", "hookline")


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def fsync_per_s(n: int = 200) -> float:
    with tempfile.NamedTemporaryFile() as f:
        start = time.perf_counter()
        for _ in range(n):
            f.write(b"x" * 512)
            f.flush()
            os.fsync(f.fileno())
        return n / (time.perf_counter() - start)


def facts() -> dict:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    python = subprocess.run([sys.executable, "-V"], capture_output=True, text=True).stdout.strip()
    loop_us = min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": python,
        "packages": versions,
        "sqlite": sqlite3.sqlite_version,
        "nginx": nginx.version(),
        "calibration": {
            "timeit_sum_range_1000_us": round(loop_us, 2),
            "fsync_per_s": round(fsync_per_s()),
        },
    }
