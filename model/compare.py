"""Champion against challenger: which of two trained models should serve.

``sidak compare DATA_DIR`` scores one data directory with two models (by default the
``champion`` and the newest model trained since) and judges both queues by one yardstick:

- **a ground-truth directory** (``--truth``, or ``DATA_DIR/truth``: a simulated world, or an
  audit that examined every file): the metrics of ``model.evaluate`` side by side. The
  challenger is recommended when its average precision is higher by more than
  ``TRUTH_MARGIN``, the champion kept when it is lower by as much.
- **else the supervisors' verdicts** in ``outcomes`` that *neither* model was fitted on (each
  model keeps the ids of the verdicts it learnt from, ``RiskModel.reviewed_ids_``; a model
  judged on its own training labels looks better than it is). Measured on those files:
  average precision and ROC-AUC of the risk over the reviewed files, and how many
  confirmed and dismissed cases each model puts in its top ``k`` of the whole queue. A
  paired bootstrap over the verdicts says how often the challenger ranks them better; it is
  recommended when it wins in at least ``WIN_SHARE_TO_PROMOTE`` of the resamples, the
  champion kept when it wins in at most ``1 - WIN_SHARE_TO_PROMOTE``.

Supervisors mostly review the champion's own queue, which favours the champion on these
verdicts: a challenger that wins anyway has earned it, and a draw is read as "keep".
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

from model.bundle import ModelBundle, load_bundle
from model.contract import Dataset, load_data_dir
from model.errors import ModelNotFoundError, SidakError
from model.predict import score_dataset
from model.settings import Settings, get_settings

logger = logging.getLogger(__name__)

TRUTH_MARGIN = 0.005
WIN_SHARE_TO_PROMOTE = 0.9
BOOTSTRAP_RESAMPLES = 1000
MIN_VERDICTS_PER_CLASS = 5
DEFAULT_TOP = 100
# What the side-by-side table shows when judged against ground truth.
TRUTH_METRICS = (
    "average_precision",
    "precision_at_100",
    "precision_at_500",
    "precision_at_1000",
    "r_precision",
    "roc_auc",
    "lookalike_share_at_500",
    "officer_precision_at_k",
    "slow_new_in_officer_top_k",
)
PROMOTE, KEEP, UNDECIDED, TOO_FEW = "promote", "keep", "undecided", "too_few"


@dataclass
class Comparison:
    """Two models' figures on one data directory, and what they say about promotion."""

    champion: str
    challenger: str
    yardstick: str  # "truth" or "verdicts"
    table: pd.DataFrame  # one row per metric: champion, challenger, difference
    decision: str  # promote / keep / undecided / too_few
    summary: str  # the decision in a sentence a data scientist can act on
    win_share: float | None = None  # bootstrap share of resamples the challenger wins
    counts: dict[str, int] = field(default_factory=dict)
    top: int = DEFAULT_TOP  # the queue length the top-k figures count
    shared_in_top: int = 0  # files both models put in their top ``top``
    output_dir: Path | None = None
    files: dict[str, Path] = field(default_factory=dict)
    run_id: str | None = None

    def metrics(self) -> dict[str, float]:
        """Flat numeric figures, as logged to the challenger's MLflow run."""
        flat: dict[str, float] = {}
        for metric, row in self.table.iterrows():
            for column in ("champion", "challenger", "difference"):
                flat[f"{column}_{metric}"] = float(row[column])
        if self.win_share is not None:
            flat["challenger_win_share"] = float(self.win_share)
        flat.update({key: float(value) for key, value in self.counts.items()})
        flat[f"shared_in_top_{self.top}"] = float(self.shared_in_top)
        return flat


# --- the two models ----------------------------------------------------------------------


def resolve_pair(
    champion_ref: str | None, challenger_ref: str | None, settings: Settings
) -> tuple[Path, Path]:
    """Bundle directories of the champion (default: the ``champion`` alias) and the
    challenger (default: the newest local bundle that is not the champion)."""
    from model.registry import CHAMPION, local_bundles, resolve_model

    try:
        champion = resolve_model(champion_ref or CHAMPION, settings)
    except ModelNotFoundError as error:
        if champion_ref:
            raise
        raise ModelNotFoundError(
            f"No champion to compare with. {error} Promote one (sidak promote VERSION), or "
            "name the model in service: --champion REF."
        ) from None
    if challenger_ref:
        challenger = resolve_model(challenger_ref, settings)
    else:
        others = [p for p in local_bundles(settings) if p.resolve() != champion.resolve()]
        if not others:
            raise ModelNotFoundError(
                f"No model besides the champion ({champion.name}) to compare it with. Train "
                "one (sidak train DATA_DIR) or name it: --challenger REF."
            )
        challenger = others[-1]
    if challenger.resolve() == champion.resolve():
        raise SidakError(f"Champion and challenger are the same model ({champion.name}).")
    return champion, challenger


