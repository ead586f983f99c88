"""Scoring requests: payload -> contract-validated frames -> model -> JSON/CSV bytes.

Requests are validated by the same code as files (``model.contract.validate_table``), so a
record the CLI refuses the API refuses too, with the same rule text. Serialising works on
columns (orjson over plain lists), not per-row Pydantic objects.
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import orjson
import pandas as pd

from model.contract import ContractError, Violation, validate_table
from model.contract_fast import accept_records
from model.predict import CSV_FLOAT_FORMAT, SCORE_COLUMNS, score_frame, to_csv_records
from service.errors import ApiError, contract_error, detail
from service.model_store import ServedModel

_SCALAR_KINDS = {
    "string",
    "integer",
    "floating",
    "mixed-integer-float",
    "boolean",
    "empty",
    "decimal",
    "integer-na",
    "datetime",
    "date",
}


@dataclass(frozen=True)
class ScoreBatch:
    """A parsed request: raw records (not yet validated) and the language.

    ``records`` keeps a JSON request's transactions as the plain objects they arrived as, so
    the contract's fast path can check them without building a frame; ``transactions`` is
    the raw frame (built from ``records`` on first use when not given).
    """

    raw_transactions: pd.DataFrame | None = None
    complaints: pd.DataFrame | None = None
    language: str | None = None
    records: list[dict[str, Any]] | None = None

    @cached_property
    def transactions(self) -> pd.DataFrame:
        if self.raw_transactions is not None:
            return self.raw_transactions
        return _records_frame(self.records or [], "transactions")

    @property
    def size(self) -> int:
        if self.raw_transactions is not None:
            return len(self.raw_transactions)
        return len(self.records or [])


def _records_frame(records: Any, name: str) -> pd.DataFrame:
    """A list of JSON objects as a frame; refuses non-objects and nested values."""
    if not isinstance(records, list):
        raise ApiError(
            422,
            f"'{name}' must be a list of objects.",
            details=[detail(name, None, "must be a list of objects")],
        )
    bad = next((i for i, record in enumerate(records) if not isinstance(record, dict)), None)
    if bad is not None:
        raise ApiError(
            422,
            f"'{name}' must be a list of objects.",
            details=[detail(name, bad + 1, "must be an object")],
        )
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    return _checked_frame(_exact_integers(frame, records), name)


def _exact_integers(frame: pd.DataFrame, records: list[dict[str, Any]]) -> pd.DataFrame:
    """Whole numbers beyond 2**53 kept exact: ``from_records`` makes a column of integers
    and nulls a float column, which cannot hold them (and the contract then refuses the
    float). Such a column keeps the records' own values, as a CSV or Parquet file would."""
    for column in frame.columns[frame.dtypes == "float64"]:
        values = [record.get(column) for record in records]
        if any(type(value) is int and abs(value) >= 2**53 for value in values):
            frame[column] = pd.Series(values, index=frame.index, dtype=object)
    return frame


def _checked_frame(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Refuses a frame with nested values (an object or list in a field)."""
    for column in frame.columns:
        values = frame[column]
        if values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) in _SCALAR_KINDS:
            continue
        nested = values.map(lambda value: isinstance(value, dict | list)).to_numpy()
        if nested.any():
            row = int(np.flatnonzero(nested)[0]) + 1
            raise ApiError(
                422,
                f"'{name}': field '{column}' must hold a plain value, not an object or list.",
                code="contract_violation",
                details=[detail(str(column), row, "must be a plain value", None, file=name)],
            )
    return frame


def parse_payload(body: bytes, max_batch: int) -> ScoreBatch:
    """Parse a JSON body ``{"transactions": [...], "complaints": [...], "language": ...}``."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise ApiError(
            400,
            f"The body is not valid JSON ({error.msg}).",
            code="invalid_json",
            details=[detail(None, None, "valid JSON", None, position=error.pos)],
        ) from None
    if not isinstance(payload, dict):
        raise ApiError(422, "The body must be a JSON object with a 'transactions' list.")
    unknown = sorted(set(payload) - {"transactions", "complaints", "language"})
    if unknown:
        raise ApiError(
            422,
            f"Unknown field(s): {', '.join(unknown)}.",
            details=[detail(name, None, "unknown field") for name in unknown],
        )
    if "transactions" not in payload:
        raise ApiError(
            422, "'transactions' is required.", details=[detail("transactions", None, "required")]
        )
    transactions = payload["transactions"]
    if isinstance(transactions, list):
        if not transactions:
            raise ApiError(
                422,
                "'transactions' is empty: send at least one.",
                details=[detail("transactions", None, "at least one item")],
            )
        if len(transactions) > max_batch:
            raise ApiError(
                413,
                f"{len(transactions):,} transactions in one request; the limit is {max_batch:,}. "
                "Split the batch or upload a file to /v1/score/file.",
                code="batch_too_large",
                details=[
                    detail("transactions", None, f"at most {max_batch} items", len(transactions))
                ],
            )
    language = payload.get("language")
    if language not in (None, "id", "en"):
        raise ApiError(
            422,
            "'language' must be 'id' or 'en'.",
            details=[detail("language", None, "one of id, en", str(language)[:20])],
        )
    # Records are kept as they are: the frame is built only if the fast check defers (it
    # defers on any nested value, and the frame then refuses it naming field and row).
    plain = isinstance(transactions, list) and all(isinstance(r, dict) for r in transactions)
    frame = None if plain else _records_frame(transactions, "transactions")
    complaints = payload.get("complaints")
    return ScoreBatch(
        frame,
        None if complaints is None else _records_frame(complaints, "complaints"),
        language,
        records=transactions if plain else None,
    )


