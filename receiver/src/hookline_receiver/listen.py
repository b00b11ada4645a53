"""A local receiver for building one: it verifies each webhook, prints it, answers at once,
and may forward it to the application being written (as Stripe CLI's `listen`).

Standard library only: `python -m hookline_receiver listen PORT` runs it where the kit alone
is installed; `hookline listen` runs the same with a richer printer."""

from __future__ import annotations

import json
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from hookline_receiver.answer import MAX_BODY, TOO_LARGE, UNREADABLE, Answer
from hookline_receiver.errors import VerificationError
from hookline_receiver.keys import Secret, hmac_key
from hookline_receiver.verify import Webhook, verify

FORWARD_TIMEOUT = 10.0  # seconds: a receiver under development may stop in a debugger

# The connection's own headers (RFC 9110 §7.6.1) and the framing: the forwarding request
# sets its own. Every other header, the signatures included, goes on unchanged.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "host",
        "content-length",
        "expect",
    }
)


@dataclass(frozen=True, slots=True)
class Forwarded:
    url: str
    status: int | None  # None when no answer came
    error: str = ""


@dataclass(frozen=True, slots=True)
class Arrival:
    """A request as it came, what was found of it, and what it was answered."""

    at: float
    path: str
    headers: list[tuple[str, str]]
    body: bytes
    status: int
    webhook: Webhook | None  # verified
    refusal: VerificationError | None  # refused; both None: not checked (no secret)
    forwarded: Forwarded | None = None

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name), None)

    @property
    def event(self) -> str | None:
        body = self.json()
        event = body.get("event") if isinstance(body, dict) else None
        return event if isinstance(event, str) else None

    @property
    def verdict(self) -> str:
        if self.webhook is not None:
            return f"verified ({self.webhook.scheme})"
        if self.refusal is not None:
            return f"refused: {self.refusal}"
        return "unverified (no --secret)"

    def json(self) -> Any:
        """The body as JSON, or None if it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def summary(self) -> str:
        """One line: time, path, event, webhook-id, and what was found and answered."""
        clock = time.strftime("%H:%M:%S", time.localtime(self.at))
        return (
            f"{clock}  POST {self.path}  {self.event or '(no event)'}"
            f"  webhook-id {self.header('webhook-id') or '-'}  {self.verdict}  → {self.status}"
        )

    def forward_line(self) -> str | None:
        if self.forwarded is None:
            return None
        if self.forwarded.status is None:
            return f"  forwarded to {self.forwarded.url}: failed ({self.forwarded.error})"
        return f"  forwarded to {self.forwarded.url}: {self.forwarded.status}"


def plain_text(arrival: Arrival) -> str:
    """The arrival as `python -m hookline_receiver listen` prints it."""
    parsed = arrival.json()
    body = (
        arrival.body.decode("utf-8", "replace")
        if parsed is None
        else json.dumps(parsed, indent=2, ensure_ascii=False)
    )
    lines = [arrival.summary(), body, arrival.forward_line()]
    return "\n".join(line for line in lines if line is not None) + "\n"


def print_plain(arrival: Arrival) -> None:
    sys.stdout.write(plain_text(arrival))
    sys.stdout.flush()


class Listener:
    """Binds at once (an OSError if the port is taken); `serve` then answers until Ctrl-C.
    Logto's signature alone is refused unless `allow_logto`: hookline always signs with an
    id and a time, and Logto's signs the body alone, so an old body would pass it forever."""

    def __init__(
        self,
        port: int,
        *,
        host: str = "127.0.0.1",
        secrets: Sequence[Secret] = (),
        forward_to: str | None = None,
        show: Callable[[Arrival], None] = print_plain,
        allow_logto: bool = False,
    ) -> None:
        for secret in secrets:
            hmac_key(secret)  # a malformed secret is a ValueError now, not a refusal per request
        self.secrets = list(secrets)
        self.allow_logto = allow_logto
        self.forward_to = forward_to
        self.show = show
        self._printing = threading.Lock()  # one arrival's lines together
        listener = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                listener._receive(self)

            def log_message(self, *args: object) -> None:
                pass  # each arrival is printed by `show`

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            address_family = _family(host)

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a sender that went away mid-request

        self._server = Server((host, port), Handler)
        self.port: int = self._server.server_address[1]
        self.url = f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def announcement(self) -> str:
        checks = (
            f"verifying with {len(self.secrets)} secret{'s' if len(self.secrets) > 1 else ''}"
            if self.secrets
            else "not verifying (no --secret): webhooks show as unverified"
        )
        forwarding = f", forwarding to {self.forward_to}" if self.forward_to else ""
        return f"listening on {self.url}, {checks}{forwarding} (Ctrl-C to stop)"

    def serve(self) -> None:
        """Answers until interrupted (Ctrl-C), then closes the port and returns."""
        try:
            self._server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self._server.server_close()

    def stop(self) -> None:
        self._server.shutdown()

    def _receive(self, request: BaseHTTPRequestHandler) -> None:
        at = time.time()
        body = _read_body(request)
        if isinstance(body, Answer):
            _refuse(request, body)
            return
        headers = list(request.headers.items())
        webhook, refusal = None, None
        if self.secrets:
            try:
                webhook = verify(
                    dict(headers), body, secrets=self.secrets, allow_logto=self.allow_logto
                )
            except VerificationError as error:
                refusal = error
        status = 401 if refusal is not None else 204
        # The sender is answered before anything is forwarded: its delivery does not wait
        # on the application under development.
        request.send_response(status)
        request.send_header("content-length", "0")
        request.end_headers()
        request.wfile.flush()
        forwarded = None
        if self.forward_to and refusal is None:
            forwarded = forward(self.forward_to, headers, body)
        arrival = Arrival(at, request.path, headers, body, status, webhook, refusal, forwarded)
        with self._printing:
            self.show(arrival)


