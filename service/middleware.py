"""One ASGI middleware for what every request needs: an id, a size limit, metrics, audit.

Pure ASGI (not ``BaseHTTPMiddleware``) so streamed responses pass straight through.
"""

from __future__ import annotations

import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.audit import SCOPE_KEY, AuditContext, AuditLog
from service.errors import INTERNAL_ERROR, ApiError, error_body, log_unexpected
from service.metrics import Metrics

log = logging.getLogger("sidak.service.http")
REQUEST_ID = "sidak.request_id"


class ServiceMiddleware:
    """Request id, body-size limit (413), Prometheus metrics and the audit row of /v1 calls."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        audit: AuditLog,
        max_request_bytes: int,
        max_upload_bytes: int,
        upload_paths: tuple[str, ...] = (
            "/v1/score/file",
            "/v1/entities/officers",
            "/v1/entities/offices",
        ),
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.audit = audit
        self.max_request_bytes = max_request_bytes
        self.max_upload_bytes = max_upload_bytes
        self.upload_paths = upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex
        scope[REQUEST_ID] = request_id
        path: str = scope["path"]
        audited = path.startswith("/v1/")
        if audited:
            scope[SCOPE_KEY] = AuditContext()
        limit = self.max_upload_bytes if path in self.upload_paths else self.max_request_bytes
        status = {"code": 500, "started": 0}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = 1
                headers = message.setdefault("headers", [])
                if not any(name.lower() == b"x-request-id" for name, _ in headers):
                    headers.append((b"x-request-id", request_id.encode()))
            await send(message)

        too_large = _declared_length(scope) > limit
        try:
            if too_large:
                await _refuse_too_large(send_wrapper, limit, request_id)
            else:
                await self.app(scope, _limited(receive, limit), send_wrapper)
        except Exception as exc:
            # Answer here and stop: re-raised, the server would log the exception's message
            # (which may quote payload values) and its full traceback.
            log_unexpected(exc, request_id)
            if not status["started"]:
                await _send_error(send_wrapper, INTERNAL_ERROR, request_id)
        finally:
            route = _route_template(scope)
            method = scope.get("method", "")
            elapsed = time.perf_counter() - started
            self.metrics.requests.labels(method, route, str(status["code"])).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            if audited:
                context: AuditContext = scope[SCOPE_KEY]
                # Counts and hashes only: never identifiers from the payload.
                log.debug(
                    "%s %s %s %.1fms n=%s batch=%s key=%s",
                    method,
                    route,
                    status["code"],
                    elapsed * 1000,
                    context.n_transactions,
                    (context.batch_sha256 or "-")[:12],
                    context.principal.key_id if context.principal else "-",
                )
                await self.audit.append_async(
                    scope[SCOPE_KEY],
                    method=method,
                    route=route,
                    status_code=status["code"],
                    request_id=request_id,
                    default_outcome=_outcome(status["code"]),
                )


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


def _limited(receive: Receive, limit: int) -> Receive:
    """Count body bytes as they arrive; past ``limit`` the reader gets a 413 ``ApiError``."""
    seen = 0

    async def wrapper() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _too_large(limit)
        return message

    return wrapper


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        f"The request body is over the limit of {limit:,} bytes.",
        code="request_too_large",
    )


async def _refuse_too_large(send: Send, limit: int, request_id: str) -> None:
    await _send_error(send, _too_large(limit), request_id)


async def _send_error(send: Send, error: ApiError, request_id: str) -> None:
    body = error_body(error, request_id)
    await send(
        {
            "type": "http.response.start",
            "status": error.status_code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _route_template(scope: Scope) -> str:
    """The matched route's path (no route has path parameters, so it is the template) or
    'unmatched', keeping the metrics' label set bounded."""
    return str(scope["path"]) if scope.get("endpoint") is not None else "unmatched"


def _outcome(status: int) -> str:
    if status < 400:
        return "ok"
    return {
        401: "unauthorized",
        403: "forbidden",
        413: "too_large",
        422: "refused",
        503: "unavailable",
    }.get(status, "error")
