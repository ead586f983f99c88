"""Detection benchmark: Sidak against two baselines on simulated worlds with known truth.

For every seed and scheme mix, a world is simulated, Sidak is trained on it (no MLflow),
and three queues are evaluated with ``model.evaluate.evaluate_scores``:

- ``sidak``: the trained RiskModel (officers ranked by its own ``rank_entities``);
- ``iforest``: scikit-learn's IsolationForest (default parameters, fixed seed) on the raw
  columns: fees, visits, calendar processing days, hours and weekdays, service tariff and
  standard, one-hot channel / payment method / status;
- ``redflags``: a hand-written count of six red flags (fee above the legal or assessed fee,
  any fee on a free service, reported > paid, past the service standard in working days,
  cash, completed at night or on a weekend);
- ``oracle`` (with ``--oracle``): not a baseline but a ceiling, boosted trees fitted on the
  truth itself, out of fold by officer (see ``oracle_scores``).

Baseline officers are ranked by the mean of their top transaction scores. Then 100
supervisor verdicts are simulated the way a supervisor would get them (the top of the
unlabelled Sidak queue plus a random sample, labelled from the truth) and Sidak is retrained
with them; both models are compared on the transactions nobody reviewed.

``--big`` times training and scoring on about a million transactions in a child process
(peak memory from ``getrusage``), scoring in one thread and in as many as there are cores
(what ``sidak score`` uses), each the median of ``--big-repeats`` runs, beside the
IsolationForest baseline timed on the same rows in the same process. Figures are printed,
never asserted.

Usage::

    python bench/detection.py                       # 3 seeds x 2 mixes, 8 offices, 6 months
    python bench/detection.py --seeds 11 12 --offices 4 --months 3 --mixes default
    python bench/detection.py --big --big-rows 1000000 --skip-detection
    python bench/detection.py --mixes altworld --drop-columns reported_fee_idr visits \
        payment_method --drop-tables complaints    # a poorer office's export
"""

from __future__ import annotations

import argparse
import logging
import math
import multiprocessing
import resource
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest
from sklearn.model_selection import StratifiedGroupKFold
from tqdm import tqdm

try:  # run as a script: the other generators are beside it on the path
    import altworld
    import kotaworld
    import wildworld
except ModuleNotFoundError:  # imported as bench.detection (the tests)
    from bench import altworld, kotaworld, wildworld  # type: ignore[no-redef]

from model.calendar import WorkingCalendar
from model.compare import KEEP, PROMOTE, TOO_FEW, UNDECIDED, judge_on_verdicts
from model.contract import TABLE_SPECS, Dataset, load_data_dir
from model.detect import RiskModel
from model.evaluate import evaluate_scores, load_truth
from model.settings import Settings
from model.simulate import SimulationConfig, simulate_world, write_world
from model.train import TrainResult, train

logger = logging.getLogger("bench.detection")