def _read_body(request: BaseHTTPRequestHandler) -> bytes | Answer:
    """The body as its content-length announces it, or the refusal: a length that is not a
    number, or above what the adapters take (nothing is read before it is checked)."""
    length = (request.headers.get("content-length") or "0").strip()
    if not (length.isascii() and length.isdecimal()):
        return UNREADABLE
    if int(length) > MAX_BODY:
        return TOO_LARGE
    body = request.rfile.read(int(length))
    return body if len(body) == int(length) else UNREADABLE


def _refuse(request: BaseHTTPRequestHandler, refusal: Answer) -> None:
    # The body was not read: the connection cannot carry another request.
    request.close_connection = True
    request.send_response(refusal.status)
    for name, value in refusal.headers.items():
        request.send_header(name, value)
    request.send_header("content-length", str(len(refusal.body)))
    request.send_header("connection", "close")
    request.end_headers()
    request.wfile.write(refusal.body)
    request.wfile.flush()


def forward(url: str, headers: list[tuple[str, str]], body: bytes) -> Forwarded:
    """POSTs `body` with the received headers to `url`; any answer, 4xx and 5xx too, is its
    status."""
    sent = urllib.request.Request(url, data=body, method="POST")
    for name, value in headers:
        if name.lower() not in _HOP_BY_HOP:
            sent.add_unredirected_header(name, value)
    try:
        with urllib.request.urlopen(sent, timeout=FORWARD_TIMEOUT) as answer:
            return Forwarded(url, answer.status)
    except urllib.error.HTTPError as error:
        error.close()
        return Forwarded(url, error.code)
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return Forwarded(url, None, str(reason))


def _family(host: str) -> int:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m hookline_receiver listen PORT [--secret S]... [--forward-to URL]`."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m hookline_receiver listen",
        description="Receive webhooks on 127.0.0.1:PORT, verify and print each, answer 204"
        " (401 when a --secret is given and none verifies it).",
    )
    parser.add_argument("port", type=int)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--secret",
        action="append",
        default=[],
        help="a hook's signingKey or its whsec_ secret (repeat for more)",
    )
    parser.add_argument("--forward-to", help="URL to POST each accepted webhook to, unchanged")
    parser.add_argument(
        "--allow-logto",
        action="store_true",
        help="accept Logto's signature alone (from Logto itself): it signs no time, so an old"
        " body passes it again",
    )
    args = parser.parse_args(argv)
    return run(
        args.port,
        host=args.host,
        secrets=args.secret,
        forward_to=args.forward_to,
        allow_logto=args.allow_logto,
    )


def run(
    port: int,
    *,
    host: str = "127.0.0.1",
    secrets: Sequence[str] = (),
    forward_to: str | None = None,
    show: Callable[[Arrival], None] = print_plain,
    program: str = "listen",
    allow_logto: bool = False,
) -> int:
    """Listens until Ctrl-C; answers the exit status. Problems at start are one line on
    standard error, after `program`."""
    if forward_to and not forward_to.startswith(("http://", "https://")):
        sys.stderr.write(f"{program}: --forward-to: not an http(s) URL: {forward_to}\n")
        return 2
    try:
        listener = Listener(
            port,
            host=host,
            secrets=secrets,
            forward_to=forward_to,
            show=show,
            allow_logto=allow_logto,
        )
    except ValueError as error:
        sys.stderr.write(f"{program}: --secret: {error}\n")
        return 2
    except OSError as error:
        sys.stderr.write(f"{program}: cannot listen on {host}:{port}: {error.strerror or error}\n")
        return 1
    _stop_on_signals()
    sys.stdout.write(listener.announcement() + "\n")
    sys.stdout.flush()
    listener.serve()
    sys.stdout.write("stopped\n")
    return 0


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM stop the listener, even where whoever started it ignores SIGINT
    (a script's background job does): Python then leaves SIGINT ignored."""
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, signal.default_int_handler)
