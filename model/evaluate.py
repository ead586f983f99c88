"""Detection metrics for a queue of scored transactions against ground truth.

What counts for an inspectorate is the top of the queue: of the k cases it can inspect,
how many were real (precision@k), which planted schemes the top reaches (per-scheme
recall), how many benign look-alikes crowd it (outages, surges, slow new officers...),
and whether the officers behind repeated extortion rank above their honest colleagues.
When the scores carry reasons, it also says how much of the truth they can see at all: the
share of irregular transactions with no signal of their own, and the average precision a
queue would reach with every one that has such a signal on top (``explained_ceiling``).

Truth tables (as written by the simulator under ``<data>/truth/``):

- transactions: ``transaction_id, is_irregular (0/1), scheme, lookalike``
- officers: ``officer_id, office_id, is_extorter (0/1), profile, schemes``

Metric keys use only characters MLflow accepts (``precision_at_100``,
``scheme_recall_at_1000/<scheme>``), so the dict can be logged as is.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from model.errors import SidakError
from model.settings import Settings, get_settings

logger = logging.getLogger(__name__)

PRECISION_KS = (100, 500, 1000)
SCHEME_RECALL_K = 1000
LOOKALIKE_K = 500
OFFICER_TOP_SCORES = 10
SLOW_NEW_PROFILE = "slow_new"
_COUNT_KEYS = {"officer_k", "slow_new_in_officer_top_k"}


def load_truth(truth_dir: Path | str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Read ``transactions.csv`` (required) and ``officers.csv`` (optional) from a truth dir."""
    root = Path(truth_dir)
    path = root / "transactions.csv"
    if not path.exists():
        raise SidakError(
            f"No ground truth at {path}: evaluation needs a truth directory "
            "(a simulated world writes one to <data>/truth/), or pass --truth DIR."
        )
    truth = pd.read_csv(path, dtype={"transaction_id": str, "scheme": str, "lookalike": str})
    officers_path = root / "officers.csv"
    officers = (
        pd.read_csv(officers_path, dtype={"officer_id": str, "office_id": str, "profile": str})
        if officers_path.exists()
        else None
    )
    return truth, officers


