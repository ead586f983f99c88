"""Tests for model.engine.OutlierEnsemble and a smoke test of bench/adbench.py."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config
from sklearn.base import clone
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from bench import adbench
from model import engine as engine_module
from model.engine import MEMBERS, OutlierEnsemble

FAST = {"n_estimators": 25}


@pytest.fixture(scope="module")
def planted() -> tuple[np.ndarray, np.ndarray]:
    """300 Gaussian inliers plus 15 planted outliers far from them (y = 1)."""
    rng = np.random.default_rng(0)
    inliers = rng.normal(size=(300, 4))
    directions = rng.normal(size=(15, 4))
    outliers = 6.0 * directions / np.linalg.norm(directions, axis=1, keepdims=True)
    X = np.vstack([inliers, outliers])
    y = np.r_[np.zeros(300, dtype=int), np.ones(15, dtype=int)]
    return X, y


@pytest.fixture(scope="module")
def fitted(planted: tuple[np.ndarray, np.ndarray]) -> OutlierEnsemble:
    return OutlierEnsemble(random_state=0, **FAST).fit(planted[0])


def test_init_only_stores_params() -> None:
    est = OutlierEnsemble(n_neighbors=7, weights={"knn": 1.0}, random_state=3)
    assert est.get_params()["n_neighbors"] == 7
    assert est.get_params()["weights"] == {"knn": 1.0}
    assert not [k for k in vars(est) if k.endswith("_")]
    assert clone(est).get_params() == est.get_params()


def test_fit_returns_self_and_sets_fitted_attributes(planted) -> None:
    X, _ = planted
    est = OutlierEnsemble(random_state=0, **FAST)
    assert est.fit(X) is est
    assert est.n_features_in_ == 4
    assert not hasattr(est, "feature_names_in_")
    assert est.members_ == MEMBERS
    for attr in ("medians_", "center_", "scale_", "references_", "forest_", "offset_"):
        assert hasattr(est, attr)


@pytest.mark.parametrize(
    "method", ["score_samples", "decision_function", "predict", "score_components"]
)
def test_not_fitted_raises(method: str) -> None:
    with pytest.raises(NotFittedError):
        getattr(OutlierEnsemble(), method)(np.zeros((3, 2)))


def test_planted_outliers_score_higher(planted, fitted) -> None:
    X, y = planted
    scores = fitted.score_samples(X)
    assert roc_auc_score(y, scores) > 0.95
    assert scores[y == 1].mean() > scores[y == 0].mean()
    components = fitted.score_components(X)
    for member in MEMBERS:  # every member on its own also finds them
        assert roc_auc_score(y, components[member]) > 0.9


def test_scores_in_unit_interval_and_monotone_beyond_training(planted, fitted) -> None:
    X, _ = planted
    scores = fitted.score_samples(X)
    assert np.all((scores > 0) & (scores < 1))
    far = np.array([[10.0] * 4, [1e3] * 4, [1e6] * 4])  # beyond every training row
    far_scores = fitted.score_samples(far)
    assert np.all(far_scores < 1) and np.all(np.diff(far_scores) > 0)
    assert far_scores[0] > scores.max() - 1e-9


def test_dataframe_and_ndarray_inputs(planted) -> None:
    X, _ = planted
    df = pd.DataFrame(X, columns=["fee", "days", "visits", "amount"], index=np.arange(len(X)) + 100)
    est_df = OutlierEnsemble(random_state=0, **FAST).fit(df)
    est_np = OutlierEnsemble(random_state=0, **FAST).fit(X)
    assert list(est_df.feature_names_in_) == ["fee", "days", "visits", "amount"]
    np.testing.assert_array_equal(est_df.score_samples(df), est_np.score_samples(X))
    components = est_df.score_components(df)
    assert list(components.columns) == list(MEMBERS)
    assert components.index.equals(df.index)
    assert components.to_numpy().min() > 0 and components.to_numpy().max() < 1
    with pytest.raises(ValueError):
        est_df.score_samples(df[["days", "fee", "visits", "amount"]])  # reordered columns


def test_deterministic_with_random_state(planted) -> None:
    X, _ = planted
    a = OutlierEnsemble(random_state=42, **FAST).fit(X)
    b = OutlierEnsemble(random_state=42, **FAST).fit(X)
    np.testing.assert_array_equal(a.score_samples(X), b.score_samples(X))
    np.testing.assert_array_equal(a.score_samples(X), a.score_samples(X))


def test_row_independent_scoring(planted, fitted) -> None:
    X, _ = planted
    batch = fitted.score_samples(X)
    alone = np.array([fitted.score_samples(X[i : i + 1])[0] for i in range(0, len(X), 7)])
    np.testing.assert_allclose(alone, batch[::7], rtol=0, atol=1e-12)
    reversed_batch = fitted.score_samples(X[::-1])[::-1]
    np.testing.assert_allclose(reversed_batch, batch, rtol=0, atol=1e-12)


def test_nan_imputed_with_fitted_medians(planted) -> None:
    X, _ = planted
    X_nan = X.copy()
    X_nan[::10, 1] = np.nan
    est = OutlierEnsemble(random_state=0, **FAST).fit(X_nan)
    scores = est.score_samples(X_nan)
    assert np.all(np.isfinite(scores))
    row = X[:1].copy()
    row[0, 1] = np.nan
    filled = row.copy()
    filled[0, 1] = est.medians_[1]
    np.testing.assert_array_equal(est.score_samples(row), est.score_samples(filled))


def test_constant_and_all_missing_columns(planted) -> None:
    X, y = planted
    X_extra = np.column_stack([X, np.full(len(X), 5.0), np.full(len(X), np.nan)])
    est = OutlierEnsemble(random_state=0, **FAST).fit(X_extra)
    assert est.constant_features_.tolist() == [False] * 4 + [True, True]
    scores = est.score_samples(X_extra)
    assert np.all(np.isfinite(scores))
    assert roc_auc_score(y, scores) > 0.95


def test_all_constant_input_scores_uniformly() -> None:
    scores = OutlierEnsemble(random_state=0, **FAST).fit_predict(np.ones((20, 3)))
    assert set(scores.tolist()) == {1}


@pytest.mark.parametrize("n_rows", [1, 2, 3, 12])
def test_tiny_inputs(n_rows: int) -> None:
    X = np.random.default_rng(1).normal(size=(n_rows, 3))
    est = OutlierEnsemble(random_state=0, **FAST).fit(X)
    scores = est.score_samples(X)
    assert scores.shape == (n_rows,)
    assert np.all((scores > 0) & (scores < 1))
    assert est.score_components(X).shape == (n_rows, len(MEMBERS))


def test_predict_and_decision_function_agree(planted, fitted) -> None:
    X, _ = planted
    decision = fitted.decision_function(X)
    np.testing.assert_allclose(decision, fitted.score_samples(X) - fitted.offset_)
    labels = fitted.predict(X)
    assert set(np.unique(labels)) <= {-1, 1}
    np.testing.assert_array_equal(labels == -1, decision > 0)
    assert abs((labels == -1).mean() - fitted.contamination) < 0.03


def test_weights_switch_members_off(planted) -> None:
    X, y = planted
    est = OutlierEnsemble(weights={"knn": 1.0, "ecod": 1.0}, random_state=0).fit(X)
    assert est.members_ == ("knn", "ecod")
    assert not hasattr(est, "forest_")
    assert list(est.score_components(X).columns) == ["knn", "ecod"]
    assert roc_auc_score(y, est.score_samples(X)) > 0.95


@pytest.mark.parametrize(
    "params",
    [
        {"weights": {"lof": 1.0}},
        {"weights": {"knn": 0.0}},
        {"n_neighbors": 0},
        {"contamination": 0.7},
    ],
)
def test_invalid_params_raise(params) -> None:
    with pytest.raises(ValueError):
        OutlierEnsemble(**params).fit(np.random.default_rng(0).normal(size=(20, 2)))


def test_infinite_values_rejected(fitted) -> None:
    with pytest.raises(ValueError):
        fitted.score_samples(np.array([[np.inf, 0, 0, 0]]))


# ------------------------------------------------------------ packed isolation forest
@pytest.fixture(scope="module")
def wide() -> tuple[np.ndarray, OutlierEnsemble]:
    """Skewed 2,000 x 6 training data (a NaN column share) and the ensemble fitted on it."""
    rng = np.random.default_rng(5)
    X = rng.lognormal(size=(2000, 6)) * [1.0, 10.0, 0.1, 1.0, 1e3, 1.0]
    X[rng.random(X.shape) < 0.05] = np.nan
    return X, OutlierEnsemble(n_bags=2, random_state=0).fit(X)


def _query_rows(X: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Training rows, far-out rows (both signs, huge) and rows with NaN, shuffled."""
    rng = np.random.default_rng(seed)
    Q = X[rng.integers(0, len(X), n)].copy()
    far = rng.random(n) < 0.3
    Q[far] = rng.normal(scale=1e6, size=(int(far.sum()), X.shape[1]))
    Q[rng.random(Q.shape) < 0.1] = np.nan
    Q[0] = 1e30  # beyond every threshold
    return Q