# Scheme mixes: "default" is the simulator's world; "subtle" moves extortion away from the
# receipt (fewer recorded overpayments, fewer money complaints) and towards time schemes.
ALT_MIX = "altworld"
MIXES: dict[str, dict[str, Any]] = {
    "default": {},
    "subtle": {
        "surcharge_rate": 0.15,
        "markup_rate": 0.15,
        "speed_money_rate": 0.12,
        "delay_rate": 0.12,
        "on_receipt_share": {
            "surcharge_free": 0.2,
            "fee_markup": 0.25,
            "speed_money": 0.1,
            "calo_ring": 0.1,
            "delay_until_paid": 0.1,
        },
        "money_complaint_rate": {
            "surcharge_free": 0.02,
            "fee_markup": 0.02,
            "speed_money": 0.005,
            "calo_ring": 0.015,
            "delay_until_paid": 0.07,
        },
    },
}
# Mixes of the independent generator (bench/altworld.py), none of which Sidak was tuned on:
# its default, schemes a third as frequent, twice the share of extorting officers at a lower
# rate each, and almost no follow-up surveys (no reported fees to compare with receipts).
ALT_MIXES: dict[str, dict[str, Any]] = {
    ALT_MIX: {},
    f"{ALT_MIX}-rare": {"scheme_rate": 0.08},
    f"{ALT_MIX}-crowded": {"extorter_share": 0.3, "scheme_rate": 0.15},
    f"{ALT_MIX}-unsurveyed": {"survey_rate": 0.03},
}
# A third generator (bench/wildworld.py), written from domain.md and the contract alone by
# someone who had not read Sidak's code or the other two generators: its own offices
# (civil registry and licensing), calendar with cuti bersama, schemes, look-alikes and
# complaint language. Its mixes: base, fixer-heavy ("agents"), small bribes with few traces
# ("quiet") and heavy on look-alikes ("noisy").
WILD_PREFIX = "wild"
WILD_MIXES = {
    (WILD_PREFIX if name == "base" else f"{WILD_PREFIX}-{name}"): name for name in wildworld.MIXES
}
# A fourth generator (bench/kotaworld.py), written the same way (2026-12-03): eight regencies
# in WIB and WITA, six kinds of office (civil registry, licensing, vehicle tax, land and
# property tax, kecamatan counters, health licensing), datetimes with and without offsets,
# offices that fill different optional columns, schemes of its own (an assessment set low
# for a kickback, a gift at pick-up) and look-alikes of its own (card shortages, weekly
# signing days, stale tariffs, late-payment penalties). Its mixes: base, digital (mostly
# online), concentrated (few offices, half their staff) and decoy (look-alikes everywhere).
KOTA_PREFIX = "kota"
KOTA_MIXES = {
    (KOTA_PREFIX if name == "base" else f"{KOTA_PREFIX}-{name}"): name for name in kotaworld.MIXES
}
HEADLINE = [
    "precision_at_100",
    "precision_at_500",
    "precision_at_1000",
    "average_precision",
    "roc_auc",
    "r_precision",
    "lookalike_share_at_500",
    "officer_precision_at_k",
    "slow_new_in_officer_top_k",
    "irregular_without_own_signal",
    "average_precision_ceiling",
]
METHODS = ("sidak", "iforest", "redflags")
OPTIONAL_TRANSACTION_COLUMNS = [
    name for name, spec in TABLE_SPECS["transactions"].items() if not spec.required
]
NIGHT_START, NIGHT_END = 18, 7


# --- baselines -------------------------------------------------------------------------------


def _services_of(dataset: Dataset) -> pd.DataFrame:
    services = dataset.services.set_index("service_code")
    return services.loc[dataset.transactions["service_code"]].reset_index(drop=True)


def raw_features(dataset: Dataset) -> pd.DataFrame:
    """The raw columns as numbers, with simple imputation and missing-value indicators."""
    tx = dataset.transactions.reset_index(drop=True)
    services = _services_of(dataset)
    submitted = tx["submitted_at"]
    completed = tx.get("completed_at", pd.Series(pd.NaT, index=tx.index))
    frame = pd.DataFrame(index=tx.index)
    frame["fee_paid"] = tx["fee_paid_idr"].astype(float)
    for column in ("assessed_fee_idr", "reported_fee_idr", "visits"):
        values = tx[column].astype(float) if column in tx else pd.Series(np.nan, index=tx.index)
        frame[column] = values.fillna(0.0)
        frame[f"{column}_missing"] = values.isna().astype(float)
    frame["processing_days"] = ((completed - submitted).dt.total_seconds() / 86_400).fillna(-1)
    frame["submit_hour"] = submitted.dt.hour + submitted.dt.minute / 60
    frame["submit_weekday"] = submitted.dt.day_of_week
    frame["complete_hour"] = (completed.dt.hour + completed.dt.minute / 60).fillna(-1)
    frame["complete_weekday"] = completed.dt.day_of_week.fillna(-1)
    frame["official_fee"] = services["official_fee_idr"].astype(float).to_numpy()
    frame["sla_working_days"] = services["sla_working_days"].astype(float).to_numpy()
    present = [c for c in ("channel", "payment_method", "status") if c in tx]
    if not present:  # a bare export: no categories to encode
        return frame.astype(float)
    dummies = pd.get_dummies(tx[present].astype(object), dummy_na=True, dtype=float)
    return pd.concat([frame, dummies], axis=1).astype(float)


def _queue(dataset: Dataset, risk: np.ndarray) -> pd.DataFrame:
    tx = dataset.transactions.reset_index(drop=True)
    officer = tx["officer_id"] if "officer_id" in tx else pd.Series(None, index=tx.index)
    return pd.DataFrame(
        {"transaction_id": tx["transaction_id"], "risk_score": risk, "officer_id": officer}
    )


