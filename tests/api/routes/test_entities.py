"""POST /v1/entities/{officers,offices}: ranking over a submitted batch, for a period."""

from __future__ import annotations

import pandas as pd
from fastapi.testclient import TestClient

from tests.api.conftest import to_records


def test_officer_ranking_puts_the_surcharger_first(
    client: TestClient, headers: dict, transactions: pd.DataFrame
) -> None:
    response = client.post(
        "/v1/entities/officers?limit=3",
        json={"transactions": to_records(transactions)},
        headers=headers["supervisor"],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["level"] == "officer"
    assert body["n_transactions"] == len(transactions)
    assert len(body["entities"]) == 3
    top = body["entities"][0]
    assert top["officer_id"] == "OFF-1-0"
    assert top["rank"] == 1
    assert {"entity_score", "n_transactions"} <= set(top)
    assert top["new_officer_since"] is None  # there from the start of the training data
    assert top["evidence"].startswith(f"{top['n_high']} berkas berisiko tinggi")
    english = client.post(
        "/v1/entities/officers?limit=1",
        json={"transactions": to_records(transactions), "language": "en"},
        headers=headers["supervisor"],
    )
    assert english.status_code == 200, english.text
    assert "high-risk" in english.json()["entities"][0]["evidence"]


def test_office_ranking_for_a_period(
    client: TestClient, headers: dict, transactions: pd.DataFrame
) -> None:
    start, end = "2025-03-01T00:00:00", "2025-03-15T00:00:00"
    response = client.post(
        f"/v1/entities/offices?start={start}&end={end}",
        json={"transactions": to_records(transactions)},
        headers=headers["supervisor"],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    in_period = transactions["submitted_at"].between(start, end, inclusive="left").sum()
    assert body["n_transactions"] == in_period
    assert sum(e["n_transactions"] for e in body["entities"]) == in_period
    assert {e["office_id"] for e in body["entities"]} <= {"DISDUKCAPIL-1", "DISDUKCAPIL-2"}


def test_bad_period_and_limit(
    client: TestClient, headers: dict, transactions: pd.DataFrame
) -> None:
    body = {"transactions": to_records(transactions.head(10))}
    reversed_period = client.post(
        "/v1/entities/officers?start=2025-03-10T00:00:00&end=2025-03-01T00:00:00",
        json=body,
        headers=headers["supervisor"],
    )
    assert reversed_period.status_code == 422
    too_many = client.post(
        "/v1/entities/officers?limit=0", json=body, headers=headers["supervisor"]
    )
    assert too_many.status_code == 422
    assert too_many.json()["error"]["details"][0]["field"] == "limit"
