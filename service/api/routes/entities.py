"""POST /v1/entities/{officers,offices}: officers or offices ranked over a submitted batch.

Design: the dashboard already holds the period's transactions (it sends them to /v1/score);
it posts the same batch here and gets the model's ``rank_entities`` over it, restricted to
``start``/``end``. The service stores no transactions, so there is nothing stale to rank
and no second copy of applicants' data to protect. Role: supervisor (it names officers).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from service.api.deps import AuditDep, ModelDep, StateDep, SupervisorKey
from service.api.schemas import EntityRequest, EntityResponse, error_responses
from service.entities import rank_entities_json
from service.scoring import batch_digest, parse_payload

router = APIRouter(prefix="/entities", tags=["entities"])

_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/EntityRequest"},
                "example": EntityRequest.model_json_schema()["examples"][0],
            }
        },
    }
}
Start = Annotated[
    datetime | None, Query(description="Only transactions submitted from (ISO 8601).")
]
End = Annotated[datetime | None, Query(description="... and before this instant (exclusive).")]
Limit = Annotated[int, Query(ge=1, le=1000, description="Most entities returned.")]


async def _rank(
    level: Literal["officer", "office"],
    request: Request,
    served: ModelDep,
    state: StateDep,
    audit: AuditDep,
    start: datetime | None,
    end: datetime | None,
    limit: int,
) -> Response:
    body = await request.body()
    batch = await run_in_threadpool(parse_payload, body, state.settings.max_entity_rows)
    audit.n_transactions = batch.size
    audit.batch_sha256 = batch_digest(batch.transactions)
    content = await run_in_threadpool(
        rank_entities_json, batch, served, state.settings.timezone, level, start, end, limit
    )
    return Response(content, media_type="application/json")


_DOC: dict[str, Any] = dict(
    response_class=Response,
    responses={
        200: {"model": EntityResponse, "description": "Ranked entities with their evidence."},
        **error_responses(400, 401, 403, 413, 422, 503),
    },
    openapi_extra=_BODY,
)


@router.post("/officers", summary="Rank officers over a batch of transactions", **_DOC)
async def officers(
    request: Request,
    _key: SupervisorKey,
    served: ModelDep,
    state: StateDep,
    audit: AuditDep,
    start: Start = None,
    end: End = None,
    limit: Limit = 50,
) -> Response:
    return await _rank("officer", request, served, state, audit, start, end, limit)


@router.post("/offices", summary="Rank offices over a batch of transactions", **_DOC)
async def offices(
    request: Request,
    _key: SupervisorKey,
    served: ModelDep,
    state: StateDep,
    audit: AuditDep,
    start: Start = None,
    end: End = None,
    limit: Limit = 50,
) -> Response:
    return await _rank("office", request, served, state, audit, start, end, limit)
