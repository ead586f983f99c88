"""Benchmark Sidak's anomaly engine against PyOD baselines on ADBench data sets.

Protocol (ADBench, unsupervised): every ``.npz`` file holds ``X`` and ``y`` (1 = anomaly).
Features are standardised with ``StandardScaler``; each method is fitted on the whole set
without labels and then scores the whole set. Labels are only used for ROC-AUC and AP.

Usage::

    python bench/adbench.py --data ../shared/data/adbench --output results.csv

Output: one CSV row per (dataset, method) with ``dataset, method, roc_auc, ap,
fit_seconds, score_seconds``, plus a printed table of means per method.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.preprocessing import StandardScaler
from tqdm import tqdm

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:  # allow `python bench/adbench.py` without installing
    sys.path.insert(0, str(_ROOT))

RANDOM_STATE = 42
BASELINES = ("iforest", "ecod", "copod", "hbos", "knn", "lof")
ALL_METHODS = ("sidak", *BASELINES)
RESULT_COLUMNS = ["dataset", "method", "roc_auc", "ap", "fit_seconds", "score_seconds"]


def list_datasets(data_dir: Path) -> list[Path]:
    """Return the ``.npz`` files in ``data_dir`` sorted by name; raise if there are none."""
    files = sorted(Path(data_dir).glob("*.npz"))
    if not files:
        raise FileNotFoundError(f"no .npz files in {data_dir}")
    return files


def load_dataset(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Load ``X`` (float64, standardised) and ``y`` (int, 1 = anomaly) from an ADBench npz."""
    with np.load(path, allow_pickle=False) as data:
        X = np.asarray(data["X"], dtype=np.float64)
        y = np.asarray(data["y"]).astype(int).ravel()
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ValueError(f"{path.name}: X {X.shape} and y {y.shape} do not match")
    return StandardScaler().fit_transform(X), y


def make_method(name: str, random_state: int = RANDOM_STATE) -> Any:
    """Build an unfitted detector by name: ``sidak`` or a PyOD baseline with defaults."""
    if name == "sidak":
        from model.engine import OutlierEnsemble

        return OutlierEnsemble(random_state=random_state)
    if name == "iforest":
        from pyod.models.iforest import IForest

        return IForest(random_state=random_state)
    if name == "ecod":
        from pyod.models.ecod import ECOD

        return ECOD()
    if name == "copod":
        from pyod.models.copod import COPOD

        return COPOD()
    if name == "hbos":
        from pyod.models.hbos import HBOS

        return HBOS()
    if name == "knn":
        from pyod.models.knn import KNN

        return KNN()
    if name == "lof":
        from pyod.models.lof import LOF

        return LOF()
    raise ValueError(f"unknown method {name!r}; choose from {ALL_METHODS}")


def _scorer(detector: Any) -> Callable[[np.ndarray], np.ndarray]:
    """Return the detector's 'higher = more anomalous' scoring function."""
    if hasattr(detector, "score_components"):  # Sidak: score_samples is higher = anomalous
        return detector.score_samples
    return detector.decision_function  # PyOD: decision_function is higher = anomalous


def run_method(
    name: str, X: np.ndarray, repeats: int = 1, random_state: int = RANDOM_STATE
) -> tuple[np.ndarray, float, float]:
    """Fit ``name`` on ``X`` and score ``X``; return scores and median fit / score seconds."""
    fit_times: list[float] = []
    score_times: list[float] = []
    scores = np.empty(0)
    for _ in range(max(1, repeats)):
        detector = make_method(name, random_state)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            detector.fit(X)
            t1 = time.perf_counter()
            scores = np.asarray(_scorer(detector)(X), dtype=np.float64)
            t2 = time.perf_counter()
        fit_times.append(t1 - t0)
        score_times.append(t2 - t1)
    return scores, float(np.median(fit_times)), float(np.median(score_times))


def warm_up(methods: Sequence[str], random_state: int = RANDOM_STATE) -> None:
    """Fit and score each method once on tiny random data so imports and JIT compilation
    (numba in some PyOD models) are not charged to the first data set's timings."""
    X = np.random.default_rng(random_state).normal(size=(64, 4))
    for name in methods:
        run_method(name, X, 1, random_state)


def evaluate(y: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """Return (ROC-AUC, average precision); non-finite scores count as least anomalous."""
    scores = np.where(np.isfinite(scores), scores, np.nanmin(scores[np.isfinite(scores)]))
    return float(roc_auc_score(y, scores)), float(average_precision_score(y, scores))


def run_benchmark(
    data_dir: Path,
    methods: Sequence[str] = ALL_METHODS,
    repeats: int = 1,
    random_state: int = RANDOM_STATE,
    progress: bool = True,
) -> pd.DataFrame:
    """Run every method on every data set; return one row per (dataset, method)."""
    files = list_datasets(data_dir)
    warm_up(methods, random_state)
    rows: list[dict[str, Any]] = []
    bar = tqdm(total=len(files) * len(methods), disable=not progress, unit="run")
    for path in files:
        X, y = load_dataset(path)
        for name in methods:
            bar.set_description(f"{path.stem}:{name}")
            scores, fit_s, score_s = run_method(name, X, repeats, random_state)
            roc, ap = evaluate(y, scores)
            rows.append(
                {
                    "dataset": path.stem,
                    "method": name,
                    "roc_auc": roc,
                    "ap": ap,
                    "fit_seconds": fit_s,
                    "score_seconds": score_s,
                }
            )
            bar.update()
    bar.close()
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Mean ROC-AUC, AP and fit+score seconds per method, best ROC-AUC first."""
    df = results.assign(total_seconds=results["fit_seconds"] + results["score_seconds"])
    summary = df.groupby("method")[["roc_auc", "ap", "total_seconds"]].mean()
    summary["auc_rank"] = (
        results.pivot(index="dataset", columns="method", values="roc_auc")
        .rank(axis=1, ascending=False)
        .mean()
    )
    return summary.sort_values("roc_auc", ascending=False)


def time_ratio(results: pd.DataFrame, method: str = "sidak", reference: str = "iforest") -> float:
    """Ratio of ``method``'s total fit+score seconds to ``reference``'s over all data sets."""
    total = results["fit_seconds"] + results["score_seconds"]
    by_method = total.groupby(results["method"]).sum()
    return float(by_method[method] / by_method[reference])


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/adbench"))
    parser.add_argument("--output", type=Path, default=Path("results.csv"))
    parser.add_argument(
        "--methods",
        default=",".join(ALL_METHODS),
        help=f"comma-separated subset of {','.join(ALL_METHODS)}",
    )
    parser.add_argument("--repeats", type=int, default=1, help="runs per cell; median time")
    parser.add_argument("--random-state", type=int, default=RANDOM_STATE)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> pd.DataFrame:
    """Run the benchmark, write the CSV and print the summary."""
    args = parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = sorted(set(methods) - set(ALL_METHODS))
    if unknown:
        raise SystemExit(f"unknown methods: {unknown}")
    results = run_benchmark(args.data, methods, args.repeats, args.random_state)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    results.to_csv(args.output, index=False)
    summary = summarise(results)
    with pd.option_context("display.float_format", "{:.4f}".format, "display.width", 120):
        print(summary.to_string())
    if {"sidak", "iforest"} <= set(methods):
        print(f"sidak / iforest fit+score time ratio: {time_ratio(results):.2f}")
    print(f"wrote {len(results)} rows to {args.output}")
    return results


if __name__ == "__main__":
    main()
