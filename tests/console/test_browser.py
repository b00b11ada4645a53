"""The console in a real browser (Debian's Chromium, driven by Playwright) against a running
server and a real receiver on 127.0.0.1: sign in, create a hook, send a test payload, read
a log entry, regenerate the key, disable the hook, replay a failed delivery.

With HOOKLINE_SCREENSHOTS=DIR set, each page is saved as DIR/console-NAME.png (the README's
pictures: `HOOKLINE_SCREENSHOTS=docs pytest tests/console/test_browser.py`)."""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.console.conftest import ADMIN, PASSWORD
from tests.support.api import create_hook, emit, wait_logs
from tests.support.receiver import Receiver, Reply
from tests.support.server import Server

CHROMIUM = "/usr/bin/chromium"
# Chromium's own calls home would be refused on a closed network, each after a wait.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    context = browser.new_context(base_url=server.base, viewport={"width": 1200, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def shot(page: Page, name: str) -> None:
    folder = os.environ.get("HOOKLINE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/console-{name}.png", full_page=True)


def sign_in(page: Page) -> None:
    page.goto("/console")
    expect(page).to_have_url("/console/sign-in")
    shot(page, "sign-in")
    page.get_by_label("Username").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url("/console/webhooks")


def test_create_test_regenerate_disable(
    page: Page, api: httpx.Client, receiver: Receiver, server: Server
) -> None:
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    sign_in(page)
    page.get_by_role("link", name="Create Webhook").click()
    page.get_by_label("Name").fill("Accounts")
    page.get_by_label("Endpoint URL").fill(receiver.url("/hook"))
    page.get_by_label("User.Created", exact=True).check()
    page.get_by_label("PostSignIn", exact=True).check()
    # A synchronous hook's options show only once that mode is chosen.
    sync_options = page.locator("#sync-options")
    expect(sync_options).to_be_hidden()
    page.get_by_label("Mode", exact=True).select_option("sync")
    expect(page.get_by_label("Timeout (ms)")).to_be_visible()
    page.get_by_label("Mode", exact=True).select_option("")
    expect(sync_options).to_be_hidden()
    shot(page, "create")
    page.get_by_role("button", name="Create webhook").click()
    expect(page.get_by_role("status")).to_have_text("The webhook has been created.")
    hook_id = page.url.split("/webhooks/")[1].split("?")[0]
    hook = api.get(f"/hooks/{hook_id}").json()
    assert hook["name"] == "Accounts" and hook["events"] == ["User.Created", "PostSignIn"]
    assert hook["config"] == {"url": receiver.url("/hook")}

    # A custom header: refused without its value, then saved.
    page.get_by_label("Header name").first.fill("X-Tenant")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("alert")).to_contain_text("each row needs a name and a value")
    page.get_by_label("Header value").first.fill("acme")
    # And Ed25519 signatures, whose public key the page then shows.
    page.get_by_label("Sign with Ed25519 too").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    saved = api.get(f"/hooks/{hook_id}").json()
    assert saved["config"]["headers"] == {"X-Tenant": "acme"}
    assert saved["config"]["asymmetricSignature"] is True
    expect(page.locator("#public-key")).to_have_text(saved["signingPublicKey"])

    # A delivery, for the chart and the list to show.
    emit(api, "User.Created", {"data": {"id": "u1"}})
    wait_logs(api, hook_id, 1)
    page.goto(f"/console/webhooks/{hook_id}")
    expect(page.locator("svg.chart rect.success")).to_have_count(1)

    # The key is hidden until revealed, and not even in the page until then.
    key_field = page.locator("#signing-key")
    expect(key_field).to_have_attribute("type", "password")
    expect(key_field).to_have_value("")
    assert hook["signingKey"] not in page.content()
    page.get_by_role("button", name="Show").click()
    expect(key_field).to_have_attribute("type", "text")
    expect(key_field).to_have_value(hook["signingKey"])
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == hook["signingKey"]

    # A test payload, signed with that key, and its result on the page.
    page.get_by_role("button", name="Send test payload").click()
    expect(page.locator("#test-result")).to_contain_text(
        "The webhook test to the endpoint was successful."
    )
    sent = receiver.wait_for(3, "/hook")[1:]  # after the delivery, one per event
    for request in sent:
        assert request.header("x-tenant") == "acme"
        assert "v1a," in request.header("webhook-signature")
        expected = hmac.new(hook["signingKey"].encode(), request.body, hashlib.sha256)
        assert request.header("logto-signature-sha-256") == expected.hexdigest()

    shot(page, "webhook")

    # Regenerating asks first.
    page.get_by_role("link", name="Regenerate").click()
    shot(page, "regenerate-key")
    page.get_by_role("button", name="Regenerate").click()
    expect(page.get_by_role("status")).to_have_text("Signing key has been regenerated.")
    rotated = api.get(f"/hooks/{hook_id}").json()
    assert rotated["signingKey"] != hook["signingKey"]
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == rotated["signingKey"]
    expect(page.locator("#signing-key")).to_have_value(rotated["signingKey"])

    page.get_by_role("button", name="Disable webhook").click()
    expect(page.get_by_role("status")).to_have_text("The webhook has been disabled.")
    expect(page.locator("h1 .tag")).to_have_text("Not in use")
    assert api.get(f"/hooks/{hook_id}").json()["enabled"] is False
    page.get_by_role("link", name="Webhooks").first.click()
    row = page.get_by_role("row").filter(has_text="Accounts")
    expect(row.locator(".tag")).to_have_text("Not in use")
    # Every page, stylesheet and script came from the server itself.
    assert fetched and all(url.startswith(server.base + "/console") for url in fetched), fetched


