"""Kotaworld: the independent synthetic world is deterministic, valid and sanely labelled."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bench.kotaworld import LOOKALIKES, MIXES, SCHEMES, KotaConfig, generate, main, write
from model.contract import load_data_dir

SMALL = {"offices": 6, "months": 2}
TABLES = ("services", "transactions", "complaints", "holidays", "truth", "truth_officers")


def _sidak() -> str:
    local = Path(sys.executable).with_name("sidak")
    found = str(local) if local.exists() else shutil.which("sidak")
    if not found:
        pytest.skip("sidak CLI not installed")
    return found


@pytest.fixture(scope="module")
def worlds() -> dict[str, dict[str, pd.DataFrame]]:
    return {mix: generate(KotaConfig(seed=11, mix=mix, **SMALL)) for mix in MIXES}


def test_mixes_documented() -> None:
    assert "base" in MIXES and len(MIXES) >= 4
    import bench.kotaworld as kw

    for mix in MIXES:
        assert f"``{mix}``" in (kw.__doc__ or "")


def test_deterministic_for_a_seed() -> None:
    cfg = KotaConfig(seed=5, offices=3, months=1, mix="decoy")
    a, b = generate(cfg), generate(cfg)
    assert set(a) == set(TABLES)
    for key in TABLES:
        pd.testing.assert_frame_equal(a[key], b[key])
    c = generate(KotaConfig(seed=6, offices=3, months=1, mix="decoy"))
    assert not a["transactions"].equals(c["transactions"])


@pytest.mark.parametrize("mix", sorted(MIXES))
def test_every_mix_passes_the_contract_loader(
    mix: str, worlds: dict[str, dict[str, pd.DataFrame]], tmp_path: Path
) -> None:
    write(worlds[mix], tmp_path)
    assert (tmp_path / "truth" / "transactions.csv").exists()
    assert (tmp_path / "truth" / "officers.csv").exists()
    load_data_dir(tmp_path)  # raises ContractError on any violation


def test_validate_cli_accepts_a_world(tmp_path: Path) -> None:
    write(generate(KotaConfig(seed=4, offices=8, months=1, mix="decoy")), tmp_path)
    res = subprocess.run(
        [_sidak(), "validate", str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("mix", sorted(MIXES))
def test_truth_matches_transactions(mix: str, worlds: dict[str, dict[str, pd.DataFrame]]) -> None:
    w = worlds[mix]
    tx, truth, officers = w["transactions"], w["truth"], w["truth_officers"]
    assert tx["transaction_id"].is_unique
    assert list(truth["transaction_id"]) == list(tx["transaction_id"])
    share = truth["is_irregular"].mean()
    assert 0.015 <= share <= 0.06, share
    irr = truth["is_irregular"] == 1
    assert set(truth.loc[irr, "scheme"]) <= set(SCHEMES)
    assert (truth.loc[~irr, "scheme"] == "").all()
    assert (truth.loc[irr, "lookalike"] == "").all()
    named = truth["lookalike"].str.split(";").explode()
    assert set(named[named != ""]) <= set(LOOKALIKES)
    assert (truth.loc[~irr, "lookalike"] != "").any()
    # every officer in the export has a truth row; extorters carry schemes
    if "officer_id" in tx:
        seen = set(tx["officer_id"].dropna())
        assert seen <= set(officers["officer_id"])
    assert officers["officer_id"].is_unique
    ext = officers["is_extorter"] == 1
    assert ext.any()
    assert (officers.loc[ext, "profile"] == "extorter").all()
    assert (officers.loc[ext, "schemes"] != "").all()
    assert (officers.loc[~ext, "schemes"] == "").all()
    # complaints name real entities
    comp = w["complaints"]
    assert comp["complaint_id"].is_unique
    linked = comp["transaction_id"].dropna()
    assert set(linked) <= set(tx["transaction_id"])


def test_default_size_and_share() -> None:
    w = generate(KotaConfig())
    n = len(w["transactions"])
    assert 40_000 <= n <= 70_000, n
    assert 0.02 <= w["truth"]["is_irregular"].mean() <= 0.05


def test_cli_prints_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(
        [str(tmp_path / "w"), "--seed", "2", "--offices", "2", "--months", "1", "--mix", "digital"]
    )
    out = capsys.readouterr().out
    assert "transactions" in out and "irregular" in out
    assert (tmp_path / "w" / "transactions.parquet").exists()
    assert (tmp_path / "w" / "services.csv").exists()
