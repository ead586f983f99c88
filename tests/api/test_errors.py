"""No stack trace reaches a client; logs carry no raw identifiers; OpenAPI documents it all."""

from __future__ import annotations

import logging
from typing import ClassVar

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from service.settings import Settings
from tests.api.conftest import to_records


class ExplodingBundle:
    """A bundle whose scoring fails with a message quoting an identifier."""

    model_version = "broken"
    metadata: ClassVar[dict] = {}

    def score(self, transactions: pd.DataFrame, complaints=None, language=None) -> pd.DataFrame:
        raise RuntimeError(f"boom at {transactions['transaction_id'].iloc[0]}")


def test_unexpected_error_is_a_clean_500(
    settings: Settings, headers: dict, transactions: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings)
    with TestClient(app) as client:  # raises if the exception reached the server
        store = app.state.sidak.models
        store.current = store.current.__class__(
            bundle=ExplodingBundle(),
            path=store.current.path,
            sha256="0" * 64,
            loaded_at=store.current.loaded_at,
            known_services=store.current.known_services,
        )
        with caplog.at_level(logging.ERROR):
            response = client.post(
                "/v1/score",
                json={"transactions": to_records(transactions.head(1))},
                headers=headers["scorer"],
            )
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "internal_error"
    assert error["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text and "boom" not in response.text
    raw_id = transactions["transaction_id"].iloc[0]
    assert raw_id not in caplog.text
    assert "RuntimeError" in caplog.text


def test_404_and_405_have_the_shape(client: TestClient, headers: dict) -> None:
    for response in (client.get("/nope"), client.get("/v1/score", headers=headers["scorer"])):
        assert response.status_code in (404, 405)
        assert set(response.json()["error"]) >= {"code", "message", "details"}


def test_openapi_documents_routes_with_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/v1/score",
        "/v1/score/file",
        "/v1/entities/officers",
        "/v1/entities/offices",
        "/v1/model",
        "/v1/model/reload",
        "/healthz",
        "/readyz",
        "/metrics",
    ):
        assert path in paths, path
    score = paths["/v1/score"]["post"]
    assert score["requestBody"]["content"]["application/json"]["examples"]
    assert {"200", "401", "413", "422", "503"} <= set(score["responses"])
    components = schema["components"]["schemas"]
    for name in ("ScoreRequest", "ScoreResponse", "TransactionIn", "ErrorResponse", "ModelInfo"):
        assert name in components, name
    assert components["ScoreResponse"].get("examples")
    assert client.get("/docs").status_code == 200
