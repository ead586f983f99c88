"""Detection metrics on a tiny hand-made queue whose values are worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from model.evaluate import (
    evaluate_scores,
    format_metrics,
    lookalike_share,
    officer_ranking_from_scores,
    ranked_truth,
    scheme_recall,
)
from model.plots import band_capacities, evaluation_figures, save_figures

# Ten transactions, scores falling from 0.9 (t0) to 0.0 (t9).
# Irregular: t0 and t2 (fee surcharge), t5 (delay). Look-alikes: t1 (outage), t3 (slow new).
# Officers: A handles t0, t1; B handles t2, t3; C handles t4..t9.
SCORES = pd.DataFrame(
    {
        "transaction_id": [f"t{i}" for i in range(10)],
        "risk_score": np.round(np.linspace(0.9, 0.0, 10), 2),
        "risk_band": ["high", "high", "medium", "medium"] + ["low"] * 6,
        "officer_id": ["A", "A", "B", "B"] + ["C"] * 6,
    }
)
TRUTH = pd.DataFrame(
    {
        "transaction_id": [f"t{i}" for i in range(10)],
        "is_irregular": [1, 0, 1, 0, 0, 1, 0, 0, 0, 0],
        "scheme": ["surcharge", "", "surcharge", "", "", "delay", "", "", "", ""],
        "lookalike": ["", "outage", "", "slow_new_officer", "", "", "", "", "", ""],
    }
)
OFFICERS = pd.DataFrame(
    {
        "officer_id": ["A", "B", "C"],
        "is_extorter": [1, 0, 1],
        "profile": ["extorter", "slow_new", "extorter"],
    }
)


@pytest.fixture
def metrics() -> dict[str, float]:
    # shuffled input: the queue order must come from the scores, not the row order
    return evaluate_scores(SCORES.sample(frac=1.0, random_state=3), TRUTH, OFFICERS)


def test_precision_at_k_is_capped_at_n(metrics: dict[str, float]) -> None:
    for k in (100, 500, 1000):
        assert metrics[f"precision_at_{k}"] == pytest.approx(3 / 10)
    assert metrics["n_transactions"] == 10 and metrics["n_irregular"] == 3


def test_ranking_metrics_match_hand_computation(metrics: dict[str, float]) -> None:
    # R-precision: top 3 = t0, t1, t2 -> 2 real.
    assert metrics["r_precision"] == pytest.approx(2 / 3)
    # AP: hits at ranks 1, 3, 6 -> (1/1 + 2/3 + 3/6) / 3.
    assert metrics["average_precision"] == pytest.approx((1 + 2 / 3 + 3 / 6) / 3)
    # ROC-AUC: t0 beats 7 negatives, t2 beats 6, t5 beats 4 -> 17 of 21 pairs.
    assert metrics["roc_auc"] == pytest.approx(17 / 21)


def test_scheme_recall_and_lookalike_share() -> None:
    ranked = ranked_truth(SCORES, TRUTH)
    assert scheme_recall(ranked, k=4) == {
        "scheme_recall_at_4/delay": 0.0,
        "scheme_recall_at_4/surcharge": 1.0,
    }
    shares = lookalike_share(ranked, k=3)
    assert shares["lookalike_share_at_3"] == pytest.approx(1 / 3)
    assert shares["lookalike_share_at_3/outage"] == pytest.approx(1 / 3)
    assert shares["lookalike_share_at_3/slow_new_officer"] == 0.0


def test_full_metrics_name_every_scheme_and_lookalike(metrics: dict[str, float]) -> None:
    assert metrics["scheme_recall_at_1000/surcharge"] == 1.0
    assert metrics["scheme_recall_at_1000/delay"] == 1.0
    assert metrics["lookalike_share_at_500"] == pytest.approx(2 / 10)


def test_officers_ranked_by_their_top_scores(metrics: dict[str, float]) -> None:
    # A: mean(0.9, 0.8) = 0.85; B: mean(0.7, 0.6) = 0.65; C: mean(0.5 .. 0.0) = 0.25.
    ranking = officer_ranking_from_scores(SCORES)
    assert ranking["officer_id"].tolist() == ["A", "B", "C"]
    assert ranking["officer_score"].tolist() == pytest.approx([0.85, 0.65, 0.25])
    # k = 2 planted extorters; the top 2 are A (extorter) and B (slow new, honest).
    assert metrics["officer_k"] == 2
    assert metrics["officer_precision_at_k"] == 0.5
    assert metrics["slow_new_in_officer_top_k"] == 1.0


def test_the_models_own_officer_ranking_is_used_when_given() -> None:
    ranking = pd.DataFrame({"officer_id": ["C", "A", "B"], "score": [3.0, 2.0, 1.0]})
    metrics = evaluate_scores(SCORES, TRUTH, OFFICERS, officer_ranking=ranking)
    assert metrics["officer_precision_at_k"] == 1.0
    assert metrics["slow_new_in_officer_top_k"] == 0.0


def test_officers_from_transactions_when_scores_lack_them() -> None:
    transactions = SCORES[["transaction_id", "officer_id"]]
    metrics = evaluate_scores(SCORES.drop(columns="officer_id"), TRUTH, OFFICERS, transactions)
    assert metrics["officer_precision_at_k"] == 0.5


def test_unknown_truth_counts_as_benign_and_one_class_gives_nan() -> None:
    metrics = evaluate_scores(SCORES, TRUTH.head(0))
    assert metrics["n_irregular"] == 0
    assert np.isnan(metrics["average_precision"]) and np.isnan(metrics["roc_auc"])
    assert "n/a" in format_metrics(metrics)


def test_plots_are_figures_and_save_as_png(tmp_path: Path) -> None:
    ranked = ranked_truth(SCORES, TRUTH)
    figures = evaluation_figures(ranked, SCORES, band_capacities(SCORES))
    assert set(figures) == {"score_by_band", "pr_curve", "score_by_truth", "precision_at_k"}
    assert all(isinstance(f, Figure) for f in figures.values())
    written = save_figures(figures, tmp_path)
    for path in written.values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_metrics_are_json_and_mlflow_safe(metrics: dict[str, float]) -> None:
    from mlflow.utils.validation import validate_param_and_metric_name

    assert all(validate_param_and_metric_name(key) for key in metrics)
    json.dumps(metrics)


def test_explained_ceiling_counts_reasonless_irregular_cases() -> None:
    from model.evaluate import explained_ceiling

    truth = pd.DataFrame({"transaction_id": list("abcdef"), "is_irregular": [1, 1, 1, 1, 0, 0]})
    scores = pd.DataFrame(
        {
            "transaction_id": list("abcdef"),
            "risk_score": [0.9, 0.8, 0.1, 0.1, 0.7, 0.0],
            # two of four irregular ones show a signal of their own (a list, CSV-joined
            # codes); one only its officer's record, one nothing
            "reasons": [
                [{"code": "FEE_ON_FREE_SERVICE"}, {"code": "OFFICER_PATTERN"}],
                "OFFICER_PATTERN;HELD_PAST_STANDARD",
                [{"code": "OFFICER_PATTERN"}],
                "",
                ["X"],
                "",
            ],
        }
    )
    out = explained_ceiling(scores, truth)
    assert out["irregular_without_own_signal"] == 0.5
    # two explained positives on top (precision 1 to recall 0.5), the rest one tie at 4/6
    assert out["average_precision_ceiling"] == pytest.approx(0.5 * 1.0 + 0.5 * 4 / 6)
    assert explained_ceiling(scores.drop(columns="reasons"), truth) == {}
