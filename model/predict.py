"""Batch scoring: every transaction of a data directory, with the served (or a chosen) model.

Scores are computed in chunks of whole offices (about ``CHUNK_ROWS`` transactions each), so
memory stays bounded and an officer's or office's transactions are always scored together:
entity-level signals see the officer's whole month, whatever the chunk size.

The CSV written follows the contract's score record: ``transaction_id, risk_score,
risk_band, reasons`` (the codes, strongest first, joined by ``;``), ``model_version``, then
the context columns ``office_id, service_code, officer_id``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import parallel_config
from tqdm import tqdm

from model.bundle import ModelBundle, load_bundle
from model.contract import Dataset, load_data_dir
from model.errors import SidakError
from model.settings import Settings, get_settings

logger = logging.getLogger(__name__)

CHUNK_ROWS = 50_000
CSV_FLOAT_FORMAT = "%.6f"  # risk scores in CSV: the API streams files in the same format
SCORE_COLUMNS = [
    "transaction_id",
    "risk_score",
    "risk_band",
    "reasons",
    "model_version",
    "office_id",
    "service_code",
    "officer_id",
]


def reason_codes(reasons: Any) -> str:
    """``[{"code": ...}, ...]`` (or a ready string) as ``code1;code2``."""
    if isinstance(reasons, str):
        return reasons
    if reasons is None or (isinstance(reasons, float) and np.isnan(reasons)):
        return ""
    return ";".join(str(item["code"]) if isinstance(item, dict) else str(item) for item in reasons)


def to_csv_records(scores: pd.DataFrame) -> pd.DataFrame:
    """Score records in the CSV shape: the contract's columns, reasons as joined codes."""
    out = scores.copy()
    out["reasons"] = [reason_codes(r) for r in out["reasons"]]
    for column in SCORE_COLUMNS:
        if column not in out:
            out[column] = None
    return out[SCORE_COLUMNS]


def office_chunks(transactions: pd.DataFrame, chunk_rows: int = CHUNK_ROWS) -> Iterator[np.ndarray]:
    """Row positions grouped into chunks of whole offices, about ``chunk_rows`` each."""
    positions = transactions.groupby("office_id", sort=True).indices
    batch: list[np.ndarray] = []
    size = 0
    for rows in positions.values():
        if batch and size + len(rows) > chunk_rows:
            yield np.sort(np.concatenate(batch))
            batch, size = [], 0
        batch.append(rows)
        size += len(rows)
    if batch:
        yield np.sort(np.concatenate(batch))


