"""The receiver: nginx on loopback answering 204 to every webhook.

Each hook has its own path. Most hooks go to a plain location (`/hook/<run>/<n>`): nginx reads
and discards the body, answers 204 and logs `$msec $uri $http_webhook_id` plus the connection.
One hook in ten goes to `/sample/<run>/<n>`, which is proxied so that nginx reads the body into
memory and can log `$msec $request_body`; those bodies carry the emit time and the sequence
number, so they give emit → receipt latency and the exact (hook, event) pairs.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
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
    log_format plain '$msec $uri $http_webhook_id $connection $connection_requests';
    upstream sink {{ server 127.0.0.1:{sink}; keepalive 32; }}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        # `return` discards the body: nginx still reads it off the socket (after the 204 when
        # it arrives late) and keeps the connection alive; Nginx.probe() checks exactly that.
        location /hook/ {{
            access_log {d}/plain.log plain buffer=64k flush=250ms;
            return 204;
        }}
        # Proxied, so nginx reads the whole body and $request_body can be logged at receipt.
        location /sample/ {{
            access_log {d}/receipts.log receipt buffer=64k flush=250ms;
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


def sampled(hooks: int) -> set[int]:
    """Hook indexes that go to the body-logging location: one in ten.

    The last of each ten, because hooks fan out in creation order: its latency is not flattered.
    """
    return {i for i in range(hooks) if i % 10 == 9} or {hooks - 1}


def hook_url(base: str, run: str, hook: int, hooks: int) -> str:
    """The URL of hook number `hook` (of `hooks`) in run `run`."""
    return f"{base}/{'sample' if hook in sampled(hooks) else 'hook'}/{run}/{hook}"


def binary() -> str:
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(found, os.X_OK):
        raise RuntimeError("nginx not found: run bench/ensure-servers")
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
        self.plain = directory / "plain.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Nginx:
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf = self.dir / "nginx.conf"
        conf.write_text(CONFIG.format(user=user, d=self.dir, port=self.port, sink=self.sink))
        self.receipts.touch()
        self.plain.touch()
        with (self.dir / "stderr.log").open("ab") as stderr:
            self.process = subprocess.Popen(
                [binary(), "-p", str(self.dir), "-c", str(conf), "-e", str(self.dir / "error.log")],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        wait_for_port(self.port, self.process, 10, self.dir / "error.log")
        self.probe()
        return self

    def probe(self) -> None:
        """The plain location must consume each body and keep the connection open.

        On one connection: a POST whose body follows its headers 50 ms later (so the 204 goes
        out before the body is read), then two POSTs pipelined in one write. If nginx did not
        read the late body, it would parse it as the next request (400) or close the connection.
        """
        body = b'{"probe":"' + b"x" * 1000 + b'"}'
        head = (
            f"POST /hook/probe/0 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nwebhook-id: probe\r\n\r\n"
        ).encode()
        got = b""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as conn:
            conn.sendall(head)
            time.sleep(0.05)
            conn.sendall(body)
            time.sleep(0.05)
            conn.sendall((head + body) * 2)
            deadline = time.monotonic() + 5
            while got.count(b"HTTP/1.1 ") < 3 and time.monotonic() < deadline:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                got += chunk
            conn.settimeout(0.2)
            try:
                got += conn.recv(1) or b"<closed>"  # anything here is wrong
                still_open = False
            except TimeoutError:
                still_open = True
        if got.count(b"HTTP/1.1 204") != 3 or not still_open:
            raise RuntimeError(
                f"nginx plain location: expected 3 × 204 on one kept-alive connection, got "
                f"{got.count(b'HTTP/1.1 204')} (open: {still_open}): {got[:300]!r}"
            )

    def stop(self) -> None:
        stop_group(self.process, 10)

    def pids(self) -> list[int]:
        return family(self.process.pid) if self.process else []


class Tail:
    """Reads both receipt logs from their current ends, incrementally, keeping one run's lines.

    `run` is the path segment of the run's hook URLs; `marker` the `data.run` of its bodies (the
    warm-up and the measured emits share hook URLs, so they are told apart by where the logs
    ended when each began).
    """

    def __init__(self, nginx: Nginx, run: str, marker: str) -> None:
        self.paths = (nginx.receipts, nginx.plain)
        self.pos = [p.stat().st_size for p in self.paths]
        self.sampled: list[bytes] = []
        self.plain: list[bytes] = []
        self.marks = (
            b'\\"run\\":\\"' + marker.encode() + b'\\"',  # as escape=json logs it
            b" /hook/" + run.encode() + b"/",
        )

    def poll(self) -> int:
        for i, (path, keep) in enumerate(zip(self.paths, (self.sampled, self.plain), strict=True)):
            with path.open("rb") as f:
                f.seek(self.pos[i])
                data = f.read()
            end = data.rfind(b"\n") + 1
            if end:
                keep.extend(line for line in data[:end].split(b"\n") if self.marks[i] in line)
                self.pos[i] += end
        return len(self.sampled) + len(self.plain)

    def records(self) -> Iterator[tuple[float, dict]]:
        """(receipt time, body) of every logged request to the sampled hooks."""
        for line in self.sampled:
            msec, _, body = line.partition(b" ")
            try:
                yield float(msec), json.loads(json.loads(b'"' + body + b'"'))
            except ValueError:
                continue

    def plain_records(self) -> Iterator[tuple[float, int, str, int]]:
        """(receipt time, hook index, webhook-id, nginx connection) of every plain request."""
        for line in self.plain:
            try:
                msec, uri, msg_id, conn, _ = line.decode().split(" ")
                yield float(msec), int(uri.rsplit("/", 1)[1]), msg_id, int(conn)
            except ValueError:
                continue

    def wait(self, expected: int, timeout: float, idle: float = 15.0) -> int:
        """Until `expected` receipts arrived, nothing new came for `idle` s, or `timeout`."""
        deadline = time.monotonic() + timeout
        seen, changed = -1, time.monotonic()
        while time.monotonic() < deadline:
            n = self.poll()
            if n >= expected:
                time.sleep(0.5)  # duplicates right after the last one (logs flush every 250 ms)
                return self.poll()
            if n != seen:
                seen, changed = n, time.monotonic()
            elif time.monotonic() - changed > idle:
                break
            time.sleep(0.05)
        return self.poll()
