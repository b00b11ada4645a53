"""`hookline listen PORT`: the installed command as a local receiver that verifies, prints,
answers and forwards the webhooks it gets, from a test and from a running server."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hookline.sender.request import Target, build
from hookline.sender.signing import standard_secret
from hookline_receiver import verify
from tests.support.api import create_hook, emit, first_log
from tests.support.receiver import Receiver, Reply
from tests.support.server import free_port
from tests.support.waiting import wait_for_line, wait_until

pytestmark = pytest.mark.slow

HOOKLINE = Path(sys.executable).with_name("hookline")  # the installed entry point
KEY = "a-hooks-signing-key"
BODY = {"event": "User.Created", "data": {"id": "u1", "primaryEmail": "ada@example.com"}}


class Listening:
    """A running `hookline listen PORT ARGS`, its output in a file."""

    def __init__(self, tmp_path: Path, port: int, *args: str, ignore_sigint: bool = False) -> None:
        self.out = tmp_path / f"listen-{len(list(tmp_path.glob('listen-*')))}.out"
        self.err = self.out.with_suffix(".err")
        self.process = subprocess.Popen(
            [HOOKLINE, "listen", str(port), *args],
            stdout=self.out.open("wb"),
            stderr=self.err.open("wb"),
            env={"PATH": os.environ["PATH"], "COLUMNS": "200"},
            preexec_fn=_ignore_sigint if ignore_sigint else _default_sigint,
        )
        started = wait_until(self._started, "hookline listen to say it listens")
        match = re.search(r"listening on (http://\S+),", started)
        assert match, started
        self.url = match.group(1)

    def _started(self) -> str | None:
        assert self.process.poll() is None, self.err.read_text()
        text = self.out.read_text()
        return text if "listening on" in text else None

    def post(self, body: bytes, headers: dict[str, str], path: str = "/hook") -> httpx.Response:
        return httpx.post(self.url + path, content=body, headers=headers)

    def wait_for(self, text: str, count: int = 1) -> str:
        return wait_for_line(self.out, text, count)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=10)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _default_sigint() -> None:
    # Whatever the test run's own SIGINT (ignored, in `make test`'s background pass).
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def listen(tmp_path: Path) -> Iterator[Any]:
    started: list[Listening] = []

    def start(*args: str, port: int = 0, ignore_sigint: bool = False) -> Listening:
        """On `port`, or any free one."""
        started.append(Listening(tmp_path, port, *args, ignore_sigint=ignore_sigint))
        return started[-1]

    yield start
    for listening in started:
        listening.stop()


def signed(url: str, key: str = KEY, body: dict[str, Any] = BODY) -> tuple[bytes, dict[str, str]]:
    """The body and headers hookline's sender would send."""
    request = build(Target(url, key), json.dumps(body).encode(), "msg_1", "hookline/test")
    return request.body, request.headers


def test_a_signed_webhook_is_printed_verified_and_answered_204(listen: Any) -> None:
    listening = listen("--secret", KEY)
    body, headers = signed(listening.url)
    assert listening.post(body, headers).status_code == 204
    out = listening.wait_for("verified (v1)")
    (line,) = [line for line in out.splitlines() if "verified" in line]
    assert "POST /hook  User.Created  webhook-id msg_1" in line and line.endswith("→ 204")
    # The body pretty-printed, a field a line.
    assert '    "primaryEmail": "ada@example.com"' in out.splitlines()
    assert KEY not in out  # nor is the secret ever shown


def test_several_secrets_the_whsec_form_and_logtos_signature_alone(listen: Any) -> None:
    listening = listen("--secret", "another-key", "--secret", standard_secret(KEY))
    body, headers = signed(listening.url)
    assert listening.post(body, headers).status_code == 204
    listening.wait_for("verified (v1)")
    # Logto's signature alone signs no time: a replay of the body, refused unless asked.
    logto_only = {k: v for k, v in headers.items() if not k.startswith("webhook-")}
    assert listening.post(body, logto_only).status_code == 401
    listening.wait_for("refused: missing_headers")
    from_logto = listen("--secret", KEY, "--allow-logto")
    assert from_logto.post(body, logto_only).status_code == 204
    from_logto.wait_for("verified (logto)")


