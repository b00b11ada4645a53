"""Logto's own Management API client for Node, `@logto/api`, works against hookline as against
a self-hosted Logto: with the bootstrap client's id and secret it gets a token from
/oidc/token, then creates a hook, lists the hooks, reads the hook back and deletes it.

The client is pinned in tests/logto_client/package-lock.json and installed by `make` (npm ci);
nothing is downloaded when the test runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.server import ADMIN_ID, ADMIN_SECRET, Server

CLIENT = Path(__file__).parent.parent / "logto_client"
HOOK_URL = "http://127.0.0.1:9/made-by-logto-api"


def run_client(server: Server) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None or not (CLIENT / "node_modules" / "@logto" / "api").is_dir():
        # Not a skip: a run without the client must not pass for a run with it.
        pytest.fail(f"needs node and `npm ci --prefix {CLIENT}` (make does it)", pytrace=False)
    env = {
        **os.environ,
        "HOOKLINE_URL": server.base,
        "HOOKLINE_ADMIN_CLIENT_ID": ADMIN_ID,
        "HOOKLINE_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
        "HOOK_URL": HOOK_URL,
    }
    run = subprocess.run(
        [node, "hooks.mjs"], cwd=CLIENT, env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    # The client warns on stderr when the token's scope is not `all`.
    assert run.stderr == "", run.stderr
    return json.loads(run.stdout)


def test_logtos_client_creates_lists_reads_and_deletes_a_hook(
    server: Server, api: httpx.Client
) -> None:
    answers = run_client(server)

    assert answers["scope"] == "all"
    created = answers["created"]
    assert created["status"] == 201, created
    hook = created["body"]
    assert hook["name"] == "Made by @logto/api"
    assert hook["events"] == ["User.Created", "User.Deleted"]
    assert hook["config"] == {"url": HOOK_URL, "headers": {"x-from": "logto-api"}}
    assert hook["enabled"] is True
    assert hook["signingKey"]

    assert answers["listed"]["status"] == 200, answers["listed"]
    assert hook in answers["listed"]["body"]
    assert answers["read"] == {"status": 200, "body": hook}
    assert answers["deleted"] == {"status": 204}
    gone = answers["readAfterDelete"]
    assert gone["status"] == 404
    assert gone["body"]["code"] == "entity.not_exists_with_id"
    # And hookline itself no longer has it.
    assert api.get(f"/hooks/{hook['id']}").status_code == 404