@pytest.mark.parametrize("n_rows", [1, 16, 5000])
def test_fast_forest_equals_sklearn(wide, n_rows: int) -> None:
    """Bit-identical (so within the 1e-10 required), also far out and with NaN imputed."""
    X, est = wide
    Z = est._scale(est._impute(_query_rows(X, n_rows, seed=n_rows)))
    expected = -est.forest_.score_samples(Z)
    np.testing.assert_array_equal(est._forest_scores(Z), expected)
    train = est._scale(est._impute(X))
    np.testing.assert_array_equal(est._forest_scores(train), -est.forest_.score_samples(train))


def test_fast_forest_with_feature_subsampling(wide) -> None:
    """Trees trained on a (permuted) column subset are walked on the right columns."""
    X, est = wide
    est = clone(est).fit(X)
    Z = est._scale(est._impute(X))
    est.forest_ = IsolationForest(n_estimators=30, max_features=0.5, random_state=1).fit(Z)
    assert any(not np.array_equal(f, np.sort(f)) for f in est.forest_.estimators_features_)
    est._compile_forest()
    Q = est._scale(est._impute(_query_rows(X, 300, seed=3)))
    np.testing.assert_array_equal(est._forest_scores(Q), -est.forest_.score_samples(Q))


def test_fast_forest_single_sample_trees() -> None:
    X = np.random.default_rng(2).normal(size=(40, 3))
    est = OutlierEnsemble(max_samples=1, random_state=0, **FAST).fit(X)
    Z = est._scale(X)
    np.testing.assert_array_equal(est._forest_scores(Z), -est.forest_.score_samples(Z))


