"""The data contract (``shared/data-contract.md``), enforced.

``load_data_dir`` reads one file per table (CSV or Parquet, same stem), parses each column to
its contract type and validates the values with pandera schemas. A table that breaks the
contract is refused as a whole: ``ContractError`` carries one ``Violation`` per (file,
column, rule) with up to the first 20 offending rows (row number and value). Row ``n`` is the
n-th data row: the header is not counted and blank lines are skipped, so in a spreadsheet it
is line ``n + 1``; ``None`` marks the header or the file as a whole.

CSV files are read with pyarrow (UTF-8, every value as text, quoted newlines allowed); a row
with more or fewer fields than the header is an error, never padded or dropped. Parquet files
keep their types: integer ids become strings, integral floats are accepted as whole numbers,
timestamps with a zone are converted, naive ones are taken as local time.

Datetimes come back as naive local wall-clock time in the configured zone (WIB by default):
values with an offset are converted, values without are taken as local already.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import logging
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from model.errors import SidakError

logger = logging.getLogger(__name__)

MAX_ROWS_REPORTED = 20
# Up to this many rows ``validate_table`` tries the fast path first (``model.contract_fast``);
# beyond it the vectorised full check is as fast per row.
FAST_MAX_ROWS = 512
TABLES = ("services", "transactions", "complaints", "holidays", "outcomes")
REQUIRED_TABLES = ("services", "transactions")

Kind = Literal["string", "integer", "number", "bool", "datetime", "date"]


@dataclass(frozen=True)
class ColumnSpec:
    """One contract column: its type, whether it must be present, whether it may be empty."""

    kind: Kind
    required: bool = True
    nullable: bool = False
    unique: bool = False
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    strictly_positive: bool = False


TABLE_SPECS: dict[str, dict[str, ColumnSpec]] = {
    "services": {
        "service_code": ColumnSpec("string", unique=True),
        "service_name": ColumnSpec("string"),
        "official_fee_idr": ColumnSpec("integer", minimum=0),
        "fee_is_variable": ColumnSpec("bool", required=False, nullable=True),
        "sla_working_days": ColumnSpec("number", strictly_positive=True),
    },
    "transactions": {
        "transaction_id": ColumnSpec("string", unique=True),
        "office_id": ColumnSpec("string"),
        "service_code": ColumnSpec("string"),
        "submitted_at": ColumnSpec("datetime"),
        "completed_at": ColumnSpec("datetime", required=False, nullable=True),
        "fee_paid_idr": ColumnSpec("integer", minimum=0),
        "officer_id": ColumnSpec("string", required=False, nullable=True),
        "channel": ColumnSpec(
            "string", required=False, nullable=True, allowed=("online", "counter", "agent")
        ),
        "agent_id": ColumnSpec("string", required=False, nullable=True),
        "applicant_id": ColumnSpec("string", required=False, nullable=True),
        "payment_method": ColumnSpec(
            "string",
            required=False,
            nullable=True,
            allowed=("none", "cash", "transfer", "qris", "other"),
        ),
        "assessed_fee_idr": ColumnSpec("integer", required=False, nullable=True, minimum=0),
        "reported_fee_idr": ColumnSpec("integer", required=False, nullable=True, minimum=0),
        "visits": ColumnSpec("integer", required=False, nullable=True, minimum=0),
        "status": ColumnSpec(
            "string", required=False, nullable=True, allowed=("completed", "rejected", "pending")
        ),
    },
    "complaints": {
        "complaint_id": ColumnSpec("string", unique=True),
        "received_at": ColumnSpec("datetime"),
        "office_id": ColumnSpec("string"),
        "text": ColumnSpec("string"),
        "service_code": ColumnSpec("string", required=False, nullable=True),
        "officer_id": ColumnSpec("string", required=False, nullable=True),
        "transaction_id": ColumnSpec("string", required=False, nullable=True),
        "category": ColumnSpec("string", required=False, nullable=True),
    },
    "holidays": {
        "date": ColumnSpec("date"),  # the same day twice (two descriptions) is harmless
        "description": ColumnSpec("string", required=False, nullable=True),
    },
    "outcomes": {
        # No key: a file reviewed twice has two rows, both kept (see ``latest_outcomes``).
        "transaction_id": ColumnSpec("string"),
        "outcome": ColumnSpec("string", allowed=("confirmed", "dismissed")),
        "reviewed_at": ColumnSpec("datetime", required=False, nullable=True),
    },
}


@dataclass
class Violation:
    """One broken rule in one column of one file, with the first offending rows."""

    file: str
    column: str | None
    rule: str
    rows: list[tuple[int | None, str]] = field(default_factory=list)
    n_rows: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "column": self.column,
            "rule": self.rule,
            "n_rows": self.n_rows,
            "rows": [{"row": row, "value": value} for row, value in self.rows],
        }

    def describe(self) -> str:
        where = f"column '{self.column}'" if self.column else "file"
        head = f"{self.file}: {where}: {self.rule}"
        if self.n_rows:
            head += f" ({self.n_rows} row{'s' if self.n_rows != 1 else ''})"
        lines = [head]
        lines += [f"    row {row}: {value}" for row, value in self.rows]
        if self.n_rows > len(self.rows):
            lines.append(f"    ... and {self.n_rows - len(self.rows)} more")
        return "\n".join(lines)


class ContractError(SidakError, ValueError):
    """Input that breaks the data contract; ``violations`` says where and why."""

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        super().__init__(self.report())

    def report(self) -> str:
        files = sorted({v.file for v in self.violations})
        header = f"Refused: {len(self.violations)} contract violation(s) in {', '.join(files)}"
        return "\n".join([header, *(v.describe() for v in self.violations)])

    def to_dict(self) -> list[dict[str, Any]]:
        return [v.to_dict() for v in self.violations]


@dataclass
class Dataset:
    """The validated tables of one data directory; optional tables are None when absent."""

    services: pd.DataFrame
    transactions: pd.DataFrame
    complaints: pd.DataFrame | None = None
    holidays: pd.DataFrame | None = None
    outcomes: pd.DataFrame | None = None
    source: str = ""

    @property
    def closure_days(self) -> list[pd.Timestamp]:
        if self.holidays is None or self.holidays.empty:
            return []
        return list(pd.to_datetime(self.holidays["date"]))


def has_officer_ids(transactions: pd.DataFrame) -> bool:
    """Whether any transaction names its officer (``officer_id`` is an optional column)."""
    return "officer_id" in transactions and bool(transactions["officer_id"].notna().any())


def latest_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    """One row per ``transaction_id``: its latest review, for where one verdict is needed.

    The contract names no key for outcomes, so a file reviewed twice has two rows and the
    loader keeps both. Here the row with the latest ``reviewed_at`` wins; rows without one
    count as older than any dated review of the same transaction; among equals (a tie, or no
    ``reviewed_at`` at all) the last row in file order wins. The rows kept stay in file
    order, with a fresh 0..n-1 index.
    """
    if outcomes.empty or not outcomes["transaction_id"].duplicated().any():
        return outcomes.reset_index(drop=True)
    ordered = outcomes.reset_index(drop=True)
    if "reviewed_at" in ordered:
        reviewed = pd.to_datetime(ordered["reviewed_at"])
        order = np.argsort(reviewed.fillna(pd.Timestamp.min).to_numpy(), kind="stable")
        ordered = ordered.iloc[order]
    latest = ordered.drop_duplicates("transaction_id", keep="last")
    return latest.sort_index().reset_index(drop=True)


def _offending(
    file: str, column: str | None, rule: str, rows: pd.Series, n_rows: int | None = None
) -> Violation:
    """A violation from a Series of offending values indexed by 1-based row number."""
    shown = [
        (None if row is None or pd.isna(row) else int(row), _show(value))
        for row, value in rows.head(MAX_ROWS_REPORTED).items()
    ]
    return Violation(file, column, rule, shown, int(len(rows) if n_rows is None else n_rows))


def _show(value: object) -> str:
    try:
        missing = bool(pd.isna(value))
    except (TypeError, ValueError):
        missing = False
    if missing:
        return "(empty)"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bytes):
        return repr(value.decode("cp1252", errors="replace"))
    return str(value)


def _rows_of(mask: pd.Series) -> np.ndarray:
    """1-based row numbers where ``mask`` is true (frames have a 0..n-1 index)."""
    return np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False)) + 1


def _mask_violation(
    file: str, column: str, rule: str, mask: pd.Series, values: pd.Series
) -> Violation:
    """A violation for the rows where ``mask`` holds, showing ``values`` (first 20 only)."""
    rows = _rows_of(mask)
    head = rows[:MAX_ROWS_REPORTED]
    shown = pd.Series(values.iloc[head - 1].to_numpy(dtype=object), index=head)
    return _offending(file, column, rule, shown, n_rows=len(rows))


# --- parsing raw columns into contract types ---------------------------------------------

_TRUE = ("true", "1", "yes", "y", "ya", "t")
_FALSE = ("false", "0", "no", "n", "tidak", "f")
# Whole numbers as text: ASCII digits only, at most 18 (so they always fit in int64). The
# patterns avoid \d and \s so that pandas runs them in pyarrow (RE2), not row by row.
_INTEGER_TEXT = r"[+-]?[0-9]{1,18}"
_LARGEST_INTEGER = 2.0**53  # beyond this a float no longer holds every whole number exactly
# An ISO 8601 time followed by a zone designator: Z, +07, +0700 or +07:00.
_WITH_OFFSET = (
    r"[T ][0-9]{2}(?::?[0-9]{2}(?::?[0-9]{2}(?:[.,][0-9]+)?)?)? ?"
    r"(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)$"
)
_NS_MIN = pd.Timestamp("1677-09-22")
_NS_MAX = pd.Timestamp("2262-04-11")

RULE_INTEGER = "type: must be a whole number (digits only: no thousands separators, no decimals)"
RULE_NUMBER = "type: must be a number (no thousands separators; decimal point '.')"
RULE_BOOL = "type: must be true/false"
RULE_DATETIME = (
    "type: must be an ISO 8601 datetime (e.g. 2024-03-01 09:30 or 2024-03-01T09:30+07:00)"
)
RULE_DATE = "type: must be an ISO 8601 date (e.g. 2024-03-01)"
RULE_DATE_RANGE = "range: datetime outside the supported years 1677-2262"

Problems = list[tuple[str, pd.Series]]


def _false(index: pd.Index) -> pd.Series:
    return pd.Series(False, index=index, dtype=bool)


def _as_text(raw: pd.Series) -> pd.Series:
    """Raw values as stripped strings (``string`` dtype), NA where empty.

    Whole numbers stored as floats (an id column with gaps in Parquet or JSON) become "123",
    not "123.0"; other values keep their text form.
    """
    if pd.api.types.is_float_dtype(raw.dtype):
        floats = raw.astype("float64")
        present = floats.dropna()
        if (np.isfinite(present) & (present == np.floor(present))).all() and (
            present.abs() < _LARGEST_INTEGER
        ).all():
            raw = floats.astype("Int64")
    elif pd.api.types.is_bool_dtype(raw.dtype):
        raw = raw.astype("boolean")
    text = raw.astype("string").str.strip()
    return text.mask(text == "")


def _object_kinds(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """For an object column: which cells hold numbers and which hold booleans."""
    is_bool = raw.map(lambda v: isinstance(v, bool | np.bool_)).astype(bool)
    is_number = raw.map(
        lambda v: isinstance(v, int | float | np.number) or type(v).__name__ == "Decimal"
    ).astype(bool)
    return is_number & ~is_bool, is_bool


def _empty_numbers(index: pd.Index, integer: bool) -> pd.Series:
    n = len(index)
    if integer:
        empty = pd.arrays.IntegerArray(np.zeros(n, dtype="int64"), np.ones(n, dtype=bool))
        return pd.Series(empty, index=index)
    return pd.Series(np.full(n, np.nan), index=index)


def _parse_number(raw: pd.Series, integer: bool) -> tuple[pd.Series, Problems]:
    """Numbers (Int64 when ``integer`` else float64) and the cells that are not numbers."""
    rule = RULE_INTEGER if integer else RULE_NUMBER
    dtype = raw.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return _empty_numbers(raw.index, integer), [(rule, raw.notna().astype(bool))]
    if pd.api.types.is_integer_dtype(dtype):
        if pd.api.types.is_unsigned_integer_dtype(dtype):
            too_big = (raw > np.iinfo(np.int64).max).fillna(False).astype(bool)
            raw = raw.where(~too_big, 0)
        else:
            too_big = _false(raw.index)
        values = raw.astype("Int64").mask(too_big)
        return (values if integer else values.astype("float64")), [(rule, too_big)]
    if pd.api.types.is_float_dtype(dtype):
        floats = raw.astype("float64")
        bad = np.isinf(floats)
        if integer:
            bad |= (floats != np.floor(floats)) & floats.notna()
            bad |= floats.abs() >= _LARGEST_INTEGER
            return floats.mask(bad).astype("Int64"), [(rule, bad.astype(bool))]
        return floats.mask(bad), [(rule, bad.astype(bool))]
    if pd.api.types.is_object_dtype(dtype):
        if integer:  # Python ints are exact at any size: read as their digits, not as floats
            exact = raw.map(lambda value: type(value) is int).astype(bool)
            raw = raw.where(~exact, raw.astype(str)) if exact.any() else raw
        is_number, is_bool = _object_kinds(raw)
        if is_number.any() or is_bool.any():
            numeric = pd.to_numeric(raw.where(is_number), errors="coerce")
            from_numbers, numeric_problems = _parse_number(numeric.astype("float64"), integer)
            from_text, text_problems = _parse_number(
                raw.where(~is_number & ~is_bool).astype("string"), integer
            )
            values = from_text.where(~is_number, from_numbers)
            bad = is_bool.copy()
            for _, mask in numeric_problems + text_problems:
                bad |= mask
            return values.mask(bad), [(rule, bad)]
    text = _as_text(raw)
    present = text.notna().to_numpy(dtype=bool)
    if not present.any():
        return _empty_numbers(raw.index, integer), []
    if integer:
        return _parse_integer_text(text, rule)
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = present & ~np.isfinite(numbers.to_numpy())
    return numbers.mask(bad), [(rule, pd.Series(bad, index=raw.index))]


def _parse_integer_text(text: pd.Series, rule: str) -> tuple[pd.Series, Problems]:
    """Digit strings to Int64 in pyarrow (about 3x faster than the pandas string methods)."""
    arrow = pyarrow.array(text.array)
    ok = pc.fill_null(pc.match_substring_regex(arrow, f"^{_INTEGER_TEXT}$"), False)
    bad = pc.and_(pc.is_valid(arrow), pc.invert(ok))
    digits = pc.utf8_ltrim(pc.if_else(ok, arrow, pyarrow.scalar(None, pyarrow.string())), "+")
    values = pc.cast(digits, pyarrow.int64()).to_pandas(
        types_mapper={pyarrow.int64(): pd.Int64Dtype()}.get
    )
    bad_mask = pd.Series(bad.to_numpy(zero_copy_only=False), index=text.index, dtype=bool)
    return pd.Series(values.array, index=text.index), [(rule, bad_mask)]


def _parse_bool(raw: pd.Series) -> tuple[pd.Series, Problems]:
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("boolean"), []
    if pd.api.types.is_numeric_dtype(raw.dtype):
        numbers = raw.astype("Float64")
        bad = (numbers.notna() & ~numbers.isin([0, 1])).fillna(False).astype(bool)
        return (numbers == 1).mask(numbers.isna() | bad).astype("boolean"), [(RULE_BOOL, bad)]
    text = _as_text(raw).str.lower()
    is_true = text.isin(_TRUE).fillna(False).astype(bool)
    is_false = text.isin(_FALSE).fillna(False).astype(bool)
    parsed = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    parsed = parsed.mask(is_true, True).mask(is_false, False)
    bad = (text.notna() & ~is_true & ~is_false).fillna(False).astype(bool)
    return parsed, [(RULE_BOOL, bad)]


def _to_ns(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Naive datetimes as datetime64[ns]; values outside the ns range become NaT (flagged)."""
    out_of_range = ((values < _NS_MIN) | (values > _NS_MAX)).fillna(False).astype(bool)
    return values.mask(out_of_range).astype("datetime64[ns]"), out_of_range


