"""Fast look-ups of fitted per-entity statistics, for one transaction or a million.

A pandas ``Series.map`` costs a fraction of a millisecond even for one row; the scoring API
scores single applications, so look-ups go through plain dicts. Same results either way.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias, TypeGuard

import numpy as np
import pandas as pd

# Batches larger than this look keys up through a pandas index instead of a dict loop.
_VECTORISED_FROM = 512


@dataclass(frozen=True)
class DistinctKeys:
    """The keys of many rows as each distinct key once and, per row, where its key is:
    ``keys[positions]`` are the rows' keys. A look-up then costs one per distinct key."""

    keys: np.ndarray
    positions: np.ndarray


Keys: TypeAlias = pd.Series | np.ndarray | DistinctKeys


def _is_string(values: object) -> TypeGuard[pd.Series]:
    """A pandas string column (Arrow-backed once loaded): hashed and compared in Arrow."""
    return isinstance(values, pd.Series) and isinstance(values.dtype, pd.StringDtype)


def lookup(keys: Keys, mapping: Mapping[Hashable, float], default: float) -> np.ndarray:
    """``mapping[key]`` for each key as floats; ``default`` where absent, NaN or NA."""
    if isinstance(keys, DistinctKeys):
        return lookup(keys.keys, mapping, default)[keys.positions]
    if not len(mapping):
        return np.full(len(keys), float(default))
    if len(keys) > _VECTORISED_FROM:
        return lookup_many(keys, {"": mapping}, default)[""]
    values = keys.to_numpy(dtype=object) if isinstance(keys, pd.Series) else keys
    get = mapping.get
    out = np.fromiter(
        (get(key, default) if isinstance(key, Hashable) else default for key in values),
        dtype=float,
        count=len(values),
    )
    return np.where(np.isnan(out), default, out)


def lookup_many(
    keys: Keys, mappings: Mapping[str, Mapping[Hashable, float]], default: float
) -> dict[str, np.ndarray]:
    """``lookup`` of the same keys in several mappings, hashing the keys only once."""
    if isinstance(keys, DistinctKeys):
        found = lookup_many(keys.keys, mappings, default)
        return {name: values[keys.positions] for name, values in found.items()}
    if len(keys) <= _VECTORISED_FROM:
        values = keys.to_numpy(dtype=object) if isinstance(keys, pd.Series) else keys
        return {name: lookup(values, mapping, default) for name, mapping in mappings.items()}
    # Hash the keys once (pandas' C code; NA becomes -1), then look up only distinct keys:
    # the per-key Python loop costs ~2 us a row. A string column is hashed as it is (Arrow),
    # not first turned into a Python object per cell.
    if isinstance(keys, pd.Series) and not _is_string(keys):
        keys = keys.to_numpy(dtype=object)
    codes, uniques = pd.factorize(keys)
    out = {}
    for name, mapping in mappings.items():
        get = mapping.get
        table = np.fromiter((get(key, np.nan) for key in uniques), dtype=float, count=len(uniques))
        found = np.append(table, np.nan)[codes]  # code -1 (NA) reads the trailing NaN
        out[name] = np.where(np.isnan(found), default, found)
    return out


def equals(values: pd.Series | np.ndarray, text: str) -> np.ndarray:
    """``values == text`` as plain booleans, False where missing (``.eq(text).fillna(False)``)."""
    if len(values) > _VECTORISED_FROM and _is_string(values):  # Arrow's comparison
        return values.eq(text).fillna(False).to_numpy(dtype=bool)
    cells = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
    if len(cells) > _VECTORISED_FROM:
        texts = pd.Series(cells, dtype=object)
        return (texts.map(type).eq(str) & texts.eq(text)).to_numpy(dtype=bool)
    return np.fromiter(
        (isinstance(value, str) and value == text for value in cells), dtype=bool, count=len(cells)
    )


