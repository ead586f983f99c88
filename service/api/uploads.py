"""Uploaded contract files: read with the same reader as the CLI (``read_table_file``)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd
from fastapi import UploadFile
from starlette.concurrency import run_in_threadpool

from model.contract import ContractError, read_table_file
from service.errors import ApiError, contract_error, detail

_PARQUET_MAGIC = b"PAR1"


def _suffix(upload: UploadFile, head: bytes) -> str:
    name = (upload.filename or "").lower()
    if name.endswith(".parquet") or head.startswith(_PARQUET_MAGIC):
        return ".parquet"
    return ".csv"


def _read(upload: UploadFile, table: str) -> pd.DataFrame:
    upload.file.seek(0)
    head = upload.file.read(4)
    upload.file.seek(0)
    with tempfile.TemporaryDirectory(prefix="sidak-upload-") as tmp:
        path = Path(tmp) / f"{table}{_suffix(upload, head)}"
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out, 1 << 20)
        try:
            return read_table_file(path)
        except ContractError as error:
            raise contract_error(error, table) from None


async def read_upload(upload: UploadFile, table: str, max_rows: int | None = None) -> pd.DataFrame:
    """The raw table in an upload (CSV or Parquet by name or magic bytes), row-limited."""
    frame = await run_in_threadpool(_read, upload, table)
    if frame.empty:
        raise ApiError(
            422,
            f"The {table} file has a header but no rows.",
            code="contract_violation",
            details=[detail(None, None, "table has a header but no rows", file=table)],
        )
    if max_rows is not None and len(frame) > max_rows:
        raise ApiError(
            413,
            f"{len(frame):,} rows in {table}; the limit is {max_rows:,}.",
            code="batch_too_large",
            details=[detail(table, None, f"at most {max_rows} rows", len(frame))],
        )
    return frame