def _parse_datetime(raw: pd.Series, timezone: str, date_only: bool) -> tuple[pd.Series, Problems]:
    rule = RULE_DATE if date_only else RULE_DATETIME
    dtype = raw.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        parsed, out_of_range = _to_ns(raw.dt.tz_convert(timezone).dt.tz_localize(None))
        problems: Problems = [(RULE_DATE_RANGE, out_of_range)]
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        parsed, out_of_range = _to_ns(raw)
        problems = [(RULE_DATE_RANGE, out_of_range)]
    elif pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        # Epoch numbers are ambiguous (seconds? days? which zone?): the contract wants ISO 8601.
        empty = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
        return empty, [(rule, raw.notna().astype(bool))]
    else:
        text = _as_text(raw)
        naive = _naive_iso_datetimes(text)
        if naive is not None:  # the common case, parsed in pyarrow: no offsets, all valid
            parsed, out_of_range = _to_ns(naive)
            if date_only:
                parsed = parsed.dt.normalize()
            return parsed, [(RULE_DATE_RANGE, out_of_range)]
        utc = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
        retry = (text.notna() & utc.isna()).fillna(False).astype(bool)
        if retry.any():  # ISO spellings pandas does not read: valid files never pay for this
            respelled = text.mask(retry, _iso_spelled_for_pandas(text[retry]))
            utc = pd.to_datetime(respelled, format="ISO8601", errors="coerce", utc=True)
        with_offset = text.str.contains(_WITH_OFFSET, regex=True).fillna(False).astype(bool)
        wall = utc.dt.tz_localize(None)  # naive values: their own wall time (parsed as if UTC)
        if with_offset.any():
            local = utc.dt.tz_convert(timezone).dt.tz_localize(None)
            wall = local.where(with_offset, wall)
        parsed, out_of_range = _to_ns(wall)
        unparsed = (text.notna() & utc.isna()).fillna(False).astype(bool)
        problems = [(rule, unparsed), (RULE_DATE_RANGE, out_of_range)]
    if date_only:
        parsed = parsed.dt.normalize()
    return parsed, problems


