"""GET /v1/audit and ``sidak audit``: admins read the trail; nobody else; reads are audited."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.cli import app
from service.settings import Settings, get_settings
from tests.api.conftest import MODEL_VERSION, to_records


def _score(client: TestClient, headers: dict, transactions: pd.DataFrame, n: int) -> None:
    response = client.post(
        "/v1/score",
        json={"transactions": to_records(transactions.head(n))},
        headers=headers["scorer"],
    )
    assert response.status_code == 200


def test_admin_reads_the_trail_newest_first(
    client: TestClient, headers: dict, transactions: pd.DataFrame
) -> None:
    _score(client, headers, transactions, 3)
    client.get("/v1/model", headers=headers["scorer"])
    page = client.get("/v1/audit", headers=headers["admin"])
    assert page.status_code == 200, page.text
    events = page.json()["events"]
    assert [(e["method"], e["route"]) for e in events[:2]] == [
        ("GET", "/v1/model"),
        ("POST", "/v1/score"),
    ]
    scored = events[1]
    assert scored["n_transactions"] == 3 and scored["model_version"] == MODEL_VERSION
    assert scored["role"] == "scorer" and len(scored["batch_sha256"]) == 64
    for raw in transactions["transaction_id"].head(3):
        assert raw not in page.text  # only the digest of the ids, never the ids
    # the read itself is on the trail
    again = client.get("/v1/audit", params={"limit": 1}, headers=headers["admin"]).json()
    assert again["events"][0]["route"] == "/v1/audit"
    assert again["events"][0]["role"] == "admin"


def test_filters_and_paging(client: TestClient, headers: dict, transactions: pd.DataFrame) -> None:
    for n in (1, 2, 3):
        _score(client, headers, transactions, n)
    client.get("/v1/model", headers=headers["scorer"])
    only = client.get(
        "/v1/audit", params={"route": "/v1/score", "limit": 2}, headers=headers["admin"]
    ).json()
    assert [e["n_transactions"] for e in only["events"]] == [3, 2]
    assert only["next_before_id"] == only["events"][-1]["id"]
    older = client.get(
        "/v1/audit",
        params={"route": "/v1/score", "limit": 2, "before_id": only["next_before_id"]},
        headers=headers["admin"],
    ).json()
    assert [e["n_transactions"] for e in older["events"]] == [1]
    assert older["next_before_id"] is None
    future = client.get(
        "/v1/audit", params={"since": "2999-01-01T00:00:00Z"}, headers=headers["admin"]
    ).json()
    assert future["events"] == []


@pytest.mark.parametrize("role", ["scorer", "supervisor"])
def test_only_admins_read_the_trail(client: TestClient, headers: dict, role: str) -> None:
    response = client.get("/v1/audit", headers=headers[role])
    assert response.status_code == 403
    assert "admin" in response.json()["error"]["message"]
    assert client.get("/v1/audit").status_code == 401


def test_bad_query_names_the_field(client: TestClient, headers: dict) -> None:
    response = client.get("/v1/audit", params={"limit": 0}, headers=headers["admin"])
    assert response.status_code == 422
    body = response.json()["error"]
    assert any(d.get("field") == "limit" for d in body["details"]), body


def test_cli_prints_the_trail(
    client: TestClient,
    headers: dict,
    transactions: pd.DataFrame,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _score(client, headers, transactions, 4)
    client.get("/v1/audit", headers=headers["admin"])  # flushes the trail
    monkeypatch.setenv("SIDAK_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        shown = runner.invoke(app, ["audit", "--route", "/v1/score"])
        assert shown.exit_code == 0, shown.output
        assert "POST /v1/score" in shown.output and MODEL_VERSION in shown.output
        assert transactions["transaction_id"].iloc[0] not in shown.output
        bad = runner.invoke(app, ["audit", "--since", "yesterday"])
        assert bad.exit_code == 2 and "ISO 8601" in bad.output
    finally:
        get_settings.cache_clear()
