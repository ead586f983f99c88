"""The one router the app mounts: /healthz, /readyz, /metrics and everything under /v1."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.routes import audit, entities, health, model, score

v1 = APIRouter(prefix="/v1")
v1.include_router(score.router)
v1.include_router(entities.router)
v1.include_router(model.router)
v1.include_router(audit.router)

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(v1)
