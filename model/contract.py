"""The data contract (``shared/data-contract.md``), enforced.

``load_data_dir`` reads one file per table (CSV or Parquet, same stem), parses each column to
its contract type and validates the values with pandera schemas. A table that breaks the
contract is refused as a whole: ``ContractError`` carries one ``Violation`` per (file,
column, rule) with up to the first 20 offending rows (1-based data row number and value).

Datetimes come back as naive local wall-clock time in the configured zone (WIB by default):
values with an offset are converted, values without are taken as local already.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa

from model.errors import SidakError

MAX_ROWS_REPORTED = 20
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
        "date": ColumnSpec("date", unique=True),
        "description": ColumnSpec("string", required=False, nullable=True),
    },
    "outcomes": {
        "transaction_id": ColumnSpec("string", unique=True),
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


def _offending(file: str, column: str | None, rule: str, rows: pd.Series) -> Violation:
    """A violation from a Series of offending values indexed by 1-based row number."""
    shown = [
        (int(row) if row is not None else None, _show(value))
        for row, value in rows.head(MAX_ROWS_REPORTED).items()
    ]
    return Violation(file, column, rule, shown, int(len(rows)))


def _show(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "(empty)"
    return repr(value) if isinstance(value, str) else str(value)


# --- parsing raw columns into contract types ---------------------------------------------

_TRUE = {"true", "1", "yes", "y", "ya", "t"}
_FALSE = {"false", "0", "no", "n", "tidak", "f"}


def _as_text(raw: pd.Series) -> pd.Series:
    """Raw values as stripped strings, None where empty."""
    text = raw.astype("string").str.strip()
    return text.mask(text == "")


def _parse_number(raw: pd.Series, integer: bool) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_bool_dtype(raw.dtype):
        bad = pd.Series(True, index=raw.index)
        return pd.Series(np.nan, index=raw.index), bad & raw.notna()
    text = _as_text(raw)
    numbers = pd.to_numeric(text, errors="coerce")
    bad = (text.notna() & numbers.isna()).astype(bool)
    if integer and not pd.api.types.is_numeric_dtype(raw.dtype):
        # Text money must be plain digits: "50.000" is Rp 50.000 written with a separator.
        bad |= text.notna() & ~text.str.fullmatch(r"[+-]?\d+", na=False).astype(bool)
    if integer:
        fractional = numbers.notna() & (numbers != np.floor(numbers.fillna(0)))
        bad |= fractional
        numbers = numbers.where(~bad)
        return numbers.round().astype("Int64"), bad
    return numbers.astype("float64"), bad


def _parse_bool(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    text = _as_text(raw).str.lower()
    parsed = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    parsed[text.isin(_TRUE).fillna(False).astype(bool)] = True
    parsed[text.isin(_FALSE).fillna(False).astype(bool)] = False
    bad = (text.notna() & parsed.isna()).astype(bool)
    return parsed, bad


def _parse_datetime(raw: pd.Series, timezone: str, date_only: bool) -> tuple[pd.Series, pd.Series]:
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        parsed = raw.dt.tz_convert(timezone).dt.tz_localize(None)
        return parsed.astype("datetime64[ns]"), pd.Series(False, index=raw.index)
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return raw.astype("datetime64[ns]"), pd.Series(False, index=raw.index)
    text = _as_text(raw)
    parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    with_offset = text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True).fillna(False)
    with_offset = with_offset.astype(bool)
    naive = (text.notna() & ~with_offset).astype(bool)
    if naive.any():
        values = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
        parsed.loc[naive] = values.astype("datetime64[ns]")
    if with_offset.any():
        values = pd.to_datetime(text[with_offset], format="ISO8601", errors="coerce", utc=True)
        parsed.loc[with_offset] = values.dt.tz_convert(timezone).dt.tz_localize(None)
    bad = (text.notna() & parsed.isna()).astype(bool)
    if date_only:
        parsed = parsed.dt.normalize()
    return parsed, bad


def _parse_column(
    raw: pd.Series, spec: ColumnSpec, timezone: str
) -> tuple[pd.Series, pd.Series, str]:
    """Parse one column; returns (typed values, mask of unparseable cells, rule text)."""
    if spec.kind == "string":
        return _as_text(raw), pd.Series(False, index=raw.index), ""
    if spec.kind in ("integer", "number"):
        values, bad = _parse_number(raw, integer=spec.kind == "integer")
        rule = "must be a whole number" if spec.kind == "integer" else "must be a number"
        return values, bad, f"type: {rule} (no thousands separators)"
    if spec.kind == "bool":
        values, bad = _parse_bool(raw)
        return values, bad, "type: must be true/false"
    values, bad = _parse_datetime(raw, timezone, date_only=spec.kind == "date")
    what = "an ISO 8601 date" if spec.kind == "date" else "an ISO 8601 datetime"
    return values, bad, f"type: must be {what}"


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
        checks.append(pa.Check.isin(list(spec.allowed), error=f"must be one of {spec.allowed}"))
    if spec.minimum is not None:
        checks.append(pa.Check.ge(spec.minimum, error=f"must be >= {spec.minimum:g}"))
    if spec.strictly_positive:
        checks.append(pa.Check.gt(0, error="must be > 0"))
    return checks


def build_schema(
    table: str, columns: Iterable[str], known_services: Iterable[str] | None = None
) -> pa.DataFrameSchema:
    """The pandera schema for ``table`` over the contract columns present in the frame."""
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
            pa.Check.isin(sorted(set(known_services)), error="must exist in services"),
        )
    frame_checks = []
    if table == "transactions" and "completed_at" in present:
        frame_checks.append(
            pa.Check(
                lambda df: (df["completed_at"].isna() | (df["completed_at"] >= df["submitted_at"]))
                .fillna(True)
                .astype(bool),
                name=_ORDER_CHECK,
                error=_ORDER_RULE,
            )
        )
    return pa.DataFrameSchema(schema_columns, checks=frame_checks, strict=False, coerce=False)


_ORDER_CHECK = "completed_at_not_before_submitted_at"
_ORDER_RULE = "completed_at must not be before submitted_at"
_RULE_NAMES = {
    "not_nullable": "required: must not be empty",
    "field_uniqueness": "unique key: duplicate value",
    "column_in_dataframe": "required column is missing",
}


def _failures_to_violations(
    file: str, failures: pd.DataFrame, frame: pd.DataFrame, skip: dict[str, pd.Series]
) -> list[Violation]:
    violations: list[Violation] = []
    for (column, check), group in failures.groupby(
        [failures["column"].fillna(""), failures["check"].astype(str)], sort=False
    ):
        column_name = str(column) or None
        index = pd.to_numeric(group["index"], errors="coerce")
        if column_name in skip:
            unparsed = skip[column_name]
            keep = ~index.isin(unparsed[unparsed].index)
            group, index = group[keep.to_numpy()], index[keep.to_numpy()]
            if group.empty:
                continue
        rule = _RULE_NAMES.get(check, check)
        if check in (_ORDER_CHECK, _ORDER_RULE):
            if column_name != "completed_at":
                continue  # pandera repeats a frame-wide check's failures for every column
            rule = _ORDER_RULE
            rows = index.dropna().astype(int)
            values = pd.Series(
                [
                    f"{frame.at[i, 'completed_at']} (submitted_at {frame.at[i, 'submitted_at']})"
                    for i in rows
                ],
                index=rows + 1,
            )
        elif check == "column_in_dataframe":
            violations.append(Violation(file, str(group["failure_case"].iloc[0]), rule))
            continue
        else:
            rows_index = index.fillna(-2).astype(int) + 1
            values = pd.Series(group["failure_case"].to_numpy(), index=rows_index.to_numpy())
            values.index = [None if i < 0 else i for i in values.index]
        violations.append(_offending(file, column_name, rule, values))
    return violations


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
    extra columns are kept unchanged. Row numbers in the report are 1-based data rows.
    """
    spec = TABLE_SPECS[table]
    frame = raw.reset_index(drop=True).copy()
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
        values, bad, rule = _parse_column(frame[name], col, timezone)
        if bad.any():
            offending = frame.loc[bad, name]
            offending.index = offending.index + 1
            violations.append(_offending(file, name, rule, offending))
        unparsed[name] = bad
        frame[name] = values
    schema = build_schema(table, frame.columns, known_services)
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        violations += _failures_to_violations(file, errors.failure_cases, frame, unparsed)
    if violations:
        raise ContractError(violations)
    return _with_defaults(table, frame)


