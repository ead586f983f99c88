"""One batch, three ways — library, ``sidak score`` and the API — gives identical scores."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from model.bundle import load_bundle
from model.contract import load_data_dir
from model.predict import score_frame
from service.cli import app as cli
from service.settings import Settings
from tests.api.conftest import MODEL_VERSION, SERVICES, to_records


def test_library_cli_and_api_agree(
    client: TestClient,
    headers: dict,
    settings: Settings,
    transactions: pd.DataFrame,
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    SERVICES.to_csv(data / "services.csv", index=False)
    transactions.to_csv(data / "transactions.csv", index=False)
    bundle_path = settings.models_dir / MODEL_VERSION

    dataset = load_data_dir(data, timezone=settings.timezone)
    library = score_frame(load_bundle(bundle_path), dataset.transactions, progress=False)

    out = tmp_path / "scores.csv"
    result = CliRunner().invoke(
        cli,
        ["score", str(data), "--output", str(out), "--model", str(bundle_path), "--no-progress"],
    )
    assert result.exit_code == 0, result.output
    cli_csv = out.read_bytes()

    api_csv = client.post(
        "/v1/score/file",
        files={"transactions": ("transactions.csv", (data / "transactions.csv").read_bytes())},
        headers=headers["scorer"],
    ).content
    api_json = client.post(
        "/v1/score", json={"transactions": to_records(transactions)}, headers=headers["scorer"]
    ).json()["scores"]

    assert api_csv == cli_csv  # byte for byte
    from_api = pd.DataFrame(api_json)
    assert from_api["transaction_id"].tolist() == library["transaction_id"].tolist()
    assert from_api["risk_score"].tolist() == library["risk_score"].tolist()
    assert from_api["risk_band"].tolist() == library["risk_band"].tolist()
    assert from_api["reasons"].tolist() == library["reasons"].tolist()
    cli_scores = pd.read_csv(io.BytesIO(cli_csv))
    assert (cli_scores["risk_score"] - library["risk_score"]).abs().max() < 5e-7
