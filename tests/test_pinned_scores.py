"""Scores of a fixed simulated world are pinned: speed work must not move a single bit.

``tests/data/pinned_scores.csv`` holds, for a seeded world and a seeded model, every score,
band and reason (codes, messages and weights) as the code produced them when the file was
written. The test recomputes them three ways (the whole batch, small batches of 1 to 16
transactions, single transactions through the API's record path) and compares exactly.

A change meant to move scores (better detection) regenerates the file, on purpose:

    PYTHONPATH=. python tests/test_pinned_scores.py --write
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

from model.contract import load_data_dir, validate_table  # noqa: E402
from model.detect import RiskModel  # noqa: E402
from model.predict import score_frame  # noqa: E402
from model.simulate import SimulationConfig, simulate_world, write_world  # noqa: E402
from model.train import labels_from_outcomes  # noqa: E402

PINNED = Path(__file__).parent / "data" / "pinned_scores.csv"
WORLD = {"seed": 11, "offices": 2, "months": 2, "transactions_per_office_month": 250}
SMALL_BATCHES = 400  # transactions (of the world's first) also scored in batches of 1..16


def _fit(data: Path) -> tuple[RiskModel, pd.DataFrame, pd.DataFrame | None, list[str]]:
    write_world(simulate_world(SimulationConfig(**WORLD)), data)
    dataset = load_data_dir(data)
    y = labels_from_outcomes(dataset.transactions, dataset.outcomes)
    model = RiskModel(random_state=0).fit(
        dataset.transactions,
        y,
        services=dataset.services,
        complaints=dataset.complaints,
        holidays=dataset.holidays,
    )
    model.model_version_ = "pinned"
    services = dataset.services["service_code"].tolist()
    return model, dataset.transactions, dataset.complaints, services


def _as_rows(scores: pd.DataFrame) -> pd.DataFrame:
    """Scores as exact text: floats by ``repr`` (every bit), reasons as JSON."""
    return pd.DataFrame(
        {
            "transaction_id": scores["transaction_id"].astype(str),
            "risk_score": [repr(float(v)) for v in scores["risk_score"]],
            "risk_band": scores["risk_band"].astype(str),
            "reasons": [
                json.dumps(r, ensure_ascii=False, sort_keys=True) for r in scores["reasons"]
            ],
        }
    )


class _Bundle:
    def __init__(self, model: RiskModel) -> None:
        self.model = model

    def score(
        self,
        transactions: pd.DataFrame,
        complaints: pd.DataFrame | None = None,
        language: str | None = None,
    ) -> object:
        return self.model.score_transactions(transactions, complaints, language=language)


def _records(frame: pd.DataFrame) -> list[dict]:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column].dtype):
            out[column] = out[column].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return out.astype(object).where(out.notna(), None).to_dict(orient="records")


def compute(data: Path) -> dict[str, pd.DataFrame]:
    """The world's scores: as one batch (with complaints), and in small batches without."""
    model, transactions, complaints, services = _fit(data)
    bundle = _Bundle(model)
    batch = score_frame(bundle, transactions, complaints, progress=False)  # type: ignore[arg-type]
    head = transactions.head(SMALL_BATCHES)
    whole = score_frame(bundle, head, progress=False)  # type: ignore[arg-type]
    sizes = np.resize(np.arange(1, 17), len(head))
    bounds = np.cumsum(sizes)
    parts, start = [], 0
    for stop in bounds[bounds <= len(head)]:
        raw = pd.DataFrame.from_records(_records(head.iloc[start:stop]))
        typed = validate_table("transactions", raw, "transactions", known_services=services)
        parts.append(score_frame(bundle, typed, progress=False))  # type: ignore[arg-type]
        start = int(stop)
    if start < len(head):
        parts.append(score_frame(bundle, head.iloc[start:], progress=False))  # type: ignore[arg-type]
    small = pd.concat(parts, ignore_index=True)
    return {"batch": _as_rows(batch), "whole": _as_rows(whole), "small": _as_rows(small)}


def _pinned_frame(scores: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return pd.concat([frame.assign(how=how) for how, frame in scores.items()], ignore_index=True)


@pytest.mark.slow
def test_scores_are_bit_identical_to_the_pinned_file(tmp_path: Path) -> None:
    pinned = pd.read_csv(PINNED, dtype=str, keep_default_na=False)
    scores = compute(tmp_path / "world")
    for how, frame in scores.items():
        expected = pinned[pinned["how"] == how].drop(columns="how").reset_index(drop=True)
        pd.testing.assert_frame_equal(frame.reset_index(drop=True), expected, obj=how)
    # and small batches score exactly as the batch they came from
    pd.testing.assert_frame_equal(scores["small"], scores["whole"])


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        frame = _pinned_frame(compute(Path(tmp) / "world"))
    PINNED.parent.mkdir(exist_ok=True)
    frame.to_csv(PINNED, index=False)
    print(f"wrote {len(frame)} rows to {PINNED}")
