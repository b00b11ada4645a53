"""Without a session no page shows, without its CSRF token no form is taken, and five wrong
passwords lock an account: over plain HTTP against a running server."""

from __future__ import annotations

import httpx
import pytest

from tests.console.conftest import (
    ADMIN,
    PASSWORD,
    create_admin,
    csrf_of,
    hookline_command,
    sign_in,
    signed_in,
)
from tests.support.api import create_hook
from tests.support.receiver import Receiver
from tests.support.server import Server

PAGES = ("/console", "/console/webhooks", "/console/webhooks/create", "/console/webhooks/x")


@pytest.mark.parametrize("path", PAGES)
def test_a_page_without_a_session_redirects_to_sign_in(server: Server, path: str) -> None:
    answer = httpx.get(server.base + path)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in"


def test_a_made_up_session_is_no_session(server: Server) -> None:
    answer = httpx.get(server.base + "/console/webhooks", cookies={"hookline_console": "made-up"})
    assert answer.status_code == 303


def test_the_session_cookie_is_http_only_and_same_site(server: Server) -> None:
    client, answer = sign_in(server)
    client.close()
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"].lower()
    assert "hookline_console=" in cookie
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/console" in cookie


def test_forms_without_their_csrf_token_are_refused(
    server: Server, admin: httpx.Client, receiver: Receiver
) -> None:
    with server.client() as api:
        hook = create_hook(api, receiver.url())
    path = f"/console/webhooks/{hook['id']}"
    for data in ({}, {"csrf": "wrong"}):
        for action, fields in (
            ("/enabled", {"enabled": "false"}),
            ("/delete", {}),
            ("/regenerate-key", {}),
            ("", {"name": "x", "url": receiver.url(), "events": "User.Created"}),
        ):
            answer = admin.post(path + action, data={**fields, **data})
            assert answer.status_code == 403, (action, data)
    answer = admin.post("/console/webhooks/create", data={"name": "x", "url": receiver.url()})
    assert answer.status_code == 403
    with server.client() as api:
        unchanged = api.get(f"/hooks/{hook['id']}").json()
    assert unchanged["enabled"] is True and unchanged["signingKey"] == hook["signingKey"]
    # With the token, the same form is taken.
    token = csrf_of(admin.get(path))
    answer = admin.post(path + "/enabled", data={"enabled": "false", "csrf": token})
    assert answer.status_code == 303


def test_sign_in_without_its_form_token_is_refused(server: Server) -> None:
    answer = httpx.post(
        server.base + "/console/sign-in", data={"username": ADMIN, "password": PASSWORD}
    )
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers or "hookline_console=" not in answer.headers.get(
        "set-cookie", ""
    )


def test_the_sign_in_page_sends_a_signed_in_admin_on(admin: httpx.Client) -> None:
    answer = admin.get("/console/sign-in")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/webhooks"


def test_a_session_ends_when_it_expires(server: Server) -> None:
    client, _ = sign_in(server)
    assert client.get("/console/webhooks").status_code == 200
    server.sql("UPDATE console_sessions SET expires_at = 1")
    assert client.get("/console/webhooks").status_code == 303
    client.close()


def test_sign_out_ends_the_session(server: Server) -> None:
    client, _ = sign_in(server)
    cookie = client.cookies["hookline_console"]
    token = csrf_of(client.get("/console/webhooks"))
    assert client.post("/console/sign-out", data={"csrf": token}).status_code == 303
    again = httpx.get(server.base + "/console/webhooks", cookies={"hookline_console": cookie})
    assert again.status_code == 303


def test_five_wrong_passwords_lock_the_account(server: Server) -> None:
    create_admin(server, "locked-out", "the-right-password")
    for _ in range(5):
        assert signed_in(server, "locked-out", "wrong-password") == 401
    assert server.sql(
        "SELECT failed_sign_ins FROM console_admins WHERE username = 'locked-out'"
    ) == [(5,)]
    # Locked: even the right password is refused, as a wrong one, and no session is given.
    client, refused = sign_in(server, "locked-out", "the-right-password")
    assert refused.status_code == 401 and "Wrong username or password." in refused.text
    assert "hookline_console" not in client.cookies
    # The lock is the account's: another admin signs in.
    assert signed_in(server) == 303
    # Once the lock has run out, the right password works, and the count starts again.
    server.sql("UPDATE console_admins SET locked_until = 1 WHERE username = 'locked-out'")
    assert signed_in(server, "locked-out", "the-right-password") == 303
    assert server.sql(
        "SELECT failed_sign_ins, locked_until FROM console_admins WHERE username = 'locked-out'"
    ) == [(0, None)]


