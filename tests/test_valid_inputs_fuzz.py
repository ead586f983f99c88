"""Property-based fuzzing with contract-valid but unusual data directories.

Every data directory generated here is valid under ``shared/data-contract.md``; it is only
unusual: optional columns and tables dropped or half empty, datetimes with offsets (or in
Parquet with a zone), Parquet beside CSV, ids with unicode, blanks, commas, quotes, leading
zeros or numbers in them, every service free, one office / officer / service, almost every
file pending or rejected, agent filings without an agent id, unknown extra columns, odd
complaint texts, closure days inside the period, huge fees, files completed the second they
were submitted. Sidak must accept each one, train on it and keep the promises of its score
records (one per transaction, a score in [0, 1], a band, well-formed reasons strongest
first), score a transaction alone as in the batch, and fit deterministically.

The worlds start from the session's small simulated world (``tests/conftest.py``); a
variant is a handful of drawn choices applied to it with a seeded numpy generator, so each
example is cheap to shrink and fully reproducible (``derandomize=True``, no database).

Not generated: an empty complaint ``text`` (the contract requires it: the loader refuses it,
so the shortest texts here are one character). Found by it and fixed: a complaint naming a
file of another office, or filed where no transaction is, used to count in training's scores
but not in ``score_frame`` (``sidak score``, the API); and an 18-digit fee in a request whose
other records leave the field empty used to become a float the contract refuses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import tempfile
from datetime import UTC, timedelta
from datetime import timezone as fixed_zone
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from model.contract import (
    FAST_MAX_ROWS,
    RULE_DATETIME,
    TABLE_SPECS,
    ContractError,
    Dataset,
    find_table_file,
    load_data_dir,
    parse_datetime_value,
    read_table_file,
    validate_table,
    validate_table_full,
)
from model.contract_fast import accept_records
from model.detect import RiskModel
from model.predict import CHUNK_ROWS, read_scores, score_data_dir, score_frame
from model.settings import Settings
from model.train import TrainResult, train
from service.scoring import _records_frame as records_frame

ZONES = ("Asia/Jakarta", "Asia/Jayapura")  # WIB (the default) or a configured WIT
OPTIONAL_TABLES = ("complaints", "holidays", "outcomes")
OPTIONAL_COLUMNS = tuple(
    f"{table}.{name}"
    for table, spec in TABLE_SPECS.items()
    for name, column in spec.items()
    if not column.required
)
ID_STYLES = ("plain", "unicode", "spaces", "zeros", "numeric", "integers", "csv_hostile", "na")
DATETIME_STYLES = (
    "naive",
    "iso_t",
    "minutes",
    "fraction",
    "offsets",
    "offsets_compact",
    "iso_spellings",
)
PARQUET_DATETIMES = ("text", "naive", "zoned")
STATUS_MODES = ("as_is", "mostly_pending", "mostly_rejected")
TEXT_STYLES = ("as_is", "tiny", "long", "emoji", "multiline")
OUTCOME_MODES = ("none", "few", "many")
BOOL_STYLES = ("True", "true", "1", "ya")
# Names an export might carry beside the contract's: some are names Sidak uses inside.
EXTRA_COLUMNS = (
    "catatan",
    "Unnamed: 0",
    "kolom ekstra 🙂",
    "risk_score",
    "reasons",
    "official_fee_idr",
    "sla_working_days",
    "processing_working_days",
    "fee_signal",
    "is_open",
)
OFFSETS = {
    "+07:00": fixed_zone(timedelta(hours=7)),
    "+08:00": fixed_zone(timedelta(hours=8)),
    "+09:00": fixed_zone(timedelta(hours=9)),
    "Z": UTC,
}
HUGE_FEE = 900_000_000_000_000_000  # 18 digits: the largest whole numbers the loader reads
BANDS = {"low", "medium", "high"}


@dataclasses.dataclass(frozen=True)
class Variant:
    """The choices that turn the base world into one unusual, contract-valid directory."""

    seed: int = 0
    rows: int | None = None  # keep this many transactions (None: all)
    one_office: bool = False
    one_officer: bool = False
    one_service: bool = False
    all_free: bool = False
    drop_tables: frozenset[str] = frozenset()
    drop_columns: frozenset[str] = frozenset()
    blank_columns: frozenset[str] = frozenset()
    blank_share: float = 0.0
    parquet_tables: frozenset[str] = frozenset()
    parquet_datetimes: str = "text"
    datetime_style: str = "naive"
    id_style: str = "plain"
    status_mode: str = "as_is"
    agent_without_id: bool = False
    extra_columns: bool = False
    complaint_text: str = "as_is"
    holidays_inside: bool = False
    huge_fees: bool = False
    instant_share: float = 0.0
    outcomes: str = "none"
    bool_style: str = "True"
    fractional_sla: bool = False
    bom_crlf: bool = False
    language: Literal["id", "en"] = "id"
    zone: str = "Asia/Jakarta"  # the configured local zone of naive datetimes
    header_only: frozenset[str] = frozenset()  # optional tables written with no rows
    cross_office_complaints: bool = False  # complaints may name another office's files


@st.composite
def variants(draw: st.DrawFn) -> Variant:
    return Variant(
        seed=draw(st.integers(0, 2**16)),
        rows=draw(st.sampled_from([None, None, 600, 300, 40, 3, 1])),
        one_office=draw(st.booleans()),
        one_officer=draw(st.booleans()),
        one_service=draw(st.booleans()),
        all_free=draw(st.booleans()),
        drop_tables=draw(st.frozensets(st.sampled_from(OPTIONAL_TABLES))),
        drop_columns=draw(st.frozensets(st.sampled_from(OPTIONAL_COLUMNS))),
        blank_columns=draw(st.frozensets(st.sampled_from(OPTIONAL_COLUMNS))),
        blank_share=draw(st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0])),
        parquet_tables=draw(st.frozensets(st.sampled_from(tuple(TABLE_SPECS)))),
        parquet_datetimes=draw(st.sampled_from(PARQUET_DATETIMES)),
        datetime_style=draw(st.sampled_from(DATETIME_STYLES)),
        id_style=draw(st.sampled_from(ID_STYLES)),
        status_mode=draw(st.sampled_from(STATUS_MODES)),
        agent_without_id=draw(st.booleans()),
        extra_columns=draw(st.booleans()),
        complaint_text=draw(st.sampled_from(TEXT_STYLES)),
        holidays_inside=draw(st.booleans()),
        huge_fees=draw(st.booleans()),
        instant_share=draw(st.sampled_from([0.0, 0.05, 0.5, 1.0])),
        outcomes=draw(st.sampled_from(OUTCOME_MODES)),
        bool_style=draw(st.sampled_from(BOOL_STYLES)),
        fractional_sla=draw(st.booleans()),
        bom_crlf=draw(st.booleans()),
        language=draw(st.sampled_from(["id", "en"])),
        zone=draw(st.sampled_from(ZONES)),
        header_only=draw(st.frozensets(st.sampled_from(OPTIONAL_TABLES), max_size=1)),
        cross_office_complaints=draw(st.booleans()),
    )


# --- the base world ----------------------------------------------------------------------


@lru_cache(maxsize=2)
def _base(path: str) -> Dataset:
    return load_data_dir(path)


def _tables(base: Dataset) -> dict[str, pd.DataFrame]:
    tables = {
        "services": base.services.copy(),
        "transactions": base.transactions.copy(),
        "complaints": (base.complaints if base.complaints is not None else _no_complaints())
        .copy()
        .reset_index(drop=True),
        "holidays": pd.DataFrame({"date": pd.Series([], dtype="datetime64[ns]")}),
        "outcomes": pd.DataFrame(
            {
                "transaction_id": pd.Series([], dtype="string"),
                "outcome": pd.Series([], dtype="string"),
                "reviewed_at": pd.Series([], dtype="datetime64[ns]"),
            }
        ),
    }
    return tables


def _no_complaints() -> pd.DataFrame:
    return pd.DataFrame(
        {
            name: pd.Series([], dtype="datetime64[ns]" if name == "received_at" else "string")
            for name in TABLE_SPECS["complaints"]
        }
    )


# --- applying a variant ------------------------------------------------------------------


def _restrict(tables: dict[str, pd.DataFrame], v: Variant, rng: np.random.Generator) -> None:
    tx = tables["transactions"]
    if v.one_office:
        office = tx["office_id"].value_counts().index[0]
        tx = tx[tx["office_id"] == office]
        complaints = tables["complaints"]
        tables["complaints"] = complaints[complaints["office_id"] == office]
    if v.one_service:
        service = tx["service_code"].value_counts().index[0]
        tx = tx[tx["service_code"] == service]
        if rng.random() < 0.5:  # the catalogue may keep every service, or only that one
            services = tables["services"]
            tables["services"] = services[services["service_code"] == service]
            complaints = tables["complaints"]
            codes = complaints["service_code"]
            tables["complaints"] = complaints.assign(service_code=codes.where(codes == service))
    if v.rows is not None and v.rows < len(tx):
        tx = tx.iloc[np.sort(rng.choice(len(tx), v.rows, replace=False))]
    tables["transactions"] = tx.reset_index(drop=True)
    tables["complaints"] = tables["complaints"].reset_index(drop=True)
    tables["services"] = tables["services"].reset_index(drop=True)


def _reshape_transactions(
    tables: dict[str, pd.DataFrame], v: Variant, rng: np.random.Generator
) -> None:
    tx = tables["transactions"]
    services = tables["services"]
    n = len(tx)
    if v.one_officer:
        tx["officer_id"] = pd.array(["OFF-ONLY"] * n, dtype="string")
    if v.all_free:
        services["official_fee_idr"] = pd.array([0] * len(services), dtype="Int64")
    if v.fractional_sla:
        choices = np.array([0.01, 0.5, 2.25, 1000.0])
        services["sla_working_days"] = choices[rng.integers(0, 4, len(services))]
    if v.huge_fees:
        fees = services["official_fee_idr"].astype("Int64").to_numpy(dtype=object)
        priced = rng.integers(0, len(services))
        fees[priced] = 5 * 10**14
        services["official_fee_idr"] = pd.array(fees, dtype="Int64")
        paid = tx["fee_paid_idr"].to_numpy(dtype=object)
        on_priced = (tx["service_code"] == services["service_code"].iloc[priced]).to_numpy()
        paid[on_priced] = 5 * 10**14
        overcharged = rng.random(n) < 0.02
        paid[overcharged] = HUGE_FEE
        tx["fee_paid_idr"] = pd.array(paid, dtype="Int64")
        for column in ("assessed_fee_idr", "reported_fee_idr"):
            if column in tx:
                values = tx[column].to_numpy(dtype=object)
                values[overcharged] = HUGE_FEE
                tx[column] = pd.array(values, dtype="Int64")
    submitted = tx["submitted_at"]
    if v.status_mode != "as_is" and n:
        keep = np.zeros(n, dtype=bool)
        keep[rng.choice(n, min(n, 3), replace=False)] = True
        status = "pending" if v.status_mode == "mostly_pending" else "rejected"
        tx["status"] = pd.array(
            np.where(keep, tx["status"].fillna("completed").to_numpy(dtype=object), status),
            dtype="string",
        )
        no_completion = ~keep & ((status == "pending") | (rng.random(n) < 0.5))
        tx["completed_at"] = tx["completed_at"].mask(no_completion)
    if v.instant_share:
        instant = (rng.random(n) < v.instant_share) & tx["completed_at"].notna().to_numpy()
        tx["completed_at"] = tx["completed_at"].mask(instant, submitted)
    if v.agent_without_id and n:
        to_agent = rng.random(n) < 0.1
        channel = tx["channel"].to_numpy(dtype=object)
        channel[to_agent] = "agent"
        tx["channel"] = pd.array(channel, dtype="string")
        agent_rows = tx["channel"].eq("agent").fillna(False).to_numpy(dtype=bool)
        blank = agent_rows & (rng.random(n) < 0.7)
        tx["agent_id"] = tx["agent_id"].mask(blank)
    tables["transactions"] = tx


def _complaint_texts(tables: dict[str, pd.DataFrame], v: Variant, rng: np.random.Generator) -> None:
    complaints = tables["complaints"]
    tx = tables["transactions"]
    if len(tx) and len(complaints):  # some complaints name a file of their office
        ids = complaints["transaction_id"].to_numpy(dtype=object)
        by_office = tx.groupby("office_id").indices
        everywhere = np.arange(len(tx))
        for row, office in enumerate(complaints["office_id"]):
            files = everywhere if v.cross_office_complaints else by_office.get(office)
            if files is not None and rng.random() < 0.3:
                ids[row] = tx["transaction_id"].iloc[rng.choice(files)]
        complaints["transaction_id"] = pd.array(ids, dtype="string")
        if v.cross_office_complaints:  # some filed where no transaction is (the inspectorate)
            offices = complaints["office_id"].to_numpy(dtype=object)
            offices[rng.random(len(complaints)) < 0.2] = "INSPEKTORAT"
            complaints["office_id"] = pd.array(offices, dtype="string")
    styles = {
        "tiny": lambda i: ".x?!"[i % 4],
        "long": lambda i: ("petugas minta uang rokok Rp 50.000 tanpa kwitansi " * 400)[
            : 20_000 + i
        ],
        "emoji": lambda i: "🙏😡💸 duit 💰 " * (1 + i % 3) + "🇮🇩",
        "multiline": lambda i: f'baris satu, "kutipan"\nbaris dua; tiga\r\nRp{i * 1000}',
    }
    if v.complaint_text in styles and len(complaints):
        texts = [styles[v.complaint_text](i) for i in range(len(complaints))]
        complaints["text"] = pd.array(texts, dtype="string")
    tables["complaints"] = complaints


def _holidays(tables: dict[str, pd.DataFrame], v: Variant, rng: np.random.Generator) -> None:
    tx = tables["transactions"]
    if not v.holidays_inside or not len(tx):
        return
    days = pd.date_range(tx["submitted_at"].min().normalize(), tx["submitted_at"].max(), freq="D")
    chosen = days[rng.integers(0, len(days), 6)]
    chosen = chosen.append(chosen[:1])  # the same day twice: harmless
    descriptions = ["cuti bersama", "", "penutupan kantor 🏢", "banjir, kantor tutup", "", "x", ""]
    tables["holidays"] = pd.DataFrame(
        {
            "date": chosen,
            "description": pd.array(descriptions, dtype="string"),
        }
    ).assign(description=lambda f: f["description"].mask(f["description"] == ""))


def _outcomes(tables: dict[str, pd.DataFrame], v: Variant, rng: np.random.Generator) -> None:
    tx = tables["transactions"]
    if v.outcomes == "none" or not len(tx):
        return
    k = min(len(tx), 6 if v.outcomes == "few" else 80)
    ids = tx["transaction_id"].to_numpy(dtype=object)[rng.choice(len(tx), k, replace=False)]
    verdicts = np.where(rng.random(k) < 0.4, "confirmed", "dismissed")
    verdicts[: min(k, 5)] = "confirmed"
    reviewed = pd.Series(tx["submitted_at"].max() + pd.Timedelta(days=3), index=range(k))
    outcomes = pd.DataFrame(
        {
            "transaction_id": pd.array([*ids, ids[0], "TX-NOT-IN-THE-DATA"], "string"),
            "outcome": pd.array([*verdicts, "dismissed", "confirmed"], "string"),
            "reviewed_at": pd.concat([reviewed, reviewed.iloc[:1], reviewed.iloc[:1]]).to_numpy(),
        }
    )
    tables["outcomes"] = outcomes


def _blank_and_drop(tables: dict[str, pd.DataFrame], v: Variant, rng: np.random.Generator) -> None:
    for qualified in sorted(v.blank_columns):
        table, column = qualified.split(".")
        frame = tables[table]
        if column in frame and len(frame) and v.blank_share:
            blank = rng.random(len(frame)) < v.blank_share
            frame[column] = frame[column].mask(blank)
    for qualified in sorted(v.drop_columns):
        table, column = qualified.split(".")
        tables[table] = tables[table].drop(columns=[column], errors="ignore")
    for table in v.drop_tables:
        tables.pop(table, None)
    for table in v.header_only - v.drop_tables:
        tables[table] = tables[table].iloc[:0]
    if "holidays" in tables and not v.holidays_inside and "holidays" not in v.header_only:
        tables.pop("holidays")  # no closures drawn: the table is simply absent
    if "outcomes" in tables and v.outcomes == "none" and "outcomes" not in v.header_only:
        tables.pop("outcomes")


def _extra_columns(tables: dict[str, pd.DataFrame], v: Variant, rng: np.random.Generator) -> None:
    if not v.extra_columns:
        return
    for name, frame in tables.items():
        n = len(frame)
        picks = rng.choice(len(EXTRA_COLUMNS), 3, replace=False)
        for pick in picks:
            column = EXTRA_COLUMNS[pick]
            if column in frame.columns or column in TABLE_SPECS[name]:
                continue
            kind = pick % 3
            if kind == 0:
                values: Any = pd.array([f'catatan {i} 🙂, "x"' for i in range(n)], "string")
            elif kind == 1:
                values = pd.array(rng.integers(-5, 5, n), "Int64")
            else:
                values = np.where(rng.random(n) < 0.5, np.nan, rng.random(n))
            frame[column] = values


# --- ids ---------------------------------------------------------------------------------

ID_COLUMNS = {
    "transaction_id": ("transactions", "complaints", "outcomes"),
    "office_id": ("transactions", "complaints"),
    "officer_id": ("transactions", "complaints"),
    "agent_id": ("transactions",),
    "applicant_id": ("transactions",),
    "service_code": ("services", "transactions", "complaints"),
    "complaint_id": ("complaints",),
}
NA_LOOKALIKES = ("NA", "null", "None", "nan", "N/A", "NaN", "-", "0")


def _styled(style: str, column: str, i: int) -> str:
    short = column.split("_")[0][:3].upper()
    if style == "unicode":
        return f"{short}-Ñandú·東京-{i}-🙂"
    if style == "spaces":
        return f"{short} {i} kantor  pusat"
    if style == "zeros":
        return f"{i:07d}"
    if style == "numeric":
        return (f"{i}", f"{i}.0", f"{i}e3", f"-{i}", f"0x{i}")[i % 5]
    if style == "integers":
        return str(i + 1)
    if style == "csv_hostile":
        return f"{short},\"{i}\";'x'"
    if style == "na":
        return NA_LOOKALIKES[i] if i < len(NA_LOOKALIKES) else f"NaN{i}"
    raise AssertionError(style)


def _rename_ids(tables: dict[str, pd.DataFrame], style: str) -> None:
    if style == "plain":
        return
    for column, owners in ID_COLUMNS.items():
        present = [tables[t][column] for t in owners if t in tables and column in tables[t]]
        if not present:
            continue
        values = pd.concat(present)
        distinct = sorted(values.dropna().astype(str).unique())
        mapping = {old: _styled(style, column, i) for i, old in enumerate(distinct)}
        assert len(set(mapping.values())) == len(mapping), (style, column)
        for table in owners:
            frame = tables.get(table)
            if frame is not None and column in frame:
                frame[column] = frame[column].map(mapping, na_action="ignore").astype("string")


# --- writing -----------------------------------------------------------------------------


def _datetime_text(values: pd.Series, style: str, zone: str, rng: np.random.Generator) -> pd.Series:
    """Naive local wall times (in ``zone``) as ISO 8601 text; offsets keep the instant, so
    ``completed_at`` stays at or after ``submitted_at``."""
    present = values.notna()
    if style in ("naive", "iso_t", "minutes", "fraction"):
        fmt = {
            "naive": "%Y-%m-%d %H:%M:%S",
            "iso_t": "%Y-%m-%dT%H:%M:%S",
            "minutes": "%Y-%m-%d %H:%M",
            "fraction": "%Y-%m-%dT%H:%M:%S.%f",
        }[style]
        return values.dt.strftime(fmt).where(present)
    instants = values.dt.tz_localize(zone)
    if style == "iso_spellings":  # rarer ISO 8601 / RFC 3339 forms, one per row
        return _iso_spellings(values, instants, rng).where(present)
    labels = [*OFFSETS, "naive"]
    picks = rng.integers(0, len(labels), len(values))
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    for position, label in enumerate(labels):
        chosen = (picks == position) & present.to_numpy()
        if not chosen.any():
            continue
        if label == "naive":
            text = values.dt.strftime("%Y-%m-%dT%H:%M:%S")
        else:
            local = instants.dt.tz_convert(OFFSETS[label])
            suffix = label
            if style == "offsets_compact" and label != "Z":
                suffix = label.replace(":", "")
            text = local.dt.strftime("%Y-%m-%dT%H:%M:%S") + suffix
        out[chosen] = text[chosen]
    return out


def _iso_spellings(values: pd.Series, instants: pd.Series, rng: np.random.Generator) -> pd.Series:
    utc = instants.dt.tz_convert(UTC)
    wita = instants.dt.tz_convert(OFFSETS["+08:00"])
    forms = [
        values.dt.strftime("%Y-%m-%dT%H:%M:%S,%f"),  # decimal comma (ISO 8601 prefers it)
        utc.dt.strftime("%Y-%m-%dT%H:%M:%Sz"),  # lower-case zone designator (RFC 3339)
        utc.dt.strftime("%Y-%m-%dT%H:%M:%S,%fZ"),
        wita.dt.strftime("%Y-%m-%d %H:%M:%S+08"),  # hours-only offset
        wita.dt.strftime("%Y-%m-%dT%H:%M:%S +08:00"),  # a blank before the offset
        values.dt.strftime("%Y%m%dT%H%M%S"),  # basic format
    ]
    picks = rng.integers(0, len(forms), len(values))
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    for position, form in enumerate(forms):
        chosen = picks == position
        out[chosen] = form[chosen]
    return out


def _write_table(
    frame: pd.DataFrame, table: str, path_stem: Path, v: Variant, rng: np.random.Generator
) -> None:
    spec = TABLE_SPECS[table]
    out = frame.copy()
    parquet = table in v.parquet_tables
    for column, col in spec.items():
        if column not in out:
            continue
        if col.kind == "datetime":
            if parquet and v.parquet_datetimes == "naive":
                out[column] = out[column].astype("datetime64[us]")
            elif parquet and v.parquet_datetimes == "zoned":
                out[column] = (
                    out[column]
                    .dt.tz_localize(v.zone)
                    .dt.tz_convert(list(OFFSETS.values())[v.seed % len(OFFSETS)])
                )
            else:
                out[column] = _datetime_text(out[column], v.datetime_style, v.zone, rng)
        elif col.kind == "date":
            dates = pd.to_datetime(out[column])
            out[column] = (
                dates.dt.date
                if parquet and v.parquet_datetimes != "text"
                else dates.dt.strftime("%Y-%m-%d")
            )
        elif col.kind == "bool":
            truth = {"True": ("True", "False"), "true": ("true", "false")}
            truth |= {"1": ("1", "0"), "ya": ("ya", "tidak")}
            yes, no = truth[v.bool_style]
            out[column] = out[column].map({True: yes, False: no}).astype("string")
        elif parquet and v.id_style == "integers" and column in ID_COLUMNS and col.kind == "string":
            out[column] = pd.to_numeric(out[column]).astype("Int64")
        elif col.kind == "integer" and parquet and rng.random() < 0.5:
            numbers = out[column].astype("Float64")
            if not (numbers.abs() >= 2**53).any():
                out[column] = numbers.astype("float64")  # integral floats with NaN gaps
    if parquet:
        out.to_parquet(path_stem.with_suffix(".parquet"), index=False)
        return
    out.to_csv(
        path_stem.with_suffix(".csv"),
        index=False,
        encoding="utf-8-sig" if v.bom_crlf else "utf-8",
        lineterminator="\r\n" if v.bom_crlf else "\n",
    )


def build_directory(base: Dataset, v: Variant, out: Path) -> dict[str, pd.DataFrame]:
    """Write the variant's data directory to ``out``; returns the tables as written."""
    rng = np.random.default_rng(v.seed)
    tables = _tables(base)
    _restrict(tables, v, rng)
    _reshape_transactions(tables, v, rng)
    _complaint_texts(tables, v, rng)
    _holidays(tables, v, rng)
    _outcomes(tables, v, rng)
    _blank_and_drop(tables, v, rng)
    _rename_ids(tables, v.id_style)
    _extra_columns(tables, v, rng)
    out.mkdir(parents=True, exist_ok=True)
    for table, frame in tables.items():
        _write_table(frame, table, out / table, v, rng)
    return tables


