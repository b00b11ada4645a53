"""`hookline hooks|deliveries|events`: the command line as a client of a running server,
over its Management API, with the admin application's credentials."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from hookline.cli.deliveries import epoch_ms
from tests.support.api import signature
from tests.support.receiver import Receiver, Reply
from tests.support.server import ADMIN_ID, ADMIN_SECRET, Server
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow


HOOKLINE = Path(sys.executable).with_name("hookline")  # the installed entry point


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def cli(server: Server, tmp_path: Any) -> Any:
    """Runs `hookline ARGS` against the module's server; answers the result."""
    env = {
        "PATH": os.environ["PATH"],
        "HOOKLINE_URL": server.base,
        "HOOKLINE_ADMIN_CLIENT_ID": ADMIN_ID,
        "HOOKLINE_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
        "HOOKLINE_CLIENT_CONFIG": str(tmp_path / "none.toml"),
        "COLUMNS": "200",
    }

    def run(*args: str, code: int = 0, **extra: str) -> Run:
        done = subprocess.run(
            [HOOKLINE, *args], env={**env, **extra}, capture_output=True, text=True, timeout=60
        )
        result = Run(done.returncode, done.stdout, done.stderr)
        assert result.code == code, result
        assert "Traceback" not in result.stderr, result
        return result

    return run


def test_a_hook_made_tested_changed_and_deleted_from_the_command_line(
    cli: Any, api: httpx.Client, receiver: Receiver
) -> None:
    made = json.loads(
        cli(
            "hooks", "create", "--url", receiver.url("/cli"), "--name", "crm",
            "-e", "User.Created", "-e", "User.Deleted", "-H", "X-Team: identity", "--json",
        ).stdout
    )  # fmt: skip
    stored = api.get(f"/hooks/{made['id']}").json()
    assert stored["events"] == ["User.Created", "User.Deleted"]
    assert stored["config"] == {"url": receiver.url("/cli"), "headers": {"X-Team": "identity"}}

    listing = cli("hooks", "list").stdout
    assert made["id"] in listing and "crm" in listing

    sent = cli("hooks", "test", made["id"], "-e", "User.Created").stdout
    assert "answered 2xx" in sent
    (request,) = receiver.wait_for(1, "/cli")
    assert json.loads(request.body)["event"] == "User.Created"
    assert request.header("x-team") == "identity"
    assert request.header("logto-signature-sha-256") == signature(made["signingKey"], request.body)

    cli("hooks", "update", made["id"], "--disable", "--retries", "1")
    changed = api.get(f"/hooks/{made['id']}").json()
    assert changed["enabled"] is False
    # The stored config is kept where the command changes only a part of it.
    assert changed["config"]["headers"] == {"X-Team": "identity"}
    assert changed["config"]["retries"] == 1
    assert "not in use" in cli("hooks", "list").stdout
    shown = cli("hooks", "show", made["id"]).stdout
    assert made["signingKey"] in shown and "no (not in use)" in shown

    assert cli("hooks", "delete", made["id"], "--yes").stdout.strip() == f"deleted {made['id']}"
    assert api.get(f"/hooks/{made['id']}").status_code == 404


def test_asymmetric_signature_from_the_command_line(cli: Any, api: httpx.Client) -> None:
    made = json.loads(
        cli(
            "hooks", "create", "--url", "https://example.com/in", "-e", "Role.Created",
            "--asymmetric-signature", "--json",
        ).stdout
    )  # fmt: skip
    public_key = made["signingPublicKey"]
    assert made["config"]["asymmetricSignature"] is True and public_key.startswith("whpk_")
    shown = cli("hooks", "show", made["id"]).stdout
    assert re.search(rf"public key +{re.escape(public_key)}\n", shown)
    assert "not signing" not in shown

    cli("hooks", "update", made["id"], "--no-asymmetric-signature")
    changed = api.get(f"/hooks/{made['id']}").json()
    assert changed["config"] == {"url": "https://example.com/in", "asymmetricSignature": False}
    assert changed["signingPublicKey"] == public_key
    assert "(not signing: asymmetric signature off)" in cli("hooks", "show", made["id"]).stdout
    cli("hooks", "delete", made["id"], "--yes")


def test_events_emitted_and_deliveries_listed_replayed_and_recovered(
    cli: Any, api: httpx.Client, receiver: Receiver
) -> None:
    receiver.on("/down", Reply(status=500))
    hook = json.loads(
        cli(
            "hooks", "create", "--url", receiver.url("/down"), "-e", "Role.Created",
            "--retries", "0", "--json",
        ).stdout
    )  # fmt: skip
    stored = cli("events", "emit", "Role.Created", "--data", '{"data": {"id": "r1"}}').stdout
    assert stored.startswith("stored Role.Created as ")
    receiver.wait_for(1, "/down")

    def failed() -> list[dict[str, Any]]:
        listed = cli("deliveries", "list", "--hook", hook["id"], "--status", "failed", "--json")
        return json.loads(listed.stdout)

    (delivery,) = wait_until(failed, "the delivery to fail")
    assert delivery["event"] == "Role.Created" and delivery["lastStatusCode"] == 500
    assert delivery["id"] in cli("deliveries", "list", "--hook", hook["id"]).stdout

    logs = cli("hooks", "logs", hook["id"]).stdout
    assert delivery["id"] in logs and "500" in logs

    receiver.on("/down", Reply(status=200))
    replayed = cli("deliveries", "replay", hook["id"], delivery["id"])
    assert "replaying 1 of 1" in replayed.stdout
    again = receiver.wait_for(2, "/down")
    assert again[1].header("webhook-id") == again[0].header("webhook-id")

    receiver.on("/down", Reply(status=500))
    cli("events", "emit", "Role.Created", "--data", '{"data": {"id": "r2"}}')
    receiver.wait_for(3, "/down")
    wait_until(lambda: len(failed()) == 1, "the second delivery to fail")
    receiver.on("/down", Reply(status=200))
    assert cli("deliveries", "recover", hook["id"], "--since", "1h").stdout.strip() == (
        "recovering 1 failed delivery"
    )
    receiver.wait_for(4, "/down")


