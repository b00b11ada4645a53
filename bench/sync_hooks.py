"""The sync-hook workload: what one synchronous hook adds to a registration and a sign-in.

A fresh `hookline serve` on SQLite; one client goes through the Experience API, one flow at
a time: a registration (username and password) then a sign-in of that user. Only each
`POST /api/experience/submit` is timed, as that is where sync hooks are asked. One hook with
`config.mode: "sync"` on `PreRegister` and `PreSignIn` points at nginx's plain location, which
answers 204 (allow) at once; it is enabled and disabled in turn every `BATCH` flows, so that
both sides of the comparison share the machine's slow and quiet spells. The check: the hook's
24 h statistics count one successful call per flow it was enabled for.
"""

from __future__ import annotations

import http.client
import json
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench.nginx import Nginx
from bench.server import Server
from bench.stats import percentiles, spread

BATCH = 20
PASSWORD = "B3nch!Passw0rd#Sync"
KINDS = ("register", "sign_in")


class Browser:
    """One kept-alive connection to the Experience API, holding the interaction cookie."""

    def __init__(self, base: str) -> None:
        address = urlsplit(base)
        self._conn = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        self._cookie = ""

    def call(self, method: str, path: str, body: object = None) -> tuple[int, float]:
        """The status and the seconds from sending to the whole answer read."""
        headers = {"content-type": "application/json"}
        if self._cookie:
            headers["cookie"] = self._cookie
        data = b"" if body is None else json.dumps(body).encode()
        started = time.perf_counter()
        self._conn.request(method, "/api/experience" + path, data, headers)
        response = self._conn.getresponse()
        text = response.read()
        took = time.perf_counter() - started
        cookie = response.getheader("set-cookie")
        if cookie and cookie.startswith("_interaction="):
            self._cookie = cookie.split(";", 1)[0]
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {text[:300]!r}")
        return response.status, took

    def verification(self, path: str, username: str) -> str:
        self._conn.request(
            "POST",
            "/api/experience" + path,
            json.dumps(
                {"identifier": {"type": "username", "value": username}, "password": PASSWORD}
            ),
            {"content-type": "application/json", "cookie": self._cookie},
        )
        response = self._conn.getresponse()
        text = response.read()
        if response.status != 200:
            raise RuntimeError(f"POST {path}: {response.status} {text[:300]!r}")
        return str(json.loads(text)["verificationId"])

    def flow(self, event: str, username: str) -> float:
        """One whole flow; the submit's seconds."""
        self.call("PUT", "", {"interactionEvent": event})
        path = (
            "/verification/new-password-identity"
            if event == "Register"
            else ("/verification/password")
        )
        verification = self.verification(path, username)
        self.call("POST", "/identification", {"verificationId": verification})
        return self.call("POST", "/submit")[1]

    def close(self) -> None:
        self._conn.close()


def run(nginx: Nginx, directory: Path, flows: int, label: str) -> dict:
    server = Server(directory, None)
    # One client signs in many times from one address: not what the limit is for.
    server.env["HOOKLINE_PASSWORD_ATTEMPTS_PER_IP"] = "1000000"
    server.env["HOOKLINE_PASSWORD_ATTEMPTS_PER_INTERACTION"] = "1000000"
    server.start()
    try:
        return measure(server, f"{nginx.base}/hook/{label}/sync", flows, label)
    finally:
        server.stop()


def measure(server: Server, url: str, flows: int, label: str) -> dict:
    body = {
        "name": "bench-sync",
        "events": ["PreRegister", "PreSignIn"],
        "config": {"url": url, "mode": "sync", "onError": "deny"},
        "enabled": False,
    }
    status, hook = server._call("POST", "/api/hooks", body)
    if status != 201 or not isinstance(hook, dict):
        raise RuntimeError(f"creating the sync hook: {status} {hook}")
    hook_id = hook["id"]
    seconds: dict[tuple[str, bool], list[float]] = {
        (k, on): [] for k in KINDS for on in (False, True)
    }
    browser = Browser(server.base)
    calls_expected = 0
    try:
        for n in range(2 * BATCH):  # warm-up, not measured: imports, caches, connections
            browser.flow("Register", f"w{label}_{n}")
        for n in range(flows):
            enabled = (n // BATCH) % 2 == 1
            if n % BATCH == 0:
                server._call("PATCH", f"/api/hooks/{hook_id}", {"enabled": enabled})
            username = f"m{label}_{n}"
            seconds[("register", enabled)].append(browser.flow("Register", username))
            seconds[("sign_in", enabled)].append(browser.flow("SignIn", username))
            calls_expected += 2 if enabled else 0
    finally:
        browser.close()
    _, got = server._call("GET", f"/api/hooks/{hook_id}?includeExecutionStats=true")
    stats = got["executionStats"] if isinstance(got, dict) else {}
    result: dict = {"flows": flows, "calls_expected": calls_expected, "stats": stats}
    for kind in KINDS:
        without = percentiles([s * 1000 for s in seconds[(kind, False)]])
        with_hook = percentiles([s * 1000 for s in seconds[(kind, True)]])
        result[kind] = {
            "without_ms": without,
            "with_ms": with_hook,
            "added_ms": {q: with_hook[q] - without[q] for q in ("p50", "p99")},  # type: ignore[operator]
        }
    return result


def summarise(runs: list[dict]) -> dict:
    summary: dict = {}
    for kind in KINDS:
        summary[kind] = {
            f"{side}_{q}_ms": spread([r[kind][f"{side}_ms"][q] for r in runs])
            for side in ("without", "with")
            for q in ("p50", "p99")
        } | {
            f"added_{q}_ms": spread([r[kind]["added_ms"][q] for r in runs]) for q in ("p50", "p99")
        }
    summary["unanswered_calls"] = sum(
        r["calls_expected"] - r["stats"].get("successCount", 0) for r in runs
    )
    return summary
