"""Training: validate a data directory, fit the risk model, measure it, save and register it.

``train`` is what ``sidak train`` runs: contract check -> labels from outcomes (if any) ->
``RiskModel.fit`` (seeded, so the same data and settings give the same model) -> scores of
the training data -> metrics (score distribution, bands, labels, timing, and detection
metrics when a ground-truth directory is present) -> bundle in ``models_dir`` -> MLflow run
+ registry version.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.bundle import (
    ModelBundle,
    code_version,
    data_fingerprint,
    make_model_version,
    save_bundle,
)
from model.contract import Dataset, latest_outcomes, load_data_dir
from model.detect import RiskModel
from model.evaluate import evaluate_scores, load_truth, model_officer_ranking, ranked_truth
from model.settings import Settings, get_settings

logger = logging.getLogger(__name__)

OUTCOME_LABELS = {"confirmed": 1.0, "dismissed": 0.0}


@dataclass
class TrainResult:
    """What one training produced: the bundle, where it is, its metrics and MLflow ids."""

    bundle: ModelBundle
    bundle_path: Path
    metrics: dict[str, float]
    scores: pd.DataFrame
    run_id: str | None = None
    registered_version: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def model_version(self) -> str:
        return self.bundle.model_version


def labels_from_outcomes(
    transactions: pd.DataFrame, outcomes: pd.DataFrame | None
) -> pd.Series | None:
    """y aligned to ``transactions``: 1 confirmed, 0 dismissed, NaN never reviewed.

    Outcomes for transactions not in the data are ignored (with a log line).
    """
    if outcomes is None or outcomes.empty:
        return None
    outcomes = latest_outcomes(outcomes)  # a file reviewed twice: its latest verdict counts
    verdicts = outcomes.set_index("transaction_id")["outcome"].map(OUTCOME_LABELS)
    y = transactions["transaction_id"].map(verdicts).astype(float)
    y.index = transactions.index
    unmatched = int((~outcomes["transaction_id"].isin(transactions["transaction_id"])).sum())
    if unmatched:
        logger.warning("%d outcome(s) name transactions not in the data: ignored", unmatched)
    return y.rename("label")


def build_model(settings: Settings) -> RiskModel:
    """A RiskModel with the capacity, language and seed from settings."""
    wanted: dict[str, Any] = {
        "capacity_high_per_month": settings.capacity_high_per_month,
        "capacity_medium_per_month": settings.capacity_medium_per_month,
        "language": settings.language,
        "random_state": settings.random_seed,
    }
    accepted = RiskModel().get_params()
    return RiskModel(**{k: v for k, v in wanted.items() if k in accepted})


def score_summary(scores: pd.DataFrame) -> dict[str, float]:
    """Distribution of risk scores and band sizes of one scored table."""
    risk = scores["risk_score"].to_numpy(float)
    summary = {
        "score_mean": float(risk.mean()),
        "score_std": float(risk.std()),
    }
    for q in (50, 90, 99):
        summary[f"score_p{q}"] = float(np.percentile(risk, q))
    summary["score_max"] = float(risk.max())
    counts = scores["risk_band"].value_counts()
    for band in ("high", "medium", "low"):
        summary[f"band_{band}"] = float(counts.get(band, 0))
        summary[f"band_{band}_share"] = float(counts.get(band, 0)) / max(1, len(scores))
    return summary


def _unique_version(fingerprint: str, models_dir: Path) -> str:
    """A model version whose bundle directory does not exist yet (same second -> next)."""
    moment = datetime.now(UTC)
    version = make_model_version(fingerprint, moment)
    while (models_dir / version).exists():
        moment += timedelta(seconds=1)
        version = make_model_version(fingerprint, moment)
    return version


def fit_model(dataset: Dataset, y: pd.Series | None, settings: Settings) -> tuple[RiskModel, float]:
    """A model fitted on ``dataset`` (seeded from settings) and the seconds it took."""
    model = build_model(settings)
    started = time.perf_counter()
    model.fit(
        dataset.transactions,
        y,
        services=dataset.services,
        complaints=dataset.complaints,
        holidays=dataset.holidays,
    )
    seconds = time.perf_counter() - started
    n = len(dataset.transactions)
    logger.info("fitted on %d transactions in %.1f s (%.0f rows/s)", n, seconds, n / seconds)
    return model, seconds


def outdated_tariffs(model: RiskModel, services: pd.DataFrame) -> list[str]:
    """One warning per office and service whose receipts show a fixed fee other than the
    catalogue's: the catalogue is likely out of date there (a new regional regulation), and
    those amounts were taken as the tariff in force. Training logs them and counts them in
    the run's metrics (``outdated_tariffs``)."""
    in_force = model.features_.signals_.tariffs_in_force_
    catalogue = services.set_index("service_code")["official_fee_idr"]
    months: dict[tuple[str, str, float], list[str]] = {}
    for key, amount in in_force.items():
        office, service, month = key.rsplit("|", 2)
        months.setdefault((office, service, amount), []).append(month)
    lines = []
    for (office, service, amount), seen in sorted(months.items()):
        listed = catalogue.get(service)
        lines.append(
            f"services.csv may be out of date: in {office}, receipts for {service} show "
            f"Rp {amount:,.0f} (catalogue: Rp {float(listed):,.0f}) in "
            f"{len(seen)} month(s) from {min(seen)}; taken as the tariff in force there. "
            "Check the service standard."
        )
    return lines