def test_errors_are_one_line_and_an_exit_status(cli: Any, tmp_path: Any) -> None:
    missing = cli("hooks", "show", "nope", code=1)
    assert missing.output.startswith("hookline: 404 entity.not_exists_with_id: ")
    assert len(missing.output.strip().splitlines()) == 1

    bad = cli("hooks", "create", "--url", "ftp://x", "-e", "User.Created", code=1)
    assert bad.output.startswith("hookline: 400 ") and len(bad.output.strip().splitlines()) == 1

    refused = cli("hooks", "list", HOOKLINE_ADMIN_CLIENT_SECRET="wrong", code=2)
    assert refused.output.startswith("hookline: sign-in refused: 401")

    down = cli("hooks", "list", "--server", "http://127.0.0.1:9", code=1)
    assert down.output.startswith("hookline: cannot reach http://127.0.0.1:9")

    cli("events", "emit", "User.Created", "--data", "{nope", code=2)
    cli("deliveries", "recover", "h", "--since", "yesterday", code=2)


def test_credentials_from_the_config_file(server: Server, tmp_path: Any) -> None:
    config = tmp_path / "client.toml"
    config.write_text(
        f'server = "{server.base}"\nclient_id = "{ADMIN_ID}"\nclient_secret = "{ADMIN_SECRET}"\n'
    )
    result = subprocess.run(
        [HOOKLINE, "hooks", "list", "--json"],
        env={"PATH": os.environ["PATH"], "HOOKLINE_CLIENT_CONFIG": str(config)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert isinstance(json.loads(result.stdout), list)


def test_no_credentials_says_where_to_find_them(tmp_path: Any) -> None:
    result = subprocess.run(
        [HOOKLINE, "hooks", "list"],
        env={"HOOKLINE_CLIENT_CONFIG": str(tmp_path / "none.toml"), "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("hookline: no credentials: set HOOKLINE_ADMIN_CLIENT_ID")
    assert "Traceback" not in result.stderr


def test_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hookline", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout.startswith("hookline 0.")


@pytest.mark.backend_independent
def test_times_are_unix_ms_iso_times_or_ages() -> None:
    assert epoch_ms("1700000000000") == 1_700_000_000_000
    assert epoch_ms("2h", now=10_000.0) == (10_000 - 7200) * 1000
    assert epoch_ms("30m", now=10_000.0) == (10_000 - 1800) * 1000
    assert epoch_ms("2026-01-01T00:00:00+00:00") == 1_767_225_600_000


def test_the_printed_credentials_pasted_into_a_shell_sign_the_command_line_in(
    tmp_path: Path,
) -> None:
    server = Server(
        tmp_path / "fresh", HOOKLINE_ADMIN_CLIENT_ID=None, HOOKLINE_ADMIN_CLIENT_SECRET=None
    ).start()
    try:
        printed = server.log.read_text().splitlines()
        exports = [line for line in printed if line.lstrip().startswith("export HOOKLINE_ADMIN")]
        assert len(exports) == 2, printed
        pasted = "\n".join(exports) + f'\n"{HOOKLINE}" hooks list --json\n'
        result = subprocess.run(
            ["bash", "-c", pasted],
            env={"PATH": os.environ["PATH"], "HOOKLINE_URL": server.base,
                 "HOOKLINE_CLIENT_CONFIG": str(tmp_path / "none.toml")},
            capture_output=True,
            text=True,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == []
    finally:
        server.stop()


def test_a_sync_hook_made_and_tried_dry_from_the_command_line(
    cli: Any, api: httpx.Client, receiver: Receiver
) -> None:
    receiver.on("/gate", Reply(200, b'{"action":"deny","code":"x.y"}'))
    made = json.loads(
        cli(
            "hooks", "create", "--url", receiver.url("/gate"), "-e", "PreSignIn", "--sync",
            "--timeout-ms", "800", "--on-error", "allow", "--json",
        ).stdout
    )  # fmt: skip
    config = api.get(f"/hooks/{made['id']}").json()["config"]
    assert config == {
        "url": receiver.url("/gate"),
        "mode": "sync",
        "timeoutMs": 800,
        "onError": "allow",
    }
    tried = cli("hooks", "test", made["id"]).stdout
    assert tried.startswith("PreSignIn: deny (answer, x.y) in ")
    refused = cli("hooks", "create", "--url", receiver.url(), "-e", "PostSignIn", "--sync", code=1)
    assert "hook.sync_events_only" in refused.output or "synchronous" in refused.output
    api.delete(f"/hooks/{made['id']}")
