"""GET /healthz (alive), GET /readyz (a verified model is loaded), GET /metrics (Prometheus)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from service.api.deps import StateDep, authenticate, bearer
from service.api.schemas import Health, Readiness, error_responses
from service.errors import ApiError
from service.security import Role

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness (no auth)")
async def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    summary="Readiness (no auth): 200 only with a verified model loaded",
    responses={
        200: {"model": Readiness, "description": "A verified model is in service."},
        503: {
            "model": Readiness,
            "description": "No verified model; says why.",
            "content": {
                "application/json": {
                    "example": {
                        "ready": False,
                        "model_version": None,
                        "reason": "No trained model found (no champion in the registry, "
                        "no bundle in models). Train one first: sidak train DATA_DIR",
                    }
                }
            },
        },
    },
)
async def readyz(state: StateDep) -> Response:
    served = state.models.current
    if served is None:
        body = Readiness(ready=False, reason=state.models.reason)
        return JSONResponse(body.model_dump(), status_code=503)
    return JSONResponse(Readiness(ready=True, model_version=served.version).model_dump())


@router.get(
    "/metrics",
    summary="Prometheus metrics (admin key, unless SIDAK_METRICS_PUBLIC=true)",
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/plain": {
                    "example": (
                        "# TYPE sidak_scores_total counter\n"
                        'sidak_scores_total{band="high"} 12.0\n'
                        'sidak_model_info{model_version="20240401T101500Z-3fa91c2d",'
                        'sha256="9c1e..."} 1.0\n'
                    )
                }
            },
            "description": "Prometheus text format.",
        },
        **error_responses(401, 403),
    },
)
async def metrics(
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Response:
    if not state.settings.metrics_public:
        principal = await run_in_threadpool(authenticate, state, credentials)
        if not principal.role.allows(Role.admin):
            raise ApiError(403, "Metrics need an admin key (or SIDAK_METRICS_PUBLIC=true).")
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
