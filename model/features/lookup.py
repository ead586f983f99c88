"""Fast look-ups of fitted per-entity statistics, for one transaction or a million.

A pandas ``Series.map`` costs a fraction of a millisecond even for one row; the scoring API
scores single applications, so look-ups go through plain dicts. Same results either way.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd


def lookup(
    keys: pd.Series | np.ndarray, mapping: Mapping[Hashable, float], default: float
) -> np.ndarray:
    """``mapping[key]`` for each key as floats; ``default`` where absent, NaN or NA."""
    values = keys.to_numpy(dtype=object) if isinstance(keys, pd.Series) else keys
    get = mapping.get
    out = np.fromiter(
        (get(key, default) if isinstance(key, Hashable) else default for key in values),
        dtype=float,
        count=len(values),
    )
    return np.where(np.isnan(out), default, out)


def equals(values: pd.Series | np.ndarray, text: str) -> np.ndarray:
    """``values == text`` as plain booleans, False where missing (``.eq(text).fillna(False)``)."""
    cells = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
    return np.fromiter(
        (isinstance(value, str) and value == text for value in cells), dtype=bool, count=len(cells)
    )


def joined_keys(
    frame: pd.DataFrame | Mapping[str, pd.Series], columns: Sequence[str]
) -> np.ndarray:
    """One string key per row, the columns' values joined by ``|`` (NA reads ``<NA>``)."""
    parts = [frame[column].to_numpy(dtype=object) for column in columns]
    return np.array(["|".join(map(str, row)) for row in zip(*parts, strict=True)], dtype=object)


def as_dict(series: pd.Series) -> dict[Hashable, float]:
    """A fitted statistic as a plain dict (first value of duplicated keys)."""
    unique = series[~series.index.duplicated()]
    return {key: float(value) for key, value in unique.items() if pd.notna(value)}
