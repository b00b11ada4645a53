"""A receiver as an application would write it with the kit: the WSGI adapter stores each
verified webhook in the inbox, a worker hands them to a handler. The handler writes a line
to a file as it starts, fails and succeeds, and fails the first attempt of one event in four.

    python inbox_receiver.py PORT INBOX SIGNING_KEY LOG WORK_SECONDS
"""

from __future__ import annotations

import os
import sys
import threading
import time
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from hookline_receiver import Backoff, Event, Inbox, Worker
from hookline_receiver.wsgi import webhook_app


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 256  # a dispatcher connects many times at once


class Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def main(port: int, inbox_path: str, key: str, log_path: str, work: float) -> None:
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)

    def write(line: str) -> None:
        os.write(log, (line + "\n").encode())  # one write: a kill never leaves half a line

    def handle(event: Event) -> None:
        n = event.json()["n"]
        write(f"start {n} {event.subject} {event.sequence} {event.attempt}")
        time.sleep(work)  # the application's work
        if n % 4 == 0 and event.attempt == 1:
            write(f"fail {n}")
            raise RuntimeError("the first attempt fails")
        write(f"ok {n}")

    inbox = Inbox(inbox_path)
    server = Server(("127.0.0.1", port), Quiet)
    server.set_app(webhook_app(inbox, secrets=[key]))
    worker = Worker(inbox, handle, lease=2, backoff=Backoff(first=0.05, most=1), poll=0.2)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    write(f"boot {os.getpid()}")
    worker.run()


if __name__ == "__main__":
    port, inbox_path, key, log_path, work = sys.argv[1:]
    main(int(port), inbox_path, key, log_path, float(work))