def test_a_failed_delivery_read_and_replayed(
    page: Page, api: httpx.Client, receiver: Receiver
) -> None:
    receiver.on("/failing", Reply(500, b'{"message":"down for maintenance"}'))
    hook = create_hook(
        api, receiver.url("/failing"), ["Role.Created"], name="Billing", config={"retries": 0}
    )
    emit(api, "Role.Created", {"data": {"id": "r1", "name": "editor"}})
    wait_logs(api, hook["id"], 1)
    sign_in(page)

    # A test send that the endpoint refuses says so, with its answer.
    page.goto(f"/console/webhooks/{hook['id']}")
    page.get_by_role("button", name="Send test payload").click()
    result = page.locator("#test-result")
    expect(result).to_contain_text("Endpoint responded with error.")
    expect(result).to_contain_text("500")
    expect(result).to_contain_text("down for maintenance")

    page.get_by_role("link", name="Recent requests").click()
    page.locator("select[name=status]").select_option("error")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("row").filter(has_text="Role.Created")).to_have_count(1)
    shot(page, "logs")
    page.get_by_role("link", name="Role.Created").click()
    expect(page.locator("pre.json").first).to_contain_text('"name": "editor"')
    expect(page.get_by_text("down for maintenance")).to_be_visible()
    shot(page, "log")

    receiver.on("/failing", Reply(200))
    page.get_by_role("button", name="Replay delivery").click()
    expect(page.get_by_role("status")).to_contain_text("will be sent again now")
    # The delivery, the test send, then the delivery again under the same id.
    delivered, _, again = receiver.wait_for(3, "/failing")
    assert again.header("webhook-id") == delivered.header("webhook-id")
    wait_logs(api, hook["id"], 2)

    # Recovery sends every failed delivery of the time range again.
    receiver.on("/failing", Reply(503))
    emit(api, "Role.Created", {"data": {"id": "r2", "name": "viewer"}})
    wait_logs(api, hook["id"], 3)
    receiver.on("/failing", Reply(200))
    page.goto(f"/console/webhooks/{hook['id']}/logs")
    page.get_by_role("button", name="Send failed deliveries again").click()
    expect(page.get_by_role("status")).to_have_text(
        "1 failed delivery of the time range sent again now."
    )
    recovered = receiver.wait_for(5, "/failing")[-1]
    assert b'"name":"viewer"' in recovered.body
    wait_logs(api, hook["id"], 4)
    page.goto(f"/console/webhooks/{hook['id']}/logs?status=success")
    expect(page.get_by_role("row").filter(has_text="Role.Created")).to_have_count(2)
    page.get_by_role("link", name="Webhooks").first.click()
    billing = page.get_by_role("row").filter(has_text="Billing")
    expect(billing).to_contain_text("50.0%")
    expect(billing.locator("svg.spark rect.failure")).not_to_have_count(0)
    shot(page, "webhooks")