def test_batch_paths_agree_and_rows_are_independent(wide) -> None:
    """A row alone (packed forest) scores as in a large batch (scikit-learn's path)."""
    X, est = wide
    Q = _query_rows(X, 3000, seed=7)
    batch = est.score_samples(Q)
    alone = np.array([est.score_samples(Q[i : i + 1])[0] for i in range(0, len(Q), 97)])
    np.testing.assert_array_equal(alone, batch[::97])
    np.testing.assert_array_equal(est.score_samples(Q[:16]), batch[:16])


def test_threaded_blocks_score_as_one_pass(wide, monkeypatch) -> None:
    """Large batches scored block by block in threads give the same bits as one pass, and
    scikit-learn's forest is kept to one job inside (its threads would sum the trees'
    depths in the order they finish)."""
    X, est = wide
    Q = _query_rows(X, 7000, seed=11)
    one_pass = est.score_components(Q)
    monkeypatch.setattr(engine_module, "_PARALLEL_BLOCK_ROWS", 2500)  # 2 blocks of 3500
    seen_jobs: list[int] = []
    score_forest = type(est.forest_).score_samples

    def forest_scores(forest, Z):
        from joblib import effective_n_jobs

        seen_jobs.append(effective_n_jobs(None))
        return score_forest(forest, Z)

    monkeypatch.setattr(type(est.forest_), "score_samples", forest_scores)
    with parallel_config(n_jobs=2):
        threaded = est.score_components(Q)
        one_block = est.score_components(Q[:3000])  # too few rows to split: this thread
    pd.testing.assert_frame_equal(threaded, one_pass, check_exact=True)
    pd.testing.assert_frame_equal(one_block, one_pass.iloc[:3000], check_exact=True)
    assert len(seen_jobs) == 3 and set(seen_jobs) == {1}
    threaded_est = clone(est).set_params(n_jobs=2).fit(X)
    np.testing.assert_array_equal(threaded_est.score_samples(Q), est.score_samples(Q))