def isolation_forest_scores(dataset: Dataset, random_state: int = 0) -> pd.DataFrame:
    """IsolationForest (default parameters) on the raw columns; risk rescaled to [0, 1]."""
    features = raw_features(dataset)
    forest = IsolationForest(random_state=random_state).fit(features)
    anomaly = -forest.score_samples(features)
    span = anomaly.max() - anomaly.min()
    return _queue(dataset, (anomaly - anomaly.min()) / (span if span > 0 else 1.0))


def red_flags(dataset: Dataset) -> pd.DataFrame:
    """The six red flags per transaction (booleans)."""
    tx = dataset.transactions.reset_index(drop=True)
    services = _services_of(dataset)
    paid = tx["fee_paid_idr"].astype(float)
    variable = services["fee_is_variable"].astype(bool).to_numpy()
    official = services["official_fee_idr"].astype(float).to_numpy()
    assessed = tx["assessed_fee_idr"].astype(float) if "assessed_fee_idr" in tx else np.nan
    legal = np.where(variable & pd.notna(assessed), assessed, official)
    flags = pd.DataFrame(index=tx.index)
    flags["fee_above_legal"] = paid > legal
    flags["fee_on_free_service"] = (official == 0) & ~variable & (paid > 0)
    reported = tx["reported_fee_idr"].astype(float) if "reported_fee_idr" in tx else np.nan
    flags["reported_above_paid"] = pd.Series(reported > paid, index=tx.index).fillna(False)
    flags["past_standard"] = _past_standard(dataset, services)
    payment = tx.get("payment_method", pd.Series("", index=tx.index)).astype(object)
    flags["cash"] = payment.eq("cash").to_numpy()
    completed = tx.get("completed_at", pd.Series(pd.NaT, index=tx.index))
    night = (completed.dt.hour >= NIGHT_START) | (completed.dt.hour < NIGHT_END)
    flags["night_or_weekend"] = (night | (completed.dt.day_of_week >= 5)) & completed.notna()
    return flags.astype(bool)


def _past_standard(dataset: Dataset, services: pd.DataFrame) -> np.ndarray:
    tx = dataset.transactions.reset_index(drop=True)
    if "completed_at" not in tx:
        return np.zeros(len(tx), dtype=bool)
    calendar = WorkingCalendar.for_period(
        tx["submitted_at"].min(), tx["submitted_at"].max(), dataset.closure_days
    )
    days = calendar.working_days_between(tx["submitted_at"], tx["completed_at"])
    return (days > services["sla_working_days"].to_numpy()).fillna(False).to_numpy()


def red_flag_scores(dataset: Dataset) -> pd.DataFrame:
    """Share of the six red flags raised (ties broken by the shuffled evaluation order)."""
    flags = red_flags(dataset)
    return _queue(dataset, flags.sum(axis=1).to_numpy(float) / flags.shape[1])


