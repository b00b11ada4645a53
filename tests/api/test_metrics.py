"""`/metrics` after a known number of successful and failed deliveries, counted from the
database; the warning line of each failed attempt; the switches HOOKLINE_METRICS and
HOOKLINE_ACCESS_LOG."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.api import create_hook, emit, wait_logs
from tests.support.receiver import Receiver, Reply
from tests.support.server import Server
from tests.support.waiting import wait_for_line

pytestmark = pytest.mark.slow

CREATED, DELETED = 3, 2  # events of each kind sent


def scrape(server: Server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of `/metrics`, by name and labels."""
    response = httpx.get(f"{server.base}/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Delivery in a dispatcher process of its own: what the API process that answers the
    # scrape never sees in its memory.
    srv = Server(tmp_path_factory.mktemp("metrics"), HOOKLINE_DISPATCHERS="1").start()
    yield srv
    srv.stop()


def test_metrics_count_deliveries_and_attempts_from_the_database(
    server: Server, api: httpx.Client, receiver: Receiver
) -> None:
    receiver.on("/fail", Reply(500, b"down"))
    ok = create_hook(api, receiver.url("/ok"), ["User.Created", "User.Deleted"])
    # One retry: two attempts per event, then the delivery fails.
    failing = create_hook(api, receiver.url("/fail"), ["User.Created"], config={"retries": 1})
    idle = create_hook(api, receiver.url("/idle"), ["User.Created"])
    assert api.patch(f"/hooks/{idle['id']}", json={"enabled": False}).status_code == 200
    for n in range(CREATED):
        emit(api, "User.Created", {"data": {"id": f"u{n}"}})
    for n in range(DELETED):
        emit(api, "User.Deleted", {"data": {"id": f"u{n}"}})
    assert api.post("/hook-events", json={"event": "No.Such"}).status_code == 400
    wait_logs(api, ok["id"], CREATED + DELETED)
    wait_logs(api, failing["id"], 2 * CREATED)

    figures = scrape(server)

    def value(name: str, **labels: str) -> float:
        return figures.get((name, tuple(sorted(labels.items()))), 0.0)

    assert value("hookline_deliveries", result="delivered", event="User.Created") == CREATED
    assert value("hookline_deliveries", result="delivered", event="User.Deleted") == DELETED
    assert value("hookline_deliveries", result="failed", event="User.Created") == CREATED
    assert sum(v for (name, _), v in figures.items() if name == "hookline_deliveries") == (
        2 * CREATED + DELETED
    )
    assert value("hookline_attempts", status_class="2xx") == CREATED + DELETED
    assert value("hookline_attempts", status_class="5xx") == 2 * CREATED
    for status_class in ("3xx", "4xx", "error"):
        assert value("hookline_attempts", status_class=status_class) == 0
    attempts = 3 * CREATED + DELETED
    assert value("hookline_attempt_duration_seconds_count") == attempts
    assert value("hookline_attempt_duration_seconds_bucket", le="+Inf") == attempts
    assert 0 < value("hookline_attempt_duration_seconds_sum") < attempts * 10
    assert value("hookline_queue_depth") == 0
    assert value("hookline_oldest_due_delivery_age_seconds") == 0
    assert value("hookline_hooks_disabled") == 1
    ingest = "/api/hook-events"
    assert value("hookline_ingest_requests_total", route=ingest, status="202") == (
        CREATED + DELETED
    )
    assert value("hookline_ingest_requests_total", route=ingest, status="400") == 1
    assert value("hookline_metrics_window_seconds") == 300

    # One warning per failed attempt: the hook, the event, the status, the attempt and when
    # the next one comes; never a signing key nor the body.
    log = wait_for_line(server.log, "delivery attempt failed", 2 * CREATED)
    lines = [line for line in log.splitlines() if "delivery attempt failed" in line]
    assert len(lines) == 2 * CREATED
    for line in lines:
        assert f"hook_id={failing['id']}" in line
        assert "event=User.Created" in line and "status=500" in line
    assert sum("attempt=1 " in line for line in lines) == CREATED
    assert sum("next_attempt=final" in line for line in lines) == CREATED
    assert all("next_attempt=20" in line for line in lines if "attempt=1 " in line)
    for hook in (ok, failing):
        assert hook["signingKey"] not in log
    assert '"u0"' not in log and "down" not in log


def test_queue_depth_and_the_age_of_the_oldest_due_delivery(tmp_path, receiver) -> None:
    # Nobody delivers: what is stored stays due.
    server = Server(tmp_path, HOOKLINE_DISPATCH="false").start()
    try:
        with server.client() as api:
            create_hook(api, receiver.url(), ["User.Created"])
            create_hook(api, receiver.url("/b"), ["User.Created"])
            for _ in range(2):
                emit(api)
        figures = scrape(server)
    finally:
        server.stop()
    assert figures[("hookline_queue_depth", ())] == 4
    assert figures[("hookline_oldest_due_delivery_age_seconds", ())] > 0
    assert figures[("hookline_deliveries", (("event", "User.Created"), ("result", "pending")))] == 4
    assert not receiver.requests


def test_metrics_off_is_a_404_and_the_access_log_on_writes_a_line_per_request(tmp_path) -> None:
    server = Server(tmp_path, HOOKLINE_METRICS="off", HOOKLINE_ACCESS_LOG="on").start()
    try:
        response = httpx.get(f"{server.base}/metrics")
        assert response.status_code == 404
        assert response.json()["code"] == "entity.not_found"
        with server.client() as api:
            assert api.get("/hooks", params={"page": "1"}).status_code == 200
        log = wait_for_line(server.log, "path=/api/hooks ")
    finally:
        server.stop()
    assert "method=GET path=/metrics status=404 ms=" in log
    [line] = [line for line in log.splitlines() if "path=/api/hooks " in line]
    assert "hookline.access request" in line and "status=200" in line
    assert "page=" not in line and "Bearer" not in log


def test_no_access_log_by_default(server: Server) -> None:
    assert httpx.get(f"{server.base}/api/status").status_code == 204
    assert "hookline.access" not in server.log.read_text()