def ranked_truth(scores: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Scores joined to truth, best first (ties keep input order, so results are stable).

    Transactions without a truth row count as benign; truth rows without a score are
    ignored (they were not in the scored data).
    """
    columns = ["transaction_id", "is_irregular"]
    columns += [c for c in ("scheme", "lookalike") if c in truth.columns]
    merged = scores[["transaction_id", "risk_score"]].merge(
        truth[columns], on="transaction_id", how="left", validate="one_to_one"
    )
    merged["is_irregular"] = merged["is_irregular"].fillna(0).astype(int)
    for column in ("scheme", "lookalike"):
        if column not in merged:
            merged[column] = ""
        merged[column] = merged[column].fillna("").astype(str)
    order = np.argsort(-merged["risk_score"].to_numpy(float), kind="stable")
    return merged.iloc[order].reset_index(drop=True)


def precision_at(ranked: pd.DataFrame, k: int) -> float:
    """Share of irregular transactions among the first ``min(k, n)`` of the ranked queue."""
    top = ranked["is_irregular"].to_numpy()[: max(1, min(k, len(ranked)))]
    return float(top.mean()) if len(top) else float("nan")


def ranking_metrics(ranked: pd.DataFrame) -> dict[str, float]:
    """precision@k, R-precision, average precision and ROC-AUC of a ranked queue."""
    labels = ranked["is_irregular"].to_numpy()
    risk = ranked["risk_score"].to_numpy(float)
    n_positive = int(labels.sum())
    metrics: dict[str, float] = {
        "n_transactions": float(len(ranked)),
        "n_irregular": float(n_positive),
        "base_rate": float(labels.mean()) if len(labels) else float("nan"),
    }
    for k in PRECISION_KS:
        metrics[f"precision_at_{k}"] = precision_at(ranked, k)
    metrics["r_precision"] = precision_at(ranked, n_positive) if n_positive else float("nan")
    both_classes = 0 < n_positive < len(labels)
    metrics["average_precision"] = (
        float(average_precision_score(labels, risk)) if both_classes else float("nan")
    )
    metrics["roc_auc"] = float(roc_auc_score(labels, risk)) if both_classes else float("nan")
    return metrics


def _split_codes(values: pd.Series) -> pd.Series:
    """One row per (position, code) for ';'-joined codes; empty strings dropped."""
    codes = values.str.split(";").explode().str.strip()
    return codes[codes.notna() & (codes != "")]


def scheme_recall(ranked: pd.DataFrame, k: int = SCHEME_RECALL_K) -> dict[str, float]:
    """For each planted scheme: the share of its transactions within the first k."""
    irregular = ranked[ranked["is_irregular"] == 1]
    codes = _split_codes(irregular["scheme"])
    cutoff = min(k, len(ranked))
    metrics = {}
    for scheme, positions in codes.groupby(codes).groups.items():
        in_top = np.asarray(positions) < cutoff
        metrics[f"scheme_recall_at_{k}/{scheme}"] = float(in_top.mean())
    return metrics


def lookalike_share(ranked: pd.DataFrame, k: int = LOOKALIKE_K) -> dict[str, float]:
    """Share of the first k taken by benign look-alikes, overall and per look-alike type."""
    top = ranked.iloc[: min(k, len(ranked))]
    benign = top[(top["is_irregular"] == 0) & (top["lookalike"] != "")]
    metrics = {f"lookalike_share_at_{k}": len(benign) / max(1, len(top))}
    all_types = set(_split_codes(ranked.loc[ranked["is_irregular"] == 0, "lookalike"]))
    counts = _split_codes(benign["lookalike"]).value_counts()
    for kind in sorted(all_types):
        metrics[f"lookalike_share_at_{k}/{kind}"] = float(counts.get(kind, 0)) / max(1, len(top))
    return metrics


def officer_ranking_from_scores(
    scores: pd.DataFrame, top_n: int = OFFICER_TOP_SCORES
) -> pd.DataFrame:
    """Officers ranked by the mean of their ``top_n`` highest transaction scores."""
    known = scores.dropna(subset=["officer_id"])
    top = (
        known.sort_values("risk_score", ascending=False, kind="stable")
        .groupby("officer_id", sort=False)["risk_score"]
        .apply(lambda s: float(s.head(top_n).mean()))
    )
    ranking = top.sort_values(ascending=False, kind="stable").rename("officer_score")
    return ranking.reset_index()


def officer_metrics(ranking: pd.DataFrame, officer_truth: pd.DataFrame) -> dict[str, float]:
    """Precision of the top-k officers, k = the number of planted extorters."""
    n_extorters = int(officer_truth["is_extorter"].sum())
    if n_extorters == 0 or ranking.empty:
        return {"officer_k": float(n_extorters)}
    top_ids = ranking["officer_id"].astype(str).head(n_extorters)
    truth = officer_truth.assign(officer_id=officer_truth["officer_id"].astype(str))
    top = truth.set_index("officer_id").reindex(top_ids)
    metrics = {
        "officer_k": float(n_extorters),
        "officer_precision_at_k": float(top["is_extorter"].fillna(0).sum()) / n_extorters,
    }
    if "profile" in truth:
        profiles = top["profile"].fillna("").astype(str)
        metrics["slow_new_in_officer_top_k"] = float(
            profiles.str.split(";").apply(lambda p: SLOW_NEW_PROFILE in p).any()
        )
    return metrics


def evaluate_scores(
    scores: pd.DataFrame,
    truth: pd.DataFrame,
    officer_truth: pd.DataFrame | None = None,
    transactions: pd.DataFrame | None = None,
    *,
    officer_ranking: pd.DataFrame | None = None,
) -> dict[str, float]:
    """All detection metrics for one queue of scores (see the module docstring).

    ``scores`` needs ``transaction_id, risk_score`` (and ``officer_id``, else it is taken
    from ``transactions``). ``officer_ranking`` is the model's own ranking (e.g.
    ``RiskModel.rank_entities``), best first; without it officers are ranked by the mean of
    their top transaction scores.
    """
    ranked = ranked_truth(scores, truth)
    metrics = ranking_metrics(ranked)
    metrics.update(scheme_recall(ranked))
    metrics.update(lookalike_share(ranked))
    metrics.update(explained_ceiling(scores, truth))
    if officer_truth is not None:
        if officer_ranking is None:
            with_officer = _with_officer(scores, transactions)
            officer_ranking = (
                None if with_officer is None else officer_ranking_from_scores(with_officer)
            )
        if officer_ranking is not None:
            metrics.update(officer_metrics(officer_ranking, officer_truth))
    return metrics


# Reasons about the officer or intermediary rather than the file: an extorting officer's
# clean files carry them too, so they do not show that the file itself left a trace.
ENTITY_REASON_CODES = frozenset(
    {"OFFICER_PATTERN", "AGENT_FEE_RECORD", "CONFIRMED_BEFORE", "LEARNED_FROM_VERDICTS"}
)


def _own_codes(value: Any) -> bool:
    """The reasons (a list of {code, ...}, or ``;``-joined codes from a CSV) name a signal
    of the transaction's own, not only of its officer."""
    if isinstance(value, str):
        codes = [code.strip() for code in value.split(";")]
    elif isinstance(value, list | tuple):
        codes = [str(item["code"]) if isinstance(item, dict) else str(item) for item in value]
    else:
        return False
    return any(code and code not in ENTITY_REASON_CODES for code in codes)