def test_packed_forest_survives_pickle_and_old_models_fall_back(wide) -> None:
    X, est = wide
    Q = _query_rows(X, 50, seed=9)
    expected = est.score_samples(Q)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.score_samples(Q), expected)
    for name in [k for k in vars(restored) if k.startswith("forest_") and k != "forest_"]:
        delattr(restored, name)  # as a model pickled before the packed forest existed
    np.testing.assert_array_equal(restored.score_samples(Q), expected)


# ------------------------------------------------------------ kNN candidate selection
def _argpartition_sets(d2: np.ndarray, kq: int, same: np.ndarray | None = None) -> np.ndarray:
    """The candidates the kNN member used to take: argpartition's, as stacked row numbers."""
    nearest = np.argpartition(d2, kq - 1, axis=2)[:, :, :kq]
    return np.sort(nearest + d2.shape[2] * np.arange(d2.shape[1])[None, :, None], axis=2)


@pytest.mark.parametrize(
    "case", ["distinct", "ties_inside", "distinct_rows_tie", "duplicate_rows_tie", "nan"]
)
def test_smallest_per_bag_takes_argpartitions_candidates(case: str) -> None:
    """The same set as argpartition, or (tied duplicates) one of the same reference rows."""
    rng = np.random.default_rng(4)
    n_rows, n_bags, size, kq = 64, 3, 40, 11
    d2 = rng.normal(size=(n_rows, n_bags, size))
    same = np.arange(n_bags * size)  # every reference row distinct...
    if case == "ties_inside":  # equal values among the kq smallest: the set is still unique
        d2[:, :, :5] = -10.0
    if case in ("distinct_rows_tie", "duplicate_rows_tie"):  # the kq-th and next are equal
        d2[7, 1, :] = np.r_[np.full(kq - 1, -5.0), [1.0, 1.0, 1.0], np.full(size - kq - 2, 9.0)]
        d2[9, 2, 3:6] = -20.0
        d2[9, 2, 6:] = 9.0
        d2[9, 2, :3] = np.sort(d2[9, 2, :3])
    if case == "duplicate_rows_tie":  # ...but these three are one row, thrice, in its bag
        same[size + kq - 1 : size + kq + 2] = same[size + kq - 1]
    if case == "nan":
        d2[3, 0, :30] = np.nan
    chosen = np.sort(engine_module._smallest_per_bag(d2, kq, same), axis=2)
    expected = _argpartition_sets(d2, kq)
    assert chosen.shape == expected.shape
    np.testing.assert_array_equal(same[chosen], same[expected])
    if case != "duplicate_rows_tie":
        np.testing.assert_array_equal(chosen, expected)


