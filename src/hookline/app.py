"""The ASGI application: API routes, and the dispatcher beside them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, FastAPI
from prometheus_client import CollectorRegistry

from hookline import __version__, heap
from hookline.api import (
    applications,
    deliveries,
    errors,
    experience,
    hook_events,
    hook_keys,
    hooks,
    metrics,
    oidc,
    openapi,
    organization_invitations,
    organization_roles,
    organization_scopes,
    organizations,
    relay,
    resources,
    roles,
    sign_in_exp,
    status,
    users,
)
from hookline.api.body_limits import BodyLimits
from hookline.api.deps import no_nul, require_token
from hookline.api.responses import JSON
from hookline.config import Settings
from hookline.console import routes as console
from hookline.dispatcher.loop import Dispatcher
from hookline.dispatcher.processes import DispatcherProcesses
from hookline.runtime import Runtime


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime.open(settings)
        app.state.runtime = runtime
        app.state.delivering = lambda: True  # by `hookline worker`s, which say nothing here
        dispatcher: Dispatcher | None = None
        dispatching: asyncio.Task[None] | None = None
        processes: DispatcherProcesses | None = None
        watching: asyncio.Task[None] | None = None
        if not settings.dispatch:
            pass
        elif settings.dispatchers == 0:
            dispatcher = Dispatcher(settings)
            runtime.waker.add_local(dispatcher.wake)
            dispatching = asyncio.create_task(dispatcher.run())
            # Set once the dispatcher first listens, and never cleared: as with processes.
            app.state.delivering = dispatcher.ready.is_set
        else:
            processes = DispatcherProcesses(settings.dispatchers)
            processes.start()
            app.state.delivering = lambda: processes.ready
            watching = asyncio.create_task(processes.watch())
        heap.settle()
        try:
            yield
        finally:
            if dispatcher is not None and dispatching is not None:
                dispatcher.stop()
                await dispatching
            if processes is not None and watching is not None:
                watching.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watching
                processes.stop()
            await runtime.close()

    app = FastAPI(
        title="hookline",
        version=__version__,
        lifespan=lifespan,
        openapi_url="/api/swagger.json",
        docs_url="/api/docs",
        redoc_url=None,
        default_response_class=JSON,
        # hookline reports through /metrics; per-request spans cost ~10 % of an ingest.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    errors.install(app)
    openapi.install(app)
    app.add_middleware(
        BodyLimits,
        ingest_limit=settings.max_payload_bytes,
        idle_timeout=settings.body_timeout,
    )
    # Outside BodyLimits, so that the requests it refuses are counted and logged too.
    app.state.process_metrics = CollectorRegistry()
    app.add_middleware(
        metrics.RequestObserver,
        registry=app.state.process_metrics,
        access_log=settings.access_log,
    )
    management = APIRouter(prefix="/api", dependencies=[Depends(require_token), Depends(no_nul)])
    # Routes are matched in order: the hot ones (ingest, user creation) come first.
    for resource in (
        hook_events,
        users,
        hooks,
        deliveries,
        roles,
        resources,
        applications,
        organizations,
        organization_roles,
        organization_scopes,
        organization_invitations,
        sign_in_exp,
    ):
        management.include_router(resource.router)
    app.include_router(management)
    app.include_router(status.router, prefix="/api")
    app.include_router(hook_keys.router, prefix="/api")  # public keys: no bearer token
    app.include_router(relay.router, prefix="/api")  # signed by Logto: no bearer token
    app.include_router(experience.router, prefix="/api")  # end users: no bearer token
    app.include_router(oidc.router)
    app.include_router(metrics.router)
    console.mount(app)
    return app