def explained_ceiling(scores: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """How much of the truth the scores can see at all.

    ``irregular_without_own_signal``: share of irregular transactions whose reasons name no
    signal of their own (at most their officer's record, ``ENTITY_REASON_CODES``): files
    that leave no trace in the data. ``average_precision_ceiling``: the average precision of
    a queue that put every irregular transaction *with* such a signal first and everything
    else in one tie, i.e. about the best these signals allow when the traceless ones can
    only be found by chance. Empty when the scores carry no reasons.
    """
    if "reasons" not in scores:
        return {}
    explained = scores["reasons"].map(_own_codes).to_numpy(dtype=bool)
    labels = (
        scores[["transaction_id"]]
        .merge(truth[["transaction_id", "is_irregular"]], on="transaction_id", how="left")[
            "is_irregular"
        ]
        .fillna(0)
        .to_numpy(dtype=int)
    )
    n_positive = int(labels.sum())
    if not 0 < n_positive < len(labels):
        return {}
    seen = (labels == 1) & explained
    return {
        "irregular_without_own_signal": float(1.0 - seen.sum() / n_positive),
        "average_precision_ceiling": float(average_precision_score(labels, seen.astype(float))),
    }


def _with_officer(scores: pd.DataFrame, transactions: pd.DataFrame | None) -> pd.DataFrame | None:
    if "officer_id" in scores and scores["officer_id"].notna().any():
        return scores
    if transactions is None or "officer_id" not in transactions:
        logger.info("no officer_id available: officer metrics skipped")
        return None
    officers = transactions[["transaction_id", "officer_id"]]
    return scores.drop(columns="officer_id", errors="ignore").merge(officers, on="transaction_id")


def model_officer_ranking(
    model: Any, transactions: pd.DataFrame, complaints: pd.DataFrame | None = None
) -> pd.DataFrame | None:
    """The model's own officer ranking when it offers one (``rank_entities``), else None."""
    rank = getattr(model, "rank_entities", None)
    if rank is None:
        return None
    try:
        ranking = rank(transactions, complaints, level="officer")
    except (NotImplementedError, AttributeError, KeyError, ValueError) as error:
        logger.warning("rank_entities failed (%s); ranking officers by their top scores", error)
        return None
    if not isinstance(ranking, pd.DataFrame) or "officer_id" not in ranking:
        ranking = ranking.reset_index() if isinstance(ranking, pd.DataFrame) else None
    if ranking is None or "officer_id" not in ranking:
        logger.warning("rank_entities returned no officer_id column; using top scores")
        return None
    if "rank" in ranking:
        ranking = ranking.sort_values("rank", kind="stable")
    return ranking.reset_index(drop=True)


def format_metrics(metrics: dict[str, Any]) -> str:
    """A readable two-column table of metrics, grouped as they are keyed."""
    width = max((len(k) for k in metrics), default=0)
    lines = []
    for key, value in metrics.items():
        if isinstance(value, float):
            shown = "n/a" if np.isnan(value) else f"{value:,.4f}".rstrip("0").rstrip(".")
            if key.startswith("n_") or key in _COUNT_KEYS:
                shown = f"{value:,.0f}"
        else:
            shown = str(value)
        lines.append(f"  {key:<{width}}  {shown}")
    return "\n".join(lines)


# --- evaluating a data directory (what ``sidak evaluate`` runs) ---------------------------


@dataclass
class Evaluation:
    """Metrics of one queue of scores, where they were written, and the MLflow run used."""

    metrics: dict[str, float]
    model_version: str | None
    output_dir: Path
    files: dict[str, Path] = field(default_factory=dict)
    run_id: str | None = None


def evaluate_data_dir(
    data_dir: Path | str,
    *,
    scores_path: Path | str | None = None,
    model_ref: str | None = None,
    truth_dir: Path | str | None = None,
    output_dir: Path | str | None = None,
    settings: Settings | None = None,
) -> Evaluation:
    """Evaluate a scores CSV (or a model, scoring the data now) against ground truth.

    Writes ``metrics.json`` and the plots into ``output_dir`` (default
    ``settings.reports_dir``) and logs both to the MLflow run that trained the model, when
    that run can be found.
    """
    from model.contract import load_data_dir

    settings = settings or get_settings()
    dataset = load_data_dir(data_dir, timezone=settings.timezone)
    truth, officers = load_truth(Path(truth_dir) if truth_dir else Path(data_dir) / "truth")
    scores, bundle = _scores_and_model(dataset, scores_path, model_ref, settings)
    ranking = None
    if bundle is not None:
        ranking = model_officer_ranking(bundle.model, dataset.transactions, dataset.complaints)
    metrics = evaluate_scores(
        scores, truth, officers, dataset.transactions, officer_ranking=ranking
    )
    version = _model_version_of(scores, bundle)
    target = Path(output_dir) if output_dir else Path(settings.reports_dir)
    files = _write_evaluation(metrics, scores, ranked_truth(scores, truth), target, version)
    result = Evaluation(metrics, version, target, files)
    if version:
        result.run_id = _log_evaluation(version, metrics, list(files.values()), settings)
    return result


def _scores_and_model(
    dataset: Any, scores_path: Path | str | None, model_ref: str | None, settings: Settings
) -> tuple[pd.DataFrame, Any]:
    """The scores to evaluate and, when it can be loaded, the model that produced them."""
    from model.bundle import load_bundle
    from model.predict import read_scores, score_dataset
    from model.registry import resolve_model

    if scores_path is not None and model_ref is not None:
        raise SidakError("Give either --scores or --model, not both.")
    if scores_path is not None:
        scores = read_scores(scores_path)
        version = _model_version_of(scores, None)
        if version is None:
            return scores, None
        try:
            return scores, load_bundle(resolve_model(version, settings))
        except SidakError as error:
            logger.warning("model %s not available (%s): officers ranked by scores", version, error)
            return scores, None
    bundle = load_bundle(resolve_model(model_ref, settings))
    return score_dataset(bundle, dataset, settings), bundle


def _model_version_of(scores: pd.DataFrame, bundle: Any) -> str | None:
    if bundle is not None:
        return str(bundle.model_version)
    if "model_version" in scores:
        versions = scores["model_version"].dropna().unique()
        return str(versions[0]) if len(versions) == 1 else None
    return None


def _write_evaluation(
    metrics: dict[str, float],
    scores: pd.DataFrame,
    ranked: pd.DataFrame,
    target: Path,
    model_version: str | None,
) -> dict[str, Path]:
    from model.plots import band_capacities, evaluation_figures, save_figures

    target.mkdir(parents=True, exist_ok=True)
    files = dict(save_figures(evaluation_figures(ranked, scores, band_capacities(scores)), target))
    path = target / "metrics.json"
    payload = {"model_version": model_version, "metrics": _json_floats(metrics)}
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    files["metrics"] = path
    logger.info("wrote evaluation to %s", target)
    return files


def _json_floats(metrics: dict[str, float]) -> dict[str, float | None]:
    return {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in metrics.items()}


def _log_evaluation(
    model_version: str, metrics: dict[str, float], files: list[Path], settings: Settings
) -> str | None:
    from model.registry import log_to_model_run

    try:
        return log_to_model_run(model_version, metrics, files, settings=settings)
    except Exception as error:  # tracking is a convenience here: never lose the evaluation
        logger.warning("could not log the evaluation to MLflow: %s", error)
        return None
