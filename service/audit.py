"""The audit trail: one append-only row per call to a /v1 route, written after the response.

Routes fill the request's ``AuditContext`` (who, how many transactions, which model); the
middleware adds the route, status and outcome and inserts the row. There is no update or
delete path in the code, and database triggers refuse both (see the migration).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from service.db.models import AuditEvent, utcnow
from service.security import Principal

log = logging.getLogger("sidak.service.audit")
SCOPE_KEY = "sidak.audit"
AUDIT_TABLE: Table = AuditEvent.__table__  # type: ignore[assignment]


@dataclass
class AuditContext:
    """What a route knows about its call; the middleware turns it into an ``AuditEvent``."""

    principal: Principal | None = None
    n_transactions: int | None = None
    model_version: str | None = None
    batch_sha256: str | None = None
    detail: str | None = None
    outcome: str | None = None


def audit_context(scope: MutableMapping[str, Any]) -> AuditContext:
    """The request's audit context (created on first use)."""
    context = scope.get(SCOPE_KEY)
    if context is None:
        context = scope[SCOPE_KEY] = AuditContext()
    return context


class AuditLog:
    """Appends audit rows; a failed write is logged loudly but never changes the response.

    ``append_async`` (the middleware's) commits the rows of concurrent calls together: while
    one group is being written, newer rows wait and go in the next group, each call waiting
    until its own row is committed. So every row is in the database before its call ends
    (a graceful shutdown, which lets calls finish, loses none), in arrival order, and a
    busy service pays one commit per group instead of one per call.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    @staticmethod
    def _row(
        context: AuditContext,
        *,
        method: str,
        route: str,
        status_code: int,
        request_id: str | None,
        default_outcome: str,
    ) -> dict[str, Any]:
        principal = context.principal
        return {
            "at": utcnow(),
            "key_id": principal.key_id if principal else None,
            "role": principal.role.value if principal else None,
            "method": method,
            "route": route[:200],
            "status_code": status_code,
            "outcome": (context.outcome or default_outcome)[:60],
            "n_transactions": context.n_transactions,
            "model_version": context.model_version,
            "batch_sha256": context.batch_sha256,
            "request_id": request_id,
            "detail": context.detail[:500] if context.detail else None,
        }

    def append(self, context: AuditContext, **call: Any) -> None:
        """Write one row now (blocking)."""
        self._write([self._row(context, **call)])

    async def append_async(self, context: AuditContext, **call: Any) -> None:
        """Queue one row and wait until it is committed (with any rows queued beside it)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((self._row(context, **call), future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="sidak-audit")
        await asyncio.shield(future)

    async def _drain(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting, []
            await run_in_threadpool(self._write, [row for row, _ in group])
            for _, future in group:
                if not future.done():
                    future.set_result(None)

    async def flush(self) -> None:
        """Wait for every queued row (called when the app shuts down)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    def _write(self, rows: list[dict[str, Any]]) -> None:
        try:
            with self.sessions() as session:
                # Core executemany: the rows are plain dicts, no ORM bookkeeping needed
                session.execute(insert(AUDIT_TABLE), rows)
                session.commit()
        except Exception:
            first = rows[0] if rows else {}
            log.exception(
                "audit write failed (%d rows; route=%s status=%s)",
                len(rows),
                first.get("route"),
                first.get("status_code"),
            )

    def recent(self, limit: int = 100) -> list[AuditEvent]:
        with self.sessions() as session:
            return read_events(session, limit=limit)


def read_events(
    session: Session,
    *,
    limit: int = 100,
    since: datetime | None = None,
    until: datetime | None = None,
    route: str | None = None,
    key_id: int | None = None,
    before_id: int | None = None,
) -> list[AuditEvent]:
    """Audit rows, newest first, filtered; ``before_id`` pages back through older rows."""
    query = select(AuditEvent)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    if route is not None:
        query = query.where(AuditEvent.route == route)
    if key_id is not None:
        query = query.where(AuditEvent.key_id == key_id)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))
