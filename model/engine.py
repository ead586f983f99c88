"""Sidak's unsupervised anomaly engine: a calibrated ensemble of complementary detectors.

``OutlierEnsemble`` fits three fast, complementary members on robustly scaled data:

* ``knn``     - bagged k-nearest-neighbour distance: mean distance to the ``n_neighbors``
  nearest rows of each of ``n_bags`` small random reference sets (``bag_size`` rows),
  averaged over the bags. Small references keep it fast and make it robust to clusters
  of anomalies (masking); it catches *local* and multivariate oddities.
* ``iforest`` - scikit-learn's ``IsolationForest`` (global, axis-wise isolation).
* ``ecod``    - ECOD-style empirical-CDF tail probabilities: per feature, ``-log`` of the
  smaller of the left/right tail probabilities against the fitted training column, summed
  over features (extreme *values*, feature by feature; easy to explain).

Every member score is mapped to ``(0, 1)`` by the empirical CDF of that member's scores
on (a sample of) the training data, members are combined by a weighted mean, and the
mix is mapped through its own training empirical CDF again. So an output of 0.99 means
"more anomalous than about 99 % of the training rows".

Sign convention (differs from scikit-learn's ``IsolationForest``!):

====================  ==============================================================
``score_samples``     in ``(0, 1)``; **higher = more anomalous**
``score_components``  each member's score in ``(0, 1)``; **higher = more anomalous**
``decision_function`` ``score_samples - offset_``; **> 0 = predicted anomaly**
``predict``           scikit-learn labels: ``-1`` = anomaly, ``1`` = normal
====================  ==============================================================

scikit-learn's detectors (e.g. ``IsolationForest``) use the opposite sign for
``score_samples`` and ``decision_function`` (higher = more normal). Here every continuous
output points the same way, as in PyOD; only ``predict`` keeps scikit-learn's labels.
Because of that flip, ``check_estimator`` passes except ``check_outliers_train``, which
requires ``decision_function < 0`` for predicted anomalies.

Scoring is deterministic and row-independent: a row's score depends only on that row
and the fitted state, never on the other rows of the batch being scored.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.ensemble import IsolationForest
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import ThreadpoolController

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _sk_validate_data
except ImportError:  # pragma: no cover - scikit-learn 1.5
    _sk_validate_data = None

MEMBERS: tuple[str, ...] = ("knn", "iforest", "ecod")
DEFAULT_WEIGHTS: dict[str, float] = {"knn": 2.0, "iforest": 1.0, "ecod": 1.0}
_CHUNK_ROWS = 256


def _validate(estimator: BaseEstimator, X: Any, reset: bool) -> np.ndarray:
    """Check X as a finite-or-NaN float64 matrix; record/check feature names and count."""
    kwargs: dict[str, Any] = {"dtype": np.float64, "ensure_min_samples": 1}
    if _sk_validate_data is not None:
        return _sk_validate_data(estimator, X, reset=reset, ensure_all_finite="allow-nan", **kwargs)
    return estimator._validate_data(  # pragma: no cover
        X, reset=reset, force_all_finite="allow-nan", **kwargs
    )


@lru_cache(maxsize=1)
def _threadpools() -> ThreadpoolController:
    """Cached controller of the BLAS/OpenMP pools (rescanning costs ~0.3 ms per call)."""
    return ThreadpoolController()


class _Calibrator:
    """Monotone map of raw scores to ``(0, 1)`` by the empirical CDF of reference scores.

    Mid-rank plotting positions are linearly interpolated between the unique reference
    values and extended with hyperbolic tails beyond them, so the map is continuous and
    strictly increasing (no ties are created) and never reaches 0 or 1.
    """

    def __init__(self, reference: np.ndarray) -> None:
        ref = np.sort(np.asarray(reference, dtype=np.float64))
        m = ref.size
        values, first, counts = np.unique(ref, return_index=True, return_counts=True)
        self.values = values
        self.positions = (first + 0.5 * counts + 0.5) / (m + 1)
        q25, q75 = np.percentile(ref, [25, 75])
        spread = q75 - q25
        if not spread > 0:
            spread = float(np.std(ref))
        self.tail_scale = spread if spread > 0 else 1.0

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        s = np.asarray(scores, dtype=np.float64)
        out = np.interp(s, self.values, self.positions)
        lo, hi = self.values[0], self.values[-1]
        above, below = s > hi, s < lo
        if above.any():  # hyperbolic tails: never exactly 0 or 1 in float64
            out[above] = 1.0 - (1.0 - self.positions[-1]) / (
                1.0 + (s[above] - hi) / self.tail_scale
            )
        if below.any():
            out[below] = self.positions[0] / (1.0 + (lo - s[below]) / self.tail_scale)
        return out


class OutlierEnsemble(OutlierMixin, BaseEstimator):
    """Calibrated ensemble of bagged kNN, Isolation Forest and ECOD-style detectors.

    Contract: ``fit(X)`` learns from an unlabeled numeric matrix (ndarray or DataFrame;
    NaN allowed, imputed with the fitted column medians; infinities are rejected; columns
    constant in training are ignored) and returns ``self``.
    ``score_samples(X)`` returns scores in ``(0, 1)`` where **higher means more
    anomalous** (the opposite sign of scikit-learn's ``IsolationForest.score_samples``),
    calibrated so that a score is roughly the fraction of training rows that look more
    normal. Scores are deterministic and row-independent.

    Parameters
    ----------
    n_neighbors : neighbours per reference set for the ``knn`` member.
    n_bags : number of random reference sets for the ``knn`` member.
    bag_size : rows per reference set (all rows when the data are smaller).
    n_estimators : trees of the ``iforest`` member.
    max_samples : rows per tree of the ``iforest`` member (capped at ``n_samples``).
    calibration_size : at most this many training rows calibrate the member scores and
        serve as the ``ecod`` member's reference columns.
    weights : member name -> weight of its calibrated score in the mix; ``None`` uses
        ``DEFAULT_WEIGHTS``. A weight of 0 switches a member off.
    contamination : expected share of anomalies; sets ``offset_``, the training
        quantile of ``score_samples`` above which ``predict`` flags an anomaly.
    random_state : seed for the reference sets, calibration sample and the forest.
    n_jobs : parallel jobs for the forest.
    """

    def __init__(
        self,
        n_neighbors: int = 10,
        n_bags: int = 5,
        bag_size: int = 256,
        n_estimators: int = 100,
        max_samples: int = 256,
        calibration_size: int = 4096,
        weights: Mapping[str, float] | None = None,
        contamination: float = 0.1,
        random_state: int | np.random.RandomState | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.n_bags = n_bags
        self.bag_size = bag_size
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.calibration_size = calibration_size
        self.weights = weights
        self.contamination = contamination
        self.random_state = random_state
        self.n_jobs = n_jobs

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any = None) -> OutlierEnsemble:
        """Fit all members and their calibration on ``X`` (labels ``y`` are ignored)."""
        self._check_params()
        X = _validate(self, X, reset=True)
        rng = check_random_state(self.random_state)
        n = X.shape[0]

        self.medians_ = np.nan_to_num(_nanmedian(X), nan=0.0)
        Z = self._impute(X)
        self.center_ = np.median(Z, axis=0)
        q25, q75 = np.percentile(Z, [25, 75], axis=0)
        scale = np.maximum((q75 - q25) / 1.349, 0.1 * Z.std(axis=0))
        self.constant_features_ = np.ptp(Z, axis=0) == 0
        self.scale_ = np.where(self.constant_features_, 1.0, scale)
        Z = self._scale(Z)

        self.weights_ = self._resolve_weights()
        self.members_ = tuple(m for m in MEMBERS if self.weights_[m] > 0)

        calib_idx = (
            np.arange(n)
            if n <= self.calibration_size
            else np.sort(rng.choice(n, self.calibration_size, replace=False))
        )
        Zc = Z[calib_idx]

        if "knn" in self.members_:
            size = min(self.bag_size, n)
            bags = 1 if size == n else self.n_bags
            self.references_ = np.stack(
                [Z[np.sort(rng.choice(n, size, replace=False))] for _ in range(bags)]
            )
            self.n_neighbors_ = max(1, min(self.n_neighbors, size - 1))
        if "iforest" in self.members_:
            self.forest_ = IsolationForest(
                n_estimators=self.n_estimators,
                max_samples=min(self.max_samples, n),
                random_state=rng.randint(np.iinfo(np.int32).max),
                n_jobs=self.n_jobs,
            ).fit(Z)
        if "ecod" in self.members_:
            self.ecdf_columns_ = np.sort(Zc, axis=0)

        raw = self._raw_scores(Zc)
        self.calibrators_ = {m: _Calibrator(raw[m]) for m in self.members_}
        mixed = self._mix({m: self.calibrators_[m](raw[m]) for m in self.members_})
        self.mix_calibrator_ = _Calibrator(mixed)
        self.offset_ = float(np.quantile(self.mix_calibrator_(mixed), 1 - self.contamination))
        return self

    def _check_params(self) -> None:
        for name in ("n_neighbors", "n_bags", "bag_size", "n_estimators", "max_samples"):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not isinstance(self.calibration_size, int | np.integer) or self.calibration_size < 2:
            raise ValueError(
                f"calibration_size must be an integer >= 2, got {self.calibration_size!r}"
            )
        if not 0.0 < float(self.contamination) < 0.5:
            raise ValueError(f"contamination must be in (0, 0.5), got {self.contamination!r}")

    def _resolve_weights(self) -> dict[str, float]:
        weights = dict(DEFAULT_WEIGHTS if self.weights is None else self.weights)
        unknown = set(weights) - set(MEMBERS)
        if unknown:
            raise ValueError(f"unknown members in weights: {sorted(unknown)}; use {MEMBERS}")
        resolved = {m: float(weights.get(m, 0.0)) for m in MEMBERS}
        if any(w < 0 or not np.isfinite(w) for w in resolved.values()):
            raise ValueError(f"weights must be finite and >= 0, got {resolved}")
        if sum(resolved.values()) <= 0:
            raise ValueError("at least one member needs a positive weight")
        return resolved

    # ------------------------------------------------------------------ scoring
    def score_samples(self, X: Any) -> np.ndarray:
        """Anomaly score in ``(0, 1)`` per row; **higher = more anomalous**."""
        components = self._components(X)
        return self.mix_calibrator_(self._mix(components))

    def decision_function(self, X: Any) -> np.ndarray:
        """``score_samples(X) - offset_``: positive means predicted anomaly (higher = worse)."""
        scores = self.score_samples(X)
        return scores - self.offset_

    def predict(self, X: Any) -> np.ndarray:
        """scikit-learn labels: ``-1`` for anomalies (score above ``offset_``), ``1`` else."""
        return np.where(self.decision_function(X) > 0, -1, 1)

    def score_components(self, X: Any) -> pd.DataFrame:
        """Each member's calibrated score in ``(0, 1)`` (higher = more anomalous).

        Columns are the active members (``knn``, ``iforest``, ``ecod``); the index is X's
        index when X is a DataFrame. ``score_samples`` is the calibrated weighted mean.
        """
        components = self._components(X)
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(components, index=index, columns=list(self.members_))

    def _components(self, X: Any) -> dict[str, np.ndarray]:
        check_is_fitted(self, "mix_calibrator_")
        X = _validate(self, X, reset=False)
        raw = self._raw_scores(self._scale(self._impute(X)))
        return {m: self.calibrators_[m](raw[m]) for m in self.members_}

    def _mix(self, components: Mapping[str, np.ndarray]) -> np.ndarray:
        total = sum(self.weights_[m] for m in self.members_)
        mixed = np.zeros_like(components[self.members_[0]])
        for m in self.members_:
            mixed += (self.weights_[m] / total) * components[m]
        return mixed

    def _impute(self, X: np.ndarray) -> np.ndarray:
        missing = np.isnan(X)
        if missing.any():
            X = np.where(missing, self.medians_, X)
        return X

    def _scale(self, X: np.ndarray) -> np.ndarray:
        Z = (X - self.center_) / self.scale_
        Z[:, self.constant_features_] = 0.0
        return Z

    def _raw_scores(self, Z: np.ndarray) -> dict[str, np.ndarray]:
        raw: dict[str, np.ndarray] = {}
        if "knn" in self.members_:
            # the products are small: threaded BLAS only adds overhead and, on a busy
            # machine, heavy oversubscription (measured 2-4x slower with 2 threads)
            with _threadpools().limit(limits=1, user_api="blas"):
                raw["knn"] = self._knn_scores(Z)
        if "iforest" in self.members_:
            raw["iforest"] = -self.forest_.score_samples(Z)
        if "ecod" in self.members_:
            raw["ecod"] = self._ecod_scores(Z)
        return raw

    def _knn_scores(self, Z: np.ndarray) -> np.ndarray:
        """Mean over reference sets of the mean distance to the k nearest reference rows.

        A reference row at distance exactly 0 (normally the scored row itself) is skipped,
        so training rows are scored leave-one-out; otherwise the k+1-th is dropped.
        """
        refs = self.references_
        n_bags, size, n_feat = refs.shape
        k = self.n_neighbors_
        kq = min(k + 1, size)
        flat_t = -2.0 * refs.reshape(-1, n_feat).T
        flat_sq = np.einsum("bij,bij->bi", refs, refs).ravel()
        bag_ix = np.arange(n_bags)[None, :, None]
        out = np.empty(Z.shape[0])
        for start in range(0, Z.shape[0], _CHUNK_ROWS):
            q = Z[start : start + _CHUNK_ROWS]
            if kq < size:  # select candidates by BLAS squared distances (minus |q|^2)
                d2 = q @ flat_t
                d2 += flat_sq
                idx = np.argpartition(d2.reshape(len(q), n_bags, size), kq - 1, axis=2)
                cand = refs[bag_ix, idx[:, :, :kq]]
            else:
                cand = np.broadcast_to(refs[None], (len(q), n_bags, size, n_feat))
            # exact distances of the candidates, computed row by row: batch-independent
            diff = cand - q[:, None, None, :]
            dist = np.sqrt(np.einsum("ibkj,ibkj->ibk", diff, diff))
            dist.sort(axis=2)
            if kq == k + 1:
                dist = np.where(dist[:, :, :1] == 0.0, dist[:, :, 1:], dist[:, :, :k])
            out[start : start + len(q)] = dist.mean(axis=(1, 2))
        return out

    def _ecod_scores(self, Z: np.ndarray) -> np.ndarray:
        """Sum over features of ``-log`` two-sided empirical tail probability."""
        cols = self.ecdf_columns_
        m = cols.shape[0]
        total = np.zeros(Z.shape[0])
        for j in range(cols.shape[1]):
            if self.constant_features_[j]:
                continue
            below_or_eq = np.searchsorted(cols[:, j], Z[:, j], side="right")
            above_or_eq = m - np.searchsorted(cols[:, j], Z[:, j], side="left")
            tail = (np.minimum(below_or_eq, above_or_eq) + 1.0) / (m + 1.0)
            total -= np.log(tail)
        return total


def _nanmedian(X: np.ndarray) -> np.ndarray:
    """Column medians ignoring NaN; NaN for all-missing columns, without warnings."""
    out = np.full(X.shape[1], np.nan)
    observed = ~np.isnan(X).all(axis=0)
    if observed.any():
        out[observed] = np.nanmedian(X[:, observed], axis=0)
    return out
