"""Guesses at the console's sign-in: sent side by side they check no more passwords than the
lock allows, and no answer tells a right password, a locked account or an unknown name from
a wrong password; each address has a budget of attempts per minute. Against running servers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.console.conftest import CSRF_FIELD, create_admin, csrf_of, sign_in, signed_in
from tests.support.server import Server

BURST = 30


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Budgets wide enough for a burst of guesses from one address, all waiting their turn
    to be hashed."""
    srv = Server(
        tmp_path_factory.mktemp("sign-in"),
        HOOKLINE_PASSWORD_ATTEMPTS_PER_IP="1000",
        HOOKLINE_PASSWORD_HASHING_WAIT="120",
    )
    srv.data_dir.mkdir(parents=True, exist_ok=True)
    create_admin(srv, "target", "the-right-password")
    create_admin(srv, "real", "the-real-password")
    srv.start()
    yield srv
    srv.stop()


def as_sent(answer: httpx.Response, username: str = "") -> tuple[int, str]:
    """The status and page of an answer, less what differs from client to client: the form
    token and the name typed."""
    page = CSRF_FIELD.sub("", answer.text)
    return answer.status_code, page.replace(f'value="{username}"', "") if username else page


def test_guesses_sent_side_by_side_check_at_most_five_passwords(server: Server) -> None:
    right = BURST // 2
    passwords = [f"wrong-password-{n}" for n in range(BURST)]
    passwords[right] = "the-right-password"
    clients = [httpx.Client(base_url=server.base, timeout=120) for _ in passwords]
    tokens = [csrf_of(client.get("/console/sign-in")) for client in clients]
    start = threading.Barrier(BURST)

    def guess(n: int) -> httpx.Response:
        start.wait()
        return clients[n].post(
            "/console/sign-in",
            data={"csrf": tokens[n], "username": "target", "password": passwords[n]},
        )

    with ThreadPoolExecutor(BURST) as pool:
        answers = list(pool.map(guess, range(BURST)))
    for client in clients:
        client.close()

    signed = [n for n, answer in enumerate(answers) if answer.status_code == 303]
    refusals = {as_sent(answer) for answer in answers if answer.status_code != 303}
    # Every refusal is the same page, the right password's too when it was refused.
    assert len(refusals) == 1, refusals
    status, page = refusals.pop()
    assert status == 401 and "Wrong username or password." in page
    assert signed in ([], [right])
    [(failed, locked)] = server.sql(
        "SELECT failed_sign_ins, locked_until FROM console_admins WHERE username = 'target'"
    )
    if not signed:
        # Five attempts were checked, the right password not among them: locked, and the
        # right password is refused still, as a wrong one.
        assert failed == 5 and locked is not None
        _, again = sign_in(server, "target", "the-right-password")
        assert as_sent(again) == (status, page)


def test_no_answer_tells_an_admin_from_an_unknown_name(server: Server) -> None:
    def answers(username: str, password: str, times: int) -> set[tuple[int, str]]:
        return {as_sent(sign_in(server, username, password)[1], username) for _ in range(times)}

    real = answers("real", "wrong-password", 6) | answers("real", "the-real-password", 1)
    unknown = answers("ghost", "wrong-password", 7)
    assert len(real) == 1 and real == unknown
    [(status, _)] = real
    assert status == 401
    # The real admin is locked all the same (the unknown name locks nothing: it has nothing).
    [(locked,)] = server.sql("SELECT locked_until FROM console_admins WHERE username = 'real'")
    assert locked is not None


def test_each_address_has_a_budget_of_attempts(tmp_path_factory: pytest.TempPathFactory) -> None:
    srv = Server(tmp_path_factory.mktemp("per-ip"), HOOKLINE_PASSWORD_ATTEMPTS_PER_IP="3")
    srv.data_dir.mkdir(parents=True, exist_ok=True)
    create_admin(srv, "budget", "the-right-password")
    srv.start()
    try:
        assert [signed_in(srv, "nobody", "wrong-password") for _ in range(3)] == [401] * 3
        # Spent: even the right password of a real admin is refused, with when to come back.
        client, refused = sign_in(srv, "budget", "the-right-password")
        client.close()
        assert refused.status_code == 429 and "Too many sign-in attempts" in refused.text
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert "hookline_console" not in client.cookies
        # The refused attempt spent none of the admin's own.
        assert srv.sql("SELECT failed_sign_ins FROM console_admins") == [(0,)]
    finally:
        srv.stop()