def _with_defaults(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    if table == "services":
        if "fee_is_variable" not in frame.columns:
            frame["fee_is_variable"] = False
        frame["fee_is_variable"] = frame["fee_is_variable"].fillna(False).astype(bool)
    return frame


# --- reading files -----------------------------------------------------------------------


def find_table_file(data_dir: Path, table: str) -> Path | None:
    """The file holding ``table`` in ``data_dir`` (CSV or Parquet), or None."""
    candidates = [data_dir / f"{table}.{ext}" for ext in ("csv", "parquet")]
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
    """Read a CSV (UTF-8, all values as text) or Parquet file, or raise ContractError."""
    name = str(path)
    if path.stat().st_size == 0:
        raise ContractError([Violation(name, None, "file is empty (no header row)")])
    if path.suffix == ".parquet":
        try:
            return pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many types for a corrupt file
            raise ContractError(
                [Violation(name, None, f"not a readable Parquet file ({type(exc).__name__})")]
            ) from None
    raw_bytes = path.read_bytes()
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw_bytes[: exc.start].count(b"\n") + 1
        snippet = raw_bytes[max(0, exc.start - 10) : exc.start + 10]
        rows = [(line - 1 if line > 1 else None, f"line {line}: {snippet!r}")]
        raise ContractError(
            [Violation(name, None, "encoding: file is not valid UTF-8", rows, 1)]
        ) from None
    if not text.strip():
        raise ContractError([Violation(name, None, "file is empty (no header row)")])
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=False
        )
    except (pd.errors.ParserError, csv.Error) as exc:
        raise ContractError([Violation(name, None, f"not a well-formed CSV file: {exc}")]) from None
    frame.columns = [str(column).strip() for column in frame.columns]
    duplicated = [c for c in frame.columns if "." in c and c.rsplit(".", 1)[0] in frame.columns]
    if duplicated:
        raise ContractError([Violation(name, duplicated[0], "column appears twice in the header")])
    return frame


