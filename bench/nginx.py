"""The receiver: nginx on loopback answering 204, logging `$msec $request_body` per webhook."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from bench.procs import family, free_port, stop_group, wait_for_port

CONFIG = """\
{user}worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
    keepalive_timeout 75s; keepalive_requests 1000000;
    client_body_buffer_size 64k;
    log_format receipt escape=json '$msec $request_body';
    upstream sink {{ server 127.0.0.1:{sink}; keepalive 32; }}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        # Proxied, so nginx reads the body and $request_body can be logged at receipt.
        location /hook/ {{
            access_log {d}/receipts.log receipt;
            proxy_pass http://sink;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
        location / {{ return 204; }}
    }}
    server {{
        listen 127.0.0.1:{sink} backlog=4096;
        location / {{ return 204; }}
    }}
}}
"""


def binary() -> str:
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(found, os.X_OK):
        raise RuntimeError("nginx not found: run bench/ensure-nginx")
    return found


def version() -> str:
    out = subprocess.run([binary(), "-v"], capture_output=True, text=True, timeout=10)
    return (out.stderr or out.stdout).strip().removeprefix("nginx version: ")


class Nginx:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.port = free_port()
        self.sink = free_port()
        self.receipts = directory / "receipts.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Nginx:
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf = self.dir / "nginx.conf"
        conf.write_text(CONFIG.format(user=user, d=self.dir, port=self.port, sink=self.sink))
        self.receipts.touch()
        with (self.dir / "stderr.log").open("ab") as stderr:
            self.process = subprocess.Popen(
                [binary(), "-p", str(self.dir), "-c", str(conf), "-e", str(self.dir / "error.log")],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        wait_for_port(self.port, self.process, 10, self.dir / "error.log")
        return self

    def stop(self) -> None:
        stop_group(self.process, 10)

    def pids(self) -> list[int]:
        return family(self.process.pid) if self.process else []

    def offset(self) -> int:
        return self.receipts.stat().st_size


class Tail:
    """Reads the receipts log from an offset, incrementally, keeping one run's lines."""

    def __init__(self, path: Path, offset: int, label: str) -> None:
        self.path, self.pos, self.lines = path, offset, []
        self.marker = b'\\"run\\":\\"' + label.encode() + b'\\"'  # as escape=json logs it

    def poll(self) -> int:
        with self.path.open("rb") as f:
            f.seek(self.pos)
            data = f.read()
        end = data.rfind(b"\n") + 1
        if end:
            self.lines.extend(line for line in data[:end].split(b"\n") if self.marker in line)
            self.pos += end
        return len(self.lines)

    def records(self) -> Iterator[tuple[float, dict]]:
        """(receipt time, body) of every logged request of the run."""
        for line in self.lines:
            msec, _, body = line.partition(b" ")
            try:
                yield float(msec), json.loads(json.loads(b'"' + body + b'"'))
            except ValueError:
                continue

    def wait(self, expected: int, timeout: float, idle: float = 15.0) -> int:
        """Until `expected` receipts arrived, nothing new came for `idle` s, or `timeout`."""
        deadline = time.monotonic() + timeout
        seen, changed = -1, time.monotonic()
        while time.monotonic() < deadline:
            n = self.poll()
            if n >= expected:
                time.sleep(0.3)  # duplicates arriving right after the last one get counted
                return self.poll()
            if n != seen:
                seen, changed = n, time.monotonic()
            elif time.monotonic() - changed > idle:
                break
            time.sleep(0.05)
        return self.poll()
