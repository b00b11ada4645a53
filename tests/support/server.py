"""`hookline serve` as a real subprocess on a free port, with a real database: a SQLite file
in its data dir, or a PostgreSQL database of its own (see tests/support/backend.py)."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import psycopg

from hookline.db.sql import for_driver
from tests.support import backend

ADMIN_ID = "test-admin"
ADMIN_SECRET = "test-admin-secret"
RESOURCE = "https://default.logto.app/api"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, data_dir: Path, **env: str | None) -> None:
        """`env`: settings over the suite's; None unsets one (`HOOKLINE_DISPATCHERS=None`
        runs hookline's default, a dispatcher process per core)."""
        self.data_dir = data_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        database_url = env.get("HOOKLINE_DATABASE_URL") or backend.database_url(data_dir)
        self.env = {
            **os.environ,
            "HOOKLINE_DATABASE_URL": database_url,
            "HOOKLINE_ADMIN_CLIENT_ID": ADMIN_ID,
            "HOOKLINE_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
            "HOOKLINE_ALLOW_PRIVATE_NETWORKS": "127.0.0.0/8",
            "HOOKLINE_RETRY_SCHEDULE": "200ms,800ms,3200ms",
            # The dispatcher in the API process: a server starts sooner, and the suite starts
            # a hundred. Tests of dispatcher processes, and of the default, say so.
            "HOOKLINE_DISPATCHERS": "0",
        }
        for name, value in env.items():
            if value is None:
                self.env.pop(name, None)
            else:
                self.env[name] = value
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "server.log"

    def start(self) -> Server:
        return self.launch().wait_ready()

    def launch(self) -> Server:
        """Starts the server, without waiting for it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hookline", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        return self

    def wait_ready(self) -> Server:
        """Waits until `/api/status` says the server delivers (its dispatchers listen)."""
        return self._wait_for_status((204,))

    def wait_answering(self) -> Server:
        """Waits until the API answers, whether or not its dispatchers listen yet (204 or
        503 from `/api/status`): for tests of a dispatcher that cannot start."""
        return self._wait_for_status((204, 503))

    def _wait_for_status(self, statuses: tuple[int, ...]) -> Server:
        assert self.process is not None
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()}")
            try:
                if httpx.get(f"{self.base}/api/status", timeout=1).status_code in statuses:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"server did not start: {self.log.read_text()}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def token(self) -> str:
        response = httpx.post(
            f"{self.base}/oidc/token",
            data={
                "grant_type": "client_credentials",
                "client_id": ADMIN_ID,
                "client_secret": ADMIN_SECRET,
                "resource": RESOURCE,
                "scope": "all",
            },
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.base}/api",
            headers={"Authorization": f"Bearer {self.token()}"},
            timeout=30,
        )

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """One statement (`?` placeholders) on the server's database, committed at once, from a
        connection of its own as another process would; returns the rows it yields."""
        url = self.env["HOOKLINE_DATABASE_URL"]
        if url.startswith("postgresql"):
            with psycopg.connect(url, autocommit=True) as conn:
                cursor = conn.execute(for_driver("postgresql", statement), params)
                return cursor.fetchall() if cursor.description else []
        # The server may hold the write lock for a moment: wait for it as hookline does.
        path = url.removeprefix("sqlite:///")
        with closing(sqlite3.connect(path, timeout=10, isolation_level=None)) as conn:
            return conn.execute(statement, params).fetchall()
