"""The independent world generator writes the contract, and Sidak finds what it plants."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import average_precision_score

from bench import altworld, wildworld
from model.contract import load_data_dir
from model.detect import RiskModel


def test_altworld_is_contract_valid_and_detectable(tmp_path: Path) -> None:
    world = altworld.generate(altworld.AltConfig(seed=3, offices=3, months=2, per_office_day=20))
    altworld.write(world, tmp_path)
    dataset = load_data_dir(tmp_path)
    truth = pd.read_csv(tmp_path / "truth" / "transactions.csv")
    assert len(dataset.transactions) == len(truth)
    assert 0.01 < truth["is_irregular"].mean() < 0.15
    assert set(truth["scheme"].dropna()) >= {"pungli_free", "hold", "calo"}
    model = RiskModel().fit(
        dataset.transactions, services=dataset.services, complaints=dataset.complaints
    )
    risk = model.score_samples(dataset.transactions, dataset.complaints)
    assert average_precision_score(truth["is_irregular"], risk) > 0.6


def test_a_bare_export_of_the_same_world_still_trains_and_scores(tmp_path: Path) -> None:
    """The bench's --drop-columns/--drop-tables: only the contract's required columns."""
    from bench.detection import OPTIONAL_TRANSACTION_COLUMNS, strip_world

    world = altworld.generate(altworld.AltConfig(seed=4, offices=2, months=2, per_office_day=15))
    altworld.write(world, tmp_path)
    before = pd.read_csv(tmp_path / "transactions.csv", dtype=str, keep_default_na=False)
    strip_world(tmp_path, OPTIONAL_TRANSACTION_COLUMNS, ["complaints", "holidays"])
    after = pd.read_csv(tmp_path / "transactions.csv", dtype=str, keep_default_na=False)
    required = [c for c in before.columns if c not in OPTIONAL_TRANSACTION_COLUMNS]
    assert list(after.columns) == required
    pd.testing.assert_frame_equal(after, before[required])  # same text, nothing else lost
    assert not (tmp_path / "complaints.csv").exists()
    dataset = load_data_dir(tmp_path)
    assert dataset.complaints is None
    model = RiskModel().fit(dataset.transactions, services=dataset.services)
    scores = model.score_transactions(dataset.transactions)
    assert len(scores) == len(before) and scores["risk_score"].between(0, 1).all()
    truth = pd.read_csv(tmp_path / "truth" / "transactions.csv")
    # only fees are left to see: free-service and above-tariff levies still rank first
    fee_schemes = truth["scheme"].isin(["pungli_free", "markup"]).to_numpy()
    top = scores["risk_score"].to_numpy() >= 0.5
    assert top.any() and fee_schemes[top].mean() > 0.8


@pytest.mark.parametrize("mix", sorted(wildworld.MIXES))
def test_the_third_generator_writes_the_contract_in_every_mix(tmp_path: Path, mix: str) -> None:
    """bench/wildworld.py (written from domain.md and the contract alone) loads cleanly,
    with truth for every transaction and the officers' profiles the bench reads."""
    config = wildworld.WildConfig(seed=5, offices=2, months=2, mix=mix, volume=0.3)
    wildworld.write(wildworld.generate(config), tmp_path)
    dataset = load_data_dir(tmp_path)
    truth = pd.read_csv(tmp_path / "truth" / "transactions.csv")
    officers = pd.read_csv(tmp_path / "truth" / "officers.csv")
    assert (
        truth["transaction_id"].astype(str).tolist()
        == dataset.transactions["transaction_id"].astype(str).tolist()
    )
    assert 0 < truth["is_irregular"].mean() < 0.2
    assert truth.loc[truth["is_irregular"] == 1, "lookalike"].isna().all()
    assert set(officers["officer_id"]) >= set(dataset.transactions["officer_id"].dropna())
    assert officers["is_extorter"].isin([0, 1]).all()


def test_sidak_finds_what_the_third_generator_plants(tmp_path: Path) -> None:
    world = wildworld.generate(wildworld.WildConfig(seed=6, offices=2, months=3, volume=0.5))
    wildworld.write(world, tmp_path)
    dataset = load_data_dir(tmp_path)
    truth = pd.read_csv(tmp_path / "truth" / "transactions.csv")
    model = RiskModel().fit(
        dataset.transactions,
        services=dataset.services,
        complaints=dataset.complaints,
        holidays=dataset.holidays,
    )
    risk = model.score_samples(dataset.transactions, dataset.complaints)
    assert average_precision_score(truth["is_irregular"], risk) > 0.5