def _iso_spelled_for_pandas(text: pd.Series) -> pd.Series:
    """ISO 8601 spellings pandas refuses, rewritten to ones it reads (same moment).

    A decimal comma in the seconds (``10:00:00,5``: ISO 8601 allows it, and prefers it) and a
    lower-case zone designator ``z`` (RFC 3339; ``_WITH_OFFSET`` already counts it as an
    offset) are read as ``10:00:00.5`` and ``Z``.
    """
    decimal_point = text.str.replace(r"(:[0-9]{2}),([0-9])", r"\1.\2", regex=True)
    return decimal_point.str.replace(r"([0-9])z$", r"\1Z", regex=True)


def _naive_iso_datetimes(text: pd.Series) -> pd.Series | None:
    """All values as naive datetime64[us] if pyarrow parses every one (no offsets), else None."""
    try:
        stamps = pc.cast(pyarrow.array(text.array), pyarrow.timestamp("us"))
    except (pyarrow.ArrowInvalid, pyarrow.ArrowNotImplementedError, pyarrow.ArrowTypeError):
        return None
    return pd.Series(stamps.to_pandas(), index=text.index)


def parse_datetime_value(value: str, timezone: str = "Asia/Jakarta") -> pd.Timestamp:
    """One datetime read as the contract reads a cell: naive local time in ``timezone``.

    ISO 8601; with an offset it is converted to the zone's wall-clock time, without one it
    is local already. Raises ``ValueError`` whose message is the contract's rule when the
    value would be refused in a file (not a datetime, or outside the supported years).
    """
    _check_timezone(timezone)
    parsed, problems = _parse_datetime(
        pd.Series([value], dtype="string"), timezone, date_only=False
    )
    broken = [rule for rule, mask in problems if bool(mask.iloc[0])]
    if broken or pd.isna(parsed.iloc[0]):
        raise ValueError(broken[0] if broken else RULE_DATETIME)
    return pd.Timestamp(parsed.iloc[0])


