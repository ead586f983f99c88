"""Entity ranking over a submitted batch: validate, call the model's ``rank_entities``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import pandas as pd

from model.detect import in_period
from service.errors import ApiError
from service.model_store import ServedModel
from service.scoring import ScoreBatch, _plain, dumps, validate_batch


def _naive_local(moment: datetime | None, timezone: str) -> pd.Timestamp | None:
    """Query bounds in the contract's convention: naive local time (offsets converted)."""
    if moment is None:
        return None
    stamp = pd.Timestamp(moment)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(timezone).tz_localize(None)
    return stamp


def rank_entities_json(
    batch: ScoreBatch,
    served: ServedModel,
    timezone: str,
    level: Literal["officer", "office"],
    start: datetime | None,
    end: datetime | None,
    limit: int,
) -> bytes:
    """The ranking as the ``EntityResponse`` JSON document."""
    lower, upper = _naive_local(start, timezone), _naive_local(end, timezone)
    if lower is not None and upper is not None and upper <= lower:
        raise ApiError(422, "'end' must be after 'start'.")
    transactions, complaints = validate_batch(batch, served, timezone)
    # The period is cut here (rank_entities' own rule, ``in_period``) and the index reset,
    # so the model always sees a plain 0..n-1 frame.
    period = transactions[in_period(transactions["submitted_at"], lower, upper)]
    period = period.reset_index(drop=True)
    entities: list[dict[str, Any]] = []
    if len(period):
        model = getattr(served.bundle, "model", served.bundle)
        ranked = model.rank_entities(period, complaints, level=level, language=batch.language)
        ranked = ranked.head(limit).reset_index(drop=True)
        columns = [str(c) for c in ranked.columns]
        lists = [_plain(_jsonable(ranked[c])) for c in ranked.columns]
        entities = [dict(zip(columns, row, strict=True)) for row in zip(*lists, strict=True)]
    return dumps(
        {
            "model_version": served.version,
            "level": level,
            "start": None if lower is None else lower.isoformat(),
            "end": None if upper is None else upper.isoformat(),
            "n_transactions": len(period),
            "entities": entities,
        }
    )


def _jsonable(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.dt.strftime("%Y-%m-%dT%H:%M:%S").astype(object)
    return values
