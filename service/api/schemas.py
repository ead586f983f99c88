"""Pydantic models for the API's documentation and small responses.

Large bodies (batches of transactions, their scores) are parsed and written column-wise for
speed (``service.scoring``); these models describe the same documents in OpenAPI and are
used for the small responses. Field names follow ``shared/data-contract.md``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Band = Literal["low", "medium", "high"]
Language = Literal["id", "en"]

TRANSACTION_EXAMPLE: dict[str, Any] = {
    "transaction_id": "TX-2024-000123",
    "office_id": "DISDUKCAPIL-1872",
    "service_code": "KTP-EL",
    "submitted_at": "2024-03-04T09:15:00",
    "completed_at": "2024-03-11T14:02:00",
    "fee_paid_idr": 50000,
    "officer_id": "OFC-7f3a",
    "channel": "counter",
    "payment_method": "cash",
    "visits": 3,
    "status": "completed",
}
COMPLAINT_EXAMPLE: dict[str, Any] = {
    "complaint_id": "LAPOR-88121",
    "received_at": "2024-03-12T08:00:00",
    "office_id": "DISDUKCAPIL-1872",
    "text": "Petugas minta uang rokok Rp 50.000 tanpa kuitansi supaya KTP cepat jadi.",
    "transaction_id": "TX-2024-000123",
}
REASON_EXAMPLE: dict[str, Any] = {
    "code": "fee_on_free_service",
    "message": "Membayar Rp 50.000 untuk layanan yang gratis menurut undang-undang.",
    "weight": 0.41,
}
SCORE_EXAMPLE: dict[str, Any] = {
    "transaction_id": "TX-2024-000123",
    "risk_score": 0.973,
    "risk_band": "high",
    "reasons": [REASON_EXAMPLE],
    "model_version": "20240401T101500Z-3fa91c2d",
    "office_id": "DISDUKCAPIL-1872",
    "service_code": "KTP-EL",
    "officer_id": "OFC-7f3a",
}


class TransactionIn(BaseModel):
    """One application (permohonan), as in the contract's ``transactions`` table."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [TRANSACTION_EXAMPLE]})

    transaction_id: str = Field(description="Unique key.")
    office_id: str = Field(description="The service unit, e.g. DISDUKCAPIL-1872.")
    service_code: str = Field(description="Must exist in the model's service catalogue.")
    submitted_at: datetime = Field(description="ISO 8601; without an offset: local time (WIB).")
    completed_at: datetime | None = Field(None, description="Empty while pending.")
    fee_paid_idr: int = Field(ge=0, description="What the applicant paid, whole rupiah.")
    officer_id: str | None = Field(None, description="Pseudonymised processing officer.")
    channel: Literal["online", "counter", "agent"] | None = None
    agent_id: str | None = None
    applicant_id: str | None = Field(None, description="Pseudonymised; never a raw NIK.")
    payment_method: Literal["none", "cash", "transfer", "qris", "other"] | None = None
    assessed_fee_idr: int | None = Field(None, ge=0)
    reported_fee_idr: int | None = Field(None, ge=0)
    visits: int | None = Field(None, ge=0)
    status: Literal["completed", "rejected", "pending"] | None = None


class ComplaintIn(BaseModel):
    """One complaint, as in the contract's ``complaints`` table."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [COMPLAINT_EXAMPLE]})

    complaint_id: str
    received_at: datetime
    office_id: str
    text: str
    service_code: str | None = None
    officer_id: str | None = None
    transaction_id: str | None = None
    category: str | None = None


class ScoreRequest(BaseModel):
    """Transactions to score (1 to ``SIDAK_MAX_BATCH``), optional complaints and language."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"transactions": [TRANSACTION_EXAMPLE], "language": "en"},
                {"transactions": [TRANSACTION_EXAMPLE], "complaints": [COMPLAINT_EXAMPLE]},
            ]
        },
    )

    transactions: list[TransactionIn] = Field(min_length=1)
    complaints: list[ComplaintIn] | None = None
    language: Language | None = Field(None, description="Language of reason messages.")


class EntityRequest(BaseModel):
    """The transactions (and complaints) to rank officers or offices over."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"transactions": [TRANSACTION_EXAMPLE], "complaints": [COMPLAINT_EXAMPLE]}]
        },
    )

    transactions: list[TransactionIn] = Field(min_length=1)
    complaints: list[ComplaintIn] | None = None
    language: Language | None = Field(
        None, description="Language of the evidence sentences (default: the model's, 'id')."
    )


class Reason(BaseModel):
    """One signal behind a score; strongest first."""

    code: str
    message: str
    weight: float


class ScoreRecord(BaseModel):
    """The contract's score record plus entity context."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [SCORE_EXAMPLE]})

    transaction_id: str
    risk_score: float = Field(ge=0, le=1, description="Higher = more worth inspecting.")
    risk_band: Band
    reasons: list[Reason]
    model_version: str
    office_id: str | None = None
    service_code: str | None = None
    officer_id: str | None = None


