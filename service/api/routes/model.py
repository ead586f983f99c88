"""GET /v1/model (what is in service) and POST /v1/model/reload (admin: hot-swap)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from starlette.concurrency import run_in_threadpool

from service.api.deps import AdminKey, AuditDep, ModelDep, ScorerKey, StateDep
from service.api.schemas import ModelInfo, ReloadRequest, ReloadResponse, error_responses
from service.model_store import ServedModel

router = APIRouter(prefix="/model", tags=["model"])


def model_info(served: ServedModel) -> ModelInfo:
    metadata = served.metadata
    model = getattr(served.bundle, "model", None)
    thresholds = metadata.get("thresholds") or getattr(model, "thresholds_", None) or {}
    return ModelInfo(
        model_version=served.version,
        sha256=served.sha256,
        loaded_at=served.loaded_at,
        source=str(served.path),
        data_fingerprint=metadata.get("data_fingerprint"),
        metrics=metadata.get("metrics") or {},
        thresholds=dict(thresholds),
        metadata={
            k: v
            for k, v in metadata.items()
            if k not in ("metrics", "thresholds", "data_fingerprint")
        },
    )


@router.get(
    "",
    summary="The model in service",
    description="Version, SHA-256, training-data fingerprint, metrics, thresholds, load time. "
    "Role: scorer.",
    responses=error_responses(401, 403, 503),
)
async def read_model(_key: ScorerKey, served: ModelDep, audit: AuditDep) -> ModelInfo:
    audit.outcome = "read"
    return model_info(served)


@router.post(
    "/reload",
    summary="Load a model and hot-swap it in (admin)",
    description=(
        "Resolves `ref` (registry version or alias, or a bundle path; empty: the configured "
        "default — the champion when a tracking URI is set, else the newest local bundle), "
        "verifies its SHA-256, loads it fully, then swaps it in. Requests in flight finish on "
        "the old model. On failure the old model stays in service. Role: admin."
    ),
    responses=error_responses(401, 403, 404, 409, 422),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "examples": {
                        "default model": {"value": {"ref": None}},
                        "registry alias": {"value": {"ref": "champion"}},
                        "model version": {"value": {"ref": "20240401T101500Z-3fa91c2d"}},
                    }
                }
            }
        }
    },
)
async def reload_model(
    _key: AdminKey,
    state: StateDep,
    audit: AuditDep,
    request: Annotated[ReloadRequest | None, Body()] = None,
) -> ReloadResponse:
    previous = state.models.current
    ref = request.ref if request else None
    try:
        served = await run_in_threadpool(state.models.load, ref)
    except Exception:
        state.metrics.model_reloads.labels(outcome="failed").inc()
        audit.outcome = "reload_failed"
        audit.model_version = previous.version if previous else None
        raise
    state.metrics.model_reloads.labels(outcome="ok").inc()
    audit.model_version = served.version
    audit.outcome = "reloaded"
    audit.detail = f"from {previous.version if previous else 'none'} to {served.version}"
    return ReloadResponse(
        previous_version=previous.version if previous else None,
        changed=previous is None or previous.sha256 != served.sha256,
        model=model_info(served),
    )
