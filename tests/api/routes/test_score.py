"""POST /v1/score and /v1/score/file: scores, order, errors that name field and row, limits."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import MODEL_VERSION, to_records


def test_single_transaction(client: TestClient, headers: dict, transactions: pd.DataFrame) -> None:
    response = client.post(
        "/v1/score",
        json={"transactions": to_records(transactions.head(1))},
        headers=headers["scorer"],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_version"] == MODEL_VERSION
    (record,) = body["scores"]
    assert record["transaction_id"] == transactions["transaction_id"].iloc[0]
    assert 0.0 <= record["risk_score"] <= 1.0
    assert record["risk_band"] in {"low", "medium", "high"}
    assert record["model_version"] == MODEL_VERSION
    assert {"office_id", "officer_id", "service_code", "reasons"} <= set(record)
    assert response.headers["x-request-id"]


def test_batch_keeps_input_order_and_explains(
    client: TestClient, headers: dict, transactions: pd.DataFrame
) -> None:
    shuffled = transactions.sample(frac=1.0, random_state=3)
    response = client.post(
        "/v1/score",
        json={"transactions": to_records(shuffled), "language": "en"},
        headers=headers["scorer"],
    )
    assert response.status_code == 200
    scores = response.json()["scores"]
    assert [s["transaction_id"] for s in scores] == shuffled["transaction_id"].tolist()
    reasons = [r for s in scores for r in s["reasons"]]
    assert reasons, "a batch with planted surcharges should carry reasons"
    assert all({"code", "message", "weight"} <= set(r) for r in reasons)


def test_contract_violation_names_field_and_row(
    client: TestClient, headers: dict, transactions: pd.DataFrame
) -> None:
    records = to_records(transactions.head(4))
    records[2]["fee_paid_idr"] = -5000
    records[3]["submitted_at"] = "kemarin"
    response = client.post("/v1/score", json={"transactions": records}, headers=headers["scorer"])
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "contract_violation"
    found = {(d["field"], d["row"]) for d in error["details"]}
    assert ("fee_paid_idr", 3) in found
    assert ("submitted_at", 4) in found
    assert all(d["file"] == "transactions" for d in error["details"])
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("field", "value"),
    [("fee_paid_idr", {"amount": 5000}), ("officer_id", ["OFF-1", "OFF-2"]), ("visits", [])],
)
@pytest.mark.parametrize("size", [2, 40])  # below and above the column-wise checks
def test_nested_value_is_refused_naming_field_and_row(
    client: TestClient,
    headers: dict,
    transactions: pd.DataFrame,
    field: str,
    value: object,
    size: int,
) -> None:
    records = to_records(transactions.head(size))
    records[1][field] = value
    response = client.post("/v1/score", json={"transactions": records}, headers=headers["scorer"])
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "contract_violation"
    assert [(d["field"], d["row"]) for d in error["details"]] == [(field, 2)]
    assert "Traceback" not in response.text


def test_unknown_service_and_duplicate_id_refused(
    client: TestClient, headers: dict, transactions: pd.DataFrame
) -> None:
    records = to_records(transactions.head(3))
    records[0]["service_code"] = "NOPE"
    records[2]["transaction_id"] = records[1]["transaction_id"]
    response = client.post("/v1/score", json={"transactions": records}, headers=headers["scorer"])
    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert any(d["field"] == "service_code" and d["row"] == 1 for d in details)
    assert any(d["field"] == "transaction_id" for d in details)


def test_missing_required_column(
    client: TestClient, headers: dict, transactions: pd.DataFrame
) -> None:
    records = to_records(transactions.head(2))
    for record in records:
        del record["office_id"]
    response = client.post("/v1/score", json={"transactions": records}, headers=headers["scorer"])
    assert response.status_code == 422
    (detail,) = response.json()["error"]["details"]
    assert detail["field"] == "office_id" and detail["row"] is None


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b"{not json", 400, None),
        (b"[]", 422, None),
        (b'{"transactions": []}', 422, "transactions"),
        (b'{"transactions": [1, 2]}', 422, "transactions"),
        (b'{"transactions": [{"transaction_id": {"a": 1}}]}', 422, "transaction_id"),
        (b'{"transaction": []}', 422, "transaction"),
        (b'{"transactions": [{}], "language": "fr"}', 422, "language"),
    ],
)
def test_malformed_bodies(
    client: TestClient, headers: dict, body: bytes, status: int, field: str
) -> None:
    response = client.post(
        "/v1/score", content=body, headers={**headers["scorer"], "content-type": "application/json"}
    )
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) >= {"code", "message", "details"}
    if field:
        assert any(d["field"] == field for d in error["details"])


def test_batch_limit_is_413(client: TestClient, headers: dict, transactions: pd.DataFrame) -> None:
    records = to_records(pd.concat([transactions] * 2, ignore_index=True))  # 600 > max_batch 500
    response = client.post("/v1/score", json={"transactions": records}, headers=headers["scorer"])
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "batch_too_large"


def test_body_size_limit_is_413(client: TestClient, headers: dict) -> None:
    body = b'{"transactions": [' + b" " * 2_100_000 + b"]}"
    response = client.post(
        "/v1/score", content=body, headers={**headers["scorer"], "content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_complaints_are_used(client: TestClient, headers: dict, transactions: pd.DataFrame) -> None:
    row = transactions.iloc[[0]]
    complaint = {
        "complaint_id": "C-1",
        "received_at": "2025-04-10T09:00:00",
        "office_id": row["office_id"].iloc[0],
        "officer_id": row["officer_id"].iloc[0],
        "transaction_id": row["transaction_id"].iloc[0],
        "text": "Petugas minta uang rokok 50 ribu tanpa kuitansi, katanya biar cepat.",
    }
    alone = client.post(
        "/v1/score", json={"transactions": to_records(row)}, headers=headers["scorer"]
    )
    with_complaint = client.post(
        "/v1/score",
        json={"transactions": to_records(row), "complaints": [complaint]},
        headers=headers["scorer"],
    )
    assert with_complaint.status_code == 200, with_complaint.text
    assert (
        with_complaint.json()["scores"][0]["risk_score"] >= alone.json()["scores"][0]["risk_score"]
    )
    bad = client.post(
        "/v1/score",
        json={"transactions": to_records(row), "complaints": [{"complaint_id": "x"}]},
        headers=headers["scorer"],
    )
    assert bad.status_code == 422
    assert {d["file"] for d in bad.json()["error"]["details"]} == {"complaints"}


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def test_score_file_csv_streams_csv(
    client: TestClient, headers: dict, transactions: pd.DataFrame
) -> None:
    response = client.post(
        "/v1/score/file",
        files={"transactions": ("transactions.csv", _csv(transactions), "text/csv")},
        headers=headers["scorer"],
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    scores = pd.read_csv(io.StringIO(response.text), keep_default_na=False)
    assert scores["transaction_id"].tolist() == transactions["transaction_id"].tolist()
    assert list(scores.columns[:5]) == [
        "transaction_id",
        "risk_score",
        "risk_band",
        "reasons",
        "model_version",
    ]
    assert scores["reasons"].str.contains(";").any()


def test_score_file_parquet_as_json(
    client: TestClient, headers: dict, transactions: pd.DataFrame
) -> None:
    buffer = io.BytesIO()
    transactions.to_parquet(buffer)
    response = client.post(
        "/v1/score/file?format=json",
        files={"transactions": ("tx.parquet", buffer.getvalue(), "application/octet-stream")},
        headers=headers["scorer"],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["scores"]) == len(transactions)
    assert body["model_version"] == MODEL_VERSION
    accept = client.post(
        "/v1/score/file",
        files={"transactions": ("transactions.csv", _csv(transactions.head(5)), "text/csv")},
        headers={**headers["scorer"], "accept": "application/json"},
    )
    assert accept.headers["content-type"].startswith("application/json")


def test_score_file_refused_names_row(
    client: TestClient, headers: dict, transactions: pd.DataFrame
) -> None:
    frame = transactions.head(5).copy().astype(object)
    frame.loc[3, "fee_paid_idr"] = "50.000"
    response = client.post(
        "/v1/score/file",
        files={"transactions": ("transactions.csv", _csv(frame), "text/csv")},
        headers=headers["scorer"],
    )
    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert any(d["field"] == "fee_paid_idr" and d["row"] == 4 for d in details)
    garbage = client.post(
        "/v1/score/file",
        files={
            "transactions": ("transactions.parquet", b"PAR1garbage", "application/octet-stream")
        },
        headers=headers["scorer"],
    )
    assert garbage.status_code == 422
    assert garbage.json()["error"]["details"][0]["file"] == "transactions"


def test_language_changes_messages_not_scores(
    client: TestClient, headers: dict, transactions: pd.DataFrame
) -> None:
    body = {"transactions": to_records(transactions)}
    english = client.post("/v1/score", json={**body, "language": "en"}, headers=headers["scorer"])
    bahasa = client.post("/v1/score", json={**body, "language": "id"}, headers=headers["scorer"])
    en, id_ = english.json()["scores"], bahasa.json()["scores"]
    assert [s["risk_score"] for s in en] == [s["risk_score"] for s in id_]
    messages_en = [r["message"] for s in en for r in s["reasons"]]
    messages_id = [r["message"] for s in id_ for r in s["reasons"]]
    assert messages_en and messages_en != messages_id