def _parse_column(raw: pd.Series, spec: ColumnSpec, timezone: str) -> tuple[pd.Series, Problems]:
    """Parse one column: the typed values and, per rule, the mask of cells that break it."""
    if spec.kind == "string":
        return _as_text(raw), []
    if spec.kind in ("integer", "number"):
        return _parse_number(raw, integer=spec.kind == "integer")
    if spec.kind == "bool":
        return _parse_bool(raw)
    return _parse_datetime(raw, timezone, date_only=spec.kind == "date")


# --- pandera schemas for the value rules -------------------------------------------------

_DTYPES = {
    "string": "string",
    "integer": "Int64",
    "number": "float64",
    "bool": "boolean",
    "datetime": "datetime64[ns]",
    "date": "datetime64[ns]",
}


def _column_checks(spec: ColumnSpec) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if spec.allowed:
        allowed = ", ".join(spec.allowed)
        checks.append(pa.Check.isin(list(spec.allowed), error=f"must be one of: {allowed}"))
    if spec.minimum is not None:
        checks.append(pa.Check.ge(spec.minimum, error=f"must be >= {spec.minimum:g}"))
    if spec.strictly_positive:
        checks.append(pa.Check.gt(0, error="must be > 0"))
    return checks


RULE_UNKNOWN_SERVICE = "must exist in services (unknown service_code)"
RULE_ORDER = "completed_at must not be before submitted_at"