# --- yardsticks --------------------------------------------------------------------------


def fresh_verdicts(
    transactions: pd.DataFrame, outcomes: pd.DataFrame | None, *models: Any
) -> tuple[pd.Series, dict[str, int]]:
    """The latest verdict (1 confirmed, 0 dismissed) of each reviewed transaction that none of
    ``models`` was fitted on, indexed by transaction id; and how many were left out."""
    from model.train import labels_from_outcomes

    y = labels_from_outcomes(transactions, outcomes)
    if y is None:
        return pd.Series(dtype=float), {"n_verdicts": 0, "n_verdicts_seen_in_training": 0}
    verdicts = pd.Series(y.to_numpy(), index=transactions["transaction_id"].astype(str)).dropna()
    seen = set()
    for model in models:
        seen.update(np.asarray(getattr(model, "reviewed_ids_", []), dtype=str).tolist())
    trained_on = verdicts.index.isin(list(seen))
    counts = {"n_verdicts": len(verdicts), "n_verdicts_seen_in_training": int(trained_on.sum())}
    return verdicts[~trained_on].astype(int), counts


def _risk_of(scores: pd.DataFrame, ids: pd.Index) -> np.ndarray:
    """The risk scores of the transactions ``ids``, in that order."""
    risk = scores.set_index(scores["transaction_id"].astype(str))["risk_score"]
    return risk.reindex(ids).to_numpy(float)


def verdict_metrics(scores: pd.DataFrame, verdicts: pd.Series, top: int) -> dict[str, float]:
    """How one queue ranks the verdicts: AP and ROC-AUC over the reviewed files, confirmed
    and dismissed cases in its top ``top``."""
    reviewed = _risk_of(scores, verdicts.index)
    labels = verdicts.to_numpy(int)
    both = 0 < labels.sum() < len(labels)
    order = np.argsort(-scores["risk_score"].to_numpy(float), kind="stable")
    head = scores["transaction_id"].astype(str).to_numpy()[order[:top]]
    in_head = verdicts.reindex(head).dropna()
    return {
        "average_precision": float(average_precision_score(labels, reviewed)) if both else np.nan,
        "roc_auc": float(roc_auc_score(labels, reviewed)) if both else np.nan,
        f"confirmed_in_top_{top}": float((in_head == 1).sum()),
        f"dismissed_in_top_{top}": float((in_head == 0).sum()),
    }


def bootstrap_win_share(
    labels: np.ndarray,
    champion: np.ndarray,
    challenger: np.ndarray,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
) -> float:
    """Share of paired bootstrap resamples of the verdicts in which the challenger's average
    precision beats the champion's (a tie counts half). Resamples holding one class only
    are drawn again, so every resample counts."""
    rng = np.random.default_rng(seed)
    n, wins, done = len(labels), 0.0, 0
    while done < resamples:
        pick = rng.integers(0, n, size=(resamples - done, n))
        held = labels[pick]
        usable = (held.sum(axis=1) > 0) & (held.sum(axis=1) < n)
        for row in pick[usable]:
            a = average_precision_score(labels[row], champion[row])
            b = average_precision_score(labels[row], challenger[row])
            wins += 1.0 if b > a + 1e-12 else 0.5 if abs(b - a) <= 1e-12 else 0.0
        done += int(usable.sum())
    return wins / resamples


def _table(champion: dict[str, float], challenger: dict[str, float], keys: Any) -> pd.DataFrame:
    rows = {
        key: (champion.get(key, np.nan), challenger.get(key, np.nan))
        for key in keys
        if key in champion or key in challenger
    }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["champion", "challenger"])
    table["difference"] = table["challenger"] - table["champion"]
    return table


# --- the comparison ----------------------------------------------------------------------


