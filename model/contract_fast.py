"""The data contract's fast path for small tables: accept fast, refuse slow.

A scoring request holds one or a few transactions. ``model.contract.validate_table_full``
checks them with the same pandas and pandera machinery as a million-row file, which costs
tens of milliseconds whatever the size. ``accept_frame`` reads the same rules
(``model.contract.TABLE_SPECS``: kind, required, nullable, unique, allowed values, minimum)
and builds the typed frame directly from the values; ``accept_records`` does the same from
the JSON records of a request, before any frame is built. Only values whose meaning is
beyond doubt are taken: text without blanks to strip, whole numbers, datetimes that pyarrow
parses without an offset exactly as the full check does. Anything else (a bad value, a
missing required field, an unknown service, a duplicate id, an offset, an unusual type)
returns None, and the caller runs the full check, so every refusal, rule text and row number
is exactly what the full check reports.

Contract: when ``accept_frame`` returns a frame, ``validate_table_full`` on the same input
returns an equal frame (``pandas.testing.assert_frame_equal``); ``accept_records(records)``
likewise for ``pandas.DataFrame.from_records(records)``. Tests hold both to that.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as pc

from model.contract import (
    _INTEGER_TEXT,
    _LARGEST_INTEGER,
    _NS_MAX,
    _NS_MIN,
    TABLE_SPECS,
    ColumnSpec,
    _check_timezone,
)

_INTEGER_PATTERN = re.compile(_INTEGER_TEXT)
FAST_MAX_RECORDS = 2048
_NS_MIN_US = np.datetime64(_NS_MIN, "us")
_NS_MAX_US = np.datetime64(_NS_MAX, "us")
_NS_MIN_NS = np.datetime64(_NS_MIN, "ns")
_NS_MAX_NS = np.datetime64(_NS_MAX, "ns")


class _Doubt(Exception):
    """A value the fast path does not decide on: the full check will."""


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _plain_text(value: str) -> bool:
    """Text the full check keeps as is: no blanks (or non-ASCII) at either end to strip."""
    return " " < value[0] < "\x7f" and " " < value[-1] < "\x7f"


def _check_values(name: str, spec: ColumnSpec, values: list[Any]) -> None:
    """Missing, unique, allowed and minimum rules over parsed values (None = missing)."""
    present = [v for v in values if v is not None]
    if len(present) < len(values) and (not spec.nullable or spec.unique):
        raise _Doubt(name)
    if spec.unique and len(set(present)) < len(present):
        raise _Doubt(name)
    if spec.allowed is not None and any(v not in spec.allowed for v in present):
        raise _Doubt(name)
    if spec.minimum is not None and any(v < spec.minimum for v in present):
        raise _Doubt(name)
    if spec.strictly_positive and any(not v > 0 for v in present):
        raise _Doubt(name)


def _all_plain_text(cells: list[Any]) -> bool:
    """Every cell a non-empty string with nothing to strip (the common case, checked by
    Arrow kernels instead of a Python loop)."""
    try:
        text = pyarrow.array(cells, pyarrow.string())
    except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError):
        return False  # something other than a string: the per-cell loop decides
    if text.null_count or not len(text):
        return False
    ends = [pc.utf8_slice_codeunits(text, 0, 1), pc.utf8_slice_codeunits(text, -1, None)]
    plain = [pc.and_(pc.greater(end, " "), pc.less(end, "\x7f")) for end in ends]
    return bool(pc.all(pc.and_(*plain)).as_py())


def _text(values: np.ndarray) -> list[str | None]:
    cells = values.tolist()
    if len(cells) > 32 and _all_plain_text(cells):
        return cells
    out: list[str | None] = []
    for value in values:
        if isinstance(value, str):
            if value == "":
                out.append(None)  # an empty cell is a missing value
            elif _plain_text(value):
                out.append(value)
            else:
                raise _Doubt
        elif _missing(value):
            out.append(None)
        else:
            raise _Doubt  # numbers as ids and other types: the full check's conversion
    return out


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool | np.bool_):
        raise _Doubt
    if isinstance(value, int | np.integer):
        if abs(int(value)) >= _LARGEST_INTEGER:
            raise _Doubt
        return int(value)
    if isinstance(value, float | np.floating):
        real = float(value)
        if real != real:
            return None
        if not (np.isfinite(real) and real == np.floor(real) and abs(real) < _LARGEST_INTEGER):
            raise _Doubt
        return int(real)
    if isinstance(value, str):
        if value == "":
            return None
        if _INTEGER_PATTERN.fullmatch(value) is None:
            raise _Doubt
        return int(value)
    if _missing(value):
        return None
    raise _Doubt


def _plain_ints(values: np.ndarray) -> list[int | None] | None:
    """Python ints (not bools) below the largest exact integer, or None for a missing cell,
    as they are; None when any cell is anything else (the per-cell parser decides)."""
    cells = values.tolist()
    if not cells or not all(type(cell) is int or cell is None for cell in cells):
        return None
    present = [cell for cell in cells if cell is not None]
    if present and (max(present) >= _LARGEST_INTEGER or -min(present) >= _LARGEST_INTEGER):
        return None
    return cells


def _real_number(value: Any) -> float | None:
    if isinstance(value, bool | np.bool_):
        raise _Doubt
    if isinstance(value, int | np.integer | float | np.floating):
        if value != value:
            return None
        number = float(value)
        if not np.isfinite(number) or abs(number) >= _LARGEST_INTEGER:
            raise _Doubt
        return number
    if _missing(value):
        return None
    raise _Doubt  # numbers written as text: the full check's parser decides


def _truth(value: Any) -> bool | None:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if _missing(value):
        return None
    raise _Doubt


def _datetimes(values: np.ndarray, date_only: bool) -> tuple[np.ndarray, list[Any]]:
    """Naive datetime64[ns] values (and a per-row list for the rules; None = missing)."""
    if values.dtype == "datetime64[ns]":
        stamps = values
        known = ~np.isnat(stamps)
        if ((stamps[known] < _NS_MIN_NS) | (stamps[known] > _NS_MAX_NS)).any():
            raise _Doubt
    else:
        text = _text(values)
        try:  # the full check's own parser: it accepts these values exactly as here
            parsed = pc.cast(pyarrow.array(text, pyarrow.string()), pyarrow.timestamp("us"))
        except (pyarrow.ArrowInvalid, pyarrow.ArrowNotImplementedError, pyarrow.ArrowTypeError):
            raise _Doubt from None
        micro = parsed.to_numpy(zero_copy_only=False)
        known = ~np.isnat(micro)
        if ((micro[known] < _NS_MIN_US) | (micro[known] > _NS_MAX_US)).any():
            raise _Doubt
        stamps = micro.astype("datetime64[ns]")
    if date_only:
        stamps = stamps.astype("datetime64[D]").astype("datetime64[ns]")
    cells: list[Any] = list(stamps)
    for row in np.flatnonzero(np.isnat(stamps)):
        cells[row] = None
    return stamps, cells


def _masked(values: list[Any], dtype: type) -> tuple[np.ndarray, np.ndarray]:
    mask = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
    data: np.ndarray = np.array([0 if v is None else v for v in values], dtype=dtype)
    return data, mask


def _parse(spec: ColumnSpec, values: np.ndarray) -> tuple[Any, list[Any]]:
    """The typed column as the full check builds it, and its values for the rules."""
    if spec.kind in ("datetime", "date"):
        return _datetimes(values, spec.kind == "date")
    if spec.kind == "string":
        text = _text(values)
        return pd.array(text, dtype=pd.api.types.pandas_dtype("string")), text
    if spec.kind == "integer":
        numbers = _plain_ints(values) or [_whole_number(v) for v in values]
        return pd.arrays.IntegerArray(*_masked(numbers, np.int64)), numbers
    if spec.kind == "number":
        reals = [_real_number(v) for v in values]
        return np.array([np.nan if v is None else v for v in reals], dtype="float64"), reals
    truths = [_truth(v) for v in values]
    return pd.arrays.BooleanArray(*_masked(truths, bool)), truths


def _object_values(series: pd.Series) -> np.ndarray:
    if series.dtype == "datetime64[ns]":
        return series.to_numpy()
    return series.to_numpy(dtype=object)


def _accept(
    table: str,
    names: list[Any],
    values: Callable[[str], np.ndarray],
    n_rows: int,
    known_services: Iterable[str] | None,
) -> dict[str, Any] | None:
    """The typed contract columns (by name), or None when in any doubt."""
    spec = TABLE_SPECS[table]
    if not all(isinstance(n, str) for n in names) or len(set(names)) < len(names):
        return None
    if any(column.required and name not in names for name, column in spec.items()):
        return None
    columns: dict[str, Any] = {}
    parsed: dict[str, list[Any]] = {}
    try:
        for name in names:
            column = spec.get(name)
            if column is not None:
                columns[name], parsed[name] = _parse(column, values(name))
                _check_values(name, column, parsed[name])
    except _Doubt:
        return None
    if table == "transactions":
        if known_services is not None:
            codes = {str(code) for code in known_services if not pd.isna(code)}
            if any(code not in codes for code in parsed["service_code"]):
                return None
        if "completed_at" in parsed:
            pairs = zip(parsed["completed_at"], parsed["submitted_at"], strict=True)
            if any(done is not None and done < start for done, start in pairs):
                return None
    return columns


def accept_frame(
    table: str, raw: pd.DataFrame, known_services: Iterable[str] | None = None
) -> pd.DataFrame | None:
    """The typed frame ``validate_table_full(table, raw)`` returns, or None when in any doubt.

    Defaults (``model.contract._with_defaults``) are left to the caller, as in the full check.
    """
    names = list(raw.columns)
    typed = _accept(table, names, lambda name: _object_values(raw[name]), len(raw), known_services)
    if typed is None:
        return None
    columns = {  # unknown extra columns are kept unchanged
        name: typed[name] if name in typed else raw[name].reset_index(drop=True) for name in names
    }
    return pd.DataFrame(columns, index=pd.RangeIndex(len(raw)), columns=raw.columns)


def accept_records(
    table: str,
    records: Sequence[Mapping[str, Any]],
    known_services: Iterable[str] | None = None,
    timezone: str = "Asia/Jakarta",
) -> pd.DataFrame | None:
    """As ``accept_frame`` on ``pandas.DataFrame.from_records(records)``, without building it.

    Only records holding nothing but contract fields are taken; others return None. Naive
    datetimes need no zone (they are local already), but a bad ``timezone`` is still refused.
    """
    _check_timezone(timezone)
    if len(records) > FAST_MAX_RECORDS:
        return None  # beyond this the full check's vectorised parsing is as fast
    names: dict[str, None] = {}  # every key, in order of first appearance (as pandas does)
    for record in records:
        names.update(dict.fromkeys(record))
    spec = TABLE_SPECS[table]
    if any(name not in spec for name in names):
        return None

    def values(name: str) -> np.ndarray:
        column = np.empty(len(records), dtype=object)
        column[:] = [record.get(name) for record in records]
        return column

    typed = _accept(table, list(names), values, len(records), known_services)
    if typed is None:
        return None
    return pd.DataFrame(typed, index=pd.RangeIndex(len(records)))