def build_schema(
    table: str, columns: Iterable[str], known_services: Iterable[str] | None = None
) -> pa.DataFrameSchema:
    """The pandera schema for ``table`` over the contract columns present in the frame.

    Cross-column rules (``completed_at`` before ``submitted_at``) are checked by
    ``validate_table`` directly, so that each failure is reported once with both values.
    """
    present = set(columns)
    spec = TABLE_SPECS[table]
    schema_columns = {
        name: pa.Column(
            _DTYPES[col.kind],
            checks=_column_checks(col),
            nullable=col.nullable,
            unique=col.unique,
            required=col.required,
        )
        for name, col in spec.items()
        if name in present or col.required
    }
    if table == "transactions" and known_services is not None:
        schema_columns["service_code"] = pa.Column(
            "string",
            pa.Check.isin(
                sorted({str(code) for code in known_services if not pd.isna(code)}),
                error=RULE_UNKNOWN_SERVICE,
            ),
        )
    return pa.DataFrameSchema(schema_columns, strict=False, coerce=False)


_RULE_NAMES = {
    "not_nullable": "required: must not be empty",
    "field_uniqueness": "unique key: duplicate value",
    "column_in_dataframe": "required column is missing",
}


def _failures_to_violations(
    file: str, failures: pd.DataFrame, skip: dict[str, pd.Series]
) -> list[Violation]:
    """pandera's failure cases as violations; cells already reported as unparseable are skipped."""
    violations: list[Violation] = []
    for (column, check), group in failures.groupby(
        [failures["column"].fillna("").astype(str), failures["check"].astype(str)], sort=False
    ):
        column_name = column or None
        rule = _RULE_NAMES.get(check, check)
        if check == "column_in_dataframe":
            violations.append(Violation(file, str(group["failure_case"].iloc[0]), rule))
            continue
        index = pd.to_numeric(group["index"], errors="coerce")
        if column_name in skip:
            unparsed = skip[column_name]
            keep = ~index.isin(np.flatnonzero(unparsed.to_numpy(dtype=bool))).to_numpy()
            group, index = group[keep], index[keep]
            if group.empty:
                continue
        order = np.argsort(index.fillna(-1).to_numpy(), kind="stable")[:MAX_ROWS_REPORTED]
        rows = [None if pd.isna(i) else int(i) + 1 for i in index.to_numpy()[order]]
        values = pd.Series(group["failure_case"].to_numpy(dtype=object)[order], index=rows)
        violations.append(_offending(file, column_name, rule, values, n_rows=len(group)))
    return violations


def _check_timezone(timezone: str) -> None:
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise SidakError(
            f"Unknown timezone {timezone!r}: use an IANA name such as 'Asia/Jakarta'."
        ) from None


def validate_table(
    table: str,
    raw: pd.DataFrame,
    file: str,
    *,
    known_services: Iterable[str] | None = None,
    timezone: str = "Asia/Jakarta",
) -> pd.DataFrame:
    """Parse and validate one table; returns the typed frame or raises ContractError.

    ``raw`` holds the file's values (strings from CSV, typed from Parquet or JSON). Unknown
    extra columns are kept unchanged. Row numbers in the report are 1-based data rows. Every
    row of ``raw`` is in the result, in order: a table is accepted whole or refused whole.

    Small tables (a scoring request) first go through ``model.contract_fast``, which accepts
    plainly valid rows in a fraction of a millisecond and defers everything else to the full
    check below, so a refusal always comes from here.
    """
    _check_call(table, timezone)
    if len(raw) <= FAST_MAX_ROWS:
        from model.contract_fast import accept_frame

        accepted = accept_frame(table, raw, known_services)
        if accepted is not None:
            return _with_defaults(table, accepted)
    return _validate_full(table, raw, file, known_services, timezone)


def _check_call(table: str, timezone: str) -> None:
    """Programming errors in the call itself (not in the data): an unknown table or zone."""
    if table not in TABLE_SPECS:
        raise ValueError(f"unknown table {table!r}: one of {', '.join(TABLE_SPECS)}")
    _check_timezone(timezone)


def validate_table_full(
    table: str,
    raw: pd.DataFrame,
    file: str,
    *,
    known_services: Iterable[str] | None = None,
    timezone: str = "Asia/Jakarta",
) -> pd.DataFrame:
    """``validate_table`` without the fast path: every column parsed and checked by pandera."""
    _check_call(table, timezone)
    return _validate_full(table, raw, file, known_services, timezone)