def joined_keys(
    frame: pd.DataFrame | Mapping[str, pd.Series], columns: Sequence[str]
) -> np.ndarray:
    """One string key per row, the columns' values joined by ``|`` (NA reads ``<NA>``)."""
    if len(frame[columns[0]]) > _VECTORISED_FROM:
        # Arrow string kernels; same text as str() per value, NA as "<NA>".
        texts = [frame[column].astype("string").fillna("<NA>") for column in columns]
        joined = texts[0].str.cat(texts[1:], sep="|") if len(texts) > 1 else texts[0]
        return joined.to_numpy(dtype=object)
    parts = [frame[column].to_numpy(dtype=object) for column in columns]
    return np.array(["|".join(map(str, row)) for row in zip(*parts, strict=True)], dtype=object)


def _factorizable(values: object) -> bool:
    """Values whose equal elements have one text: strings, integers (not objects: 1, 1.0
    and True are equal keys but three texts)."""
    if not isinstance(values, pd.Series):
        return False
    return isinstance(values.dtype, pd.StringDtype) or pd.api.types.is_integer_dtype(values.dtype)


def distinct_rows(columns: Sequence[pd.Series]) -> tuple[np.ndarray, np.ndarray]:
    """One row for each distinct combination of the columns' values (NA is a value), and for
    every row the position of its combination among those: ``(first_rows, positions)``."""
    combined = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(column)  # NA: -1
        # re-numbered densely after each column, so the product never overflows
        combined = pd.factorize(combined * (len(uniques) + 1) + (codes + 1))[0]
    _, first, positions = np.unique(combined, return_index=True, return_inverse=True)
    return first, positions


def _distinct_keys(
    frame: pd.DataFrame | Mapping[str, pd.Series],
    columns: Sequence[str],
    keys_of: Callable[[pd.DataFrame | Mapping[str, pd.Series], Sequence[str]], np.ndarray],
) -> np.ndarray | DistinctKeys:
    """``keys_of(frame, columns)``, for a large batch of string or integer columns as
    ``DistinctKeys``: the key of each distinct combination of values is made once, from one
    of its rows, instead of making and then hashing a key per row."""
    series = [frame[column] for column in columns]
    if len(series[0]) <= _VECTORISED_FROM or not all(map(_factorizable, series)):
        return keys_of(frame, columns)
    first, positions = distinct_rows(series)
    chosen = {column: values.iloc[first] for column, values in zip(columns, series, strict=True)}
    return DistinctKeys(keys_of(chosen, columns), positions)


def distinct_joined_keys(
    frame: pd.DataFrame | Mapping[str, pd.Series], columns: Sequence[str]
) -> np.ndarray | DistinctKeys:
    """``joined_keys``, for a large batch as ``DistinctKeys`` (see ``_distinct_keys``)."""
    return _distinct_keys(frame, columns, joined_keys)


def tuple_keys(frame: pd.DataFrame | Mapping[str, pd.Series], columns: Sequence[str]) -> np.ndarray:
    """One tuple of the columns' values per row (NA as ``pd.NA``), as a MultiIndex's keys."""
    cells = [frame[column].to_numpy(dtype=object) for column in columns]
    keys = np.empty(len(cells[0]), dtype=object)
    keys[:] = list(zip(*cells, strict=True))
    return keys


def distinct_tuple_keys(
    frame: pd.DataFrame | Mapping[str, pd.Series], columns: Sequence[str]
) -> np.ndarray | DistinctKeys:
    """``tuple_keys``, for a large batch as ``DistinctKeys`` (see ``_distinct_keys``)."""
    return _distinct_keys(frame, columns, tuple_keys)


def as_dict(series: pd.Series) -> dict[Hashable, float]:
    """A fitted statistic as a plain dict (first value of duplicated keys)."""
    unique = series[~series.index.duplicated()]
    return {key: float(value) for key, value in unique.items() if pd.notna(value)}