# --- the properties ----------------------------------------------------------------------


def _check_records(scores: pd.DataFrame, ids: list[str]) -> None:
    assert scores["transaction_id"].tolist() == ids, "one score record per transaction, in order"
    risk = scores["risk_score"].to_numpy(dtype=float)
    assert np.isfinite(risk).all()
    assert ((risk >= 0.0) & (risk <= 1.0)).all()
    assert set(scores["risk_band"]) <= BANDS
    for reasons in scores["reasons"]:
        assert isinstance(reasons, list)
        weights = []
        for reason in reasons:
            assert isinstance(reason, dict) and set(reason) == {"code", "message", "weight"}
            assert isinstance(reason["code"], str) and reason["code"].strip()
            assert ";" not in reason["code"]
            assert isinstance(reason["message"], str) and reason["message"].strip()
            weight = float(reason["weight"])
            assert math.isfinite(weight) and weight > 0
            weights.append(weight)
        assert weights == sorted(weights, reverse=True), "reasons strongest first"


def _same_scores(left: pd.DataFrame, right: pd.DataFrame) -> None:
    columns = ["transaction_id", "risk_score", "risk_band", "reasons"]
    pd.testing.assert_frame_equal(
        left[columns].reset_index(drop=True), right[columns].reset_index(drop=True)
    )


