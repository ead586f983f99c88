"""Training end to end: registry, pyfunc, promotion, model resolution, scoring and CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from model.bundle import MODEL_FILE, load_bundle
from model.cli import app
from model.contract import load_data_dir
from model.errors import ModelNotFoundError
from model.evaluate import evaluate_data_dir
from model.predict import SCORE_COLUMNS, read_scores, score_frame
from model.registry import CHAMPION, VERSION_TAG, client, list_models, promote, resolve_model
from model.settings import Settings
from model.train import labels_from_outcomes, train

runner = CliRunner()

REQUIRED_COLUMNS = {
    "services": ["service_code", "service_name", "official_fee_idr", "sla_working_days"],
    "transactions": ["transaction_id", "office_id", "service_code", "submitted_at", "fee_paid_idr"],
}


def test_train_registers_a_model_whose_pyfunc_scores_like_the_bundle(
    small_world: Path, mlflow_settings: Settings, tmp_path: Path
) -> None:
    import mlflow

    result = train(small_world, settings=mlflow_settings)
    assert result.registered_version == "1" and result.run_id
    assert result.metrics["n_transactions"] > 1000  # truth found beside the data
    assert 0.0 <= result.metrics["average_precision"] <= 1.0
    metadata = json.loads((result.bundle_path / "metadata.json").read_text())
    assert metadata["mlflow_run_id"] == result.run_id
    assert metadata["registered_version"] == "1"
    assert len(metadata["data_fingerprint"]) == 64

    tracking = client(mlflow_settings)
    version = tracking.get_model_version(mlflow_settings.registered_model_name, "1")
    assert version.tags[VERSION_TAG] == result.model_version
    run = tracking.get_run(result.run_id)
    assert run.data.tags["data_fingerprint"] == metadata["data_fingerprint"]
    assert "precision_at_100" in run.data.metrics
    artifacts = {a.path for a in tracking.list_artifacts(result.run_id, "plots")}
    assert "plots/pr_curve.png" in artifacts

    # the pyfunc takes transactions as text (as a serving endpoint would get them)
    pyfunc = mlflow.pyfunc.load_model(f"models:/{mlflow_settings.registered_model_name}/1")
    sample = pd.read_csv(small_world / "transactions.csv", dtype=str).head(300)
    predicted = pyfunc.predict(sample)
    bundle = load_bundle(result.bundle_path)
    expected = bundle.score(load_data_dir(small_world).transactions.head(300))
    assert predicted["transaction_id"].tolist() == sample["transaction_id"].tolist()
    np.testing.assert_allclose(predicted["risk_score"], expected["risk_score"], atol=1e-9)
    assert (predicted["model_version"] == bundle.model_version).all()

    # evaluating the registered model adds to its training run
    evaluation = evaluate_data_dir(
        small_world, model_ref="1", output_dir=tmp_path / "eval", settings=mlflow_settings
    )
    assert evaluation.run_id == result.run_id
    run = tracking.get_run(result.run_id)
    assert run.data.metrics["eval/average_precision"] == pytest.approx(
        result.metrics["average_precision"]
    )
    logged = {a.path for a in tracking.list_artifacts(result.run_id, "eval")}
    assert {"eval/metrics.json", "eval/pr_curve.png"} <= logged


def test_promote_sets_champion_and_resolution_follows_it(
    small_world: Path, mlflow_settings: Settings
) -> None:
    with pytest.raises(ModelNotFoundError):
        resolve_model(None, mlflow_settings)
    first = train(small_world, settings=mlflow_settings, truth_dir=None)
    second = train(small_world, settings=mlflow_settings, register=False, track=False)
    assert second.model_version > first.model_version
    # same data, same settings: the same model (seeded), only the version differs
    pd.testing.assert_series_equal(first.scores["risk_score"], second.scores["risk_score"])
    assert first.bundle.metadata["data_fingerprint"] == second.bundle.metadata["data_fingerprint"]
    # no champion yet: the newest local bundle
    assert resolve_model(None, mlflow_settings) == second.bundle_path
    promote(first.registered_version or "", mlflow_settings)
    assert resolve_model(None, mlflow_settings) == first.bundle_path
    assert resolve_model(CHAMPION, mlflow_settings) == first.bundle_path
    assert resolve_model("1", mlflow_settings) == first.bundle_path
    assert resolve_model(second.model_version, mlflow_settings) == second.bundle_path
    assert resolve_model(str(second.bundle_path / MODEL_FILE), mlflow_settings) == (
        second.bundle_path
    )
    with pytest.raises(ModelNotFoundError):
        resolve_model("7", mlflow_settings)
    table = list_models(mlflow_settings)
    assert table.loc[table["aliases"] == CHAMPION, "model_version"].tolist() == [
        first.model_version
    ]
    # a champion whose local bundle is gone is fetched back from its MLflow run
    shutil.rmtree(first.bundle_path)
    assert resolve_model(None, mlflow_settings) == first.bundle_path
    assert load_bundle(first.bundle_path).model_version == first.model_version


def test_score_cli_writes_the_contract_columns_for_every_transaction(
    small_world: Path, mlflow_settings: Settings, tmp_path: Path
) -> None:
    result = train(small_world, settings=mlflow_settings, register=False, track=False)
    output = tmp_path / "scores.csv"
    outcome = runner.invoke(
        app, ["score", str(small_world), "--output", str(output), "--no-progress"]
    )
    assert outcome.exit_code == 0, outcome.output
    written = pd.read_csv(output, dtype=str, keep_default_na=False)
    assert written.columns.tolist() == SCORE_COLUMNS
    transactions = pd.read_csv(small_world / "transactions.csv", dtype=str)
    assert written["transaction_id"].tolist() == transactions["transaction_id"].tolist()
    assert set(written["risk_band"]) <= {"low", "medium", "high"}
    assert (written["model_version"] == result.model_version).all()
    scores = read_scores(output)
    assert scores["risk_score"].between(0, 1).all()
    np.testing.assert_allclose(scores["risk_score"], result.scores["risk_score"], atol=1e-6)
    flagged = written.loc[written["risk_band"] == "high", "reasons"]
    assert flagged.str.len().gt(0).all()

    report = tmp_path / "report"
    outcome = runner.invoke(
        app, ["evaluate", str(small_world), "--scores", str(output), "--output-dir", str(report)]
    )
    assert outcome.exit_code == 0, outcome.output
    assert "precision_at_100" in outcome.output
    assert (report / "metrics.json").exists() and (report / "pr_curve.png").exists()
    metrics = json.loads((report / "metrics.json").read_text())["metrics"]
    assert 0 <= metrics["irregular_without_own_signal"] <= 1  # from the CSV's joined codes

    ranking = tmp_path / "officers.csv"
    outcome = runner.invoke(
        app, ["entities", str(small_world), "--top", "3", "--language", "en", "-o", str(ranking)]
    )
    assert outcome.exit_code == 0, outcome.output
    assert "evidence:" in outcome.output and "files of" in outcome.output
    assert "new_officer_since" in outcome.output and "NaT" not in outcome.output
    written = pd.read_csv(ranking)
    assert "new_officer_since" in written.columns
    assert written["rank"].tolist() == list(range(1, len(written) + 1))
    assert written["evidence"].str.contains("files of|No file at risk among").all()
    outcome = runner.invoke(app, ["entities", str(small_world), "--language", "fr"])
    assert outcome.exit_code != 0 and "--language" in outcome.output
    # a period given with an offset is taken in local time, as datetimes in the data are
    period = ["--start", "2025-02-01T01:00+08:00", "--end", "2025-02-15T00:00:00Z"]
    ranking = tmp_path / "offices.csv"
    outcome = runner.invoke(
        app, ["entities", str(small_world), "--level", "office", *period, "-o", str(ranking)]
    )
    assert outcome.exit_code == 0, outcome.output
    assert "offices ranked by" in outcome.output
    submitted = load_data_dir(small_world).transactions["submitted_at"]
    in_period = submitted.between("2025-02-01 00:00", "2025-02-15 07:00", inclusive="left")
    assert pd.read_csv(ranking)["n_transactions"].sum() == in_period.sum()


def test_chunked_scoring_matches_one_batch(small_world: Path, mlflow_settings: Settings) -> None:
    result = train(small_world, settings=mlflow_settings, register=False, track=False)
    dataset = load_data_dir(small_world)
    chunked = score_frame(
        result.bundle, dataset.transactions, dataset.complaints, chunk_rows=100, progress=False
    )
    pd.testing.assert_frame_equal(chunked, result.scores)


def test_threaded_scoring_matches_one_thread(
    small_world: Path, mlflow_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from model import engine

    result = train(small_world, settings=mlflow_settings, register=False, track=False)
    dataset = load_data_dir(small_world)
    assert len(dataset.transactions) >= 4 * 250
    monkeypatch.setattr(engine, "_PARALLEL_BLOCK_ROWS", 250)  # several blocks, in 2 threads
    threaded = score_frame(
        result.bundle, dataset.transactions, dataset.complaints, progress=False, n_jobs=2
    )
    pd.testing.assert_frame_equal(threaded, result.scores)


def test_train_on_only_the_required_tables_and_columns(
    small_world: Path, mlflow_settings: Settings, tmp_path: Path
) -> None:
    minimal = tmp_path / "minimal"
    minimal.mkdir()
    for table, columns in REQUIRED_COLUMNS.items():
        frame = pd.read_csv(small_world / f"{table}.csv", dtype=str, keep_default_na=False)
        frame[columns].to_csv(minimal / f"{table}.csv", index=False)
    outcome = runner.invoke(app, ["train", str(minimal)])
    assert outcome.exit_code == 0, outcome.output
    assert "registered  version 1" in outcome.output
    output = tmp_path / "scores.csv"
    outcome = runner.invoke(
        app, ["score", str(minimal), "--model", "1", "-o", str(output), "--no-progress"]
    )
    assert outcome.exit_code == 0, outcome.output
    one_thread = tmp_path / "scores-1.csv"
    outcome = runner.invoke(
        app,
        ["score", str(minimal), "--model", "1", "-o", str(one_thread), "--no-progress", "-j", "1"],
    )
    assert outcome.exit_code == 0, outcome.output
    assert one_thread.read_bytes() == output.read_bytes()
    outcome = runner.invoke(app, ["score", str(minimal), "-o", str(one_thread), "--jobs", "0"])
    assert outcome.exit_code == 2 and "0 threads cannot score" in outcome.output
    assert len(pd.read_csv(output)) == len(pd.read_csv(minimal / "transactions.csv"))
    outcome = runner.invoke(app, ["models"])
    assert outcome.exit_code == 0 and "20" in outcome.output


def test_bad_data_is_a_plain_user_error(
    small_world: Path, mlflow_settings: Settings, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    shutil.copy(small_world / "services.csv", broken / "services.csv")
    frame = pd.read_csv(small_world / "transactions.csv", dtype=str, keep_default_na=False)
    frame.loc[3, "fee_paid_idr"] = "-5"
    frame.to_csv(broken / "transactions.csv", index=False)
    outcome = runner.invoke(app, ["train", str(broken)])
    assert outcome.exit_code == 2
    assert "fee_paid_idr" in outcome.output and "Traceback" not in outcome.output
    outcome = runner.invoke(app, ["promote", "3"])
    assert outcome.exit_code == 2


def test_labels_from_outcomes_align_by_transaction_id() -> None:
    transactions = pd.DataFrame({"transaction_id": ["a", "b", "c", "d"]}, index=[10, 11, 12, 13])
    outcomes = pd.DataFrame(
        {"transaction_id": ["c", "a", "zz"], "outcome": ["confirmed", "dismissed", "confirmed"]}
    )
    y = labels_from_outcomes(transactions, outcomes)
    assert y is not None
    assert y.index.tolist() == [10, 11, 12, 13]
    assert y.tolist()[0] == 0.0 and y.tolist()[2] == 1.0
    assert y.isna().tolist() == [False, True, False, True]
    assert labels_from_outcomes(transactions, None) is None


def test_score_data_dir_writes_reasons_in_the_configured_language(
    small_world: Path, mlflow_settings: Settings
) -> None:
    from model.predict import score_data_dir

    train(small_world, settings=mlflow_settings, register=False, track=False)
    english = mlflow_settings.model_copy(update={"language": "en"})
    scored = {
        name: score_data_dir(small_world, settings=settings, progress=False)
        for name, settings in (("id", mlflow_settings), ("en", english))
    }
    messages = {
        name: [
            r["message"]
            for reasons in frame["reasons"]
            for r in reasons
            if r["code"] == "FEE_ON_FREE_SERVICE"
        ]
        for name, frame in scored.items()
    }
    assert messages["id"] and len(messages["id"]) == len(messages["en"])
    assert all(m.startswith("Biaya") for m in messages["id"])
    assert all("free" in m for m in messages["en"])
    np.testing.assert_array_equal(scored["id"]["risk_score"], scored["en"]["risk_score"])


def test_a_file_reviewed_twice_counts_its_latest_verdict() -> None:
    transactions = pd.DataFrame({"transaction_id": ["T1", "T2", "T3"]})
    outcomes = pd.DataFrame(
        {
            "transaction_id": ["T1", "T2", "T1"],
            "outcome": ["dismissed", "confirmed", "confirmed"],
            "reviewed_at": pd.to_datetime(["2025-03-01", "2025-03-02", "2025-04-01"]),
        }
    )
    y = labels_from_outcomes(transactions, outcomes)
    assert y is not None and y.tolist()[:2] == [1.0, 1.0] and np.isnan(y.iloc[2])
    earlier = outcomes.assign(
        reviewed_at=pd.to_datetime(["2025-05-01", "2025-03-02", "2025-04-01"])
    )
    assert labels_from_outcomes(transactions, earlier).iloc[0] == 0.0


def test_training_warns_where_the_catalogue_looks_out_of_date(
    small_world: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Every receipt of a fixed-fee service in one office shows Rp 50.000 above the
    catalogue: training says which catalogue entry looks out of date, and counts it in the
    run's metrics; the simulated world itself has no such entry."""
    data = tmp_path / "data"
    shutil.copytree(small_world, data, ignore=shutil.ignore_patterns("truth"))
    # The busiest service of one office becomes a Rp 10.000 fee in the catalogue, and
    # every receipt of that office shows Rp 60.000 for it.
    services = pd.read_csv(data / "services.csv", dtype=str, keep_default_na=False)
    transactions = pd.read_csv(data / "transactions.csv", dtype=str, keep_default_na=False)
    fixed = services.loc[services["fee_is_variable"].str.lower() != "true", "service_code"]
    office = transactions["office_id"].iloc[0]
    mine = transactions[
        (transactions["office_id"] == office) & transactions["service_code"].isin(fixed)
    ]
    code = mine["service_code"].value_counts().index[0]
    services.loc[services["service_code"] == code, "official_fee_idr"] = "10000"
    services.to_csv(data / "services.csv", index=False)
    rows = (transactions["service_code"] == code) & (transactions["office_id"] == office)
    new_fee = 60_000
    transactions.loc[rows, "fee_paid_idr"] = str(new_fee)
    transactions.to_csv(data / "transactions.csv", index=False)
    settings = Settings(models_dir=tmp_path / "models", reports_dir=tmp_path / "reports")
    with caplog.at_level("WARNING", logger="model.train"):
        result = train(data, settings=settings, register=False, track=False)
    warned = [r.getMessage() for r in caplog.records if "may be out of date" in r.getMessage()]
    assert len(warned) == 1 and office in warned[0] and code in warned[0]
    assert f"Rp {new_fee:,}" in warned[0]
    assert result.metrics["outdated_tariffs"] == 1.0
    plain = train(small_world, settings=settings, register=False, track=False)
    assert plain.metrics["outdated_tariffs"] == 0.0
