"""/healthz, /readyz and /metrics: probes open, metrics counting requests, bands and model."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient

from service.main import create_app
from service.settings import Settings
from tests.api.conftest import MODEL_VERSION, to_records


def test_metrics_count_requests_bands_and_model(
    client: TestClient, headers: dict, transactions: pd.DataFrame
) -> None:
    client.post(
        "/v1/score", json={"transactions": to_records(transactions)}, headers=headers["scorer"]
    )
    client.post("/v1/score", json={"transactions": []}, headers=headers["scorer"])
    text = client.get("/metrics", headers=headers["admin"]).text
    assert 'sidak_http_requests_total{method="POST",route="/v1/score",status="200"} 1.0' in text
    assert 'sidak_http_requests_total{method="POST",route="/v1/score",status="422"} 1.0' in text
    assert (
        'sidak_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/v1/score"}'
        in text
    )
    bands = {
        line.split('"')[1]: float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("sidak_scores_total{")
    }
    assert sum(bands.values()) == len(transactions)
    assert f'sidak_model_info{{model_version="{MODEL_VERSION}"' in text


def test_background_polling_loads_a_new_bundle(empty_settings: Settings, models_dir: Path) -> None:
    polling = empty_settings.model_copy(update={"model_poll_seconds": 0.2})
    with TestClient(create_app(polling)) as client:
        assert client.get("/readyz").status_code == 503
        shutil.copytree(models_dir / MODEL_VERSION, polling.models_dir / MODEL_VERSION)
        deadline = time.monotonic() + 30
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the poller never loaded the bundle"
            time.sleep(0.1)
        assert client.get("/readyz").json()["model_version"] == MODEL_VERSION