def validate_batch(
    batch: ScoreBatch, served: ServedModel, timezone: str
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Both tables through the data contract; a refusal becomes a 422 naming file/field/row."""
    transactions = None
    if batch.records is not None:
        transactions = accept_records(
            "transactions", batch.records, served.known_services, timezone
        )
    try:
        transactions = (
            transactions
            if transactions is not None
            else validate_table(
                "transactions",
                batch.transactions,
                "transactions",
                known_services=served.known_services,
                timezone=timezone,
            )
        )
    except ContractError as error:
        raise contract_error(error, "transactions") from None
    complaints = None
    if batch.complaints is not None and len(batch.complaints):
        try:
            complaints = validate_table(
                "complaints", batch.complaints, "complaints", timezone=timezone
            )
        except ContractError as error:
            raise contract_error(error, "complaints") from None
    return transactions, complaints


def score_frames(
    served: ServedModel,
    transactions: pd.DataFrame,
    complaints: pd.DataFrame | None,
    language: str | None,
) -> pd.DataFrame:
    """The model's score records for validated frames (one row per transaction, in order).

    Same path as ``sidak score`` (``model.predict.score_frame``: whole offices per chunk,
    their complaints with them), so the API and the CLI give identical scores.
    """
    return score_frame(served.bundle, transactions, complaints, progress=False, language=language)


def score_batch(batch: ScoreBatch, served: ServedModel, timezone: str) -> pd.DataFrame:
    transactions, complaints = validate_batch(batch, served, timezone)
    return score_frames(served, transactions, complaints, batch.language)


def batch_digest(batch: ScoreBatch | pd.DataFrame) -> str | None:
    """SHA-256 over the transaction ids (newline-joined, in order): links an audit row to a
    batch without storing the ids."""
    if isinstance(batch, ScoreBatch) and batch.records is not None:
        ids: list[Any] = [record.get("transaction_id") for record in batch.records]
        if all(isinstance(i, str) for i in ids):  # as the frame would give them
            return hashlib.sha256("\n".join(ids).encode()).hexdigest()
    transactions = batch.transactions if isinstance(batch, ScoreBatch) else batch
    if "transaction_id" not in transactions:
        return None
    ids = transactions["transaction_id"].to_numpy(dtype=object, na_value="")
    return hashlib.sha256("\n".join(map(str, ids)).encode()).hexdigest()


def band_counts(scores: pd.DataFrame) -> dict[str, int]:
    if "risk_band" not in scores:
        return {}
    bands = scores["risk_band"].to_numpy(dtype=object)
    return {str(k): int(v) for k, v in Counter(b for b in bands if not pd.isna(b)).items()}


# --- serialising ----------------------------------------------------------------------------


def _plain(values: pd.Series) -> list[Any]:
    """A column as JSON-ready Python values (missing -> None), in one vectorised step."""
    return values.to_numpy(dtype=object, na_value=None).tolist()


def _reasons(values: pd.Series) -> list[Any]:
    return [[] if not isinstance(item, list) else item for item in values.tolist()]


def score_columns(scores: pd.DataFrame) -> list[str]:
    """Contract fields first, then any extra context columns the model adds."""
    extra = [c for c in scores.columns if c not in SCORE_COLUMNS]
    return [c for c in SCORE_COLUMNS if c in scores.columns] + extra


def score_records(scores: pd.DataFrame) -> list[dict[str, Any]]:
    """Score frame -> list of dicts, built column-wise."""
    columns = score_columns(scores)
    lists = [_reasons(scores[c]) if c == "reasons" else _plain(scores[c]) for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*lists, strict=True)]


def _default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    raise TypeError(type(value).__name__)


_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def dumps(payload: Any) -> bytes:
    return orjson.dumps(payload, default=_default, option=_OPTIONS)


def scores_json(scores: pd.DataFrame, model_version: str) -> bytes:
    return records_json(score_records(scores), model_version)


def records_json(records: list[dict[str, Any]], model_version: str) -> bytes:
    """The JSON response for score records (``score_records``): same bytes as ``scores_json``."""
    return dumps({"model_version": model_version, "scores": records})


def record_band_counts(records: list[dict[str, Any]]) -> dict[str, int]:
    """``band_counts`` of the frame the records came from."""
    bands = (record.get("risk_band") for record in records)
    return {str(k): v for k, v in Counter(b for b in bands if b is not None).items()}


def score_batch_records(
    batch: ScoreBatch, served: ServedModel, timezone: str
) -> list[dict[str, Any]]:
    """``score_batch`` as JSON-ready records."""
    return score_records(score_batch(batch, served, timezone))


def scores_csv_chunks(scores: pd.DataFrame, chunk_rows: int = 5_000) -> Iterator[bytes]:
    """The score frame as the CLI's CSV (``model.predict.to_csv_records``), in chunks."""
    for start in range(0, max(len(scores), 1), chunk_rows):
        part = to_csv_records(scores.iloc[start : start + chunk_rows])
        buffer = io.StringIO()
        part.to_csv(buffer, index=False, header=start == 0, float_format=CSV_FLOAT_FORMAT)
        yield buffer.getvalue().encode()


def scores_json_chunks(
    scores: pd.DataFrame, model_version: str, chunk_rows: int = 5_000
) -> Iterator[bytes]:
    """The JSON response in pieces: same document as ``scores_json``, streamed."""
    yield b'{"model_version":' + dumps(model_version) + b',"scores":['
    for start in range(0, len(scores), chunk_rows):
        records = score_records(scores.iloc[start : start + chunk_rows])
        body = dumps(records)[1:-1]
        yield (b"," if start else b"") + body
    yield b"]}"


def file_violation(file: str, rule: str) -> ApiError:
    """A 422 for an uploaded file that cannot be read at all."""
    return contract_error(ContractError([Violation(file, None, rule)]), file)
