"""The independent world generator writes the contract, and Sidak finds what it plants."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sklearn.metrics import average_precision_score

from bench import altworld
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