def test_a_tampered_webhook_is_refused_401_with_its_reason(listen: Any) -> None:
    listening = listen("--secret", KEY)
    body, headers = signed(listening.url)
    assert listening.post(body.replace(b"ada", b"eve"), headers).status_code == 401
    out = listening.wait_for("refused: no_matching_signature")
    assert "→ 401" in out and '"eve@example.com"' in out
    stale = {**headers, "webhook-timestamp": "1700000000"}
    assert listening.post(body, stale).status_code == 401
    listening.wait_for("refused: stale")


def test_without_a_secret_everything_is_answered_and_shown_unverified(listen: Any) -> None:
    listening = listen()
    assert "not verifying" in listening.out.read_text()
    assert listening.post(b"not json", {"content-type": "text/plain"}).status_code == 204
    out = listening.wait_for("unverified (no --secret)")
    assert "(no event)" in out and "\nnot json\n" in out


def test_forwarded_with_the_same_bytes_and_headers(listen: Any, receiver: Receiver) -> None:
    listening = listen("--secret", KEY, "--forward-to", receiver.url("/app"))
    body, headers = signed(listening.url)
    assert listening.post(body, {**headers, "x-team": "identity"}).status_code == 204
    (forwarded,) = receiver.wait_for(1, "/app")
    assert forwarded.body == body
    for name, value in {**headers, "x-team": "identity"}.items():
        assert forwarded.header(name) == value, name
    assert verify(dict(forwarded.headers), forwarded.body, secrets=[KEY]).id == "msg_1"
    listening.wait_for(f"forwarded to {receiver.url('/app')}: 200")

    receiver.on("/app", Reply(status=500))
    assert listening.post(body, headers).status_code == 204  # the sender's answer is its own
    listening.wait_for(f"forwarded to {receiver.url('/app')}: 500")
    # A refused webhook goes no further.
    assert listening.post(body + b" ", headers).status_code == 401
    listening.wait_for("refused: no_matching_signature")
    assert len(receiver.wait_for(2, "/app")) == 2


def test_an_unreachable_forward_url_is_a_line_not_a_failure(listen: Any) -> None:
    listening = listen("--forward-to", "http://127.0.0.1:9/app")
    assert listening.post(b"{}", {}).status_code == 204
    listening.wait_for("forwarded to http://127.0.0.1:9/app: failed (")


@pytest.mark.parametrize("ignored", [False, True], ids=["", "started-with-SIGINT-ignored"])
@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_stops_without_a_traceback(
    listen: Any, number: signal.Signals, ignored: bool
) -> None:
    """Also when started by a script in the background, where SIGINT comes ignored."""
    listening = listen(ignore_sigint=ignored)
    listening.process.send_signal(number)
    assert listening.process.wait(timeout=10) == 0
    assert listening.out.read_text().endswith("stopped\n")
    assert "Traceback" not in listening.err.read_text()


def test_a_busy_port_or_a_bad_secret_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        busy = subprocess.run([HOOKLINE, "listen", port], capture_output=True, text=True)
    assert busy.returncode == 1
    assert busy.stderr.startswith(f"hookline: cannot listen on 127.0.0.1:{port}: ")
    assert len(busy.stderr.splitlines()) == 1

    bad = subprocess.run(
        [HOOKLINE, "listen", "0", "--secret", "whsec_%%%"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and bad.stderr.startswith("hookline: --secret: ")
    assert len(bad.stderr.splitlines()) == 1


def test_the_kit_alone_listens_too(tmp_path: Path) -> None:
    out = tmp_path / "kit.out"
    process = subprocess.Popen(
        [sys.executable, "-m", "hookline_receiver", "listen", "0", "--secret", KEY],
        stdout=out.open("wb"),
    )
    try:
        started = wait_for_line(out, "listening on")
        url = re.search(r"listening on (http://\S+),", started).group(1)  # type: ignore[union-attr]
        body, headers = signed(url)
        assert httpx.post(url + "/hook", content=body, headers=headers).status_code == 204
        assert '    "primaryEmail": "ada@example.com"' in wait_for_line(out, "verified (v1)")
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


def test_a_running_server_delivers_to_hookline_listen(listen: Any, api: httpx.Client) -> None:
    port = free_port()
    hook = create_hook(api, f"http://127.0.0.1:{port}/hook")
    listening = listen("--secret", hook["signingKey"], port=port)
    emit(api, "User.Created", {"data": {"id": "u9", "primaryEmail": "grace@example.com"}})
    out = listening.wait_for("verified (v1)")
    assert '"primaryEmail": "grace@example.com"' in out and f'"hookId": "{hook["id"]}"' in out
    assert first_log(api, hook["id"])["payload"]["response"]["statusCode"] == 204