def test_an_unknown_admin_is_told_as_a_wrong_password(server: Server) -> None:
    _, answer = sign_in(server, "nobody", "whatever-password")
    assert answer.status_code == 401 and "Wrong username or password." in answer.text


def test_what_does_not_exist_is_a_404_page(admin: httpx.Client) -> None:
    token = csrf_of(admin.get("/console/webhooks"))
    for path in (
        "/console/webhooks/nope",
        "/console/webhooks/nope/logs",
        "/console/webhooks/nope/logs/x",
    ):
        answer = admin.get(path)
        assert answer.status_code == 404 and "Not found" in answer.text, path
    for action, fields in (
        ("/enabled", {"enabled": "false"}),
        ("/regenerate-key", {}),
        ("/recover", {"range": "1h"}),
        ("/logs/x/replay", {"delivery": "msg_x"}),
        ("/test", {"url": "http://127.0.0.1:9/", "events": "User.Created"}),
    ):
        answer = admin.post(f"/console/webhooks/nope{action}", data={"csrf": token, **fields})
        assert answer.status_code == 404, (action, answer.text)


@pytest.mark.parametrize(
    "query", ["page=abc", "page=-5", "range=forever", "status=maybe", "event=No.Such", "count=x"]
)
def test_odd_queries_are_no_500(
    admin: httpx.Client, receiver: Receiver, server: Server, query: str
) -> None:
    with server.client() as api:
        hook = create_hook(api, receiver.url())
    answer = admin.get(f"/console/webhooks/{hook['id']}/logs?{query}")
    assert answer.status_code < 500, answer.text


def test_delete_asks_first_then_deletes(
    server: Server, admin: httpx.Client, receiver: Receiver
) -> None:
    with server.client() as api:
        hook = create_hook(api, receiver.url(), name="Doomed")
        asked = admin.get(f"/console/webhooks/{hook['id']}/delete")
        assert asked.status_code == 200 and "Delete Doomed?" in asked.text
        assert api.get(f"/hooks/{hook['id']}").status_code == 200  # asking deletes nothing
        answer = admin.post(f"/console/webhooks/{hook['id']}/delete", data={"csrf": csrf_of(asked)})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/webhooks?done=deleted"
        assert api.get(f"/hooks/{hook['id']}").status_code == 404
    listed = admin.get("/console/webhooks?done=deleted")
    assert "The webhook has been deleted." in listed.text and "Doomed" not in listed.text


def test_a_new_password_lifts_the_lock_and_ends_the_sessions(server: Server) -> None:
    create_admin(server, "forgetful", "first-password")
    client, _ = sign_in(server, "forgetful", "first-password")
    for _ in range(5):
        signed_in(server, "forgetful", "wrong-password")
    assert server.sql(
        "SELECT locked_until IS NOT NULL FROM console_admins WHERE username = 'forgetful'"
    ) in ([(1,)], [(True,)])
    done = hookline_command(server, "admin", "password", "forgetful", password="second-password")
    assert done.returncode == 0, done.stderr
    assert client.get("/console/webhooks").status_code == 303  # signed out
    client.close()
    assert signed_in(server, "forgetful", "first-password") == 401
    assert signed_in(server, "forgetful", "second-password") == 303
    nobody = hookline_command(server, "admin", "password", "nobody", password="some-password")
    assert nobody.returncode == 1
    assert nobody.stderr == "hookline: there is no admin named 'nobody'\n"


def test_the_signing_key_is_given_only_to_a_signed_in_form(
    server: Server, admin: httpx.Client, receiver: Receiver
) -> None:
    with server.client() as api:
        hook = create_hook(api, receiver.url())
    page = admin.get(f"/console/webhooks/{hook['id']}")
    assert page.status_code == 200 and 'id="signing-key"' in page.text
    assert hook["signingKey"] not in page.text
    route = f"/console/webhooks/{hook['id']}/signing-key"
    token = csrf_of(page)
    anonymous = httpx.post(server.base + route, data={"csrf": token})
    assert anonymous.status_code == 303 and hook["signingKey"] not in anonymous.text
    for data in ({}, {"csrf": "wrong"}):
        refused = admin.post(route, data=data)
        assert refused.status_code == 403 and hook["signingKey"] not in refused.text
    assert admin.get(route).status_code == 405
    given = admin.post(route, data={"csrf": token})
    assert given.status_code == 200 and given.json() == {"signingKey": hook["signingKey"]}
    assert given.headers["cache-control"] == "no-store"
    assert admin.post("/console/webhooks/nope/signing-key", data={"csrf": token}).status_code == 404