def _truth_metrics(
    model: RiskModel, dataset: Dataset, scores: pd.DataFrame, truth_dir: Path
) -> tuple[dict[str, float], pd.DataFrame]:
    truth, officers = load_truth(truth_dir)
    ranking = model_officer_ranking(model, dataset.transactions, dataset.complaints)
    metrics = evaluate_scores(
        scores, truth, officers, dataset.transactions, officer_ranking=ranking
    )
    return metrics, ranked_truth(scores, truth)


def _default_truth_dir(data_dir: Path, truth_dir: Path | None) -> Path | None:
    if truth_dir is not None:
        return Path(truth_dir)
    candidate = Path(data_dir) / "truth"
    return candidate if (candidate / "transactions.csv").exists() else None


def _metadata(
    model: RiskModel, dataset: Dataset, fingerprint: str, metrics: dict[str, float]
) -> dict[str, Any]:
    return {
        "model_version": model.model_version_,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_fingerprint": fingerprint,
        "data_source": str(Path(dataset.source).resolve()) if dataset.source else "",
        **code_version(),
        "params": model.get_params(),
        "metrics": metrics,
        "thresholds": dict(getattr(model, "thresholds_", {}) or {}),
        "n_transactions": len(dataset.transactions),
        "n_labels": int(metrics.get("n_labels", 0)),
        "tables": {k: len(v) for k, v in _tables(dataset).items() if v is not None},
        "mlflow_run_id": None,
        "registered_version": None,
    }


def _tables(dataset: Dataset) -> dict[str, pd.DataFrame | None]:
    return {
        "services": dataset.services,
        "transactions": dataset.transactions,
        "complaints": dataset.complaints,
        "holidays": dataset.holidays,
        "outcomes": dataset.outcomes,
    }


def train(
    data_dir: Path | str,
    settings: Settings | None = None,
    truth_dir: Path | str | None = None,
    register: bool = True,
    track: bool = True,
) -> TrainResult:
    """Fit, measure, save and (unless ``track`` is False) log and register a model.

    ``register=False`` still logs the MLflow run but creates no registry version;
    ``track=False`` skips MLflow entirely (benchmarks). Raises ``ContractError`` for a
    directory that breaks the data contract.
    """
    settings = settings or get_settings()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    dataset = load_data_dir(data_dir, timezone=settings.timezone)
    timings["load_seconds"] = time.perf_counter() - started
    y = labels_from_outcomes(dataset.transactions, dataset.outcomes)
    fingerprint = data_fingerprint(_tables(dataset))
    model, timings["fit_seconds"] = fit_model(dataset, y, settings)
    outdated = outdated_tariffs(model, dataset.services)
    for line in outdated:
        logger.warning("%s", line)
    model.model_version_ = _unique_version(fingerprint, Path(settings.models_dir))
    started = time.perf_counter()
    scores = model.score_transactions(dataset.transactions, dataset.complaints)
    timings["score_seconds"] = time.perf_counter() - started
    metrics, ranked = _measure(model, dataset, scores, y, timings, data_dir, truth_dir)
    metrics["outdated_tariffs"] = float(len(outdated))
    bundle = ModelBundle(model, _metadata(model, dataset, fingerprint, metrics))
    bundle_path = save_bundle(bundle, Path(settings.models_dir) / model.model_version_)
    result = TrainResult(bundle, bundle_path, metrics, scores, timings=timings)
    if track:
        _track(result, dataset, ranked, register, settings)
    return result


def _measure(
    model: RiskModel,
    dataset: Dataset,
    scores: pd.DataFrame,
    y: pd.Series | None,
    timings: dict[str, float],
    data_dir: Path | str,
    truth_dir: Path | str | None,
) -> tuple[dict[str, float], pd.DataFrame | None]:
    n = len(dataset.transactions)
    metrics = dict(score_summary(scores))
    metrics["n_labels"] = float(0 if y is None else y.notna().sum())
    metrics["n_confirmed"] = float(0 if y is None else (y == 1).sum())
    # How far the risk leans on the verdict model (earned on held-out verdicts).
    metrics["supervised_weight"] = float(getattr(model, "supervised_weight_", 0.0))
    metrics.update(timings)
    metrics["fit_rows_per_second"] = n / max(timings["fit_seconds"], 1e-9)
    metrics["score_rows_per_second"] = n / max(timings["score_seconds"], 1e-9)
    found = _default_truth_dir(Path(data_dir), Path(truth_dir) if truth_dir else None)
    if found is None:
        return metrics, None
    truth_metrics, ranked = _truth_metrics(model, dataset, scores, found)
    metrics.update(truth_metrics)
    logger.info(
        "against truth in %s: AP %.3f, precision@100 %.3f",
        found,
        truth_metrics.get("average_precision", float("nan")),
        truth_metrics.get("precision_at_100", float("nan")),
    )
    return metrics, ranked


def _track(
    result: TrainResult,
    dataset: Dataset,
    ranked: pd.DataFrame | None,
    register: bool,
    settings: Settings,
) -> None:
    from model.plots import band_capacities, evaluation_figures
    from model.registry import log_training_run

    figures = evaluation_figures(ranked, result.scores, band_capacities(result.scores))
    record = log_training_run(
        result.bundle,
        result.bundle_path,
        figures=figures,
        transactions=dataset.transactions,
        register=register,
        settings=settings,
    )
    result.run_id = record.run_id
    result.registered_version = record.registered_version
