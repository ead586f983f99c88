"""GET /v1/audit: the append-only audit trail, for admins (reading it is audited too)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from service.api.deps import AdminKey, AuditDep, StateDep
from service.api.schemas import AuditEventOut, AuditPage, error_responses
from service.audit import read_events

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get(
    "",
    summary="Read the audit trail (admin)",
    description=(
        "Audited calls, newest first: who (key id and role), when, which route, the status "
        "and outcome, how many transactions, which model, and a SHA-256 of the batch's ids "
        "(never the ids themselves). Filter by time, route or key; page back with "
        "`before_id` = the previous page's `next_before_id`. Role: admin."
    ),
    responses=error_responses(401, 403, 422),
)
async def read_audit(
    _key: AdminKey,
    state: StateDep,
    audit: AuditDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Rows per page.")] = 100,
    since: Annotated[datetime | None, Query(description="From this moment (ISO 8601).")] = None,
    until: Annotated[datetime | None, Query(description="Before this moment.")] = None,
    route: Annotated[
        str | None, Query(max_length=200, description="Only this route, e.g. /v1/score.")
    ] = None,
    key_id: Annotated[int | None, Query(ge=1, description="Only calls with this key.")] = None,
    before_id: Annotated[int | None, Query(ge=1, description="Rows older than this id.")] = None,
) -> AuditPage:
    await state.audit.flush()  # rows of calls that just finished are in the page

    def query() -> list[AuditEventOut]:
        with state.sessions() as session:
            rows = read_events(
                session,
                limit=limit,
                since=since,
                until=until,
                route=route,
                key_id=key_id,
                before_id=before_id,
            )
            return [AuditEventOut.model_validate(row) for row in rows]

    events = await run_in_threadpool(query)
    audit.outcome = "read"
    audit.detail = f"{len(events)} audit rows"
    more = len(events) == limit
    return AuditPage(events=events, next_before_id=events[-1].id if more and events else None)