def test_supervisor_verdicts_can_include_the_medium_band() -> None:
    from bench.detection import supervisor_outcomes

    n = 1000
    scores = pd.DataFrame(
        {
            "transaction_id": [f"T{i}" for i in range(n)],
            "risk_score": [1 - i / n for i in range(n)],
            "risk_band": ["high"] * 100 + ["medium"] * 300 + ["low"] * 600,
        }
    )
    truth = pd.DataFrame({"transaction_id": scores["transaction_id"], "is_irregular": 0})
    truth.loc[:150, "is_irregular"] = 1
    plain = supervisor_outcomes(scores, truth, 100, 0.8, seed=0)
    mixed = supervisor_outcomes(scores, truth, 100, 0.5, seed=0, band_share=0.4)
    for outcomes in (plain, mixed):
        assert len(outcomes) == 100 and outcomes["transaction_id"].is_unique
    band = set(scores.loc[scores["risk_band"] == "medium", "transaction_id"])
    ids = mixed["transaction_id"].tolist()
    assert ids[:50] == scores["transaction_id"].head(50).tolist()
    assert set(ids[50:90]) <= band  # the last 10 at random from the rest of the queue
    assert plain["transaction_id"].head(80).tolist() == scores["transaction_id"].head(80).tolist()
    assert mixed.set_index("transaction_id").loc["T10", "outcome"] == "confirmed"
    assert mixed.set_index("transaction_id").loc[ids[-1], "outcome"] == "dismissed"


def test_verdict_shares_beyond_the_whole_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    from bench.detection import parse_args

    assert parse_args(["--top-share", "0.5", "--band-share", "0.5"]).band_share == 0.5
    with pytest.raises(SystemExit):
        parse_args(["--band-share", "0.5"])  # with the default 0.8 from the top
    assert "together at most 1" in capsys.readouterr().err


def test_the_oracle_ceiling_is_out_of_fold_by_officer(tmp_path: Path) -> None:
    from bench.detection import oracle_folds, oracle_scores, strip_world

    world = wildworld.generate(wildworld.WildConfig(seed=6, offices=2, months=3, volume=0.5))
    wildworld.write(world, tmp_path)
    dataset = load_data_dir(tmp_path)
    truth = pd.read_csv(tmp_path / "truth" / "transactions.csv", dtype={"transaction_id": str})
    tx = dataset.transactions.reset_index(drop=True)
    y = truth.set_index("transaction_id").loc[tx["transaction_id"], "is_irregular"].to_numpy()
    folds = oracle_folds(tx, y)
    officer = tx["officer_id"].astype(object).to_numpy()
    for train_rows, test_rows in folds:
        assert not set(officer[train_rows]) & set(officer[test_rows])
    assert sorted(row for _, test_rows in folds for row in test_rows) == list(range(len(tx)))
    model = RiskModel().fit(
        dataset.transactions,
        services=dataset.services,
        complaints=dataset.complaints,
        holidays=dataset.holidays,
    )
    oracle = oracle_scores(dataset, model, truth)
    assert oracle["transaction_id"].tolist() == tx["transaction_id"].tolist()
    assert oracle["risk_score"].between(0, 1).all()
    # Trees that learned from other officers' labelled files rank far above chance.
    assert average_precision_score(y, oracle["risk_score"]) > 8 * y.mean()
    # a poorer export, whose lacking columns are all missing features, still gets a ceiling
    poorer = tmp_path / "poorer"
    shutil.copytree(tmp_path, poorer, ignore=shutil.ignore_patterns("poorer"))
    strip_world(poorer, ["visits", "reported_fee_idr", "payment_method"], ["complaints"])
    dataset = load_data_dir(poorer)
    model = RiskModel().fit(dataset.transactions, services=dataset.services)
    oracle = oracle_scores(dataset, model, truth)
    assert average_precision_score(y, oracle["risk_score"]) > 4 * y.mean()


def test_the_scale_bench_times_sidak_beside_its_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--big`` at a toy size: every figure printed, Sidak's as multiples of the baseline's."""
    from bench.detection import parse_args, run_big

    args = parse_args(["--big", "--big-rows", "2400", "--big-offices", "2", "--big-repeats", "1"])
    run_big(args, tmp_path)
    out = capsys.readouterr().out
    for label in ("the baseline's fit", "1 thread", "the baseline's scoring"):
        assert label in out, out
    assert re.search(r"\d+ threads +\d+\.\d s \([\d,]+ rows/s; [\d.]+x the baseline", out), out
    assert "peak RSS after score" in out and "score one transaction" in out


def test_the_bench_runs_a_fourth_generator_world_without_verdicts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """bench/kotaworld.py through the bench: its transactions are Parquet, so a poorer export
    is cut from the Parquet file; ``--labels 0`` skips the comparison with verdicts."""
    from bench.detection import parse_args, print_world, run_world

    world = ["--mixes", "kota", "--kota-offices", "6", "--kota-months", "2"]
    args = parse_args([*world, "--labels", "0", "--drop-columns", "visits", "payment_method"])
    results, labelled = run_world(3, "kota", args, tmp_path)
    transactions = pd.read_parquet(tmp_path / "world-kota-3" / "transactions.parquet")
    assert "visits" not in transactions and "payment_method" not in transactions
    assert "officer_id" in transactions  # only the columns asked for are cut
    assert labelled == {}
    assert set(results) == {"sidak", "iforest", "redflags"}
    sidak, redflags = results["sidak"], results["redflags"]
    assert sidak["n_transactions"] == len(transactions)
    assert sidak["average_precision"] > 2 * redflags["average_precision"]
    print_world("kota seed 3", results, labelled)
    out = capsys.readouterr().out
    assert "=== kota seed 3" in out and "verdicts" not in out
