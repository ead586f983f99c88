"""Builds the FastAPI app: settings, database, model store, middleware, one ``api_router``.

Run it with ``sidak serve`` (uvicorn); ``create_app()`` is what tests and uvicorn call.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.concurrency import run_in_threadpool

from model.engine import one_blas_thread
from service.api.main import api_router
from service.api.schemas import EntityRequest, ErrorResponse, ScoreRequest, ScoreResponse
from service.audit import AuditLog
from service.coalesce import Coalescer
from service.db.migrate import upgrade
from service.db.session import make_engine, make_sessionmaker
from service.errors import install_handlers
from service.metrics import Metrics
from service.middleware import ServiceMiddleware
from service.model_store import ModelStore, ServedModel, registry_resolver
from service.security import KeyCache
from service.settings import Settings, get_settings
from service.state import ServiceState

log = logging.getLogger("sidak.service")

DESCRIPTION = """
Scores public-service transactions for extortion (*pungli*) risk and says why.

* Every route but `/healthz` and `/readyz` needs `Authorization: Bearer <key>`
  (`sidak keys create --role scorer|supervisor|admin`). Roles nest:
  admin ⊇ supervisor ⊇ scorer. Scoring and model info: scorer; entity rankings:
  supervisor; model reload and `/metrics`: admin.
* Inputs follow the data contract (the same checks as `sidak validate`); a refused
  request names the field, the row (1-based position) and the rule.
* Every error has the shape `{"error": {"code", "message", "details", "request_id"}}`.
* A score is a reason to look, never proof.
"""


def build_state(settings: Settings, models: ModelStore | None = None) -> ServiceState:
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    metrics = Metrics()
    store = models or ModelStore(settings.model_ref, resolver=registry_resolver(settings))

    def on_swap(_previous: ServedModel | None, served: ServedModel) -> None:
        metrics.set_model(served.version, served.sha256)

    store.listeners.append(on_swap)
    if store.current is not None:
        metrics.set_model(store.current.version, store.current.sha256)
    return ServiceState(
        settings=settings,
        engine=engine,
        sessions=sessions,
        models=store,
        metrics=metrics,
        audit=AuditLog(sessions),
        coalescer=Coalescer(settings.timezone, on_shared=metrics.coalesced.inc),
        keys=KeyCache(settings.key_cache_seconds),
    )


def _startup(state: ServiceState) -> None:
    if state.settings.migrate_on_startup:
        upgrade(state.engine)
    if state.models.current is None:
        state.models.try_load()
        outcome = "ok" if state.models.current else "failed"
        state.metrics.model_reloads.labels(outcome=outcome).inc()
    state.models.start_polling(state.settings.model_poll_seconds)
    # Everything loaded so far (the model, libraries) lives as long as the process: keep it
    # out of the collector's full passes, which otherwise walk it all and stall a request
    # for a few hundred milliseconds now and then.
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None, *, models: ModelStore | None = None) -> FastAPI:
    """The app; ``models`` lets tests inject a store (else the configured model is loaded)."""
    settings = settings or get_settings()
    state = build_state(settings, models)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(_startup, state)
        # One BLAS thread for the app's life: requests are small batches scored in worker
        # threads beside one another, where threaded BLAS only oversubscribes the cores, and
        # a limit set from a worker thread is not applied by every OpenBLAS build. Held here,
        # the engine's per-call limit finds it in place and never restores it mid-request.
        with one_blas_thread():
            try:
                yield
            finally:
                state.models.stop_polling()
                await state.coalescer.close()
                await state.audit.flush()
                state.engine.dispose()

    app = FastAPI(
        title="Sidak scoring API",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        responses={500: {"model": ErrorResponse, "description": "Unexpected error (no trace)."}},
    )
    app.state.sidak = state
    install_handlers(app)
    app.add_middleware(
        ServiceMiddleware,
        metrics=state.metrics,
        audit=state.audit,
        max_request_bytes=settings.max_request_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.include_router(api_router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema plus the request bodies the fast routes parse themselves."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ScoreRequest, EntityRequest, ScoreResponse):
        generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in generated.pop("$defs", {}).items():
            components.setdefault(name, definition)
        components.setdefault(model.__name__, generated)
    app.openapi_schema = schema
    return schema


def app_factory() -> FastAPI:
    """Entry for ``uvicorn --factory service.main:app_factory``."""
    return create_app()