def compare_models(
    data_dir: Path | str,
    *,
    champion: str | None = None,
    challenger: str | None = None,
    truth_dir: Path | str | None = None,
    top: int = DEFAULT_TOP,
    output_dir: Path | str | None = None,
    settings: Settings | None = None,
    progress: bool = False,
) -> Comparison:
    """Score ``data_dir`` with both models and judge them (see the module docstring).

    Writes ``compare.json`` and ``compare.csv`` into ``output_dir`` (default
    ``settings.reports_dir``) and logs the figures to the challenger's MLflow run.
    """
    if top < 1:
        raise SidakError(f"--top must be at least 1 (got {top}).")
    settings = settings or get_settings()
    dataset = load_data_dir(data_dir, timezone=settings.timezone)
    paths = resolve_pair(champion, challenger, settings)
    bundles = [load_bundle(path) for path in paths]
    scores = [score_dataset(b, dataset, settings, progress=progress) for b in bundles]
    truth = Path(truth_dir) if truth_dir else Path(data_dir) / "truth"
    if truth_dir or (truth / "transactions.csv").exists():
        result = _against_truth(bundles, scores, dataset, truth)
    else:
        result = judge_on_verdicts(
            bundles, scores, dataset.transactions, dataset.outcomes, top, settings.random_seed
        )
    result.top, result.shared_in_top = top, _shared_head(scores, top)
    target = Path(output_dir) if output_dir else Path(settings.reports_dir)
    result.output_dir = target
    result.files = _write(result, target)
    result.run_id = _log(result, settings)
    return result


def _shared_head(scores: list[pd.DataFrame], top: int) -> int:
    heads = []
    for queue in scores:
        order = np.argsort(-queue["risk_score"].to_numpy(float), kind="stable")[:top]
        heads.append(set(queue["transaction_id"].astype(str).to_numpy()[order]))
    return len(heads[0] & heads[1])


def _against_truth(
    bundles: list[ModelBundle], scores: list[pd.DataFrame], dataset: Dataset, truth_dir: Path
) -> Comparison:
    from model.evaluate import evaluate_scores, load_truth, model_officer_ranking

    truth, officers = load_truth(truth_dir)
    figures = []
    for bundle, queue in zip(bundles, scores, strict=True):
        current = bundle.model.with_reference(dataset.services, dataset.holidays)
        ranking = model_officer_ranking(current, dataset.transactions, dataset.complaints)
        figures.append(
            evaluate_scores(queue, truth, officers, dataset.transactions, officer_ranking=ranking)
        )
    table = _table(figures[0], figures[1], TRUTH_METRICS)
    gain = float(table.loc["average_precision", "difference"])
    names = [bundle.model_version for bundle in bundles]
    if gain > TRUTH_MARGIN:
        decision = PROMOTE
        summary = (
            f"The challenger's average precision is {gain:+.3f} against the truth in "
            f"{truth_dir}: promote it with `sidak promote {names[1]}`."
        )
    elif gain < -TRUTH_MARGIN:
        decision = KEEP
        summary = f"The challenger's average precision is {gain:+.3f}: keep the champion."
    else:
        decision = UNDECIDED
        summary = (
            f"The two are within {TRUTH_MARGIN} in average precision ({gain:+.4f}): no reason "
            "to change the model in service."
        )
    counts = {"n_irregular": int(figures[0].get("n_irregular", 0))}
    return Comparison(names[0], names[1], "truth", table, decision, summary, counts=counts)


