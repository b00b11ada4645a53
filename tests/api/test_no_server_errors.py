"""Schemathesis over the served `/api/swagger.json`, with an admin token: no route answers a 5xx
(or fails to answer), whatever valid or invalid input it is given.

Schemathesis runs as its own command, `st run`, with every phase it has: the coverage phase's
edge values (empty, huge, wrong type, missing), then generated input for each operation, then
sequences of calls. The run is bounded (examples per operation) and derandomized, so that it
takes well under a minute and a failure replays; its report shows each failing request as a curl
command, and the server's log its traceback. Routes that look something up by id are given,
most of the time, the id of something that exists, so that their input gets past the 404."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.objects import COLLECTION_KINDS, PARAM_KINDS, one_of_each
from tests.support.server import Server

pytestmark = pytest.mark.slow  # starts hookline processes

# Generated inputs per operation, past the coverage phase's edge values for each of them (some
# 3500 requests): generating them is where the sweep's time goes, some 25 ms each.
EXAMPLES_PER_OPERATION = 10
# How often a route's id is one that exists rather than one Schemathesis makes up.
REAL_ID = 0.8

# Everything but the ids, which exist only once the server runs. `${HOOKLINE_TOKEN}` is read
# from the environment, so the token is in no file and no command line.
SETTINGS = f"""
workers = 1
suppress-health-check = ["all"]
headers = {{ Authorization = "Bearer ${{HOOKLINE_TOKEN}}" }}
request-timeout = 10

[cache]
enabled = false

[generation]
max-examples = {EXAMPLES_PER_OPERATION}
deterministic = true
database = "none"

[checks]
enabled = false
not_a_server_error.enabled = true

# A test request goes to the URL in its body, and a generated URL may name any host: the tests
# of this machine reach loopback only. Bad input to it is swept with a loopback URL elsewhere.
[[operations]]
include-path = "/api/hooks/{{id}}/test"
enabled = false
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("no-server-errors")
    # No dispatcher: generated hooks name any URL, and their deliveries must not leave this
    # machine. The API answers the same without one.
    srv = Server(
        data, HOOKLINE_DISPATCH="false", HOOKLINE_MESSAGE_OUTBOX=str(data / "messages.jsonl")
    ).start()
    yield srv
    srv.stop()


def config(ids: dict[str, str]) -> str:
    """SETTINGS, and each path parameter bound to the id of something that exists."""

    def real(kind: str) -> str:
        return f'{{ dictionary = "{kind}", probability = {REAL_ID} }}'

    lines = [SETTINGS, "[dictionaries]"]
    lines += [f'"{kind}" = {{ values = [{json.dumps(id_)}] }}' for kind, id_ in ids.items()]
    lines.append("[parameters]")
    lines += [f'"path.{name}" = {real(kind)}' for name, kind in PARAM_KINDS.items()]
    for collection, kind in COLLECTION_KINDS.items():
        lines += [
            "[[operations]]",
            f'include-path-regex = "^/api/{collection}/"',
            f'parameters = {{ "path.id" = {real(kind)} }}',
        ]
    return "\n".join(lines) + "\n"


def test_no_route_answers_a_server_error(server: Server, api: httpx.Client, tmp_path: Path) -> None:
    settings = tmp_path / "schemathesis.toml"
    settings.write_text(config(one_of_each(api)))
    users_before = server.sql("SELECT COUNT(*) FROM users")[0][0]

    # In its own directory: Schemathesis and Hypothesis keep their caches in the working one.
    run = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "--config-file", str(settings)]
        + ["run", f"{server.base}/api/swagger.json", "--no-color"],
        cwd=tmp_path,
        env={**os.environ, "HOOKLINE_TOKEN": server.token()},
        capture_output=True,
        text=True,
        timeout=600,
    )

    report = without_warnings(run.stdout + run.stderr)
    assert run.returncode == 0, f"{report}\nThe server's log:\n{server.log.read_text()[-8000:]}"
    # The token worked: generated users were created, not refused with 401.
    assert server.sql("SELECT COUNT(*) FROM users")[0][0] > users_before, report


def without_warnings(report: str) -> str:
    """The report less its warnings (the routes that mostly answered 404 or 400, and so on):
    the failing requests, each with a curl command, and the summary stay."""
    return re.sub(r"^=+ WARNINGS =+$.*?(?=^=+ SUMMARY =+$)", "", report, flags=re.M | re.S)
