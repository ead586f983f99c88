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


@pytest.fixture
def key_columns() -> dict[str, pd.Series]:
    """String columns with NA and an integer column, 3,000 rows, many repeated combinations."""
    rng = np.random.default_rng(1)
    offices = np.array(["OFF-1", "OFF-2", None, "OFF-10"], dtype=object)
    agents = np.array(["AG-1", None, "AG-2"], dtype=object)
    return {
        "office_id": pd.Series(offices[rng.integers(0, 4, 3_000)], dtype="string"),
        "agent_id": pd.Series(agents[rng.integers(0, 3, 3_000)], dtype="string"),
        "week": pd.Series(rng.integers(2_900, 2_910, 3_000)),
    }


def test_distinct_joined_keys_look_up_as_the_rows_keys(key_columns: dict) -> None:
    columns = ["office_id", "week", "agent_id"]
    per_row = lookups.joined_keys(key_columns, columns)
    distinct = lookups.distinct_joined_keys(key_columns, columns)
    assert isinstance(distinct, lookups.DistinctKeys) and len(distinct.keys) <= 4 * 10 * 3
    assert distinct.keys[distinct.positions].tolist() == per_row.tolist()
    mapping = {key: float(i) for i, key in enumerate(sorted(set(per_row))[::2])}
    np.testing.assert_array_equal(
        lookups.lookup(distinct, mapping, -1.0), lookups.lookup(per_row, mapping, -1.0)
    )
    many = lookups.lookup_many(distinct, {"a": mapping, "b": {}}, -1.0)
    np.testing.assert_array_equal(many["a"], lookups.lookup(per_row, mapping, -1.0))
    assert (many["b"] == -1.0).all()


def test_distinct_tuple_keys_look_up_as_the_rows_tuples(key_columns: dict) -> None:
    columns = ["agent_id", "office_id"]
    per_row = lookups.tuple_keys(key_columns, columns)
    distinct = lookups.distinct_tuple_keys(key_columns, columns)
    assert isinstance(distinct, lookups.DistinctKeys)
    assert distinct.keys[distinct.positions].tolist() == per_row.tolist()
    mapping = {("AG-1", "OFF-1"): 1.0, ("AG-2", "OFF-10"): 2.0, ("AG-1", "OFF-2"): np.nan}
    np.testing.assert_array_equal(
        lookups.lookup(distinct, mapping, 0.5), lookups.lookup(per_row, mapping, 0.5)
    )


def test_small_batches_and_object_columns_keep_per_row_keys(key_columns: dict) -> None:
    small = {name: column.iloc[:100] for name, column in key_columns.items()}
    assert isinstance(lookups.distinct_joined_keys(small, ["office_id", "week"]), np.ndarray)
    mixed = {"office_id": pd.Series([1, 1.0, True] * 400, dtype=object)}  # equal, three texts
    keys = lookups.distinct_joined_keys(mixed, ["office_id"])
    assert isinstance(keys, np.ndarray) and keys[:3].tolist() == ["1", "1.0", "True"]


def test_string_columns_look_up_and_compare_as_objects(key_columns: dict) -> None:
    offices = key_columns["office_id"]
    mapping = {"OFF-1": 1.0, "OFF-10": np.nan}
    as_objects = offices.to_numpy(dtype=object)
    np.testing.assert_array_equal(
        lookups.lookup(offices, mapping, -1.0), lookups.lookup(as_objects, mapping, -1.0)
    )
    np.testing.assert_array_equal(
        lookups.lookup_many(offices, {"m": mapping}, 0.0)["m"],
        lookups.lookup_many(as_objects, {"m": mapping}, 0.0)["m"],
    )
    equal = lookups.equals(offices, "OFF-1")
    assert equal.dtype == bool
    np.testing.assert_array_equal(equal, lookups.equals(as_objects, "OFF-1"))
