"""A throwaway PostgreSQL cluster for the tests: its own data directory and a free loopback port.

Port 5432 may belong to a server the tests did not start, so they never use it.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

import psycopg

from tests.support.server import free_port

USER = "hookline"
PASSWORD = "hookline"
BINARIES = ("initdb", "pg_ctl", "postgres", "psql")
DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")

# The cluster is deleted after the run: durability buys nothing and its fsyncs slow every test.
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


class PostgresNotInstalled(RuntimeError):
    pass


def find_bindir() -> Path:
    """The directory holding initdb, pg_ctl, postgres and psql; Debian keeps them off PATH."""
    candidates = []
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    if pg_config := shutil.which("pg_config"):
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if result.returncode == 0 and result.stdout.strip():
            candidates.append(Path(result.stdout.strip()))
    newest_first = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda bindir: [int(part) for part in re.findall(r"\d+", bindir.parent.name)],
        reverse=True,
    )
    for bindir in [*candidates, *newest_first]:
        if all((bindir / name).is_file() for name in BINARIES):
            return bindir
    raise PostgresNotInstalled(
        f"PostgreSQL's programs ({', '.join(BINARIES)}) were not found on PATH, "
        "via pg_config or under /usr/lib/postgresql/*/bin: "
        "install Debian's postgresql package (apt-get install postgresql)"
    )


class PostgresCluster:
    """initdb once, then one empty database per test at the cost of a CREATE DATABASE."""

    def __init__(self, settings: Mapping[str, str] | None = None) -> None:
        """`settings`: postgresql.conf values that replace or add to `SETTINGS`, such as
        `{"fsync": "on"}` for a cluster whose timings must include durability."""
        self.bindir = find_bindir()
        self.settings = {**SETTINGS, **(settings or {})}
        self.root: Path | None = None
        self.port = 0

    @property
    def data_dir(self) -> Path:
        assert self.root is not None, "the cluster is not started"
        return self.root / "data"

    def start(self) -> PostgresCluster:
        self.root = Path(tempfile.mkdtemp(prefix="hookline-pg-"))
        atexit.register(self.stop)
        try:
            self._init()
            self._start_server()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        atexit.unregister(self.stop)
        if self.root is None:
            return
        if (self.data_dir / "postmaster.pid").exists():
            self._run_as_owner(
                self.bindir / "pg_ctl", "-D", self.data_dir, "-m", "immediate", "stop", check=False
            )
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def url(self, dbname: str) -> str:
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str, template: str = "template0") -> str:
        """An empty database (a copy of `template`), returned as its URL."""
        self.execute(f"CREATE DATABASE {_identifier(name)} TEMPLATE {_identifier(template)}")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        # FORCE: a server under test may still hold connections when its test ends.
        self.execute(f"DROP DATABASE IF EXISTS {_identifier(name)} WITH (FORCE)")

    def execute(self, sql: str) -> str:
        """Run one administrative statement through the unix socket; returns psql's output."""
        result = subprocess.run(
            [
                self.bindir / "psql",
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                self.data_dir,
                "-p",
                str(self.port),
                "-U",
                USER,
                "-d",
                "postgres",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            env=_environment(),
        )
        if result.returncode != 0:
            raise RuntimeError(f"{sql!r} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def _init(self) -> None:
        assert self.root is not None
        password_file = self.root / "password"
        password_file.write_text(PASSWORD)
        if os.geteuid() == 0:
            # initdb refuses to run as root: the cluster belongs to the postgres user.
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(password_file, "postgres", "postgres")
        self._run_as_owner(
            self.bindir / "initdb",
            "-D",
            self.data_dir,
            "-U",
            USER,
            f"--pwfile={password_file}",
            # The socket serves only these admin statements; TCP checks the password the
            # way a deployed hookline will meet it.
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            # Byte order for text, like SQLite's default collation.
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        )
        settings = {**self.settings, "unix_socket_directories": f"'{self.data_dir}'"}
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def _start_server(self) -> None:
        assert self.root is not None
        log = self.root / "server.log"
        for _ in range(3):
            self.port = free_port()
            started = self._run_as_owner(
                self.bindir / "pg_ctl",
                "-D",
                self.data_dir,
                "-l",
                log,
                "-o",
                f"-p {self.port}",
                "-w",
                "-t",
                "30",
                "start",
                check=False,
            )
            if started.returncode == 0:
                return
            # Another process may take the free port between our probe and the server's bind.
            if "Address already in use" not in log.read_text():
                break
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr}\n{log.read_text()}")

    def _run_as_owner(self, *args: object, check: bool = True) -> subprocess.CompletedProcess[str]:
        as_postgres = {"user": "postgres", "group": "postgres", "extra_groups": []}
        result = subprocess.run(
            [str(arg) for arg in args],
            capture_output=True,
            text=True,
            cwd=self.root,
            env=_environment(),
            **(as_postgres if os.geteuid() == 0 else {}),
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stdout}{result.stderr}")
        return result


def lock_waiters(url: str) -> int:
    """How many sessions of the database at `url` wait for a lock that another one holds."""
    with psycopg.connect(url, autocommit=True) as conn:
        [(count,)] = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchall()
    return count


def _identifier(name: str) -> str:
    if not DATABASE_NAME.fullmatch(name):
        raise ValueError(f"not a plain database name: {name!r}")
    return name


def _environment() -> dict[str, str]:
    # PG* variables (PGHOST, PGPORT, PGPASSWORD, ...) would point the tools elsewhere.
    return {key: value for key, value in os.environ.items() if not key.startswith("PG")}
