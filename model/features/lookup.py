"""Fast look-ups of fitted per-entity statistics, for one transaction or a million.

A pandas ``Series.map`` costs a fraction of a millisecond even for one row; the scoring API
scores single applications, so look-ups go through plain dicts. Same results either way.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd

# Batches larger than this look keys up through a pandas index instead of a dict loop.
_VECTORISED_FROM = 512


def lookup(
    keys: pd.Series | np.ndarray, mapping: Mapping[Hashable, float], default: float
) -> np.ndarray:
    """``mapping[key]`` for each key as floats; ``default`` where absent, NaN or NA."""
    values = keys.to_numpy(dtype=object) if isinstance(keys, pd.Series) else keys
    if len(values) > _VECTORISED_FROM and len(mapping):
        # A hash join in pandas' C code: the per-key Python loop below costs ~2 us a row.
        index = pd.Index(list(mapping), dtype=object, tupleize_cols=False)
        position = index.get_indexer(pd.Index(values, dtype=object, tupleize_cols=False))
        table = np.append(np.fromiter(mapping.values(), dtype=float, count=len(mapping)), np.nan)
        out = table[position]  # position -1 (absent) reads the trailing NaN
    else:
        get = mapping.get
        out = np.fromiter(
            (get(key, default) if isinstance(key, Hashable) else default for key in values),
            dtype=float,
            count=len(values),
        )
    return np.where(np.isnan(out), default, out)


def joined_keys(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """One string key per row, the columns' values joined by ``|`` (NA reads ``<NA>``)."""
    if len(frame) > _VECTORISED_FROM:
        # Arrow string kernels; same text as str() per value, NA as "<NA>".
        texts = [frame[column].astype("string").fillna("<NA>") for column in columns]
        joined = texts[0].str.cat(texts[1:], sep="|") if len(texts) > 1 else texts[0]
        return joined.to_numpy(dtype=object)
    parts = [frame[column].to_numpy(dtype=object) for column in columns]
    return np.array(["|".join(map(str, row)) for row in zip(*parts, strict=True)], dtype=object)


def as_dict(series: pd.Series) -> dict[Hashable, float]:
    """A fitted statistic as a plain dict (first value of duplicated keys)."""
    unique = series[~series.index.duplicated()]
    return {key: float(value) for key, value in unique.items() if pd.notna(value)}
