"""`GET /metrics` (Prometheus text, no token, as Prometheus scrapes), and what this process
sees of the requests it answers: ingest requests and, when asked for, an access log."""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hookline.api.body_limits import INGEST_PATHS
from hookline.errors import ApiError
from hookline.metrics import read_figures, render
from hookline.runtime import Runtime

router = APIRouter(include_in_schema=False)
access = logging.getLogger("hookline.access")


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    rt: Runtime = request.app.state.runtime
    if not rt.settings.metrics:
        raise ApiError(404, "entity.not_found", "Metrics are turned off (HOOKLINE_METRICS).")
    window = rt.settings.metrics_window
    figures = await rt.read(lambda conn: read_figures(conn, window))
    registry: CollectorRegistry = request.app.state.process_metrics
    body = render([*registry.collect(), *figures.families()])
    return Response(body, media_type=CONTENT_TYPE_LATEST)


class RequestObserver:
    """Counts the ingest requests by route and status, and writes one access-log line per
    request when `access_log` is set. The status is read from the response as it starts."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry, access_log: bool) -> None:
        self.app = app
        self.access_log = access_log
        self.ingested = Counter(
            "hookline_ingest_requests",
            "Requests to the ingest routes answered by this process, by route and status.",
            ["route", "status"],
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        # Counted in the API process that answered: with several, each is scraped and their
        # counts add up, as Prometheus counters do.
        counted = path in INGEST_PATHS and scope["method"] == "POST"
        if not counted and not self.access_log:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # a response that never starts is an error

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            if counted:
                self.ingested.labels(path, str(status)).inc()
            if self.access_log:
                # The path only: a query may carry what does not belong in a log.
                elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
                access.info(
                    "request",
                    extra={
                        "action": "request",
                        "method": scope["method"],
                        "path": path,
                        "status": status,
                        "ms": elapsed_ms,
                    },
                )
