"""Look-ups of fitted statistics: the vectorised path for big batches equals the dict loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.features import lookup as lookups


@pytest.fixture
def keys_and_mapping() -> tuple[np.ndarray, dict]:
    rng = np.random.default_rng(0)
    known = [f"OFF-{i}" for i in range(40)] + [("AG-1", "OFF-1"), ("AG-2", "OFF-3")]
    mapping: dict = {key: float(i) for i, key in enumerate(known)}
    mapping["NAN-VALUE"] = np.nan
    odd = [None, pd.NA, np.nan, "unknown", ("AG-9", "OFF-1"), "NAN-VALUE"]
    values = [known[i] for i in rng.integers(0, len(known), 2_000)] + odd * 20
    return np.array(values, dtype=object), mapping


def test_vectorised_lookup_equals_the_dict_loop(
    keys_and_mapping: tuple[np.ndarray, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    values, mapping = keys_and_mapping
    monkeypatch.setattr(lookups, "_VECTORISED_FROM", 10**9)
    loop = lookups.lookup(values, mapping, -1.0)
    monkeypatch.setattr(lookups, "_VECTORISED_FROM", 0)
    vectorised = lookups.lookup(values, mapping, -1.0)
    np.testing.assert_array_equal(vectorised, loop)
    assert (loop[-6:] == -1.0).all()  # absent, NA and NaN-valued keys read the default


def test_vectorised_joined_keys_equal_the_row_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pd.DataFrame(
        {
            "office_id": pd.array(["A", None, "C", "A"] * 300, dtype="string"),
            "week": np.arange(1_200) // 7 + 2_900,
            "channel": pd.array(["agent", "online", None, "counter"] * 300, dtype="string"),
        }
    )
    monkeypatch.setattr(lookups, "_VECTORISED_FROM", 10**9)
    loop = lookups.joined_keys(frame, ["office_id", "week", "channel"])
    monkeypatch.setattr(lookups, "_VECTORISED_FROM", 0)
    vectorised = lookups.joined_keys(frame, ["office_id", "week", "channel"])
    assert vectorised.tolist() == loop.tolist()
    assert loop[1] == "<NA>|2900|online"


def test_vectorised_equals_matches_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    values = np.array(["cash", None, pd.NA, np.nan, "transfer", 5, "cash "] * 200, dtype=object)
    monkeypatch.setattr(lookups, "_VECTORISED_FROM", 10**9)
    loop = lookups.equals(values, "cash")
    monkeypatch.setattr(lookups, "_VECTORISED_FROM", 0)
    vectorised = lookups.equals(values, "cash")
    np.testing.assert_array_equal(vectorised, loop)
    assert loop.dtype == bool and loop.sum() == 200


def test_joined_keys_of_a_mapping_of_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    columns = {
        "office_id": pd.Series(["A", None] * 600, dtype="string"),
        "week": pd.Series(np.arange(1_200)),
    }
    monkeypatch.setattr(lookups, "_VECTORISED_FROM", 10**9)
    loop = lookups.joined_keys(columns, ["office_id", "week"])
    monkeypatch.setattr(lookups, "_VECTORISED_FROM", 0)
    assert lookups.joined_keys(columns, ["office_id", "week"]).tolist() == loop.tolist()