def _load_one(
    data_dir: Path, table: str, timezone: str, known_services: Iterable[str] | None = None
) -> pd.DataFrame | None:
    path = find_table_file(data_dir, table)
    if path is None:
        if table in REQUIRED_TABLES:
            raise ContractError(
                [Violation(str(data_dir), None, f"required table '{table}' is missing "
                           f"(expected {table}.csv or {table}.parquet)")]
            )
        return None
    raw = read_table_file(path)
    if table in REQUIRED_TABLES and raw.empty:
        raise ContractError([Violation(str(path), None, "table has a header but no rows")])
    return validate_table(table, raw, str(path), known_services=known_services, timezone=timezone)


def load_data_dir(data_dir: Path | str, timezone: str = "Asia/Jakarta") -> Dataset:
    """Load and validate every contract table in ``data_dir``.

    Raises ``ContractError`` listing the problems of every refused file (all files are
    checked, so one run reports everything). Unknown extra files and columns are ignored.
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise ContractError([Violation(str(root), None, "data directory does not exist")])
    tables: dict[str, pd.DataFrame | None] = {}
    violations: list[Violation] = []
    loaders: list[tuple[str, Callable[[], pd.DataFrame | None]]] = [
        ("services", lambda: _load_one(root, "services", timezone)),
        (
            "transactions",
            lambda: _load_one(
                root,
                "transactions",
                timezone,
                None if tables.get("services") is None else tables["services"]["service_code"],
            ),
        ),
        ("complaints", lambda: _load_one(root, "complaints", timezone)),
        ("holidays", lambda: _load_one(root, "holidays", timezone)),
        ("outcomes", lambda: _load_one(root, "outcomes", timezone)),
    ]
    for table, load in loaders:
        try:
            tables[table] = load()
        except ContractError as error:
            violations += error.violations
            tables[table] = None
    if violations:
        raise ContractError(violations)
    return Dataset(
        services=tables["services"],  # type: ignore[arg-type]
        transactions=tables["transactions"],  # type: ignore[arg-type]
        complaints=tables["complaints"],
        holidays=tables["holidays"],
        outcomes=tables["outcomes"],
        source=str(root),
    )
