"""GET /v1/model, POST /v1/model/reload, readiness, and polling for a new bundle."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient

from model.bundle import MODEL_FILE
from service.main import create_app
from service.settings import Settings
from tests.api.conftest import MODEL_VERSION, MODEL_VERSION_2, to_records


def test_model_info(client: TestClient, headers: dict) -> None:
    response = client.get("/v1/model", headers=headers["scorer"])
    assert response.status_code == 200
    info = response.json()
    assert info["model_version"] == MODEL_VERSION
    assert len(info["sha256"]) == 64
    assert info["data_fingerprint"] == "0" * 64
    assert set(info["thresholds"]) == {"high", "medium"}
    assert info["metrics"] == {"precision_at_10": 0.5}
    assert info["loaded_at"]


def test_reload_swaps_and_failed_reload_keeps_old(
    client: TestClient, headers: dict, second_bundle: Path, tmp_path: Path
) -> None:
    swapped = client.post(
        "/v1/model/reload", json={"ref": str(second_bundle)}, headers=headers["admin"]
    )
    assert swapped.status_code == 200, swapped.text
    body = swapped.json()
    assert body["previous_version"] == MODEL_VERSION
    assert body["changed"] is True
    assert body["model"]["model_version"] == MODEL_VERSION_2
    assert client.get("/readyz").json()["model_version"] == MODEL_VERSION_2

    missing = client.post(
        "/v1/model/reload", json={"ref": str(tmp_path / "nothing")}, headers=headers["admin"]
    )
    assert missing.status_code in (404, 422)
    tampered = tmp_path / "tampered"
    shutil.copytree(second_bundle, tampered)
    with (tampered / MODEL_FILE).open("ab") as handle:
        handle.write(b"\0")
    refused = client.post("/v1/model/reload", json={"ref": str(tampered)}, headers=headers["admin"])
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "model_integrity"
    assert (
        client.get("/v1/model", headers=headers["scorer"]).json()["model_version"]
        == MODEL_VERSION_2
    )

    back = client.post("/v1/model/reload", headers=headers["admin"])  # default: newest local
    assert back.json()["model"]["model_version"] == MODEL_VERSION


def test_no_model_means_not_ready_and_503(
    empty_settings: Settings, transactions: pd.DataFrame
) -> None:
    from tests.api.conftest import _keys

    headers = _keys(empty_settings.database_url)
    with TestClient(create_app(empty_settings)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "No trained model" in ready.json()["reason"]
        assert client.get("/healthz").status_code == 200
        scored = client.post(
            "/v1/score",
            json={"transactions": to_records(transactions.head(1))},
            headers=headers["scorer"],
        )
        assert scored.status_code == 503
        error = scored.json()["error"]
        assert error["code"] == "model_unavailable"
        assert "No trained model" in error["message"]
        metrics = client.get("/metrics", headers=headers["admin"]).text
        assert "sidak_model_loaded 0.0" in metrics


def test_tampered_bundle_is_never_served(empty_settings: Settings, second_bundle: Path) -> None:
    models = empty_settings.models_dir
    shutil.copytree(second_bundle, models / MODEL_VERSION_2)
    with (models / MODEL_VERSION_2 / MODEL_FILE).open("ab") as handle:
        handle.write(b"tampered")
    with TestClient(create_app(empty_settings)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "SHA-256" in ready.json()["reason"]


def test_polling_picks_up_a_new_bundle(empty_settings: Settings, models_dir: Path) -> None:
    app = create_app(empty_settings)
    store = app.state.sidak.models
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 503
        shutil.copytree(models_dir / MODEL_VERSION, empty_settings.models_dir / MODEL_VERSION)
        assert store.poll_once() is True
        assert client.get("/readyz").json()["model_version"] == MODEL_VERSION
        assert store.poll_once() is False  # same hash: nothing to do
