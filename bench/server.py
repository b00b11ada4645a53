"""`hookline serve` as a subprocess on a fresh SQLite file (or a given PostgreSQL database), and
the API calls the bench makes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from bench.procs import family, free_port, stop_group
from hookline.config import dispatchers_for_the_cores

ADMIN_ID, ADMIN_SECRET = "bench-admin", "bench-admin-secret"
RESOURCE = "https://default.logto.app/api"


def dispatcher_count(dispatchers: int | None) -> int:
    """The dispatcher processes hookline runs: those asked for, or its default here."""
    return dispatchers_for_the_cores() if dispatchers is None else dispatchers


class Server:
    def __init__(self, directory: Path, dispatchers: int | None, database_url: str = "") -> None:
        """`dispatchers`: HOOKLINE_DISPATCHERS; None leaves it unset, for hookline's default."""
        self.dir = directory
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.db = directory / "hookline.db"
        self.database_url = database_url or f"sqlite:///{self.db}"
        (directory / "tmp").mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "HOOKLINE_DATABASE_URL": self.database_url,
            "HOOKLINE_ADMIN_CLIENT_ID": ADMIN_ID,
            "HOOKLINE_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
            "HOOKLINE_ALLOW_PRIVATE_NETWORKS": "127.0.0.0/8",
            "HOOKLINE_DISPATCHERS": str(dispatchers),
            "HOOKLINE_MESSAGE_OUTBOX": str(directory / "messages.jsonl"),
            "TMPDIR": str(directory / "tmp"),  # the dispatchers' wake sockets live here
        }
        if dispatchers is None:
            del self.env["HOOKLINE_DISPATCHERS"]
        self.process: subprocess.Popen[bytes] | None = None
        self.token = ""

    def start(self, timeout: float = 60) -> Server:
        with (self.dir / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hookline", "serve", "--port", str(self.port)],
                env=self.env,
                cwd=self.dir,
                start_new_session=True,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"hookline exited: {self.log_tail()}")
            try:
                if self._call("GET", "/api/status")[0] == 204:
                    self.token = self._token()
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"hookline did not start in {timeout} s: {self.log_tail()}")

    def stop(self) -> None:
        stop_group(self.process, 30)

    def pids(self) -> list[int]:
        return family(self.process.pid) if self.process else []

    def log_tail(self) -> str:
        return (self.dir / "server.log").read_text(errors="replace")[-3000:]

    def create_hook(self, name: str, url: str, ordered: bool = False) -> str:
        config = {"url": url, **({"ordering": "subject"} if ordered else {})}
        body = {"name": name, "events": ["User.Created"], "config": config}
        status, data = self._call("POST", "/api/hooks", body)
        if status != 201:
            raise RuntimeError(f"creating a hook: {status} {data}")
        return data["id"]

    def _token(self) -> str:
        form = urllib.parse.urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": ADMIN_ID,
                "client_secret": ADMIN_SECRET,
                "resource": RESOURCE,
                "scope": "all",
            }
        ).encode()
        request = urllib.request.Request(f"{self.base}/oidc/token", data=form, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)["access_token"]

    def _call(self, method: str, path: str, body: object = None) -> tuple[int, object]:
        headers = {"content-type": "application/json"}
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")
