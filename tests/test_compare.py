"""Champion against challenger (``sidak compare``): yardsticks, fresh verdicts, decisions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from model.cli import app
from model.compare import (
    KEEP,
    PROMOTE,
    TOO_FEW,
    UNDECIDED,
    bootstrap_win_share,
    compare_models,
    fresh_verdicts,
    judge_on_verdicts,
    verdict_metrics,
)
from model.contract import load_data_dir
from model.evaluate import evaluate_data_dir
from model.predict import score_data_dir
from model.registry import client, promote
from model.settings import Settings
from model.train import train

runner = CliRunner()


def _copy(world: Path, target: Path, *, truth: bool, outcomes: pd.DataFrame | None) -> Path:
    target.mkdir()
    for path in world.glob("*.csv"):
        shutil.copy(path, target / path.name)
    if truth:
        shutil.copytree(world / "truth", target / "truth")
    if outcomes is not None:
        outcomes.to_csv(target / "outcomes.csv", index=False)
    return target


def _verdicts(world: Path, n: int, seed: int = 0) -> pd.DataFrame:
    """n verdicts from the truth, a third of them confirmed (every irregular file is)."""
    truth = pd.read_csv(world / "truth" / "transactions.csv")
    irregular = truth[truth["is_irregular"] == 1].sample(n // 3, random_state=seed)
    honest = truth[truth["is_irregular"] == 0].sample(n - n // 3, random_state=seed)
    picked = pd.concat([irregular, honest]).sample(frac=1.0, random_state=seed)
    return pd.DataFrame(
        {
            "transaction_id": picked["transaction_id"],
            "outcome": np.where(picked["is_irregular"] == 1, "confirmed", "dismissed"),
        }
    )


def _frame(ids: list[str], risk: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"transaction_id": ids, "risk_score": risk})


# --- the pieces ---------------------------------------------------------------------------


def test_fresh_verdicts_leave_out_what_either_model_was_fitted_on() -> None:
    transactions = pd.DataFrame({"transaction_id": ["T1", "T2", "T3", "T4", "T5"]})
    outcomes = pd.DataFrame(
        {
            "transaction_id": ["T1", "T2", "T3", "T4", "T9"],
            "outcome": ["confirmed", "dismissed", "confirmed", "dismissed", "confirmed"],
        }
    )
    champion = SimpleNamespace(reviewed_ids_=np.array(["T1"], dtype=object))
    challenger = SimpleNamespace(reviewed_ids_=np.array(["T1", "T2"], dtype=object))
    fresh, counts = fresh_verdicts(transactions, outcomes, champion, challenger)
    assert fresh.to_dict() == {"T3": 1, "T4": 0}  # T9 names no transaction in the data
    assert counts == {"n_verdicts": 4, "n_verdicts_seen_in_training": 2}
    none, counts = fresh_verdicts(transactions, None, champion)
    assert none.empty and counts["n_verdicts"] == 0


def test_verdict_metrics_count_the_top_of_the_whole_queue() -> None:
    ids = [f"T{i}" for i in range(10)]
    scores = _frame(ids, np.linspace(1.0, 0.1, 10))  # T0 first
    verdicts = pd.Series({"T0": 1, "T1": 0, "T5": 1, "T9": 0})
    figures = verdict_metrics(scores, verdicts, top=3)
    assert figures["confirmed_in_top_3"] == 1 and figures["dismissed_in_top_3"] == 1
    # ranked T0 (1), T1 (0), T5 (1), T9 (0): AP = (1 + 2/3) / 2
    assert figures["average_precision"] == pytest.approx((1 + 2 / 3) / 2)
    assert figures["roc_auc"] == pytest.approx(0.75)


def test_bootstrap_win_share_tells_a_better_ranking_from_noise() -> None:
    rng = np.random.default_rng(3)
    labels = (rng.random(200) < 0.3).astype(int)
    noise = rng.random(200)
    sharp = labels + 0.8 * rng.random(200)
    assert bootstrap_win_share(labels, noise, sharp, resamples=200) == 1.0
    assert bootstrap_win_share(labels, sharp, noise, resamples=200) == 0.0
    assert bootstrap_win_share(labels, noise, noise, resamples=200) == 0.5  # ties count half
    blurred = labels + 3.0 * rng.random(200)
    share = bootstrap_win_share(labels, blurred, sharp, resamples=200, seed=1)
    assert share == bootstrap_win_share(labels, blurred, sharp, resamples=200, seed=1)


def test_the_decision_follows_the_fresh_verdicts() -> None:
    rng = np.random.default_rng(0)
    ids = [f"T{i}" for i in range(400)]
    labels = (rng.random(400) < 0.2).astype(int)
    reviewed = rng.choice(400, 120, replace=False)
    transactions = pd.DataFrame({"transaction_id": ids})
    outcomes = pd.DataFrame(
        {
            "transaction_id": [ids[i] for i in reviewed],
            "outcome": np.where(labels[reviewed] == 1, "confirmed", "dismissed"),
        }
    )

    def model(name: str, seen: list[str]) -> SimpleNamespace:
        return SimpleNamespace(
            model_version=name, model=SimpleNamespace(reviewed_ids_=np.array(seen, dtype=object))
        )

    noise = _frame(ids, rng.random(400))
    sharp = _frame(ids, labels + 0.5 * rng.random(400))
    pair = [model("a", []), model("b", [])]
    better = judge_on_verdicts(pair, [noise, sharp], transactions, outcomes, 50)
    assert better.decision == PROMOTE and better.win_share == 1.0
    assert "sidak promote b" in better.summary
    assert better.table.loc["average_precision", "difference"] > 0.3
    worse = judge_on_verdicts(pair, [sharp, noise], transactions, outcomes, 50)
    assert worse.decision == KEEP
    same = judge_on_verdicts(pair, [sharp, sharp], transactions, outcomes, 50)
    assert same.decision == UNDECIDED and same.win_share == 0.5
    # a challenger fitted on all but a handful of the verdicts cannot be judged on them
    seen = [ids[i] for i in reviewed[:-6]]
    pair = [model("a", []), model("b", seen)]
    few = judge_on_verdicts(pair, [noise, sharp], transactions, outcomes, 50)
    assert few.decision == TOO_FEW and few.win_share is None
    assert few.counts["n_verdicts_seen_in_training"] == 114
    assert "Too few verdicts" in few.summary


# --- end to end ---------------------------------------------------------------------------


def test_compare_against_truth_matches_each_models_evaluation(
    small_world: Path, mlflow_settings: Settings, tmp_path: Path
) -> None:
    verdicts = _verdicts(small_world, 80)
    labelled = _copy(small_world, tmp_path / "labelled", truth=True, outcomes=verdicts)
    champion = train(small_world, settings=mlflow_settings)
    challenger = train(labelled, settings=mlflow_settings)
    assert len(challenger.bundle.model.reviewed_ids_) == 80
    assert set(challenger.bundle.model.reviewed_ids_) == set(verdicts["transaction_id"])
    assert len(champion.bundle.model.reviewed_ids_) == 0
    promote(champion.registered_version or "", mlflow_settings)

    result = compare_models(small_world, settings=mlflow_settings)  # champion vs the newest
    assert (result.champion, result.challenger) == (
        champion.model_version,
        challenger.model_version,
    )
    assert result.yardstick == "truth"
    for name, column in ((champion, "champion"), (challenger, "challenger")):
        evaluation = evaluate_data_dir(
            small_world,
            model_ref=name.model_version,
            output_dir=tmp_path / column,
            settings=mlflow_settings,
        )
        for metric in ("average_precision", "precision_at_100", "officer_precision_at_k"):
            assert result.table.loc[metric, column] == pytest.approx(evaluation.metrics[metric])
    payload = json.loads((result.output_dir / "compare.json").read_text())
    assert payload["decision"] == result.decision
    assert payload["champion"] == champion.model_version
    run = client(mlflow_settings).get_run(challenger.run_id)
    assert run.data.metrics["compare/challenger_average_precision"] == pytest.approx(
        result.table.loc["average_precision", "challenger"]
    )


def test_compare_cli_on_verdicts_without_truth(
    small_world: Path, mlflow_settings: Settings, tmp_path: Path
) -> None:
    verdicts = _verdicts(small_world, 120, seed=1)
    first = _copy(small_world, tmp_path / "first", truth=False, outcomes=verdicts.iloc[:60])
    every = _copy(small_world, tmp_path / "every", truth=False, outcomes=verdicts)
    champion = train(small_world, settings=mlflow_settings, truth_dir=None)
    challenger = train(first, settings=mlflow_settings)
    outcome = runner.invoke(
        app,
        ["compare", str(every), "--champion", champion.model_version, "--top", "50"],
    )
    assert outcome.exit_code == 0, outcome.output
    assert "judged on 60 verdicts neither model was fitted on" in outcome.output
    assert "60 left out as seen in training" in outcome.output
    assert "confirmed_in_top_50" in outcome.output
    payload = json.loads((Path(mlflow_settings.reports_dir) / "compare.json").read_text())
    assert payload["challenger"] == challenger.model_version
    assert payload["yardstick"] == "verdicts"
    assert payload["decision"] in {PROMOTE, KEEP, UNDECIDED}
    assert 0.0 <= payload["win_share"] <= 1.0
    assert payload["counts"]["n_fresh_confirmed"] + payload["counts"]["n_fresh_dismissed"] == 60
    # where both models were fitted on every verdict there is nothing fresh to judge on
    outcome = runner.invoke(
        app,
        ["compare", str(first), "--champion", champion.model_version],
    )
    assert outcome.exit_code == 0 and "Too few verdicts" in outcome.output


def test_compare_names_what_is_missing(small_world: Path, mlflow_settings: Settings) -> None:
    outcome = runner.invoke(app, ["compare", str(small_world)])
    assert outcome.exit_code == 2 and "No champion to compare with" in outcome.output
    assert "Traceback" not in outcome.output
    only = train(small_world, settings=mlflow_settings)
    promote(only.registered_version or "", mlflow_settings)
    outcome = runner.invoke(app, ["compare", str(small_world)])
    assert outcome.exit_code == 2 and "No model besides the champion" in outcome.output
    outcome = runner.invoke(app, ["compare", str(small_world), "--challenger", only.model_version])
    assert outcome.exit_code == 2 and "are the same model" in outcome.output


def test_evaluating_a_model_scores_with_the_data_directorys_catalogue(
    small_world: Path, mlflow_settings: Settings, tmp_path: Path
) -> None:
    """``evaluate --model`` and ``score`` then ``evaluate --scores`` agree when the catalogue
    changed since training (a longer standard here), as ``sidak score`` reads the new one."""
    model = train(small_world, settings=mlflow_settings, register=False, track=False)
    changed = _copy(small_world, tmp_path / "changed", truth=True, outcomes=None)
    services = pd.read_csv(changed / "services.csv", dtype=str, keep_default_na=False)
    services["sla_working_days"] = (services["sla_working_days"].astype(int) * 3).astype(str)
    services.to_csv(changed / "services.csv", index=False)
    scores = score_data_dir(
        changed,
        model.model_version,
        tmp_path / "scores.csv",
        progress=False,
        settings=mlflow_settings,
    )
    stale = model.bundle.score(load_data_dir(changed).transactions)
    assert not np.allclose(scores["risk_score"], stale["risk_score"])  # the change matters
    direct = evaluate_data_dir(
        changed, model_ref=model.model_version, output_dir=tmp_path / "a", settings=mlflow_settings
    )
    written = evaluate_data_dir(
        changed,
        scores_path=tmp_path / "scores.csv",
        output_dir=tmp_path / "b",
        settings=mlflow_settings,
    )
    for metric in ("average_precision", "precision_at_100", "roc_auc"):
        assert direct.metrics[metric] == pytest.approx(written.metrics[metric], abs=1e-5)