def oracle_folds(
    transactions: pd.DataFrame, y: np.ndarray, random_state: int = 0, n_splits: int = 5
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train/test rows of the oracle: stratified folds in which no officer is on both
    sides (files without an officer are grouped by office)."""
    tx = transactions.reset_index(drop=True)
    officer = tx["officer_id"] if "officer_id" in tx else pd.Series(pd.NA, index=tx.index)
    groups = officer.astype(object).fillna("office:" + tx["office_id"].astype(str)).to_numpy()
    folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    return list(folds.split(np.zeros(len(tx)), y, groups))


def oracle_scores(
    dataset: Dataset, model: RiskModel, truth: pd.DataFrame, random_state: int = 0
) -> pd.DataFrame:
    """A ceiling, not a baseline: boosted trees fitted on the truth itself.

    Features: the fitted model's features (entity statistics included) beside the raw
    columns. Scores are out of fold, over folds grouped by officer (``oracle_folds``), so a
    file is scored by trees that never saw its officer's labels: what labelled files of
    *other* officers teach about these features. That is more than an unsupervised queue
    can know, and less than knowing each extorter by name. Sidak near it means the features,
    not the way Sidak weighs them, are the limit; where it is far below, the per-scheme
    recall of the two says which signal Sidak under-weighs.
    """
    tx = dataset.transactions.reset_index(drop=True)
    features = model.features_.transform(tx, dataset.complaints)
    numeric = features.select_dtypes("number").reset_index(drop=True)
    X = pd.concat([numeric.add_prefix("f_"), raw_features(dataset).add_prefix("raw_")], axis=1)
    # a column an export lacks is all missing: scikit-learn's binning cannot fit one
    X = X.loc[:, X.notna().any().to_numpy()]
    labels = truth.set_index("transaction_id")["is_irregular"].astype(int)
    y = tx["transaction_id"].map(labels).fillna(0).astype(int).to_numpy()
    risk = np.zeros(len(tx))
    for train_rows, test_rows in oracle_folds(tx, y, random_state):
        trees = HistGradientBoostingClassifier(
            max_iter=300, learning_rate=0.06, max_leaf_nodes=31, random_state=random_state
        ).fit(X.iloc[train_rows], y[train_rows])
        risk[test_rows] = trees.predict_proba(X.iloc[test_rows])[:, 1]
    return _queue(dataset, risk)


# --- one world -------------------------------------------------------------------------------


def _evaluate(
    scores: pd.DataFrame,
    world: Path,
    dataset: Dataset,
    ranking: pd.DataFrame | None,
    exclude: set[str] | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """Metrics of one queue; rows shuffled first so that ties are not broken by file order."""
    truth, officers = load_truth(world / "truth")
    queue = scores.sample(frac=1.0, random_state=seed)
    if exclude:
        queue = queue[~queue["transaction_id"].isin(exclude)]
    return evaluate_scores(queue, truth, officers, dataset.transactions, officer_ranking=ranking)


def _train(data_dir: Path, truth_dir: Path, scratch: Path, seed: int) -> TrainResult:
    settings = Settings(
        models_dir=scratch / "models", reports_dir=scratch / "reports", random_seed=seed
    )
    return train(data_dir, settings=settings, truth_dir=truth_dir, register=False, track=False)


def supervisor_outcomes(
    scores: pd.DataFrame,
    truth: pd.DataFrame,
    n: int,
    top_share: float,
    seed: int,
    band_share: float = 0.0,
) -> pd.DataFrame:
    """n reviewed cases: the top of the queue, a random sample of the medium band
    (``band_share`` of them: cases a supervisor reviews so the model learns where it is
    unsure) and a random sample of the rest, labelled from truth."""
    rng = np.random.default_rng(seed)
    ranked = scores.sort_values("risk_score", ascending=False, kind="stable")
    order = ranked["transaction_id"].to_numpy()
    n_top = round(n * top_share)
    top = order[:n_top].tolist()
    rest = order[n_top:]
    band = np.array([], dtype=object)
    if band_share > 0:
        medium = rest[ranked["risk_band"].to_numpy()[n_top:] == "medium"]
        band = rng.choice(medium, size=min(round(n * band_share), len(medium)), replace=False)
        rest = rest[~np.isin(rest, band)]
    n_random = min(n - n_top - len(band), len(rest))
    random = rng.choice(rest, size=max(n_random, 0), replace=False).tolist()
    reviewed = pd.DataFrame({"transaction_id": top + band.tolist() + random})
    labels = truth.set_index("transaction_id")["is_irregular"]
    irregular = reviewed["transaction_id"].map(labels).fillna(0).astype(int)
    reviewed["outcome"] = np.where(irregular == 1, "confirmed", "dismissed")
    return reviewed


def strip_world(world: Path, columns: Sequence[str], tables: Sequence[str]) -> None:
    """A poorer office's export of the same world: optional transaction columns and optional
    tables removed (the truth stays). Values are rewritten as the text they were."""
    if columns:
        csv, parquet = world / "transactions.csv", world / "transactions.parquet"
        if csv.exists():
            frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
            frame.drop(columns=[c for c in columns if c in frame]).to_csv(csv, index=False)
        else:
            frame = pd.read_parquet(parquet)
            frame.drop(columns=[c for c in columns if c in frame]).to_parquet(parquet)
    for table in tables:
        for suffix in (".csv", ".parquet"):
            (world / f"{table}{suffix}").unlink(missing_ok=True)


def _labelled_copy(world: Path, outcomes: pd.DataFrame, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for path in world.iterdir():
        if path.is_file() and path.stem != "outcomes":
            (target / path.name).symlink_to(path.resolve())
    outcomes.to_csv(target / "outcomes.csv", index=False)
    return target


def run_world(
    seed: int, mix: str, args: argparse.Namespace, scratch: Path
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """All methods on one world; returns metrics per method and the labelled comparison."""
    world = scratch / f"world-{mix}-{seed}"
    if mix in KOTA_MIXES:
        kota = kotaworld.KotaConfig(
            seed=seed, offices=args.kota_offices, months=args.kota_months, mix=KOTA_MIXES[mix]
        )
        kotaworld.write(kotaworld.generate(kota), world)
    elif mix in WILD_MIXES:
        wild = wildworld.WildConfig(
            seed=seed, offices=args.wild_offices, months=args.wild_months, mix=WILD_MIXES[mix]
        )
        wildworld.write(wildworld.generate(wild), world)
    elif mix in ALT_MIXES:
        # The independent generator (bench/altworld.py): other mechanics, other shares.
        alt = altworld.AltConfig(
            seed=seed, offices=args.alt_offices, months=args.alt_months, **ALT_MIXES[mix]
        )
        altworld.write(altworld.generate(alt), world)
    else:
        config = SimulationConfig(seed=seed, offices=args.offices, months=args.months)
        config = config.with_overrides(transactions_per_office_month=args.volume, **MIXES[mix])
        write_world(simulate_world(config), world)
    strip_world(world, args.drop_columns, args.drop_tables)
    dataset = load_data_dir(world)
    sidak = _train(world, world / "truth", scratch / f"run-{mix}-{seed}", args.model_seed)
    # Sidak's metrics come from training: officers by its own ranking; AP and ROC-AUC are
    # tie-aware, and its ties (at zero) sit far below the top 1000.
    results = {
        "sidak": sidak.metrics,
        "iforest": _evaluate(isolation_forest_scores(dataset), world, dataset, None, seed=seed),
        "redflags": _evaluate(red_flag_scores(dataset), world, dataset, None, seed=seed),
    }
    if args.oracle:
        truth, _ = load_truth(world / "truth")
        oracle = oracle_scores(dataset, sidak.bundle.model, truth, args.model_seed)
        results["oracle"] = _evaluate(oracle, world, dataset, None, seed=seed)
    if args.labels == 0:  # no verdict comparison asked for
        return results, {}
    labelled = _labelled_run(sidak, world, dataset, args, scratch / f"labelled-{mix}-{seed}", seed)
    return results, labelled


def _labelled_run(
    sidak: TrainResult,
    world: Path,
    dataset: Dataset,
    args: argparse.Namespace,
    scratch: Path,
    seed: int,
) -> dict[str, float]:
    """Sidak with and without ``args.labels`` supervisor verdicts, on unreviewed cases."""
    truth, _ = load_truth(world / "truth")
    outcomes = supervisor_outcomes(
        sidak.scores, truth, args.labels, args.top_share, seed, args.band_share
    )
    labelled_dir = _labelled_copy(world, outcomes, scratch / "data")
    relabelled = _train(labelled_dir, world / "truth", scratch, args.model_seed)
    reviewed = set(outcomes["transaction_id"])
    before = _evaluate(sidak.scores, world, dataset, None, reviewed, seed)
    after = _evaluate(relabelled.scores, world, dataset, None, reviewed, seed)
    judged = _judged_on_next_verdicts(sidak, relabelled, dataset, truth, reviewed, args, seed)
    return {
        **judged,
        "n_labels": float(len(outcomes)),
        "n_band": float(round(args.labels * args.band_share)),
        "n_confirmed": float((outcomes["outcome"] == "confirmed").sum()),
        "ap_unlabelled": before["average_precision"],
        "ap_labelled": after["average_precision"],
        "p100_unlabelled": before["precision_at_100"],
        "p100_labelled": after["precision_at_100"],
    }


DECISION_CODES = {PROMOTE: 1.0, UNDECIDED: 0.0, KEEP: -1.0, TOO_FEW: np.nan}


def _decision_name(code: float) -> str:
    return next((name for name, value in DECISION_CODES.items() if value == code), TOO_FEW).replace(
        "_", " "
    )


def _judged_on_next_verdicts(
    champion: TrainResult,
    challenger: TrainResult,
    dataset: Dataset,
    truth: pd.DataFrame,
    reviewed: set[str],
    args: argparse.Namespace,
    seed: int,
) -> dict[str, float]:
    """What ``sidak compare`` decides on the next month's verdicts: another ``args.labels``
    cases reviewed from the champion's queue (the model still in service), none of them
    reviewed before, judged for both models; the truth's AP gain says if it decided well."""
    unseen = champion.scores[~champion.scores["transaction_id"].isin(reviewed)]
    fresh = supervisor_outcomes(
        unseen, truth, args.labels, args.top_share, seed + 1, args.band_share
    )
    verdict = judge_on_verdicts(
        [champion.bundle, challenger.bundle],
        [champion.scores, challenger.scores],
        dataset.transactions,
        fresh,
        seed=seed,
    )
    return {
        "compare_decision": DECISION_CODES[verdict.decision],
        "compare_win_share": np.nan if verdict.win_share is None else verdict.win_share,
    }


# --- reporting -------------------------------------------------------------------------------


def _table(results: dict[str, dict[str, float]]) -> pd.DataFrame:
    keys = HEADLINE + sorted(
        {k for metrics in results.values() for k in metrics if k.startswith("scheme_recall")}
    )
    table = pd.DataFrame({m: {k: results[m].get(k, np.nan) for k in keys} for m in results})
    return table.loc[keys]


def print_world(
    name: str, results: dict[str, dict[str, float]], labelled: dict[str, float]
) -> None:
    sidak = results["sidak"]
    n, irregular = int(sidak["n_transactions"]), int(sidak["n_irregular"])
    print(f"\n=== {name}: {n:,} transactions, {irregular:,} irregular")
    print(_table(results).to_string(float_format=lambda v: f"{v:.3f}"))
    print(f"AP ratio sidak / redflags: {_ratio(results):.2f}")
    if "oracle" in results:
        ratio = _ratio(results, "oracle")
        print(f"AP ratio sidak / oracle (trees fitted on the truth): {ratio:.2f}")
    if not labelled:
        return
    print(
        f"with {int(labelled['n_labels'])} verdicts ({int(labelled['n_confirmed'])} confirmed, "
        f"{int(labelled['n_band'])} from the medium band): "
        f"AP {labelled['ap_unlabelled']:.3f} -> {labelled['ap_labelled']:.3f}, "
        f"precision@100 {labelled['p100_unlabelled']:.3f} -> {labelled['p100_labelled']:.3f} "
        "(on unreviewed transactions)"
    )
    share = labelled["compare_win_share"]
    print(
        f"sidak compare on the next {int(labelled['n_labels'])} verdicts from the champion's "
        f"queue: {_decision_name(labelled['compare_decision'])}"
        + ("" if np.isnan(share) else f" (the retrained model wins {share:.0%} of resamples)")
    )


def _ratio(results: dict[str, dict[str, float]], baseline: str = "redflags") -> float:
    return results["sidak"]["average_precision"] / max(results[baseline]["average_precision"], 1e-9)


def print_medians(
    worlds: dict[str, dict[str, dict[str, float]]], labelled: dict[str, dict[str, float]]
) -> None:
    print(f"\n=== medians over {len(worlds)} worlds")
    tables = [_table(results) for results in worlds.values()]
    stacked = pd.concat(tables, keys=range(len(tables)))
    medians = stacked.groupby(level=1, sort=False).median()
    print(medians.to_string(float_format=lambda v: f"{v:.3f}"))
    ratios = [_ratio(results) for results in worlds.values()]
    print(f"AP ratio sidak / redflags: median {np.median(ratios):.2f} "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f})")  # fmt: skip
    if all("oracle" in results for results in worlds.values()):
        ratios = [_ratio(results, "oracle") for results in worlds.values()]
        print(f"AP ratio sidak / oracle: median {np.median(ratios):.2f} "
              f"(min {min(ratios):.2f}, max {max(ratios):.2f})")  # fmt: skip
    frame = pd.DataFrame({world: values for world, values in labelled.items() if values}).T
    if frame.empty:
        return
    print(
        f"100 verdicts: median AP {frame['ap_unlabelled'].median():.3f} -> "
        f"{frame['ap_labelled'].median():.3f}; median precision@100 "
        f"{frame['p100_unlabelled'].median():.3f} -> {frame['p100_labelled'].median():.3f}"
    )
    gain = np.sign((frame["ap_labelled"] - frame["ap_unlabelled"]).round(3))
    decisions = frame["compare_decision"]
    counts = {code: int((decisions == code).sum()) for code in (1.0, 0.0, -1.0)}
    counts[np.nan] = int(decisions.isna().sum())
    tally = ", ".join(f"{_decision_name(code)} {n}" for code, n in counts.items())
    wrong = int(((decisions == 1) & (gain < 0)).sum() + ((decisions == -1) & (gain > 0)).sum())
    print(
        f"sidak compare on the next verdicts: {tally}; against the truth's AP gain (to 3 "
        f"decimals) it promoted a worse model or kept a worse champion in {wrong} of "
        f"{len(frame)} worlds"
    )