def _check_fast_path(data_dir: Path, dataset: Dataset, zone: str) -> None:
    """Small tables take ``contract_fast``; its frame must equal the full check's."""
    for table in TABLE_SPECS:
        path = find_table_file(data_dir, table)
        if path is None:
            continue
        raw = read_table_file(path)
        if len(raw) > FAST_MAX_ROWS:
            continue
        known = dataset.services["service_code"] if table == "transactions" else None
        fast = validate_table(table, raw.copy(), str(path), known_services=known, timezone=zone)
        full = validate_table_full(
            table, raw.copy(), str(path), known_services=known, timezone=zone
        )
        pd.testing.assert_frame_equal(fast, full, obj=table)


def _single_positions(tx: pd.DataFrame) -> list[int]:
    n = len(tx)
    positions = {0, n - 1, n // 2}
    if "agent_id" in tx and "channel" in tx:
        blank_agent = np.flatnonzero(
            tx["channel"].eq("agent").fillna(False) & tx["agent_id"].isna()
        )
        positions.update(blank_agent[:1].tolist())
    if "completed_at" in tx:
        instant = np.flatnonzero((tx["completed_at"] == tx["submitted_at"]).fillna(False))
        positions.update(instant[:1].tolist())
    return sorted(p for p in positions if 0 <= p < n)


def _json_records(raw: pd.DataFrame, positions: list[int]) -> list[dict[str, Any]]:
    """Rows of a table as a scoring request's JSON records (contract fields only).

    Column by column (``to_dict``), not row by row: a row of mixed columns is upcast to one
    dtype, which would turn an 18-digit Int64 into a float the contract rightly refuses.
    """
    columns = [c for c in raw.columns if c in TABLE_SPECS["transactions"]]
    records = []
    for row in raw.iloc[positions][columns].to_dict(orient="records"):
        record: dict[str, Any] = {}
        for name, value in row.items():
            if pd.isna(value):
                record[str(name)] = None
            elif isinstance(value, pd.Timestamp | dt.date):
                record[str(name)] = value.isoformat()
            elif isinstance(value, np.integer | np.floating):
                record[str(name)] = value.item()
            else:
                record[str(name)] = value
        records.append(record)
    return records


def check_directory(
    data_dir: Path, work: Path, written: dict[str, pd.DataFrame], v: Variant
) -> None:
    # 1. The contract accepts it, whole; small tables read the same on the fast path.
    dataset = load_data_dir(data_dir, timezone=v.zone)
    n = len(written["transactions"])
    assert len(dataset.transactions) == n
    for table in OPTIONAL_TABLES:
        assert (getattr(dataset, table) is None) == (table not in written), table
    _check_fast_path(data_dir, dataset, v.zone)
    ids = dataset.transactions["transaction_id"].astype(str).tolist()

    # 2. Training succeeds, and its records keep the contract's promises.
    def fit(name: str) -> TrainResult:
        settings = Settings(
            models_dir=work / name / "models",
            reports_dir=work / name / "reports",
            language=v.language,
            timezone=v.zone,
            random_seed=1234,
        )
        return train(data_dir, settings, register=False, track=False)

    first = fit("first")
    _check_records(first.scores, ids)
    model = first.bundle.model

    # 3. One transaction alone scores as in the batch: from the loaded table, and from the
    # file's raw values sent as a request's records (the service's path).
    positions = _single_positions(dataset.transactions)
    for position in positions:
        alone = model.score_transactions(
            dataset.transactions.iloc[[position]], dataset.complaints, language=v.language
        )
        _same_scores(alone, first.scores.iloc[[position]])
    path = find_table_file(data_dir, "transactions")
    assert path is not None
    known = dataset.services["service_code"]
    records = _json_records(read_table_file(path), positions)
    # The request's records as the API reads them (an 18-digit fee beside a null stays exact).
    typed = validate_table_full(
        "transactions",
        records_frame(records, "transactions"),
        "request",
        known_services=known,
        timezone=v.zone,
    )
    fast = accept_records("transactions", records, known, timezone=v.zone)
    if fast is not None:
        pd.testing.assert_frame_equal(fast, typed)
    requested = model.score_transactions(typed, dataset.complaints, language=v.language)
    _same_scores(requested, first.scores.iloc[positions])

    # 4. Whole-office chunks score as one batch, complaints filed at another office (or
    # where no transaction is) included.
    chunked = score_frame(
        first.bundle, dataset.transactions, dataset.complaints, chunk_rows=1, progress=False
    )
    _same_scores(chunked, first.scores)

    # 5. The saved bundle scores the directory as training did; the CSV keeps every id.
    settings = Settings(
        models_dir=work / "first" / "models", language=v.language, timezone=v.zone, score_jobs=1
    )
    output = work / "scores.csv"
    scored = score_data_dir(
        data_dir, str(first.bundle_path), output=output, progress=False, settings=settings
    )
    _check_records(scored, ids)
    _same_scores(scored, first.scores)
    assert read_scores(output)["transaction_id"].tolist() == ids

    # 6. The same data and seed give the same scores.
    second = fit("second")
    _same_scores(second.scores, first.scores)


@pytest.fixture(scope="module")
def base_world(small_world: Path) -> Dataset:
    return _base(str(small_world))


EVERYTHING_OPTIONAL_GONE = Variant(
    drop_tables=frozenset(OPTIONAL_TABLES), drop_columns=frozenset(OPTIONAL_COLUMNS)
)
# Named cases, always run before the drawn ones: the strategies the draw reaches least.
NA_LOOKING_IDS_IN_PARQUET = Variant(
    seed=5,
    id_style="na",
    parquet_tables=frozenset(TABLE_SPECS) - {"transactions"},
    parquet_datetimes="zoned",
    datetime_style="iso_spellings",  # the CSV's datetimes
    outcomes="many",  # enough verdicts for the supervised model
    extra_columns=True,
    complaint_text="multiline",
    zone="Asia/Jayapura",
)
ONE_OF_EVERYTHING = Variant(
    seed=9,
    one_office=True,
    one_officer=True,
    one_service=True,
    rows=40,
    id_style="integers",
    parquet_tables=frozenset({"transactions", "outcomes"}),
    datetime_style="offsets_compact",
    status_mode="mostly_rejected",
    instant_share=1.0,
    complaint_text="long",
    header_only=frozenset({"holidays"}),
    bool_style="ya",
    fractional_sla=True,
)
EVERYTHING_ODD = Variant(
    seed=3,
    one_office=True,
    all_free=True,
    blank_columns=frozenset(OPTIONAL_COLUMNS),
    blank_share=0.5,
    parquet_tables=frozenset({"transactions", "complaints"}),
    datetime_style="offsets",
    id_style="unicode",
    status_mode="mostly_pending",
    agent_without_id=True,
    extra_columns=True,
    complaint_text="emoji",
    holidays_inside=True,
    huge_fees=True,
    instant_share=0.5,
    outcomes="many",
    bom_crlf=True,
)


@settings(
    max_examples=32,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
@given(v=variants())
@example(v=Variant())
@example(v=EVERYTHING_OPTIONAL_GONE)
@example(v=EVERYTHING_ODD)
@example(v=NA_LOOKING_IDS_IN_PARQUET)
@example(v=ONE_OF_EVERYTHING)
def test_valid_but_unusual_directories_score_cleanly(base_world: Dataset, v: Variant) -> None:
    with tempfile.TemporaryDirectory(prefix="sidak-fuzz-") as tmp:
        root = Path(tmp)
        written = build_directory(base_world, v, root / "data")
        check_directory(root / "data", root / "work", written, v)


# --- regressions: what the fuzzing found in the loader (fixed in model/contract.py) ------

_SERVICES_CSV = "service_code,service_name,official_fee_idr,sla_working_days\nKTP,KTP-el,0,3\n"


def _directory_with_submissions(root: Path, submitted: list[str]) -> Path:
    lines = ["transaction_id,office_id,service_code,submitted_at,fee_paid_idr"]
    lines += [f'T{i},A,KTP,"{value}",0' for i, value in enumerate(submitted, start=1)]
    (root / "services.csv").write_text(_SERVICES_CSV, encoding="utf-8")
    (root / "transactions.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("2025-01-02T10:00:00,5", "2025-01-02 10:00:00.5"),  # ISO 8601's decimal comma
        ("2025-01-02 11:00:00,25+08:00", "2025-01-02 10:00:00.25"),
        ("2025-01-02T03:00:00z", "2025-01-02 10:00:00"),  # RFC 3339's lower-case Z
        ("2025-01-02T03:00:00,5z", "2025-01-02 10:00:00.5"),
    ],
)
def test_iso_decimal_comma_and_lower_case_z_are_read(
    tmp_path: Path, spelling: str, expected: str
) -> None:
    """Both were refused as 'must be an ISO 8601 datetime' (pandas reads neither), though
    the loader's own offset pattern counts them; now they read as the moment they name."""
    data = _directory_with_submissions(tmp_path, ["2025-01-02 08:00:00", spelling])
    submitted = load_data_dir(data).transactions["submitted_at"]
    assert submitted.tolist() == [pd.Timestamp("2025-01-02 08:00"), pd.Timestamp(expected)]
    assert parse_datetime_value(spelling) == pd.Timestamp(expected)


def test_respelling_still_refuses_what_is_no_datetime(tmp_path: Path) -> None:
    """The second reading is for ISO spellings only: other values are refused as before, by
    row and value."""
    values = ["2025-01-02T10:00:00,5", "2025-01-02T10:00:00,x", "10:00:00,5", "kemarin z"]
    with pytest.raises(ContractError) as refused:
        load_data_dir(_directory_with_submissions(tmp_path, values))
    (violation,) = refused.value.violations
    assert (violation.column, violation.rule, violation.n_rows) == (
        "submitted_at",
        RULE_DATETIME,
        3,
    )
    assert violation.rows == [
        (2, "'2025-01-02T10:00:00,x'"),
        (3, "'10:00:00,5'"),
        (4, "'kemarin z'"),
    ]


@pytest.mark.parametrize(
    ("filed_at", "chunk_rows"),
    [("A", 1), ("INSPEKTORAT", CHUNK_ROWS)],
    ids=["filed-at-another-office", "filed-where-no-transaction-is"],
)
def test_complaint_naming_another_offices_file_is_scored(filed_at: str, chunk_rows: int) -> None:
    """The fuzz test's chunk and bundle properties, on the smallest data that breaks them:
    a money complaint filed at ``filed_at`` names T1, a file of office B."""
    services = pd.DataFrame(
        {
            "service_code": ["KTP"],
            "service_name": ["KTP-el"],
            "official_fee_idr": [0],
            "fee_is_variable": [False],
            "sla_working_days": [3.0],
        }
    )
    n = 40
    submitted = pd.Timestamp("2025-02-03 09:00") + pd.to_timedelta(np.arange(n) * 6, unit="h")
    transactions = pd.DataFrame(
        {
            "transaction_id": [f"T{i}" for i in range(n)],
            "office_id": ["A", "B"] * (n // 2),
            "service_code": "KTP",
            "submitted_at": submitted,
            "completed_at": submitted + pd.Timedelta(days=1),
            "fee_paid_idr": pd.array([0] * n, dtype="Int64"),
            "officer_id": ["OA", "OB"] * (n // 2),
        }
    )
    complaints = pd.DataFrame(
        {
            "complaint_id": ["C1"],
            "received_at": [pd.Timestamp("2025-02-20")],
            "office_id": [filed_at],
            "text": ["petugas minta uang Rp 100.000 tanpa kwitansi"],
            "transaction_id": ["T1"],
        }
    )
    model = RiskModel().fit(transactions, services=services, complaints=complaints)

    class Bundle:
        def score(
            self, tx: pd.DataFrame, c: pd.DataFrame | None = None, language: str | None = None
        ) -> pd.DataFrame:
            return model.score_transactions(tx, c, language=language)

    bundle: Any = Bundle()
    direct = model.score_transactions(transactions, complaints)  # what train() records
    assert "MONEY_COMPLAINT" in [r["code"] for r in direct["reasons"].iloc[1]]
    served = score_frame(bundle, transactions, complaints, chunk_rows=chunk_rows, progress=False)
    _same_scores(served, direct)


def test_huge_fee_in_a_request_is_accepted() -> None:
    """An 18-digit fee is valid (a CSV or Parquet directory with it is accepted); in a JSON
    request it is refused when the fast path defers (an offset) and a record has a null."""
    import types

    import orjson

    from service.scoring import parse_payload, validate_batch

    common = {"office_id": "A", "service_code": "KTP"}
    records = [
        {
            **common,
            "transaction_id": "T1",
            "submitted_at": "2025-01-02T10:00:00+08:00",
            "fee_paid_idr": 0,
            "assessed_fee_idr": None,
        },
        {
            **common,
            "transaction_id": "T2",
            "submitted_at": "2025-01-02T10:00:00",
            "fee_paid_idr": HUGE_FEE,
            "assessed_fee_idr": HUGE_FEE,
        },
    ]
    served: Any = types.SimpleNamespace(known_services=["KTP"])
    batch = parse_payload(orjson.dumps({"transactions": records}), max_batch=100)
    transactions, _ = validate_batch(batch, served, "Asia/Jakarta")
    assert transactions["assessed_fee_idr"].tolist() == [pd.NA, HUGE_FEE]