def judge_on_verdicts(
    bundles: list[ModelBundle],
    scores: list[pd.DataFrame],
    transactions: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    top: int = DEFAULT_TOP,
    seed: int = 0,
) -> Comparison:
    """Champion (``bundles[0]``, ``scores[0]``) against challenger on the verdicts in
    ``outcomes`` that neither was fitted on."""
    names = [bundle.model_version for bundle in bundles]
    verdicts, counts = fresh_verdicts(transactions, outcomes, *(b.model for b in bundles))
    confirmed = int(verdicts.sum())
    counts.update({"n_fresh_confirmed": confirmed, "n_fresh_dismissed": len(verdicts) - confirmed})
    figures = [verdict_metrics(queue, verdicts, top) for queue in scores]
    table = _table(figures[0], figures[1], list(figures[0]))
    if min(confirmed, len(verdicts) - confirmed) < MIN_VERDICTS_PER_CLASS:
        summary = (
            f"Too few verdicts neither model was fitted on to judge them: {confirmed} "
            f"confirmed and {len(verdicts) - confirmed} dismissed (at least "
            f"{MIN_VERDICTS_PER_CLASS} of each are needed; {counts['n_verdicts_seen_in_training']} "
            "more were used in training). Compare again once supervisors have reviewed more "
            "cases, or against a truth directory (--truth)."
        )
        return Comparison(names[0], names[1], "verdicts", table, TOO_FEW, summary, counts=counts)
    risks = [_risk_of(queue, verdicts.index) for queue in scores]
    share = bootstrap_win_share(verdicts.to_numpy(int), risks[0], risks[1], seed=seed)
    n = len(verdicts)
    if share >= WIN_SHARE_TO_PROMOTE:
        decision = PROMOTE
        summary = (
            f"The challenger ranks the {n} fresh verdicts better in {share:.0%} of "
            f"{BOOTSTRAP_RESAMPLES:,} resamples: promote it with `sidak promote {names[1]}`."
        )
    elif share <= 1 - WIN_SHARE_TO_PROMOTE:
        decision = KEEP
        summary = (
            f"The champion ranks the {n} fresh verdicts better in {1 - share:.0%} of "
            f"{BOOTSTRAP_RESAMPLES:,} resamples: keep it."
        )
    else:
        decision = UNDECIDED
        summary = (
            f"No clear winner on {n} fresh verdicts (the challenger wins {share:.0%} of "
            f"{BOOTSTRAP_RESAMPLES:,} resamples): keep the champion until more verdicts "
            "decide it."
        )
    return Comparison(
        names[0], names[1], "verdicts", table, decision, summary, win_share=share, counts=counts
    )


def _write(result: Comparison, target: Path) -> dict[str, Path]:
    target.mkdir(parents=True, exist_ok=True)
    table_path = target / "compare.csv"
    result.table.rename_axis("metric").to_csv(table_path, float_format="%.6g")
    payload = {
        "champion": result.champion,
        "challenger": result.challenger,
        "yardstick": result.yardstick,
        "decision": result.decision,
        "summary": result.summary,
        "win_share": result.win_share,
        "counts": result.counts,
        "top": result.top,
        "shared_in_top": result.shared_in_top,
        "metrics": {
            metric: {k: (None if pd.isna(v) else float(v)) for k, v in row.items()}
            for metric, row in result.table.iterrows()
        },
    }
    json_path = target / "compare.json"
    json_path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    logger.info("wrote the comparison to %s", target)
    return {"table": table_path, "json": json_path}


def _log(result: Comparison, settings: Settings) -> str | None:
    from model.registry import log_to_model_run

    try:
        return log_to_model_run(
            result.challenger,
            result.metrics(),
            list(result.files.values()),
            prefix="compare",
            settings=settings,
        )
    except Exception as error:  # tracking is a convenience here: never lose the comparison
        logger.warning("could not log the comparison to MLflow: %s", error)
        return None


def format_comparison(result: Comparison) -> str:
    """The side-by-side table and the decision, as ``sidak compare`` prints them."""
    lines = [f"champion    {result.champion}", f"challenger  {result.challenger}"]
    counts = result.counts
    if result.yardstick == "truth":
        lines.append(f"judged against ground truth ({counts.get('n_irregular', 0):,} irregular)")
    else:
        confirmed, dismissed = (
            counts.get("n_fresh_confirmed", 0),
            counts.get("n_fresh_dismissed", 0),
        )
        seen = counts.get("n_verdicts_seen_in_training", 0)
        lines.append(
            f"judged on {confirmed + dismissed:,} verdicts neither model was fitted on "
            f"({confirmed:,} confirmed, {dismissed:,} dismissed; {seen:,} left out as seen "
            "in training)"
        )
    rows = []
    for _, row in result.table.iterrows():
        whole = all(pd.isna(v) or float(v).is_integer() for v in row[["champion", "challenger"]])
        rows.append([_figure(row[c], whole, signed=c == "difference") for c in row.index])
    shown = pd.DataFrame(rows, index=result.table.index, columns=result.table.columns)
    lines.append(shown.to_string())
    lines.append(f"the two top-{result.top} queues share {result.shared_in_top:,} files")
    lines.append(result.summary)
    return "\n".join(lines)


def _figure(value: float, whole: bool, *, signed: bool = False) -> str:
    if pd.isna(value):
        return "n/a"
    sign = "+" if signed else ""
    return f"{value:{sign}.0f}" if whole else f"{value:{sign}.4f}"
