"""One JSON error shape for every 4xx/5xx, and the handlers that produce it.

    {"error": {"code": "contract_violation", "message": "...", "request_id": "...",
               "details": [{"field": "fee_paid_idr", "row": 3, "rule": "...", "value": "-5",
                            "file": "transactions"}]}}

``row`` is the 1-based position in the submitted list (or data row of an uploaded file).
Unexpected exceptions become a 500 with a request id and no stack trace.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from model.contract import ContractError
from model.errors import ModelIntegrityError, ModelNotFoundError, SidakError

log = logging.getLogger("sidak.service")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An error with an HTTP status, a stable code, a message and optional details."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code or _CODES.get(status_code, "error")
        self.message = message
        self.details = details or []
        self.headers = headers


def detail(
    field: str | None = None,
    row: int | None = None,
    rule: str | None = None,
    value: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    return {"field": field, "row": row, "rule": rule, "value": value, **extra}


def contract_details(error: ContractError, file: str) -> list[dict[str, Any]]:
    """Contract violations as details: one per offending row (file-level ones with row None)."""
    details = []
    for violation in error.violations:
        extra = {"file": file, "n_rows": violation.n_rows}
        if not violation.rows:
            details.append(detail(violation.column, None, violation.rule, None, **extra))
        for row, value in violation.rows:
            details.append(detail(violation.column, row, violation.rule, value, **extra))
    return details


def contract_error(error: ContractError, file: str) -> ApiError:
    """A 422 naming the file ('transactions', 'complaints'), the field, the row and the rule."""
    n = sum(max(v.n_rows, 1) for v in error.violations)
    return ApiError(
        422,
        f"Refused: {file} break the data contract ({n} problem(s)); nothing was scored.",
        code="contract_violation",
        details=contract_details(error, file),
    )


def error_body(error: ApiError, request_id: str | None) -> bytes:
    payload = {"code": error.code, "message": error.message, "details": error.details}
    if request_id:
        payload["request_id"] = request_id
    return orjson.dumps({"error": payload})


def error_response(error: ApiError, request: Request) -> Response:
    request_id = request.scope.get("sidak.request_id")
    headers = dict(error.headers or {})
    if request_id:
        headers["X-Request-ID"] = request_id  # also on 500s sent outside the middleware
    return Response(
        error_body(error, request_id),
        status_code=error.status_code,
        media_type="application/json",
        headers=headers,
    )


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for item in exc.errors():
        loc = [part for part in item.get("loc", ()) if part not in ("body", "query", "path")]
        row = next((part + 1 for part in loc if isinstance(part, int)), None)
        names = [str(part) for part in loc if not isinstance(part, int)]
        value = item.get("input")
        if isinstance(value, dict | list):
            value = None  # never echo whole records back (they may hold identifiers)
        details.append(
            detail(
                names[-1] if names else None,
                row,
                item.get("msg"),
                value,
                location=".".join(str(part) for part in loc) or None,
            )
        )
    return details


def install_handlers(app: FastAPI) -> None:
    """Register the handlers so every error leaves in the one shape, never as a traceback."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return error_response(exc, request)

    @app.exception_handler(ContractError)
    async def _contract(request: Request, exc: ContractError) -> Response:
        return error_response(contract_error(exc, "transactions"), request)

    @app.exception_handler(ModelNotFoundError)
    async def _model_missing(request: Request, exc: ModelNotFoundError) -> Response:
        return error_response(ApiError(404, str(exc), code="model_not_found"), request)

    @app.exception_handler(ModelIntegrityError)
    async def _model_integrity(request: Request, exc: ModelIntegrityError) -> Response:
        return error_response(ApiError(409, str(exc), code="model_integrity"), request)

    @app.exception_handler(SidakError)
    async def _sidak(request: Request, exc: SidakError) -> Response:
        return error_response(ApiError(422, str(exc), code="refused"), request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        error = ApiError(
            422, "The request does not match the schema.", details=_validation_details(exc)
        )
        return error_response(error, request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else _CODES.get(exc.status_code, "")
        error = ApiError(exc.status_code, message, headers=getattr(exc, "headers", None))
        return error_response(error, request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log_unexpected(exc, request.scope.get("sidak.request_id"))
        return error_response(INTERNAL_ERROR, request)


INTERNAL_ERROR = ApiError(500, "Internal error; quote the request_id when reporting it.")


def log_unexpected(exc: BaseException, request_id: str | None) -> None:
    """Log where it failed, not the message: messages may quote input identifiers."""
    where = "".join(traceback.format_tb(exc.__traceback__, limit=-8))
    log.error("unhandled %s (request_id=%s)\n%s", type(exc).__name__, request_id, where)