def score_frame(
    bundle: ModelBundle,
    transactions: pd.DataFrame,
    complaints: pd.DataFrame | None = None,
    *,
    chunk_rows: int = CHUNK_ROWS,
    progress: bool = True,
    language: str | None = None,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Score records for ``transactions`` in input order, chunk by chunk (reasons in
    ``language``, default the model's).

    ``n_jobs`` threads share each large chunk's outlier scoring (-1: every core; None:
    joblib's default, one unless a ``joblib.parallel_config`` says more). The records are
    the same for every ``n_jobs``.
    """
    threads = parallel_config(n_jobs=n_jobs) if n_jobs is not None else nullcontext()
    with threads:
        return _score_chunks(bundle, transactions, complaints, chunk_rows, progress, language)


def _score_chunks(
    bundle: ModelBundle,
    transactions: pd.DataFrame,
    complaints: pd.DataFrame | None,
    chunk_rows: int,
    progress: bool,
    language: str | None,
) -> pd.DataFrame:
    if 0 < len(transactions) <= chunk_rows and transactions["office_id"].notna().all():
        # One chunk holding every row in order (what ``office_chunks`` gives): skip the
        # grouping and reordering, which cost more than scoring a request's few rows.
        scored = bundle.score(transactions, _complaints_for(complaints, transactions), language)
        return scored.reset_index(drop=True)
    parts: list[pd.DataFrame] = []
    order: list[np.ndarray] = []
    with tqdm(
        total=len(transactions), unit="tx", desc="scoring", disable=not progress, leave=False
    ) as bar:
        for rows in office_chunks(transactions, chunk_rows):
            chunk = transactions.iloc[rows]
            related = _complaints_for(complaints, chunk)
            parts.append(bundle.score(chunk, related, language))
            order.append(rows)
            bar.update(len(rows))
    scored = pd.concat(parts, ignore_index=True)
    inverse = np.empty(len(transactions), dtype=np.int64)
    inverse[np.concatenate(order)] = np.arange(len(transactions))
    return scored.iloc[inverse].reset_index(drop=True)


def _complaints_for(complaints: pd.DataFrame | None, chunk: pd.DataFrame) -> pd.DataFrame | None:
    """The complaints a chunk of transactions needs: those of its offices, and those that
    name one of its files wherever they were filed (at another office, or the inspectorate's
    own channel), as training saw them."""
    if complaints is None:
        return None
    related = complaints["office_id"].isin(chunk["office_id"].unique())
    if "transaction_id" in complaints:
        related |= complaints["transaction_id"].isin(chunk["transaction_id"])
    return complaints[related]


def score_data_dir(
    data_dir: Path | str,
    model_ref: str | None = None,
    output: Path | str | None = None,
    progress: bool = True,
    settings: Settings | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> pd.DataFrame:
    """Validate ``data_dir``, score every transaction, write the CSV to ``output`` if given.

    ``model_ref`` is anything ``registry.resolve_model`` accepts (None = the champion, else
    the newest local bundle). Returns the score records (reasons as lists of dicts).
    """
    from model.registry import resolve_model

    settings = settings or get_settings()
    dataset = load_data_dir(data_dir, timezone=settings.timezone)
    bundle = load_bundle(resolve_model(model_ref, settings))
    scores = score_dataset(bundle, dataset, settings, progress=progress, chunk_rows=chunk_rows)
    if output is not None:
        write_scores(scores, output)
    return scores


def score_dataset(
    bundle: ModelBundle,
    dataset: Dataset,
    settings: Settings | None = None,
    *,
    progress: bool = True,
    chunk_rows: int = CHUNK_ROWS,
) -> pd.DataFrame:
    """Score records for every transaction of a loaded data directory (what ``sidak score``,
    ``evaluate --model``, ``report`` and ``compare`` all score with).

    The data directory's own catalogue and closures are the current ones: a tariff, a
    standard or a closure that changed since training counts as it is now.
    """
    settings = settings or get_settings()
    current = ModelBundle(
        bundle.model.with_reference(dataset.services, dataset.holidays), bundle.metadata
    )
    started = time.perf_counter()
    scores = score_frame(
        current,
        dataset.transactions,
        dataset.complaints,
        chunk_rows=chunk_rows,
        progress=progress,
        language=settings.language,
        n_jobs=settings.score_jobs,
    )
    seconds = time.perf_counter() - started
    logger.info(
        "scored %d transactions with model %s in %.1f s (%.0f rows/s)",
        len(scores),
        current.model_version,
        seconds,
        len(scores) / max(seconds, 1e-9),
    )
    return scores


def write_scores(scores: pd.DataFrame, output: Path | str) -> Path:
    """Write score records as the contract's CSV (UTF-8, header row)."""
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    to_csv_records(scores).to_csv(path, index=False, float_format=CSV_FLOAT_FORMAT)
    logger.info("wrote %d scores to %s", len(scores), path)
    return path


def read_scores(path: Path | str) -> pd.DataFrame:
    """Read a scores CSV written by ``write_scores`` (reasons stay as joined codes)."""
    scores = pd.read_csv(
        path,
        dtype={c: str for c in SCORE_COLUMNS if c != "risk_score"},
        keep_default_na=False,
        na_values={"risk_score": [""], "officer_id": [""]},
    )
    missing = {"transaction_id", "risk_score"} - set(scores.columns)
    if missing:
        raise SidakError(f"{path}: not a scores file (missing {', '.join(sorted(missing))}).")
    return scores
