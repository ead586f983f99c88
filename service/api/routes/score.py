"""POST /v1/score (JSON in, JSON out) and POST /v1/score/file (CSV/Parquet in, streamed out)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from service.api.deps import AuditDep, ModelDep, ScorerKey, StateDep
from service.api.schemas import ScoreRequest, ScoreResponse, error_responses
from service.api.uploads import read_upload
from service.coalesce import score_request
from service.scoring import (
    ScoreBatch,
    band_counts,
    batch_digest,
    parse_payload,
    record_band_counts,
    records_json,
    score_batch,
    scores_csv_chunks,
    scores_json_chunks,
)

router = APIRouter(prefix="/score", tags=["score"])

_JSON_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/ScoreRequest"},
                "examples": {
                    "single": {"value": ScoreRequest.model_json_schema()["examples"][0]},
                    "with complaints": {"value": ScoreRequest.model_json_schema()["examples"][1]},
                },
            }
        },
    }
}


@router.post(
    "",
    summary="Score one transaction or a batch",
    description=(
        "Send 1 to `SIDAK_MAX_BATCH` transactions (and optionally complaints) in the data "
        "contract. The batch is checked as a whole, exactly like a file: one broken record "
        "refuses the request with a 422 naming the field and row (1-based position in the "
        "list). Scores come back in input order. Role: scorer."
    ),
    response_class=Response,
    responses={
        200: {"model": ScoreResponse, "description": "One score record per transaction."},
        **error_responses(400, 401, 403, 413, 422, 503),
    },
    openapi_extra=_JSON_BODY,
)
async def score(
    request: Request, _key: ScorerKey, served: ModelDep, state: StateDep, audit: AuditDep
) -> Response:
    body = await request.body()
    limit = state.settings.max_batch
    batch = (
        parse_payload(body, limit)
        if len(body) < 64_000
        else await run_in_threadpool(parse_payload, body, limit)
    )
    audit.n_transactions = batch.size
    audit.batch_sha256 = batch_digest(batch)
    records = await score_request(state.coalescer, batch, served, state.settings.coalesce_max_rows)
    state.metrics.count_bands(record_band_counts(records))
    content = (
        records_json(records, served.version)
        if batch.size < 200
        else await run_in_threadpool(records_json, records, served.version)
    )
    return Response(content, media_type="application/json")


@router.post(
    "/file",
    summary="Score a transactions file (CSV or Parquet), streamed back as CSV or JSON",
    description=(
        "Upload `transactions` (and optionally `complaints`) as multipart files in the data "
        "contract. The result is streamed: CSV (the `score` command's format, `reasons` as "
        "codes joined by `;`) unless `?format=json` or `Accept: application/json`. "
        "Role: scorer.\n\nExample: `curl -H 'Authorization: Bearer $KEY' "
        "-F transactions=@transactions.csv -F complaints=@complaints.csv "
        "http://127.0.0.1:8000/v1/score/file > scores.csv`"
    ),
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Scores in input order.",
            "content": {
                "text/csv": {
                    "example": "transaction_id,risk_score,risk_band,reasons,model_version,"
                    "office_id,service_code,officer_id\nTX-1,0.97,high,fee_on_free_service;"
                    "slow_vs_peers,20240401T101500Z-3fa91c2d,DISDUKCAPIL-1872,KTP-EL,OFC-7f3a\n"
                },
                "application/json": {"schema": {"$ref": "#/components/schemas/ScoreResponse"}},
            },
        },
        **error_responses(401, 403, 413, 415, 422, 503),
    },
)
async def score_file(
    request: Request,
    _key: ScorerKey,
    served: ModelDep,
    state: StateDep,
    audit: AuditDep,
    transactions: Annotated[UploadFile, File(description="transactions.csv or .parquet")],
    complaints: Annotated[UploadFile | None, File(description="complaints.csv or .parquet")] = None,
    output: Annotated[
        Literal["csv", "json"] | None, Query(alias="format", description="csv (default) or json")
    ] = None,
    language: Annotated[Literal["id", "en"] | None, Query()] = None,
) -> StreamingResponse:
    max_rows = state.settings.max_file_rows
    transactions_raw = await read_upload(transactions, "transactions", max_rows)
    complaints_raw = None if complaints is None else await read_upload(complaints, "complaints")
    batch = ScoreBatch(transactions_raw, complaints_raw, language)
    audit.n_transactions = batch.size
    audit.batch_sha256 = batch_digest(batch.transactions)
    scores = await run_in_threadpool(score_batch, batch, served, state.settings.timezone)
    state.metrics.count_bands(band_counts(scores))
    accept = request.headers.get("accept", "")
    wants_json = output == "json" or (
        output is None and "application/json" in accept and "text/csv" not in accept
    )
    if wants_json:
        return StreamingResponse(
            scores_json_chunks(scores, served.version), media_type="application/json"
        )
    return StreamingResponse(
        scores_csv_chunks(scores),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="scores.csv"'},
    )