def write_csv(
    path: Path,
    worlds: dict[str, dict[str, dict[str, float]]],
    labelled: dict[str, dict[str, float]],
) -> None:
    rows = [
        {"world": world, "method": method, **metrics}
        for world, results in worlds.items()
        for method, metrics in results.items()
    ]
    rows += [
        {"world": world, "method": "sidak+verdicts", **values}
        for world, values in labelled.items()
        if values
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path, index=False)
    print(f"\nwrote {path}")


def run_detection(args: argparse.Namespace, scratch: Path) -> None:
    worlds: dict[str, dict[str, dict[str, float]]] = {}
    labelled: dict[str, dict[str, float]] = {}
    runs = [(mix, seed) for mix in args.mixes for seed in args.seeds]
    for mix, seed in tqdm(runs, desc="worlds", unit="world"):
        name = f"{mix} seed {seed}"
        worlds[name], labelled[name] = run_world(seed, mix, args, scratch)
        print_world(name, worlds[name], labelled[name])
    print_medians(worlds, labelled)
    if args.output:
        write_csv(args.output, worlds, labelled)


# --- scale -----------------------------------------------------------------------------------


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _median_seconds(step: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def _big_worker(world: Path, scratch: Path, repeats: int, queue: Any) -> None:
    """In a fresh process: load, fit, score; report times and peak memory.

    The baseline, timed in the same process on the same rows, is scikit-learn's
    IsolationForest (default parameters) on the raw columns, as in the detection tables:
    the figures that matter across machines are Sidak's times as multiples of its times.
    """
    from joblib import effective_n_jobs

    from model.bundle import ModelBundle
    from model.predict import score_frame
    from model.train import fit_model, labels_from_outcomes

    figures: dict[str, float] = {"rss_start_mb": _peak_rss_mb()}
    started = time.perf_counter()
    dataset = load_data_dir(world)
    figures["load_seconds"] = time.perf_counter() - started
    figures["rss_after_load_mb"] = _peak_rss_mb()
    settings = Settings(models_dir=scratch / "models")
    y = labels_from_outcomes(dataset.transactions, dataset.outcomes)
    model, figures["fit_seconds"] = fit_model(dataset, y, settings)
    model.model_version_ = "big"
    figures["rss_after_fit_mb"] = _peak_rss_mb()
    bundle = ModelBundle(model, {"model_version": "big"})
    tx, complaints = dataset.transactions, dataset.complaints
    score_frame(bundle, tx, complaints, progress=True, n_jobs=1)  # warm, with a progress bar
    for label, jobs in (("score_1", 1), ("score_all", -1)):
        figures[f"{label}_seconds"] = _median_seconds(
            lambda jobs=jobs: score_frame(bundle, tx, complaints, progress=False, n_jobs=jobs),
            repeats,
        )
    figures["cores"] = float(effective_n_jobs(-1))
    figures["rss_after_score_mb"] = _peak_rss_mb()
    one = tx.iloc[[len(tx) // 2]]
    figures["single_ms"] = 1000 * _median_seconds(lambda: bundle.score(one), 21)
    raw = raw_features(dataset)
    forest = IsolationForest(random_state=0)
    figures["baseline_fit_seconds"] = _median_seconds(lambda: forest.fit(raw), 1)
    figures["baseline_score_seconds"] = _median_seconds(lambda: forest.score_samples(raw), repeats)
    figures["n"] = float(len(tx))
    figures["repeats"] = float(repeats)
    queue.put(figures)


def run_big(args: argparse.Namespace, scratch: Path) -> None:
    offices, months = args.big_offices, 12
    volume = math.ceil(args.big_rows / (offices * months))
    world = scratch / "big-world"
    print(f"\n=== scale: simulating ~{args.big_rows:,} transactions "
          f"({offices} offices x {months} months x {volume}/month)")  # fmt: skip
    started = time.perf_counter()
    config = SimulationConfig(seed=args.seeds[0], offices=offices, months=months)
    config = config.with_overrides(transactions_per_office_month=volume)
    write_world(simulate_world(config, progress=True), world, fmt="parquet")
    print(f"simulated in {time.perf_counter() - started:.0f} s")
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    worker = context.Process(target=_big_worker, args=(world, scratch, args.big_repeats, queue))
    worker.start()
    figures = queue.get()
    worker.join()
    n = figures["n"]
    base_fit, base_score = figures["baseline_fit_seconds"], figures["baseline_score_seconds"]
    print(f"transactions          {n:,.0f}")
    print(f"load + validate       {figures['load_seconds']:.1f} s")
    print(f"fit                   {figures['fit_seconds']:.1f} s ({n / figures['fit_seconds']:,.0f}"
          f" rows/s; {figures['fit_seconds'] / base_fit:.1f}x the baseline's fit)")  # fmt: skip
    print(f"score, median of {figures['repeats']:.0f} (each with reasons):")
    for label, name in (("score_1", "1 thread"), ("score_all", f"{figures['cores']:.0f} threads")):
        seconds = figures[f"{label}_seconds"]
        print(f"  {name:<20}{seconds:.1f} s ({n / seconds:,.0f} rows/s; "
              f"{seconds / base_score:.1f}x the baseline's scoring)")  # fmt: skip
    print(f"score one transaction {figures['single_ms']:.1f} ms (median of 21)")
    print(f"baseline (IsolationForest, raw columns): fit {base_fit:.1f} s, "
          f"score {base_score:.1f} s ({n / base_score:,.0f} rows/s)")  # fmt: skip
    print(f"peak RSS after load   {figures['rss_after_load_mb']:,.0f} MB")
    print(f"peak RSS after fit    {figures['rss_after_fit_mb']:,.0f} MB")
    print(f"peak RSS after score  {figures['rss_after_score_mb']:,.0f} MB")


# --- entry point -----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13])
    parser.add_argument("--offices", type=int, default=8)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--volume", type=int, default=None, help="transactions/office/month")
    parser.add_argument(
        "--mixes",
        nargs="+",
        default=list(MIXES),
        choices=[*MIXES, *ALT_MIXES, *WILD_MIXES, *KOTA_MIXES],
        help=f"scheme mixes of the simulator; '{ALT_MIX}*', '{WILD_PREFIX}*' and "
        f"'{KOTA_PREFIX}*' = the independent generators",
    )
    parser.add_argument(
        "--alt-offices", type=int, default=5, help="offices in an altworld (independent) world"
    )
    parser.add_argument("--alt-months", type=int, default=4, help="months in an altworld world")
    parser.add_argument("--wild-offices", type=int, default=8, help="offices in a wild world")
    parser.add_argument("--wild-months", type=int, default=6, help="months in a wild world")
    parser.add_argument("--kota-offices", type=int, default=8, help="offices in a kota world")
    parser.add_argument("--kota-months", type=int, default=6, help="months in a kota world")
    parser.add_argument(
        "--drop-columns",
        nargs="+",
        default=[],
        choices=OPTIONAL_TRANSACTION_COLUMNS,
        help="optional transaction columns to remove before training (a poorer export)",
    )
    parser.add_argument(
        "--drop-tables",
        nargs="+",
        default=[],
        choices=["complaints", "holidays"],
        help="optional tables to remove before training",
    )
    parser.add_argument(
        "--labels",
        type=int,
        default=100,
        help="supervisor verdicts (0: skip the comparison with verdicts)",
    )
    parser.add_argument("--top-share", type=float, default=0.8, help="verdicts from the top")
    parser.add_argument(
        "--band-share",
        type=float,
        default=0.0,
        help="verdicts drawn at random from the medium band (e.g. 0.5 with --top-share 0.5)",
    )
    parser.add_argument("--model-seed", type=int, default=Settings().random_seed)
    parser.add_argument("--output", type=Path, default=None, help="CSV of all metrics")
    parser.add_argument("--workdir", type=Path, default=None, help="keep worlds here")
    parser.add_argument("--big", action="store_true", help="also time ~1M transactions")
    parser.add_argument("--big-rows", type=int, default=1_000_000)
    parser.add_argument("--big-offices", type=int, default=40)
    parser.add_argument(
        "--big-repeats", type=int, default=3, help="timed scoring runs (the median is printed)"
    )
    parser.add_argument("--skip-detection", action="store_true")
    parser.add_argument(
        "--oracle",
        action="store_true",
        help="also print a ceiling: boosted trees fitted on the truth (out of fold, by officer)",
    )
    args = parser.parse_args(argv)
    shares = (args.top_share, args.band_share)
    if min(shares) < 0 or sum(shares) > 1:
        parser.error(
            f"--top-share {args.top_share} and --band-share {args.band_share}: each at least 0, "
            "together at most 1 (the rest of the verdicts are drawn at random)"
        )
    return args


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    warnings.filterwarnings("ignore", category=FutureWarning)
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sidak-bench-") as tmp:
        scratch = args.workdir or Path(tmp)
        scratch.mkdir(parents=True, exist_ok=True)
        if not args.skip_detection:
            run_detection(args, scratch)
        if args.big:
            run_big(args, scratch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
