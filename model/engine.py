"""Sidak's unsupervised anomaly engine: a calibrated ensemble of complementary detectors.

``OutlierEnsemble`` fits three fast, complementary members on robustly scaled data:

* ``knn``     - bagged k-nearest-neighbour distance: mean distance to the ``n_neighbors``
  nearest rows of each of ``n_bags`` small random reference sets (``bag_size`` rows),
  averaged over the bags. Small references keep it fast and make it robust to clusters
  of anomalies (masking); it catches *local* and multivariate oddities.
* ``iforest`` - scikit-learn's ``IsolationForest`` (global, axis-wise isolation). Small
  batches are scored by walking a packed copy of its trees with numpy, all trees at once
  (bit-identical scores; scikit-learn's per-tree loop costs ~4 ms even for one row).
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

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs, parallel_config
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
_FOREST_CHUNK_ROWS = 256  # rows per block of the vectorised forest walk (cache-sized)
# Up to this many rows the vectorised walk scores the forest (~0.03 ms for 1 row, ~0.08
# ms for 16, against ~4 ms for scikit-learn's per-tree loop); larger batches use
# scikit-learn's own path, which is as fast there (both ~0.3 s per 100k rows).
_FAST_FOREST_MAX_ROWS = 2048
# Batches of at least two blocks of this many rows are scored block by block in threads
# when joblib allows more than one job (``n_jobs``, or a ``joblib.parallel_config``): the
# members' numpy and tree code releases the GIL, and scores are row-independent, so the
# result is bit-identical to one pass. Blocks stay above ``_FAST_FOREST_MAX_ROWS``.
_PARALLEL_BLOCK_ROWS = 8192


def _validate(estimator: BaseEstimator, X: Any, reset: bool) -> np.ndarray:
    """Check X as a finite-or-NaN float64 matrix; record/check feature names and count."""
    if not reset and isinstance(X, pd.DataFrame):
        # The common case when scoring, checked in a fraction of scikit-learn's time: a
        # float64 frame with the fitted columns in order, no infinities. Anything else gets
        # scikit-learn's own checks (and its errors).
        names = getattr(estimator, "feature_names_in_", None)
        if (
            names is not None
            and len(X)
            and X.columns.tolist() == names.tolist()
            and all(dtype == np.float64 for dtype in X.dtypes)
        ):
            values = np.asarray(X, dtype=np.float64)
            if not np.isinf(values).any():
                return values
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


_blas_lock = threading.Lock()
_blas_state: dict[str, Any] = {"users": 0, "limiter": None}


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS limited to one thread while any caller is inside; restored when the last leaves.

    threadpoolctl's limit is process-wide: two requests scored at once in the service's
    threads would each save and restore it, and the one leaving first would give the other
    all BLAS threads back (and the last to leave could leave one thread for good). Callers
    are counted, so the first sets the limit and the last restores what was there before.
    """
    with _blas_lock:
        if _blas_state["users"] == 0:
            _blas_state["limiter"] = _threadpools().limit(limits=1, user_api="blas")
        _blas_state["users"] += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_state["users"] -= 1
            if _blas_state["users"] == 0:
                _blas_state["limiter"].restore_original_limits()
                _blas_state["limiter"] = None


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
    n_jobs : parallel jobs for the forest's fit and, in threads, for scoring large batches
        (None: joblib's default, one unless a ``joblib.parallel_config`` says more).
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
            # Each stacked reference row numbered by its value (duplicates share a number):
            # the kNN candidate selection's tie rule, fitted once, not per scoring call.
            flat = self.references_.reshape(-1, Z.shape[1])
            self.reference_ids_ = np.unique(flat, axis=0, return_inverse=True)[1].reshape(-1)
        if "iforest" in self.members_:
            self.forest_ = IsolationForest(
                n_estimators=self.n_estimators,
                max_samples=min(self.max_samples, n),
                random_state=rng.randint(np.iinfo(np.int32).max),
                n_jobs=self.n_jobs,
            ).fit(Z)
            self._compile_forest()
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

    def feature_contributions(self, X: Any) -> pd.DataFrame:
        """How extreme each row is on each feature: the ``ecod`` member's ``-log`` two-sided
        tail probability against the training column (0 for features constant in training).

        Higher = more unusual on that feature; a row's values sum to its raw ``ecod`` score.
        Columns are the fitted feature names (``x0, x1, ...`` without names); the index is
        X's when X is a DataFrame. Needs the ``ecod`` member (a positive weight).
        """
        check_is_fitted(self, "mix_calibrator_")
        if "ecod" not in self.members_:
            raise ValueError("feature_contributions needs the 'ecod' member (weight > 0)")
        terms = self.feature_terms(_validate(self, X, reset=False))
        names = getattr(self, "feature_names_in_", None)
        columns = list(names) if names is not None else [f"x{j}" for j in range(terms.shape[1])]
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(terms, index=index, columns=columns)

    def feature_terms(self, values: np.ndarray) -> np.ndarray:
        """``feature_contributions`` of a float64 matrix already in the fitted column order
        (NaN allowed, no infinities), as an array: no checks, for callers that built it."""
        check_is_fitted(self, "ecdf_columns_")
        return self._ecod_terms(self._scale(self._impute(np.asarray(values, dtype=np.float64))))

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
        n_blocks = Z.shape[0] // _PARALLEL_BLOCK_ROWS
        n_jobs = min(effective_n_jobs(self.n_jobs), n_blocks) if n_blocks >= 2 else 1
        # The kNN's products are small: threaded BLAS only adds overhead and, on a busy
        # machine, heavy oversubscription (measured 2-4x slower with 2 threads). The limit is
        # process-wide, so it is set once here, around all the threads (and counted across
        # concurrent callers: ``one_blas_thread``).
        with one_blas_thread():
            if n_jobs == 1:
                return self._raw_block(Z)
            blocks = np.array_split(np.arange(Z.shape[0]), n_blocks)
            parts = Parallel(n_jobs=n_jobs, require="sharedmem")(
                delayed(self._raw_block)(Z[rows]) for rows in blocks
            )
        return {m: np.concatenate([part[m] for part in parts]) for m in self.members_}

    def _raw_block(self, Z: np.ndarray) -> dict[str, np.ndarray]:
        raw: dict[str, np.ndarray] = {}
        if "knn" in self.members_:
            raw["knn"] = self._knn_scores(Z)
        if "iforest" in self.members_:
            # models pickled before the packed forest existed keep scikit-learn's path
            if Z.shape[0] <= _FAST_FOREST_MAX_ROWS and hasattr(self, "forest_children_"):
                raw["iforest"] = self._forest_scores(Z)
            else:
                # one job: scikit-learn sums the trees' depths in whatever order its threads
                # finish, which would make the scores' last bits depend on timing
                with parallel_config(n_jobs=1):
                    raw["iforest"] = -self.forest_.score_samples(Z)
        if "ecod" in self.members_:
            raw["ecod"] = self._ecod_scores(Z)
        return raw

    def _compile_forest(self) -> None:
        """Pack the fitted forest's trees into flat arrays for a vectorised walk.

        Built from public tree attributes only. Node ``i`` of tree ``t`` is global node
        ``forest_node_offsets_[t] + i``; ``forest_children_[2 * g + go_right]`` is the
        child to visit (a leaf points to itself twice, so walking further is a no-op);
        ``forest_features_`` holds global column indices; ``forest_path_lengths_`` is
        scikit-learn's per-leaf path length ``depth + c(n_node_samples)`` (root depth 0).
        """
        forest = self.forest_
        n_features = forest.n_features_in_
        offsets, children, features, thresholds, paths = [], [], [], [], []
        offset = 0
        for tree, cols in zip(forest.estimators_, forest.estimators_features_, strict=True):
            t = tree.tree_
            n_nodes = t.node_count
            node_ids = np.arange(n_nodes)
            leaf = t.children_left < 0
            left = np.where(leaf, node_ids, t.children_left) + offset
            right = np.where(leaf, node_ids, t.children_right) + offset
            children.append(np.column_stack([left, right]).ravel())
            feat = np.where(leaf, 0, t.feature)
            # IsolationForest indexes columns only when it subsamples features
            # (sklearn's BaseBagging: ``max_features != n_features``); otherwise each
            # tree sees X as is and estimators_features_ must not be applied
            if len(cols) != n_features:
                feat = np.asarray(cols)[feat]
            features.append(feat)
            thresholds.append(np.where(leaf, np.inf, t.threshold))
            # the same float operations as IsolationForest._compute_score_samples
            depths = t.compute_node_depths()
            paths.append(depths + _average_path_length(t.n_node_samples) - 1.0)
            offsets.append(offset)
            offset += n_nodes
        self.forest_node_offsets_ = np.asarray(offsets, dtype=np.intp)
        self.forest_children_ = np.concatenate(children).astype(np.intp)
        self.forest_features_ = np.concatenate(features).astype(np.intp)
        self.forest_thresholds_ = np.concatenate(thresholds).astype(np.float64)
        self.forest_path_lengths_ = np.concatenate(paths).astype(np.float64)
        self.forest_max_depth_ = max(int(tree.tree_.max_depth) for tree in forest.estimators_)
        self.forest_denominator_ = len(forest.estimators_) * float(
            _average_path_length(np.array([forest.max_samples_]))[0]
        )

    def _forest_scores(self, Z: np.ndarray) -> np.ndarray:
        """``-IsolationForest.score_samples(Z)``, by walking all trees at once.

        Bit-identical to scikit-learn: Z is cast to float32 as sklearn's trees see it and
        the per-tree path lengths are added in the same order. Z must be NaN-free (it is
        imputed); each row is walked on its own.
        """
        with np.errstate(over="ignore"):  # |z| > 3.4e38 becomes inf, as in sklearn
            X32 = np.asarray(Z, dtype=np.float32)
        n_rows, n_feat = X32.shape
        out = np.empty(n_rows)
        children = self.forest_children_
        features = self.forest_features_
        thresholds = self.forest_thresholds_
        paths = self.forest_path_lengths_
        denominator = self.forest_denominator_
        for start in range(0, n_rows, _FOREST_CHUNK_ROWS):
            block = X32[start : start + _FOREST_CHUNK_ROWS].astype(np.float64).ravel()
            base = (np.arange(len(block) // n_feat) * n_feat)[:, None]
            node = np.broadcast_to(
                self.forest_node_offsets_, (len(base), len(self.forest_node_offsets_))
            ).copy()
            for _ in range(self.forest_max_depth_):
                value = block.take(base + features.take(node))
                node = children.take(2 * node + (value > thresholds.take(node)))
            # summed tree by tree in sklearn's order (cumsum is strictly sequential), so
            # the scores are bit-identical: raw scores sit on the calibrators' reference
            # values, where even a 1-ulp difference can move a score by 1 / (m + 1)
            depths = np.cumsum(paths.take(node), axis=1)[:, -1]
            if denominator > 0:
                out[start : start + len(base)] = 2.0 ** (depths / -denominator)
            else:  # max_samples_ == 1: sklearn sets the ratio to 1, so the score is 2**-1
                out[start : start + len(base)] = 0.5
        return out

    def _knn_scores(self, Z: np.ndarray) -> np.ndarray:
        """Mean over reference sets of the mean distance to the k nearest reference rows.

        A reference row at distance exactly 0 (normally the scored row itself) is skipped,
        so training rows are scored leave-one-out; otherwise the k+1-th is dropped.
        """
        refs = self.references_
        n_bags, size, n_feat = refs.shape
        k = self.n_neighbors_
        kq = min(k + 1, size)
        flat = refs.reshape(-1, n_feat)
        same = self.reference_ids_
        flat_t = -2.0 * flat.T
        flat_sq = np.einsum("bij,bij->bi", refs, refs).ravel()
        out = np.empty(Z.shape[0])
        for start in range(0, Z.shape[0], _CHUNK_ROWS):
            q = Z[start : start + _CHUNK_ROWS]
            if kq < size:  # select candidates by BLAS squared distances (minus |q|^2)
                d2 = q @ flat_t
                d2 += flat_sq
                nearest = _smallest_per_bag(d2.reshape(len(q), n_bags, size), kq, same)
                cand = flat.take(nearest, axis=0)
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

    def _ecod_terms(self, Z: np.ndarray) -> np.ndarray:
        """Per feature, ``-log`` two-sided empirical tail probability (0: constant feature)."""
        cols = self.ecdf_columns_
        m = cols.shape[0]
        terms = np.zeros(Z.shape)
        for j in range(cols.shape[1]):
            if self.constant_features_[j]:
                continue
            below_or_eq = np.searchsorted(cols[:, j], Z[:, j], side="right")
            above_or_eq = m - np.searchsorted(cols[:, j], Z[:, j], side="left")
            tail = (np.minimum(below_or_eq, above_or_eq) + 1.0) / (m + 1.0)
            terms[:, j] = -np.log(tail)
        return terms

    def _ecod_scores(self, Z: np.ndarray) -> np.ndarray:
        """Sum over features of ``-log`` two-sided empirical tail probability."""
        terms = self._ecod_terms(Z)
        total = np.zeros(Z.shape[0])
        for j in np.flatnonzero(~self.constant_features_):
            total += terms[:, j]  # feature by feature, in order: the same sum as ever
        return total


def _smallest_per_bag(d2: np.ndarray, kq: int, same: np.ndarray) -> np.ndarray:
    """Per row and bag of ``d2`` (rows x bags x size), the ``kq`` smallest entries, as row
    numbers of the bags stacked (``bag * size + position``), in no particular order.

    The candidates of ``np.argpartition(d2, kq - 1, axis=2)[:, :, :kq]``, found by a value
    sort and a threshold (several times faster than the partition of indices). Only where
    entries tie at the ``kq``-th place does argpartition's tie-breaking decide which are
    taken: if the tied entries are all one reference row (``same`` numbers the stacked rows,
    equal for equal rows of a bag: a duplicate in the bag) any choice gives the same
    candidates and the first are taken; otherwise, and for NaN, argpartition decides.
    """
    n_rows, n_bags, size = d2.shape
    ordered = np.sort(d2, axis=2)
    limit = ordered[:, :, kq - 1 : kq]
    chosen = d2 <= limit
    rows, bags = np.nonzero(~(limit < ordered[:, :, kq : kq + 1])[:, :, 0])
    if len(rows):
        values, at = d2[rows, bags], limit[rows, bags]
        below, tied = values < at, values == at
        ids = same.reshape(n_bags, size)[bags]
        first = ids[np.arange(len(rows)), tied.argmax(axis=1)]
        one_row = tied.any(axis=1) & ((ids == first[:, None]) | ~tied).all(axis=1)
        missing = kq - below.sum(axis=1, keepdims=True)
        chosen[rows, bags] = below | (tied & (np.cumsum(tied, axis=1) <= missing))
        rows, bags = rows[~one_row], bags[~one_row]
        if len(rows):  # distinct rows tie (or NaN): argpartition's own choice, slice by slice
            taken = np.argpartition(d2[rows, bags], kq - 1, axis=1)[:, :kq]
            chosen[rows, bags] = False
            chosen[rows[:, None], bags[:, None], taken] = True
    return (np.flatnonzero(chosen) % (n_bags * size)).reshape(n_rows, n_bags, kq)


def _average_path_length(n_samples: np.ndarray) -> np.ndarray:
    """Average path length of an unsuccessful BST search, as scikit-learn's iforest."""
    n = np.asarray(n_samples, dtype=np.float64)
    out = np.zeros(n.shape)
    many = n > 2
    out[n == 2] = 1.0
    out[many] = 2.0 * (np.log(n[many] - 1.0) + np.euler_gamma) - 2.0 * (n[many] - 1.0) / n[many]
    return out


def _nanmedian(X: np.ndarray) -> np.ndarray:
    """Column medians ignoring NaN; NaN for all-missing columns, without warnings."""
    out = np.full(X.shape[1], np.nan)
    observed = ~np.isnan(X).all(axis=0)
    if observed.any():
        out[observed] = np.nanmedian(X[:, observed], axis=0)
    return out
