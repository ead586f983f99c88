"""The audit trail: one row per /v1 call, no raw identifiers, and rows that cannot change."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from service.db.session import make_engine
from service.settings import Settings
from tests.api.conftest import MODEL_VERSION, to_records


def _rows(settings: Settings) -> list[dict]:
    engine = make_engine(settings.database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM audit_events ORDER BY id")).mappings().all()
    engine.dispose()
    return [dict(row) for row in rows]


def exercise(client: TestClient, headers: dict, transactions: pd.DataFrame) -> None:
    client.post(
        "/v1/score",
        json={"transactions": to_records(transactions.head(7))},
        headers=headers["scorer"],
    )
    client.get("/v1/model", headers=headers["scorer"])
    client.post("/v1/model/reload", headers=headers["admin"])
    client.post(
        "/v1/entities/officers",
        json={"transactions": to_records(transactions)},
        headers=headers["scorer"],
    )  # 403
    client.post("/v1/score", json={"transactions": []})  # 401
    client.get("/healthz")  # not audited


def check_rows(rows: list[dict], transactions: pd.DataFrame) -> None:
    assert [(r["route"], r["status_code"]) for r in rows] == [
        ("/v1/score", 200),
        ("/v1/model", 200),
        ("/v1/model/reload", 200),
        ("/v1/entities/officers", 403),
        ("/v1/score", 401),
    ]
    score = rows[0]
    assert score["n_transactions"] == 7
    assert score["model_version"] == MODEL_VERSION
    assert score["key_id"] is not None and score["role"] == "scorer"
    assert score["outcome"] == "ok"
    assert len(score["batch_sha256"]) == 64
    assert rows[1]["outcome"] == "read"
    assert rows[2]["outcome"] == "reloaded" and rows[2]["role"] == "admin"
    assert rows[3]["outcome"] == "forbidden"
    assert rows[4]["key_id"] is None and rows[4]["outcome"] == "unauthorized"
    dump = repr(rows)
    for raw in [*transactions["transaction_id"].head(7).tolist(), "OFF-1-0", "OFF-2-1"]:
        assert raw not in dump


def check_append_only(database_url: str) -> None:
    engine = make_engine(database_url)
    for statement in ("UPDATE audit_events SET outcome = 'ok'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar() == 5
    engine.dispose()


def test_audit_rows_and_append_only(
    client: TestClient, headers: dict, settings: Settings, transactions: pd.DataFrame
) -> None:
    exercise(client, headers, transactions)
    rows = _rows(settings)
    check_rows(rows, transactions)
    check_append_only(settings.database_url)


def test_concurrent_rows_are_committed_together_in_order(settings: Settings, headers: dict) -> None:
    """Rows of concurrent calls share commits, each call waits for its own, none is lost."""
    import asyncio

    from service.audit import AuditContext, AuditLog
    from service.db.session import make_sessionmaker

    engine = make_engine(settings.database_url)
    log = AuditLog(make_sessionmaker(engine))
    writes: list[int] = []
    write = log._write

    def counting(rows: list[dict]) -> None:
        writes.append(len(rows))
        write(rows)

    log._write = counting  # type: ignore[method-assign]

    async def calls() -> None:
        async def one(i: int) -> None:
            await log.append_async(
                AuditContext(n_transactions=i),
                method="POST",
                route="/v1/score",
                status_code=200,
                request_id=f"r{i}",
                default_outcome="ok",
            )
            rows = _rows(settings)
            assert any(r["request_id"] == f"r{i}" for r in rows)  # committed before return

        await asyncio.gather(*(one(i) for i in range(40)))
        await log.flush()

    asyncio.run(calls())
    engine.dispose()
    rows = _rows(settings)
    assert [r["n_transactions"] for r in rows] == list(range(40))  # arrival order
    assert sum(writes) == 40 and len(writes) < 40  # grouped commits