def _validate_full(
    table: str,
    raw: pd.DataFrame,
    file: str,
    known_services: Iterable[str] | None,
    timezone: str,
) -> pd.DataFrame:
    spec = TABLE_SPECS[table]
    frame = raw.reset_index(drop=True)
    names = [str(column) for column in frame.columns]
    if len(set(names)) < len(names):
        _check_names(file, names)
    violations = [
        Violation(file, name, "required column is missing")
        for name, col in spec.items()
        if col.required and name not in frame.columns
    ]
    if violations:
        raise ContractError(violations)
    unparsed: dict[str, pd.Series] = {}
    for name, col in spec.items():
        if name not in frame.columns:
            continue
        values, problems = _parse_column(frame[name], col, timezone)
        skip = _false(frame.index)
        for rule, mask in problems:
            if mask.any():
                violations.append(_mask_violation(file, name, rule, mask, frame[name]))
                skip |= mask
        unparsed[name] = skip
        frame[name] = values
    if table == "transactions" and "completed_at" in frame.columns:
        violations += _order_violations(file, frame)
    schema = build_schema(table, frame.columns, known_services)
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        violations += _failures_to_violations(file, errors.failure_cases, unparsed)
    if violations:
        raise ContractError(violations)
    return _with_defaults(table, frame)


def _order_violations(file: str, frame: pd.DataFrame) -> list[Violation]:
    completed, submitted = frame["completed_at"], frame["submitted_at"]
    before = (completed < submitted).fillna(False).astype(bool)  # NaT on either side: no verdict
    if not before.any():
        return []
    rows = _rows_of(before)
    shown: list[tuple[int | None, str]] = [
        (int(row), f"{completed.iloc[row - 1]} (submitted_at {submitted.iloc[row - 1]})")
        for row in rows[:MAX_ROWS_REPORTED]
    ]
    return [Violation(file, "completed_at", RULE_ORDER, shown, len(rows))]


