"""The audit trail: one append-only row per call to a /v1 route, written after the response.

Routes fill the request's ``AuditContext`` (who, how many transactions, which model); the
middleware adds the route, status and outcome and inserts the row. There is no update or
delete path in the code, and database triggers refuse both (see the migration).
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service.db.models import AuditEvent
from service.security import Principal

log = logging.getLogger("sidak.service.audit")
SCOPE_KEY = "sidak.audit"


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
    """Appends audit rows; a failed write is logged loudly but never changes the response."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def append(
        self,
        context: AuditContext,
        *,
        method: str,
        route: str,
        status_code: int,
        request_id: str | None,
        default_outcome: str,
    ) -> None:
        principal = context.principal
        event = AuditEvent(
            key_id=principal.key_id if principal else None,
            role=principal.role.value if principal else None,
            method=method,
            route=route[:200],
            status_code=status_code,
            outcome=(context.outcome or default_outcome)[:60],
            n_transactions=context.n_transactions,
            model_version=context.model_version,
            batch_sha256=context.batch_sha256,
            request_id=request_id,
            detail=context.detail[:500] if context.detail else None,
        )
        try:
            with self.sessions() as session:
                session.add(event)
                session.commit()
        except Exception:
            log.exception("audit write failed (route=%s status=%s)", route, status_code)

    def recent(self, limit: int = 100) -> list[AuditEvent]:
        with self.sessions() as session:
            rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit))
            return list(rows)