class ScoreResponse(BaseModel):
    """Scores in input order, from one model."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"model_version": SCORE_EXAMPLE["model_version"], "scores": [SCORE_EXAMPLE]}
            ]
        }
    )

    model_version: str
    scores: list[ScoreRecord]


class EntityResponse(BaseModel):
    """Officers or offices ranked by the model's evidence, most worth a look first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "model_version": SCORE_EXAMPLE["model_version"],
                    "level": "officer",
                    "start": "2024-03-01T00:00:00",
                    "end": "2024-04-01T00:00:00",
                    "n_transactions": 1840,
                    "entities": [
                        {
                            "officer_id": "OFC-7f3a",
                            "office_id": "DISDUKCAPIL-1872",
                            "rank": 1,
                            "entity_score": 0.91,
                            "n_transactions": 212,
                            "n_high": 9,
                            "n_flagged": 23,
                            "top_reasons": "FEE_ON_FREE_SERVICE;HELD_PAST_STANDARD",
                            "new_officer_since": None,
                            "evidence": (
                                "9 berkas berisiko tinggi dan 14 sedang dari 212 berkas; "
                                "terutama biaya untuk layanan gratis (8), berkas ditahan "
                                "melewati standar (5)"
                            ),
                        }
                    ],
                }
            ]
        }
    )

    model_version: str
    level: Literal["officer", "office"]
    start: datetime | None
    end: datetime | None
    n_transactions: int
    entities: list[dict[str, Any]] = Field(
        description=(
            "rank_entities' rows: the entity id, its score and evidence columns; for "
            "officers, new_officer_since (the first file's date of an officer who joined "
            "during the training data, else null)."
        )
    )


MODEL_INFO_EXAMPLE: dict[str, Any] = {
    "model_version": "20240401T101500Z-3fa91c2d",
    "sha256": "9c1e...e07b",
    "loaded_at": "2024-04-02T01:00:00Z",
    "source": "models/20240401T101500Z-3fa91c2d",
    "data_fingerprint": "3fa91c2d...",
    "metrics": {"precision_at_50": 0.62},
    "thresholds": {"high": 0.93, "medium": 0.71},
    "metadata": {},
}


class ModelInfo(BaseModel):
    """The model in service."""

    model_config = ConfigDict(
        protected_namespaces=(),
        json_schema_extra={"examples": [MODEL_INFO_EXAMPLE]},
    )

    model_version: str
    sha256: str
    loaded_at: datetime
    source: str
    data_fingerprint: str | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)
    thresholds: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)


AUDIT_EVENT_EXAMPLE: dict[str, Any] = {
    "id": 412,
    "at": "2026-12-01T09:15:02.118000Z",
    "key_id": 3,
    "role": "scorer",
    "method": "POST",
    "route": "/v1/score",
    "status_code": 200,
    "outcome": "scored",
    "n_transactions": 1000,
    "model_version": "20261201T080000Z-1a2b3c4d",
    "batch_sha256": "9f2c5e0d4b7a61c3e8f0a9d2b4c6e8f01a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1b",
    "request_id": "5d0c1f6e2b",
    "detail": None,
}


class AuditEventOut(BaseModel):
    """One audited call. Never holds raw identifiers: ``batch_sha256`` digests the ids."""

    model_config = ConfigDict(
        from_attributes=True,
        protected_namespaces=(),
        json_schema_extra={"examples": [AUDIT_EVENT_EXAMPLE]},
    )

    id: int
    at: datetime
    key_id: int | None = None
    role: str | None = None
    method: str
    route: str
    status_code: int
    outcome: str
    n_transactions: int | None = None
    model_version: str | None = None
    batch_sha256: str | None = None
    request_id: str | None = None
    detail: str | None = None


class AuditPage(BaseModel):
    """Audit rows, newest first; ``next_before_id`` pages back to older rows (None: no more)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"events": [AUDIT_EVENT_EXAMPLE], "next_before_id": 412}]}
    )

    events: list[AuditEventOut]
    next_before_id: int | None = None


class ReloadRequest(BaseModel):
    """Which model to load: a registry version/alias or bundle path; empty = the default."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"ref": None}]})

    ref: str | None = Field(None, max_length=500)


class ReloadResponse(BaseModel):
    """The swap: the model before and the model now in service."""

    model_config = ConfigDict(
        protected_namespaces=(),
        json_schema_extra={
            "examples": [
                {
                    "previous_version": "20240301T090000Z-11aa22bb",
                    "changed": True,
                    "model": MODEL_INFO_EXAMPLE,
                }
            ]
        },
    )

    previous_version: str | None
    changed: bool
    model: ModelInfo


class Health(BaseModel):
    """The process is up (says nothing about the model: see /readyz)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "alive"}]})

    status: Literal["alive"] = "alive"


class Readiness(BaseModel):
    """Ready only with a verified model; otherwise the reason."""

    model_config = ConfigDict(
        protected_namespaces=(),
        json_schema_extra={
            "examples": [{"ready": True, "model_version": "20240401T101500Z-3fa91c2d"}]
        },
    )

    ready: bool
    model_version: str | None = None
    reason: str | None = None


class ErrorDetail(BaseModel):
    field: str | None = Field(None, description="The offending field/column.")
    row: int | None = Field(None, description="1-based position in the list or file.")
    rule: str | None = None
    value: Any = None


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)
    request_id: str | None = None


class ErrorResponse(BaseModel):
    """Every 4xx/5xx has this shape."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "contract_violation",
                        "message": "Refused: transactions break the data contract (1 problem(s)); "
                        "nothing was scored.",
                        "details": [
                            {
                                "field": "fee_paid_idr",
                                "row": 2,
                                "rule": "must be >= 0",
                                "value": "-5000",
                            }
                        ],
                        "request_id": "5f0c2e9a6b1d4c0f8e7a9b3c2d1e0f00",
                    }
                }
            ]
        }
    )

    error: ErrorBody


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given error statuses."""
    text = {
        400: "Malformed request (e.g. not JSON).",
        401: "Missing or invalid API key.",
        403: "The key's role may not use this route.",
        404: "Not found.",
        409: "Model refused (integrity check failed).",
        413: "Body or batch over the limit.",
        422: "Refused by the schema or the data contract; details name field and row.",
        503: "No verified model in service; the message says why.",
    }
    return {
        code: {"model": ErrorResponse, "description": text.get(code, "Error.")} for code in codes
    }
