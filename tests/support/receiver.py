"""A real HTTP receiver on 127.0.0.1 that records every request it gets."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: list[tuple[str, str]]
    body: bytes
    at: float

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b'{"ok":true}'
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "application/json"})
    delay: float = 0.0


class Receiver:
    """Answers `reply_for(path)` (default 200 `{"ok":true}`); a list of replies is used in turn."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.replies: dict[str, Reply | list[Reply]] = {}
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                received = Received(self.path, list(self.headers.items()), body, time.time())
                with receiver._cond:
                    receiver.requests.append(received)
                    receiver._cond.notify_all()
                reply = receiver.reply_to(received)
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            # Many dispatchers connect at once; socketserver's default backlog of 5 would
            # drop their connection attempts into TCP's retransmission back-off.
            request_queue_size = 1024

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a sender that was killed mid-request is part of some tests

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        # serve_forever looks for `close` this often: every test's receiver waits that long
        # at its end.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.01,), daemon=True
        )
        self._thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def reply_to(self, request: Received) -> Reply:
        """The answer to `request`: a subclass may decide by more than its path."""
        return self._reply(request.path)

    def _reply(self, path: str) -> Reply:
        reply = self.replies.get(path, Reply())
        if isinstance(reply, list):
            return reply.pop(0) if len(reply) > 1 else reply[0]
        return reply

    def on(self, path: str, *replies: Reply) -> None:
        self.replies[path] = list(replies) if len(replies) > 1 else replies[0]

    def wait_for(
        self, count: int, path: str | None = None, timeout: float = 10.0
    ) -> list[Received]:
        """Block until `count` requests (to `path`, if given) have arrived; return them."""
        deadline = time.time() + timeout
        with self._cond:
            while True:
                got = [r for r in self.requests if path is None or r.path == path]
                if len(got) >= count:
                    return got
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError(f"expected {count} requests to {path}, got {len(got)}")
                self._cond.wait(left)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