@pytest.mark.parametrize("duplicates", [False, True])
def test_knn_scores_unchanged_by_the_selection(
    wide, duplicates: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The member's raw scores are those of the argpartition selection, bit for bit, also
    when reference sets hold the same row several times (ties at the k-th place)."""
    X, est = wide
    if duplicates:
        est = clone(est).fit(X)
        est.references_[:, 100:140] = est.references_[:, 60:100]
        est.references_[1, 1:3] = est.references_[1, 0]
    Z = est._scale(est._impute(np.vstack([X, _query_rows(X, 1000, seed=11)])))
    Z = np.vstack([Z, est.references_.reshape(-1, Z.shape[1])])  # rows sitting on references
    fast = est._knn_scores(Z)
    monkeypatch.setattr(engine_module, "_smallest_per_bag", _argpartition_sets)
    np.testing.assert_array_equal(fast, est._knn_scores(Z))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
def test_sklearn_check_estimator() -> None:
    from sklearn.utils.estimator_checks import check_estimator

    reason = "decision_function > 0 marks anomalies (Sidak's sign), sklearn expects < 0"
    check_estimator(
        OutlierEnsemble(random_state=0, n_estimators=10),
        expected_failed_checks={"check_outliers_train": reason},
    )


# --------------------------------------------------------------------- benchmark smoke
def _write_tiny_npz(directory: Path) -> Path:
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(80, 3)), rng.normal(loc=6.0, size=(8, 3))])
    y = np.r_[np.zeros(80), np.ones(8)]
    path = directory / "1_tiny.npz"
    np.savez(path, X=X, y=y)
    return path


def test_bench_load_and_evaluate(tmp_path: Path) -> None:
    path = _write_tiny_npz(tmp_path)
    assert adbench.list_datasets(tmp_path) == [path]
    X, y = adbench.load_dataset(path)
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1)
    scores, fit_s, score_s = adbench.run_method("sidak", X)
    assert scores.shape == y.shape and fit_s >= 0 and score_s >= 0
    roc, ap = adbench.evaluate(y, scores)
    assert roc > 0.95 and ap > 0.8


def test_bench_main_writes_results(tmp_path: Path, capsys) -> None:
    _write_tiny_npz(tmp_path)
    out = tmp_path / "out" / "results.csv"
    argv = ["--data", str(tmp_path), "--output", str(out), "--methods", "sidak,iforest"]
    adbench.main(argv)
    results = pd.read_csv(out)
    assert list(results.columns) == adbench.RESULT_COLUMNS
    assert sorted(results["method"]) == ["iforest", "sidak"]
    assert results[["roc_auc", "ap"]].notna().all().all()
    summary = adbench.summarise(results)
    assert set(summary.index) == {"iforest", "sidak"}
    assert adbench.time_ratio(results) > 0
    printed = capsys.readouterr().out
    assert "sidak / iforest" in printed


def test_bench_rejects_unknown_method() -> None:
    with pytest.raises(ValueError):
        adbench.make_method("nope")


def test_feature_contributions_sum_to_the_ecod_score_and_point_at_the_odd_feature() -> None:
    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(size=(500, 4)), columns=["a", "b", "c", "d"])
    X["const"] = 1.0
    model = OutlierEnsemble(random_state=0).fit(X)
    odd = X.head(3).copy()
    odd.loc[odd.index[0], "c"] = 9.0  # far out on c only
    contributions = model.feature_contributions(odd)
    assert list(contributions.columns) == list(X.columns)
    assert contributions.iloc[0].idxmax() == "c"
    assert (contributions["const"] == 0).all()
    Z = model._scale(model._impute(odd.to_numpy(dtype=float)))
    np.testing.assert_allclose(contributions.sum(axis=1), model._ecod_scores(Z))
    with pytest.raises(ValueError, match="ecod"):
        OutlierEnsemble(weights={"knn": 1.0}, random_state=0).fit(X).feature_contributions(odd)


def test_one_blas_thread_holds_until_the_last_concurrent_caller_leaves(monkeypatch) -> None:
    """Two scorings overlap in the service's threads: the first to leave must not give the
    other BLAS threads back, and the last restores what was there before. (A recording
    controller stands in for threadpoolctl's: whether OpenBLAS applies a limit set from a
    worker thread depends on its build.)"""
    import threading

    class Pools:
        threads = 2

        def limit(self, limits: int, user_api: str):
            assert user_api == "blas"
            pools, original = self, self.threads
            pools.threads = limits

            class Limiter:
                def restore_original_limits(self) -> None:
                    pools.threads = original

            return Limiter()

    pools = Pools()
    monkeypatch.setattr(engine_module, "_threadpools", lambda: pools)
    a_inside, b_inside, a_left = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, int] = {}

    def first() -> None:
        with engine_module.one_blas_thread():
            a_inside.set()
            b_inside.wait(10)
        a_left.set()

    def second() -> None:
        a_inside.wait(10)
        with engine_module.one_blas_thread():
            b_inside.set()
            a_left.wait(10)
            seen["after the first left"] = pools.threads

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert seen["after the first left"] == 1
    assert pools.threads == 2
    with pytest.raises(RuntimeError), engine_module.one_blas_thread():
        raise RuntimeError("a failed scoring")
    assert pools.threads == 2