def _with_defaults(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    if table == "services":
        if "fee_is_variable" not in frame.columns:
            frame["fee_is_variable"] = False
        frame["fee_is_variable"] = frame["fee_is_variable"].fillna(False).astype(bool)
    return frame


# --- reading files -----------------------------------------------------------------------

_FORMATS = ("csv", "parquet")


def find_table_file(data_dir: Path, table: str) -> Path | None:
    """The file holding ``table`` in ``data_dir`` (CSV or Parquet), or None."""
    candidates = [data_dir / f"{table}.{ext}" for ext in _FORMATS]
    found = [path for path in candidates if path.exists()]
    if len(found) > 1:
        raise ContractError(
            [
                Violation(
                    str(found[0].parent),
                    None,
                    f"table '{table}' is given twice ({', '.join(p.name for p in found)}): "
                    "keep one file per table",
                )
            ]
        )
    return found[0] if found else None


def read_table_file(path: Path) -> pd.DataFrame:
    """Read a CSV (UTF-8, all values as text) or Parquet file, or raise ContractError.

    Column names are stripped of surrounding whitespace; a name given twice is an error.
    """
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise ContractError([Violation(name, None, "not a regular file")])
    try:
        if path.suffix.lower() == ".parquet":
            frame = _read_parquet(path)
        else:
            frame = _read_csv(name, path.read_bytes())
    except OSError as exc:
        raise ContractError(
            [Violation(name, None, f"cannot read the file ({exc.strerror or exc})")]
        ) from None
    _check_header(name, frame)
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    name = str(path)
    if path.stat().st_size == 0:
        raise ContractError([Violation(name, None, "file is empty (0 bytes)")])
    try:
        # Nullable dtypes: integer ids with gaps stay integers, NaN in floats becomes empty.
        frame = pd.read_parquet(path, dtype_backend="numpy_nullable")
    except Exception as exc:  # pyarrow raises many types for a corrupt file
        raise ContractError(
            [Violation(name, None, f"not a readable Parquet file ({type(exc).__name__}: {exc})")]
        ) from None
    frame.columns = [str(column).strip() for column in frame.columns]
    return frame.reset_index(drop=True)


def _check_header(name: str, frame: pd.DataFrame) -> None:
    _check_names(name, [str(column) for column in frame.columns])


def _check_names(name: str, names: list[str]) -> None:
    twice = sorted({column for column in names if names.count(column) > 1})
    if twice:
        raise ContractError(
            [Violation(name, column, "column appears twice in the header") for column in twice]
        )


def _encoding_violation(name: str, data: bytes) -> Violation | None:
    """A file-level violation for files that are plainly not UTF-8 text (UTF-16/32, binary)."""
    boms = {
        codecs.BOM_UTF32_LE: "UTF-32",
        codecs.BOM_UTF32_BE: "UTF-32",
        codecs.BOM_UTF16_LE: "UTF-16",
        codecs.BOM_UTF16_BE: "UTF-16",
    }
    for bom, encoding in boms.items():
        if data.startswith(bom):
            return Violation(
                name, None, f"encoding: file is {encoding}, not UTF-8: save it as CSV UTF-8"
            )
    if b"\x00" in data[:4096]:
        return Violation(
            name, None, "encoding: file holds NUL bytes (UTF-16 or binary?): save it as CSV UTF-8"
        )
    return None


def _read_arrow(
    body: bytes,
    n_columns: int,
    threads: bool,
    on_invalid: Callable[[Any], str] | None,
    text: bool = True,
) -> pyarrow.Table:
    """pyarrow's CSV reader; a row longer than a block (a huge quoted text) gets one block."""
    try:
        return pacsv.read_csv(
            pyarrow.py_buffer(body), **_csv_options(n_columns, threads, on_invalid, text)
        )
    except pyarrow.ArrowInvalid as exc:
        if "straddle" not in str(exc):
            raise
    block = min(len(body) + 1, 1 << 30)
    options = _csv_options(n_columns, threads, on_invalid, text, block_size=block)
    return pacsv.read_csv(pyarrow.py_buffer(body), **options)


def _csv_options(
    n_columns: int,
    threads: bool,
    on_invalid: Callable[[Any], str] | None,
    text: bool = True,
    block_size: int = 1 << 20,
) -> dict[str, Any]:
    kind = pyarrow.string() if text else pyarrow.binary()
    return {
        # The header is read as the first row (names f0, f1, ...), so every field is text and
        # the header's own field count is what each row must match.
        "read_options": pacsv.ReadOptions(
            autogenerate_column_names=True, use_threads=threads, block_size=block_size
        ),
        "parse_options": pacsv.ParseOptions(
            newlines_in_values=True, invalid_row_handler=on_invalid
        ),
        "convert_options": pacsv.ConvertOptions(
            column_types={f"f{i}": kind for i in range(n_columns + 64)},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    }


def _header_fields(data: bytes) -> list[str]:
    head = data[: 1 << 16].decode("utf-8-sig", errors="replace")
    return next(csv.reader(io.StringIO(head)), [])


def _read_csv(name: str, data: bytes) -> pd.DataFrame:
    bad_encoding = _encoding_violation(name, data)
    if bad_encoding is not None:
        raise ContractError([bad_encoding])
    # pyarrow skips a UTF-8 BOM itself; slicing it off here would copy the whole file.
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if not data[start : start + 4096].strip() and not data[start:].strip():
        raise ContractError([Violation(name, None, "file is empty (no header row)")])
    body = data
    if not body.endswith(b"\n") and b"\n" not in body:
        body += b"\n"  # a lone header without a line end
    header = _header_fields(body)
    if len(header) == 1:
        for separator, label in ((";", "semicolons"), ("\t", "tabs")):
            if separator in header[0]:
                raise ContractError(
                    [
                        Violation(
                            name,
                            None,
                            f"not comma-separated: the header is split by {label} "
                            f"({header[0][:60]!r}): save it as CSV with commas",
                        )
                    ]
                )
    ragged = [0]

    def collect(row: Any) -> str:
        ragged[0] += 1
        return "skip"

    try:
        table = _read_arrow(body, len(header), True, collect)
    except pyarrow.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "utf8" in str(exc).lower():
            raise ContractError(_utf8_violations(name, body, len(header))) from None
        raise ContractError([Violation(name, None, f"not a well-formed CSV file: {exc}")]) from None
    if ragged[0]:
        raise ContractError([_ragged_violation(name, body, len(header), ragged[0])])
    names = [
        _column_name(value, i) for i, value in enumerate(table.slice(0, 1).to_pylist()[0].values())
    ]
    _check_names(name, names)
    data_rows = table.slice(1)
    unclosed = _unclosed_quote(name, body, data_rows)
    if unclosed is not None:
        raise ContractError([unclosed])
    frame = data_rows.rename_columns(names).to_pandas(
        types_mapper={
            pyarrow.string(): pd.StringDtype(),
            pyarrow.large_string(): pd.StringDtype(),
        }.get
    )
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.StringDtype):
            frame[column] = values.mask(values == "")  # empty cells are missing values
    return frame


def _unclosed_quote(name: str, body: bytes, rows: pyarrow.Table) -> Violation | None:
    """A quote opened and never closed swallows the rest of the file into one value."""
    if rows.num_rows == 0 or body.count(b'"') % 2 == 0:
        return None
    last = rows.slice(rows.num_rows - 1).to_pylist()[0]
    swallowed = [v for v in last.values() if isinstance(v, str) and ("\n" in v or "\r" in v)]
    if not swallowed:
        return None
    value = swallowed[0] if len(swallowed[0]) <= 80 else swallowed[0][:77] + "..."
    rule = "malformed CSV: a quoted value is never closed (it runs to the end of the file)"
    return Violation(name, None, rule, [(rows.num_rows, repr(value))], 1)


def _column_name(value: object, position: int) -> str:
    text = "" if value is None else str(value).strip()
    return text or f"Unnamed: {position}"


def _ragged_violation(name: str, body: bytes, n_header: int, n_bad: int) -> Violation:
    """Rows with the wrong number of fields; re-read single-threaded to learn their numbers."""
    rows: list[tuple[int | None, str]] = []

    def collect(row: Any) -> str:
        number = row.number - 1 if row.number is not None and row.number > 0 else None
        text = row.text if len(row.text) <= 80 else row.text[:77] + "..."
        rows.append((number, f"{row.actual_columns} fields: {text!r}"))
        return "skip" if len(rows) < MAX_ROWS_REPORTED else "error"  # enough: stop reading

    with contextlib.suppress(pyarrow.ArrowInvalid):
        _read_arrow(body, n_header, False, collect)
    rule = (
        f"malformed CSV: each row must have as many fields as the header ({n_header}); "
        "quote values that hold commas, close every quote"
    )
    return Violation(name, None, rule, rows, n_bad)


def _utf8_violations(name: str, body: bytes, n_header: int) -> list[Violation]:
    """Locate cells that are not UTF-8 (usually Windows-1252/Latin-1 exports) by column."""
    rule = "encoding: not valid UTF-8 (Windows-1252/Latin-1?): save the file as CSV UTF-8"
    try:
        table = _read_arrow(body, n_header, True, lambda row: "skip", text=False)
    except pyarrow.ArrowInvalid:
        table = None
    violations: list[Violation] = []
    if table is not None:
        header = table.slice(0, 1).to_pylist()[0]
        for position, column in enumerate(table.column_names):
            try:
                pc.cast(table[column], pyarrow.string())
                continue
            except pyarrow.ArrowInvalid:
                pass
            label = _column_name(
                (header[column] or b"").decode("utf-8", errors="replace"), position
            )
            offending: list[tuple[int | None, str]] = []
            count = 0
            for row, value in enumerate(table[column].to_pylist()):
                if value is None:
                    continue
                try:
                    value.decode("utf-8")
                except UnicodeDecodeError:
                    count += 1
                    if len(offending) < MAX_ROWS_REPORTED:
                        offending.append((row or None, _show(value)))
            violations.append(Violation(name, label, rule, offending, count))
    if not violations:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = body[: exc.start].count(b"\n") + 1
            snippet = body[max(0, exc.start - 20) : exc.start + 20]
            violations.append(
                Violation(name, None, rule, [(None, f"line {line}: {_show(snippet)}")], 1)
            )
    return violations


def _load_one(
    data_dir: Path, table: str, timezone: str, known_services: Iterable[str] | None = None
) -> pd.DataFrame | None:
    path = find_table_file(data_dir, table)
    if path is None:
        if table in REQUIRED_TABLES:
            raise ContractError([Violation(str(data_dir), None, _missing_rule(data_dir, table))])
        return None
    try:
        raw = read_table_file(path)
        if table in REQUIRED_TABLES and raw.empty:
            raise ContractError([Violation(str(path), None, "table has a header but no rows")])
        return validate_table(
            table, raw, str(path), known_services=known_services, timezone=timezone
        )
    except (ContractError, SidakError):
        raise
    except Exception as exc:  # a bug here must still reach the user as a report, not a trace
        logger.debug("unexpected error while checking %s", path, exc_info=True)
        rule = f"could not be checked ({type(exc).__name__}: {exc}); please report this"
        raise ContractError([Violation(str(path), None, rule)]) from exc


def _missing_rule(data_dir: Path, table: str) -> str:
    rule = f"required table '{table}' is missing (expected {table}.csv or {table}.parquet)"
    near = sorted(
        p.name
        for p in data_dir.iterdir()
        if p.name.lower().startswith(table) and p.name not in {f"{table}.{e}" for e in _FORMATS}
    )
    if near:
        rule += f"; found {', '.join(near[:5])}: only .csv and .parquet files are read"
    return rule


RULE_UNKNOWN_SERVICE_REFUSED = (
    "must exist in services (unknown service_code; checked against the service codes read "
    "from the refused services file)"
)


def _codes_read(data_dir: Path) -> pd.Series | None:
    """The service codes in a services file that was refused, when it can be read at all.

    None (no check) when the file is missing or unreadable, has no service_code column or no
    codes: then every transaction would look unknown.
    """
    try:
        path = find_table_file(data_dir, "services")
        if path is None:
            return None
        raw = read_table_file(path)
    except Exception:  # already reported by the services check itself
        logger.debug("services file unreadable: service codes not checked", exc_info=True)
        return None
    if "service_code" not in raw.columns:
        return None
    codes = _as_text(raw["service_code"]).dropna()
    return codes if len(codes) else None


def load_data_dir(data_dir: Path | str, timezone: str = "Asia/Jakarta") -> Dataset:
    """Load and validate every contract table in ``data_dir``.

    Raises ``ContractError`` listing the problems of every refused file (all files are
    checked, so one run reports everything). Unknown extra files and columns are ignored.
    """
    root = Path(data_dir)
    if not root.is_dir():
        rule = "not a directory" if root.exists() else "data directory does not exist"
        raise ContractError([Violation(str(root), None, rule)])
    _check_timezone(timezone)
    violations: list[Violation] = []

    def attempt(table: str, known_services: pd.Series | None = None) -> pd.DataFrame | None:
        try:
            return _load_one(root, table, timezone, known_services)
        except ContractError as error:
            violations.extend(error.violations)
            return None

    services = attempt("services")
    if services is not None:
        transactions = attempt("transactions", services["service_code"])
    else:  # refused: check the codes against those it holds, so they show in this run
        known = _codes_read(root)
        before = len(violations)
        transactions = attempt("transactions", known)
        for violation in violations[before:]:
            if violation.rule == RULE_UNKNOWN_SERVICE:
                violation.rule = RULE_UNKNOWN_SERVICE_REFUSED
    complaints, holidays, outcomes = (attempt(t) for t in ("complaints", "holidays", "outcomes"))
    if violations or services is None or transactions is None:
        raise ContractError(violations)
    return Dataset(
        services=services,
        transactions=transactions,
        complaints=complaints,
        holidays=holidays,
        outcomes=outcomes,
        source=str(root),
    )
