"""The data contract (shared/data-contract.md) as the loader enforces it.

Every test builds a tiny data directory in tmp_path. A refused input must come back as a
``ContractError`` whose report names the file, the column, the rule and the offending rows
(row number = n-th data row, header not counted) with their values; never a traceback,
never a silently dropped row.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.contract import (
    MAX_ROWS_REPORTED,
    RULE_UNKNOWN_SERVICE_REFUSED,
    TABLE_SPECS,
    ContractError,
    Dataset,
    Violation,
    find_table_file,
    has_officer_ids,
    latest_outcomes,
    load_data_dir,
    parse_datetime_value,
    read_table_file,
    validate_table,
)
from model.errors import SidakError

# --- building data directories ---------------------------------------------------------------

SERVICES = [
    {
        "service_code": "KTP",
        "service_name": "Kartu Tanda Penduduk elektronik",
        "official_fee_idr": "0",
        "sla_working_days": "14",
    },
    {
        "service_code": "PBG",
        "service_name": "Persetujuan Bangunan Gedung",
        "official_fee_idr": "50000",
        "sla_working_days": "28",
    },
]
TRANSACTION = {
    "transaction_id": "T1",
    "office_id": "DISDUKCAPIL-1872",
    "service_code": "KTP",
    "submitted_at": "2024-03-01 09:30",
    "fee_paid_idr": "0",
}
COMPLAINT = {
    "complaint_id": "C1",
    "received_at": "2024-03-05 08:00",
    "office_id": "DISDUKCAPIL-1872",
    "text": "Diminta uang Rp 100.000 supaya KTP cepat jadi",
}
HOLIDAY = {"date": "2024-04-08"}
OUTCOME = {"transaction_id": "T1", "outcome": "confirmed"}


def to_csv(rows: list[dict[str, str]], columns: list[str] | None = None) -> str:
    """Rows as CSV text (header from the first row unless given); values quoted as needed."""
    columns = columns or list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def rows_of(base: dict[str, str], key: str, *changes: dict[str, str]) -> list[dict[str, str]]:
    """One row per change: ``base`` updated, with a fresh key (T1, T2, ...) unless given."""
    prefix = base[key][0]
    return [{**base, key: f"{prefix}{i}", **change} for i, change in enumerate(changes, start=1)]


def transactions(*changes: dict[str, str]) -> str:
    return to_csv(rows_of(TRANSACTION, "transaction_id", *(changes or ({},))))


def services(*changes: dict[str, str]) -> str:
    rows = [dict(row) for row in SERVICES]
    for i, change in enumerate(changes):
        if i < len(rows):
            rows[i].update(change)
        else:
            rows.append({**SERVICES[0], "service_code": f"S{i}", **change})
    return to_csv(rows)


def complaints(*changes: dict[str, str]) -> str:
    return to_csv(rows_of(COMPLAINT, "complaint_id", *(changes or ({},))))


def make_dir(
    tmp_path: Path,
    services: str | bytes | pd.DataFrame | None = None,
    transactions: str | bytes | pd.DataFrame | None = None,
    **tables: str | bytes | pd.DataFrame | None,
) -> Path:
    """A data directory: CSV text/bytes -> <table>.csv, a DataFrame -> <table>.parquet.

    services and transactions default to valid minimal tables; pass ``""`` for an empty file
    and leave a table out (None for the optional ones) for no file at all.
    """
    root = tmp_path / "data"
    root.mkdir(parents=True, exist_ok=True)
    given = {
        "services": globals()["services"]() if services is None else services,
        "transactions": globals()["transactions"]() if transactions is None else transactions,
        **tables,
    }
    for table, content in given.items():
        if content is None:
            continue
        if isinstance(content, pd.DataFrame):
            content.to_parquet(root / f"{table}.parquet", index=False)
        elif isinstance(content, bytes):
            (root / f"{table}.csv").write_bytes(content)
        else:
            (root / f"{table}.csv").write_text(content, encoding="utf-8")
    return root


def refused(root: Path, **kwargs: str) -> ContractError:
    with pytest.raises(ContractError) as caught:
        load_data_dir(root, **kwargs)
    return caught.value


def the_violation(
    error: ContractError, *, file: str | None = None, column: str | None = None, rule: str = ""
) -> Violation:
    """The single violation matching file name, column and a fragment of the rule."""
    found = [
        v
        for v in error.violations
        if (file is None or Path(v.file).name == file)
        and (column is None or v.column == column)
        and rule in v.rule
    ]
    assert len(found) == 1, f"expected one match for {file}/{column}/{rule!r} in:\n{error}"
    return found[0]


def assert_reported(
    error: ContractError,
    file: str,
    column: str | None,
    rule: str,
    rows: list[tuple[int | None, str]] | None = None,
) -> Violation:
    """The violation is there with these rows, and the text report says all of it."""
    violation = the_violation(error, file=file, column=column, rule=rule)
    if rows is not None:
        assert violation.rows == rows
        assert violation.n_rows == len(rows)
    report = error.report()
    where = f"column '{column}'" if column else "file"
    head = [line for line in report.splitlines() if line.startswith(violation.file)]
    assert any(file in line and where in line and rule in line for line in head), report
    for row, value in rows or []:
        assert f"    row {row}: {value}" in report
    return violation


# --- valid input -------------------------------------------------------------------------------


def test_minimal_directory_loads_with_contract_dtypes(tmp_path: Path) -> None:
    root = make_dir(
        tmp_path,
        transactions=transactions({}, {"service_code": "PBG", "fee_paid_idr": "50000"}),
    )

    data = load_data_dir(root)

    assert isinstance(data, Dataset)
    assert data.complaints is None and data.holidays is None and data.outcomes is None
    assert data.source == str(root)
    svc, tx = data.services, data.transactions
    assert str(svc["service_code"].dtype) == "string"
    assert str(svc["service_name"].dtype) == "string"
    assert str(svc["official_fee_idr"].dtype) == "Int64"
    assert svc["sla_working_days"].dtype == np.float64
    assert svc["fee_is_variable"].dtype == bool
    assert svc["fee_is_variable"].tolist() == [False, False]  # absent column: false by default
    assert svc["official_fee_idr"].tolist() == [0, 50000]
    assert str(tx["transaction_id"].dtype) == "string"
    assert str(tx["office_id"].dtype) == "string"
    assert str(tx["service_code"].dtype) == "string"
    assert str(tx["fee_paid_idr"].dtype) == "Int64"
    assert tx["submitted_at"].dtype == "datetime64[ns]"  # naive local time
    assert tx["submitted_at"].dt.tz is None
    assert tx["submitted_at"].iloc[0] == pd.Timestamp("2024-03-01 09:30")
    assert tx["transaction_id"].tolist() == ["T1", "T2"]
    assert tx["fee_paid_idr"].tolist() == [0, 50000]
    assert list(tx.columns) == list(TRANSACTION)  # optional columns are not invented


FULL_TRANSACTIONS = [
    {
        "transaction_id": "T1",
        "office_id": "DISDUKCAPIL-1872",
        "service_code": "KTP",
        "submitted_at": "2024-03-01 09:30:00",
        "completed_at": "2024-03-04 14:00:00",
        "fee_paid_idr": "0",
        "officer_id": "OF-01",
        "channel": "counter",
        "agent_id": "",
        "applicant_id": "AP-1",
        "payment_method": "none",
        "assessed_fee_idr": "",
        "reported_fee_idr": "",
        "visits": "1",
        "status": "completed",
    },
    {
        "transaction_id": "T2",
        "office_id": "DPMPTSP-1872",
        "service_code": "PBG",
        "submitted_at": "2024-03-01T10:00:00+07:00",
        "completed_at": "",
        "fee_paid_idr": "1500000",
        "officer_id": "OF-02",
        "channel": "agent",
        "agent_id": "AG-9",
        "applicant_id": "AP-2",
        "payment_method": "cash",
        "assessed_fee_idr": "1250000",
        "reported_fee_idr": "1750000",
        "visits": "3",
        "status": "pending",
    },
    {
        "transaction_id": "T3",
        "office_id": "DPMPTSP-1872",
        "service_code": "PBG",
        "submitted_at": "2024-03-02 08:00",
        "completed_at": "",
        "fee_paid_idr": "0",
        "officer_id": "",
        "channel": "online",
        "agent_id": "",
        "applicant_id": "",
        "payment_method": "qris",
        "assessed_fee_idr": "0",
        "reported_fee_idr": "0",
        "visits": "0",
        "status": "rejected",
    },
]


def full_dir(tmp_path: Path) -> Path:
    service_rows = [
        {**SERVICES[0], "fee_is_variable": "false"},
        {**SERVICES[1], "fee_is_variable": "true", "sla_working_days": "7.5"},
    ]
    complaint_rows = [
        {
            "complaint_id": "C1",
            "received_at": "2024-03-05 08:00",
            "office_id": "DISDUKCAPIL-1872",
            "text": 'Petugas minta "uang rokok", Rp 50.000,\nkatanya supaya cepat',
            "service_code": "KTP",
            "officer_id": "OF-01",
            "transaction_id": "T1",
            "category": "pungli",
        },
        {
            "complaint_id": "C2",
            "received_at": "2024-03-06T01:00:00Z",
            "office_id": "DPMPTSP-1872",
            "text": "Antrean lama",
            "service_code": "",
            "officer_id": "",
            "transaction_id": "",
            "category": "",
        },
    ]
    holidays = to_csv(
        [
            {"date": "2024-04-08", "description": "Cuti bersama Idul Fitri"},
            {"date": "2024-04-09", "description": ""},
        ]
    )
    outcomes = to_csv(
        [
            {"transaction_id": "T1", "outcome": "dismissed", "reviewed_at": ""},
            {"transaction_id": "T2", "outcome": "confirmed", "reviewed_at": "2024-05-01 10:00"},
        ]
    )
    return make_dir(
        tmp_path,
        services=to_csv(service_rows),
        transactions=to_csv(FULL_TRANSACTIONS),
        complaints=to_csv(complaint_rows),
        holidays=holidays,
        outcomes=outcomes,
    )


def test_full_directory_with_every_table_and_column_loads(tmp_path: Path) -> None:
    data = load_data_dir(full_dir(tmp_path))

    for table in TABLE_SPECS:
        frame = getattr(data, table)
        assert frame is not None, table
        assert set(TABLE_SPECS[table]) <= set(frame.columns), table
    svc, tx = data.services, data.transactions
    assert svc["fee_is_variable"].tolist() == [False, True]
    assert svc["sla_working_days"].tolist() == [14.0, 7.5]
    assert len(tx) == 3
    for column in ("assessed_fee_idr", "reported_fee_idr", "visits"):
        assert str(tx[column].dtype) == "Int64"
    assert tx["assessed_fee_idr"].isna().tolist() == [True, False, False]
    assert tx["reported_fee_idr"].iloc[1] == 1_750_000
    assert tx["completed_at"].dtype == "datetime64[ns]"
    assert tx["completed_at"].isna().tolist() == [False, True, True]
    assert tx["channel"].tolist() == ["counter", "agent", "online"]
    assert tx["payment_method"].tolist() == ["none", "cash", "qris"]
    assert tx["status"].tolist() == ["completed", "pending", "rejected"]
    assert tx["agent_id"].isna().tolist() == [True, False, True]  # empty cell -> missing
    assert tx["officer_id"].isna().tolist() == [False, False, True]
    # offset +07:00 is WIB already; naive is local
    assert tx["submitted_at"].tolist()[:2] == [
        pd.Timestamp("2024-03-01 09:30"),
        pd.Timestamp("2024-03-01 10:00"),
    ]
    complaints_ = data.complaints
    assert complaints_ is not None
    assert complaints_["text"].iloc[0] == (
        'Petugas minta "uang rokok", Rp 50.000,\nkatanya supaya cepat'
    )  # quoted comma, quote and newline survive
    assert complaints_["received_at"].tolist() == [
        pd.Timestamp("2024-03-05 08:00"),
        pd.Timestamp("2024-03-06 08:00"),  # 01:00Z is 08:00 WIB
    ]
    assert complaints_["service_code"].isna().tolist() == [False, True]
    holidays = data.holidays
    assert holidays is not None
    assert holidays["date"].dtype == "datetime64[ns]"
    assert data.closure_days == [pd.Timestamp("2024-04-08"), pd.Timestamp("2024-04-09")]
    outcomes = data.outcomes
    assert outcomes is not None
    assert outcomes["outcome"].tolist() == ["dismissed", "confirmed"]
    assert outcomes["reviewed_at"].isna().tolist() == [True, False]


def test_unknown_extra_columns_are_kept(tmp_path: Path) -> None:
    rows = [
        {**TRANSACTION, "kecamatan": "Kedaton", "catatan": "007"},
        {**TRANSACTION, "transaction_id": "T2", "kecamatan": "", "catatan": "x"},
    ]
    data = load_data_dir(make_dir(tmp_path, transactions=to_csv(rows)))

    tx = data.transactions
    assert tx["kecamatan"].iloc[0] == "Kedaton"
    assert pd.isna(tx["kecamatan"].iloc[1])
    assert tx["catatan"].tolist() == ["007", "x"]  # text as given: no number guessing


def test_unknown_extra_files_are_ignored(tmp_path: Path) -> None:
    root = make_dir(tmp_path)
    (root / "README.txt").write_text("catatan")
    (root / "officers.csv").write_text("this,is\nnot,checked,at,all\n")
    (root / "services.csv.bak").write_bytes(b"\xff\xfe garbage")
    (root / "archive").mkdir()
    (root / "archive" / "transactions.csv").write_text("")

    data = load_data_dir(root)

    assert len(data.transactions) == 1


def test_values_and_headers_are_stripped_and_utf8_bom_is_accepted(tmp_path: Path) -> None:
    text = (
        " service_code , service_name,official_fee_idr ,sla_working_days\n"
        " KTP , Kartu Tanda Penduduk , 0 , 14 \n"
    )
    root = make_dir(tmp_path, services=b"\xef\xbb\xbf" + text.encode())

    data = load_data_dir(root)

    assert data.services["service_code"].tolist() == ["KTP"]
    assert data.services["service_name"].tolist() == ["Kartu Tanda Penduduk"]
    assert data.services["official_fee_idr"].tolist() == [0]


def test_excel_csv_utf8_with_bom_and_crlf_loads(tmp_path: Path) -> None:
    text = services().replace("\n", "\r\n")
    tx = transactions({}, {"office_id": "Kantor Café"}).replace("\n", "\r\n")
    root = make_dir(
        tmp_path,
        services=b"\xef\xbb\xbf" + text.encode(),
        transactions=b"\xef\xbb\xbf" + tx.encode(),
    )
    data = load_data_dir(root)
    assert data.services["sla_working_days"].tolist() == [14.0, 28.0]
    assert data.transactions["fee_paid_idr"].tolist() == [0, 0]
    assert data.transactions["office_id"].iloc[1] == "Kantor Café"


def test_row_numbers_count_data_rows_not_blank_lines(tmp_path: Path) -> None:
    text = transactions({}, {}, {"fee_paid_idr": "-1"}).replace("\nT2,", "\n\n\nT2,")
    error = refused(make_dir(tmp_path, transactions=text))
    assert_reported(error, "transactions.csv", "fee_paid_idr", "must be >= 0", [(3, "-1")])


def test_a_value_longer_than_the_csv_read_block_loads(tmp_path: Path) -> None:
    long_text = "Saya diminta membayar, " * 100_000  # 2.3 MB in one quoted cell
    data = load_data_dir(make_dir(tmp_path, complaints=complaints({"text": long_text}, {})))
    assert data.complaints is not None
    assert data.complaints["text"].iloc[0] == long_text.strip()
    assert len(data.complaints) == 2


def test_na_like_text_is_a_value_not_missing(tmp_path: Path) -> None:
    data = load_data_dir(
        make_dir(tmp_path, transactions=transactions({"transaction_id": "NA", "office_id": "null"}))
    )
    assert data.transactions["transaction_id"].tolist() == ["NA"]
    assert data.transactions["office_id"].tolist() == ["null"]


def test_no_row_is_dropped_on_success(tmp_path: Path) -> None:
    n = 2_500
    rows = [
        {**TRANSACTION, "transaction_id": f"T{i}", "officer_id": "" if i % 3 else f"OF{i}"}
        for i in range(n)
    ]
    text = to_csv(rows)
    # blank lines are not rows; rows of empty optional cells are
    text = text.replace("\nT10,", "\n\n\nT10,")
    data = load_data_dir(make_dir(tmp_path, transactions=text, complaints=complaints({}, {})))

    assert len(data.transactions) == n
    assert data.transactions["transaction_id"].tolist() == [f"T{i}" for i in range(n)]
    assert len(data.services) == len(SERVICES)
    assert data.complaints is not None and len(data.complaints) == 2


def test_header_only_optional_table_is_an_empty_table(tmp_path: Path) -> None:
    data = load_data_dir(make_dir(tmp_path, holidays="date,description\n", outcomes=None))
    assert data.holidays is not None and len(data.holidays) == 0
    assert data.closure_days == []


def test_whole_number_text_forms(tmp_path: Path) -> None:
    tx = transactions({"fee_paid_idr": "+5"}, {"fee_paid_idr": "007"}, {"fee_paid_idr": " 9 "})
    data = load_data_dir(make_dir(tmp_path, transactions=tx))
    assert data.transactions["fee_paid_idr"].tolist() == [5, 7, 9]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("FALSE", False), ("1", True), ("0", False), ("ya", True), ("", False)],
)
def test_fee_is_variable_spellings(tmp_path: Path, text: str, expected: bool) -> None:
    svc = services({"fee_is_variable": text}, {"fee_is_variable": "false"})
    data = load_data_dir(make_dir(tmp_path, services=svc))
    assert data.services["fee_is_variable"].tolist() == [expected, False]


# --- bad input: keys and references ------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("services", "service_code"),
        ("transactions", "transaction_id"),
        ("complaints", "complaint_id"),
    ],
)
def test_duplicate_keys_are_refused(tmp_path: Path, table: str, column: str) -> None:
    tables = {
        "services": services({}, {}, {"service_code": "KTP"}),
        "transactions": transactions({}, {}, {"transaction_id": "T1"}),
        "complaints": complaints({}, {}, {"complaint_id": "C1"}),
    }
    kwargs = {table: tables[table]}
    error = refused(make_dir(tmp_path, **kwargs))

    key = "KTP" if table == "services" else tables[table].splitlines()[1].split(",")[0]
    assert_reported(
        error,
        f"{table}.csv",
        column,
        "unique key: duplicate value",
        [(1, repr(key)), (3, repr(key))],
    )
    assert len(error.violations) == 1


def test_outcomes_may_review_a_transaction_twice(tmp_path: Path) -> None:
    """The contract names no key for outcomes: every row is kept, none dropped."""
    rows = [
        {"transaction_id": "T1", "outcome": "dismissed", "reviewed_at": "2024-04-01"},
        {"transaction_id": "T2", "outcome": "dismissed", "reviewed_at": ""},
        {"transaction_id": "T1", "outcome": "confirmed", "reviewed_at": "2024-05-01"},
        {"transaction_id": "T1", "outcome": "confirmed", "reviewed_at": ""},
    ]
    data = load_data_dir(make_dir(tmp_path, outcomes=to_csv(rows)))
    assert data.outcomes is not None
    assert data.outcomes["transaction_id"].tolist() == ["T1", "T2", "T1", "T1"]
    assert data.outcomes["outcome"].tolist() == [r["outcome"] for r in rows]
    small = pd.DataFrame(rows).replace("", None)
    assert len(validate_table("outcomes", small, "outcomes.csv")) == len(rows)  # fast path too


def _outcomes(*rows: tuple[str, str, str | None]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["transaction_id", "outcome", "reviewed_at"])
    frame["reviewed_at"] = pd.to_datetime(frame["reviewed_at"])
    return frame


def test_latest_outcomes_keep_the_latest_review_per_transaction() -> None:
    outcomes = _outcomes(
        ("T1", "confirmed", "2024-05-01"),  # the latest of T1, though not the last row
        ("T2", "dismissed", None),
        ("T1", "dismissed", "2024-04-01"),
        ("T3", "confirmed", "2024-04-01"),
        ("T2", "confirmed", None),  # no dates: the last row wins
        ("T3", "dismissed", "2024-04-01"),  # a tie: the last row wins
        ("T1", "dismissed", None),  # undated: older than any dated review
        ("T4", "confirmed", None),
    )
    latest = latest_outcomes(outcomes)
    assert latest["transaction_id"].tolist() == ["T1", "T2", "T3", "T4"]  # file order
    assert latest["outcome"].tolist() == ["confirmed", "confirmed", "dismissed", "confirmed"]
    assert latest.index.tolist() == [0, 1, 2, 3]
    assert len(outcomes) == 8  # the input is left as it was


def test_latest_outcomes_without_reviewed_at_or_duplicates() -> None:
    no_dates = pd.DataFrame(
        {"transaction_id": ["T1", "T2", "T1"], "outcome": ["confirmed", "dismissed", "dismissed"]}
    )
    latest = latest_outcomes(no_dates)
    assert latest.to_dict("list") == {
        "transaction_id": ["T2", "T1"],
        "outcome": ["dismissed", "dismissed"],
    }
    unique = _outcomes(("T1", "confirmed", None), ("T2", "dismissed", "2024-04-01"))
    pd.testing.assert_frame_equal(latest_outcomes(unique), unique)
    assert latest_outcomes(unique.iloc[:0]).empty


def test_has_officer_ids() -> None:
    assert not has_officer_ids(pd.DataFrame({"transaction_id": ["T1"]}))
    assert not has_officer_ids(pd.DataFrame({"officer_id": pd.Series([None], dtype="string")}))
    assert has_officer_ids(pd.DataFrame({"officer_id": pd.Series([None, "O1"], dtype="string")}))


def test_unknown_service_codes_are_refused(tmp_path: Path) -> None:
    tx = transactions({}, {"service_code": "SIM-A"}, {"service_code": "ktp"})
    error = refused(make_dir(tmp_path, transactions=tx))
    assert_reported(
        error,
        "transactions.csv",
        "service_code",
        "must exist in services",
        [(2, "'SIM-A'"), (3, "'ktp'")],
    )


def test_transactions_are_still_checked_when_services_are_refused(tmp_path: Path) -> None:
    svc = services({"official_fee_idr": "-1"})
    tx = transactions({}, {"fee_paid_idr": "abc"})
    error = refused(make_dir(tmp_path, services=svc, transactions=tx))
    assert_reported(error, "services.csv", "official_fee_idr", "must be >= 0", [(1, "-1")])
    assert_reported(error, "transactions.csv", "fee_paid_idr", "type:", [(2, "'abc'")])


def test_service_codes_are_checked_against_a_refused_services_file(tmp_path: Path) -> None:
    """Unknown codes show in the same run, checked against the codes the file holds."""
    svc = services({"sla_working_days": "0"}, {}, {"service_code": "SIM", "official_fee_idr": "x"})
    tx = transactions({}, {"service_code": "SIM"}, {"service_code": "PASPOR"})
    error = refused(make_dir(tmp_path, services=svc, transactions=tx))
    assert_reported(error, "services.csv", "sla_working_days", "must be > 0", [(1, "0.0")])
    assert_reported(error, "services.csv", "official_fee_idr", "type:", [(3, "'x'")])
    violation = assert_reported(
        error, "transactions.csv", "service_code", RULE_UNKNOWN_SERVICE_REFUSED, [(3, "'PASPOR'")]
    )
    assert "refused services file" in violation.rule
    assert len(error.violations) == 3


@pytest.mark.parametrize(
    "svc",
    [
        services({"sla_working_days": "0"}).replace("service_code", "kode"),  # no codes column
        "service_code,service_name,official_fee_idr,sla_working_days\n",  # no rows
        "service_code,service_name\nKTP,KTP,0,14\n",  # unreadable (ragged)
    ],
)
def test_no_service_code_check_when_the_services_file_holds_no_codes(
    tmp_path: Path, svc: str
) -> None:
    error = refused(make_dir(tmp_path, services=svc, transactions=transactions()))
    assert {Path(v.file).name for v in error.violations} == {"services.csv"}


# --- bad input: values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("services", "official_fee_idr"),
        ("transactions", "fee_paid_idr"),
        ("transactions", "assessed_fee_idr"),
        ("transactions", "reported_fee_idr"),
        ("transactions", "visits"),
    ],
)
def test_negative_money_and_counts_are_refused(tmp_path: Path, table: str, column: str) -> None:
    if table == "services":
        kwargs = {"services": services({}, {column: "-50000"})}
    else:
        kwargs = {"transactions": transactions({column: "0"}, {column: "-50000"})}
    error = refused(make_dir(tmp_path, **kwargs))
    assert_reported(error, f"{table}.csv", column, "must be >= 0", [(2, "-50000")])
    assert len(error.violations) == 1


def test_completed_before_submitted_is_refused(tmp_path: Path) -> None:
    tx = transactions(
        {"completed_at": "2024-03-01 09:30"},  # same instant: fine
        {"completed_at": "2024-03-01 09:29"},
        {"completed_at": ""},  # pending
        {"completed_at": "2024-03-01T02:00:00Z"},  # 09:00 WIB: before 09:30
    )
    error = refused(make_dir(tmp_path, transactions=tx))
    assert_reported(
        error,
        "transactions.csv",
        "completed_at",
        "completed_at must not be before submitted_at",
        [
            (2, "2024-03-01 09:29:00 (submitted_at 2024-03-01 09:30:00)"),
            (4, "2024-03-01 09:00:00 (submitted_at 2024-03-01 09:30:00)"),
        ],
    )


def test_order_is_not_judged_when_submitted_at_is_unparseable(tmp_path: Path) -> None:
    tx = transactions({"submitted_at": "kemarin", "completed_at": "2024-03-01"})
    error = refused(make_dir(tmp_path, transactions=tx))
    assert_reported(
        error, "transactions.csv", "submitted_at", "ISO 8601 datetime", [(1, "'kemarin'")]
    )
    assert len(error.violations) == 1  # not also "required" nor "completed before submitted"


BAD_DATES = ["2024-02-30", "01/03/2024", "kemarin", "2024-03-01 25:00", "1709260200"]


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("transactions", "submitted_at"),
        ("transactions", "completed_at"),
        ("complaints", "received_at"),
        ("holidays", "date"),
        ("outcomes", "reviewed_at"),
    ],
)
def test_unparseable_dates_are_refused(tmp_path: Path, table: str, column: str) -> None:
    good = "2024-03-02 10:00" if column != "date" else "2024-03-02"
    if table == "transactions":
        content = transactions({column: good}, *({column: bad} for bad in BAD_DATES))
    elif table == "complaints":
        content = complaints({column: good}, *({column: bad} for bad in BAD_DATES))
    elif table == "holidays":
        content = to_csv([{"date": good}, *({"date": bad} for bad in BAD_DATES)])
    else:
        rows = [{**OUTCOME, column: good}]
        rows += [
            {**OUTCOME, "transaction_id": f"T{i}", column: bad}
            for i, bad in enumerate(BAD_DATES, 2)
        ]
        content = to_csv(rows)
    error = refused(make_dir(tmp_path, **{table: content}))
    kind = "date" if column == "date" else "datetime"
    assert_reported(
        error,
        f"{table}.csv",
        column,
        f"type: must be an ISO 8601 {kind}",
        [(i, repr(bad)) for i, bad in enumerate(BAD_DATES, start=2)],
    )
    assert len(error.violations) == 1


def test_dates_outside_the_supported_range_are_refused(tmp_path: Path) -> None:
    tx = transactions({"completed_at": "9999-12-31"}, {"submitted_at": "1500-01-01"})
    error = refused(make_dir(tmp_path, transactions=tx))
    assert_reported(error, "transactions.csv", "completed_at", "range:", [(1, "'9999-12-31'")])
    assert_reported(error, "transactions.csv", "submitted_at", "range:", [(2, "'1500-01-01'")])


@pytest.mark.parametrize(
    ("table", "column", "bad"),
    [
        ("transactions", "channel", "calo"),
        ("transactions", "channel", "Online"),
        ("transactions", "payment_method", "gopay"),
        ("transactions", "status", "done"),
        ("outcomes", "outcome", "true"),
    ],
)
def test_values_outside_the_enumeration_are_refused(
    tmp_path: Path, table: str, column: str, bad: str
) -> None:
    if table == "transactions":
        good = {"channel": "online", "payment_method": "cash", "status": "pending"}[column]
        content = transactions({column: good}, {column: ""}, {column: bad})
        row = 3
    else:
        content = to_csv([OUTCOME, {"transaction_id": "T2", "outcome": bad}])
        row = 2
    error = refused(make_dir(tmp_path, **{table: content}))
    allowed = ", ".join(TABLE_SPECS[table][column].allowed or ())
    assert_reported(error, f"{table}.csv", column, f"must be one of: {allowed}", [(row, repr(bad))])


@pytest.mark.parametrize("bad", ["0", "-3", "0.0"])
def test_sla_working_days_must_be_positive(tmp_path: Path, bad: str) -> None:
    error = refused(make_dir(tmp_path, services=services({}, {"sla_working_days": bad})))
    assert_reported(
        error, "services.csv", "sla_working_days", "must be > 0", [(2, str(float(bad)))]
    )


@pytest.mark.parametrize("bad", ["empat belas", "14 hari", "inf", "nan", "1,5"])
def test_sla_working_days_must_be_a_number(tmp_path: Path, bad: str) -> None:
    error = refused(make_dir(tmp_path, services=services({"sla_working_days": bad})))
    assert_reported(error, "services.csv", "sla_working_days", "must be a number", [(1, repr(bad))])


@pytest.mark.parametrize(
    "bad",
    ["50.000", "50,000", "Rp50000", "50000.0", "50000.50", "5e4", "1.000.000", "12 000", "٥٠"],
)
def test_money_must_be_plain_whole_rupiah(tmp_path: Path, bad: str) -> None:
    error = refused(make_dir(tmp_path, transactions=transactions({}, {"fee_paid_idr": bad})))
    violation = assert_reported(
        error, "transactions.csv", "fee_paid_idr", "no thousands separators", [(2, repr(bad))]
    )
    assert violation.rule.startswith("type: must be a whole number")


def test_money_too_large_for_a_whole_number_is_refused_not_wrapped(tmp_path: Path) -> None:
    huge = "99999999999999999999999"
    error = refused(make_dir(tmp_path, transactions=transactions({"fee_paid_idr": huge})))
    assert_reported(error, "transactions.csv", "fee_paid_idr", "whole number", [(1, repr(huge))])


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("services", "service_code"),
        ("services", "service_name"),
        ("services", "official_fee_idr"),
        ("services", "sla_working_days"),
        ("transactions", "transaction_id"),
        ("transactions", "office_id"),
        ("transactions", "service_code"),
        ("transactions", "submitted_at"),
        ("transactions", "fee_paid_idr"),
        ("complaints", "text"),
    ],
)
def test_empty_required_values_are_refused(tmp_path: Path, table: str, column: str) -> None:
    builders = {"services": services, "transactions": transactions, "complaints": complaints}
    content = builders[table]({}, {column: ""})
    error = refused(make_dir(tmp_path, **{table: content}))
    assert_reported(error, f"{table}.csv", column, "required: must not be empty", [(2, "(empty)")])


# --- bad input: shape of the files -----------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "column"),
    [
        (table, name)
        for table, spec in TABLE_SPECS.items()
        for name, c in spec.items()
        if c.required
    ],
)
def test_missing_required_columns_are_refused(tmp_path: Path, table: str, column: str) -> None:
    base = {
        "services": SERVICES[0],
        "transactions": TRANSACTION,
        "complaints": COMPLAINT,
        "holidays": HOLIDAY,
        "outcomes": OUTCOME,
    }[table]
    row = {k: v for k, v in base.items() if k != column}
    content = to_csv([row]) if row else "description\nx\n"
    error = refused(make_dir(tmp_path, **{table: content}))
    violation = assert_reported(error, f"{table}.csv", column, "required column is missing", [])
    assert violation.rows == [] and violation.n_rows == 0


@pytest.mark.parametrize("table", ["services", "transactions"])
def test_missing_required_table_is_refused(tmp_path: Path, table: str) -> None:
    root = make_dir(tmp_path)
    (root / f"{table}.csv").unlink()
    (root / f"{table}.xlsx").write_bytes(b"PK")

    error = refused(root)

    violation = the_violation(error, rule=f"required table '{table}' is missing")
    assert violation.file == str(root)
    assert f"expected {table}.csv or {table}.parquet" in violation.rule
    assert f"found {table}.xlsx" in violation.rule
    assert f"required table '{table}' is missing" in error.report()


def test_missing_data_directory_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path / "nope")
    assert error.violations[0].rule == "data directory does not exist"
    file = tmp_path / "file.csv"
    file.write_text("x")
    assert refused(file).violations[0].rule == "not a directory"


@pytest.mark.parametrize("table", ["services", "transactions", "complaints", "holidays"])
def test_empty_files_are_refused(tmp_path: Path, table: str) -> None:
    error = refused(make_dir(tmp_path, **{table: ""}))
    assert_reported(error, f"{table}.csv", None, "file is empty (no header row)")


def test_whitespace_only_file_is_empty(tmp_path: Path) -> None:
    error = refused(make_dir(tmp_path, services=" \n\n"))
    assert_reported(error, "services.csv", None, "file is empty")


@pytest.mark.parametrize("table", ["services", "transactions"])
def test_header_only_required_tables_are_refused(tmp_path: Path, table: str) -> None:
    header = {"services": services(), "transactions": transactions()}[table].splitlines()[0]
    for content in (header + "\n", header):  # with and without a line end
        error = refused(make_dir(tmp_path, **{table: content}))
        assert_reported(error, f"{table}.csv", None, "table has a header but no rows")


def test_empty_parquet_required_table_is_refused(tmp_path: Path) -> None:
    frame = pd.DataFrame({column: pd.Series([], dtype="string") for column in TRANSACTION})
    error = refused(make_dir(tmp_path, transactions=frame))
    assert_reported(error, "transactions.parquet", None, "table has a header but no rows")


def test_latin1_bytes_are_refused_naming_column_row_and_value(tmp_path: Path) -> None:
    text = transactions({}, {"office_id": "DISDUKCAPIL-Ñ"}, {}, {"office_id": "Kantor Café"})
    error = refused(make_dir(tmp_path, transactions=text.encode("latin-1")))
    violation = assert_reported(
        error,
        "transactions.csv",
        "office_id",
        "encoding: not valid UTF-8",
        [(2, "'DISDUKCAPIL-Ñ'"), (4, "'Kantor Café'")],
    )
    assert "save the file as CSV UTF-8" in violation.rule


def test_cp1252_quotes_are_refused(tmp_path: Path) -> None:
    text = complaints({"text": "Petugas bilang “uang administrasi” – Rp 50.000"})
    error = refused(make_dir(tmp_path, complaints=text.encode("cp1252")))
    assert_reported(
        error,
        "complaints.csv",
        "text",
        "encoding: not valid UTF-8",
        [(1, "'Petugas bilang “uang administrasi” – Rp 50.000'")],
    )


def test_latin1_header_is_reported_as_header(tmp_path: Path) -> None:
    text = "service_code,service_name,official_fee_idr,sla_working_days,keterangan_é\nKTP,K,0,1,x\n"
    error = refused(make_dir(tmp_path, services=text.encode("latin-1")))
    violation = the_violation(error, file="services.csv", rule="encoding")
    assert violation.rows == [(None, "'keterangan_é'")]


@pytest.mark.parametrize(
    ("encoding", "rule"),
    [
        ("utf-16", "encoding: file is UTF-16, not UTF-8"),
        ("utf-16-be", "encoding: file holds NUL bytes"),
        ("utf-16-le", "encoding: file holds NUL bytes"),
        ("utf-32", "encoding: file is UTF-32, not UTF-8"),
    ],
)
def test_utf16_and_utf32_files_are_refused(tmp_path: Path, encoding: str, rule: str) -> None:
    data = transactions().encode(encoding)
    if encoding == "utf-16":
        data = b"\xff\xfe" + data.removeprefix(b"\xff\xfe")  # Excel's "Unicode text": LE + BOM
    error = refused(make_dir(tmp_path, transactions=data))
    assert_reported(error, "transactions.csv", None, rule)


def test_row_with_too_many_fields_is_refused(tmp_path: Path) -> None:
    text = transactions({}, {}, {}).replace("\nT2,", "\nT2,extra,", 1)
    error = refused(make_dir(tmp_path, transactions=text))
    line = text.splitlines()[2]
    assert_reported(
        error,
        "transactions.csv",
        None,
        "malformed CSV: each row must have as many fields as the header (5)",
        [(2, f"6 fields: {line!r}")],
    )


def test_every_row_with_one_field_too_many_is_refused_not_read_as_an_index(
    tmp_path: Path,
) -> None:
    # pandas would silently take the first column as the index here and shift every value
    text = transactions({}, {}).replace("\n", ",x\n").replace(",x\n", "\n", 1)
    error = refused(make_dir(tmp_path, transactions=text))
    violation = the_violation(error, file="transactions.csv", rule="malformed CSV")
    assert [row for row, _ in violation.rows] == [1, 2]
    assert violation.n_rows == 2


def test_row_with_too_few_fields_is_refused_not_padded(tmp_path: Path) -> None:
    rows = transactions({}, {}, {}).splitlines()
    rows[3] = rows[3].rsplit(",", 1)[0]  # fee_paid_idr left out
    text = "\n".join(rows) + "\n"
    error = refused(make_dir(tmp_path, transactions=text))
    assert_reported(
        error, "transactions.csv", None, "malformed CSV", [(3, f"4 fields: {rows[3]!r}")]
    )


def test_ragged_rows_report_at_most_twenty(tmp_path: Path) -> None:
    text = transactions(*({} for _ in range(30))).replace("\n", ",x\n").replace(",x\n", "\n", 1)
    error = refused(make_dir(tmp_path, transactions=text))
    violation = the_violation(error, rule="malformed CSV")
    assert len(violation.rows) == MAX_ROWS_REPORTED
    assert violation.n_rows == 30
    assert "    ... and 10 more" in error.report()


def test_unclosed_quote_is_refused(tmp_path: Path) -> None:
    # the quote swallows the line end: the row comes out with too few fields
    text = transactions({}, {"office_id": "OPEN"}, {}).replace("OPEN", '"OPEN')
    error = refused(make_dir(tmp_path, transactions=text))
    violation = the_violation(error, file="transactions.csv", rule="malformed CSV")
    assert "close every quote" in violation.rule
    assert violation.rows[0][0] == 2
    assert violation.rows[0][1].startswith("""2 fields: 'T2,"OPEN,KTP""")


def test_unclosed_quote_in_the_last_field_is_refused(tmp_path: Path) -> None:
    # here the swallowed text fits the row's last field: only the quote count gives it away
    text = transactions({}, {"fee_paid_idr": "OPEN"}, {}).replace("OPEN", '"0')
    error = refused(make_dir(tmp_path, transactions=text))
    violation = assert_reported(
        error, "transactions.csv", None, "malformed CSV: a quoted value is never closed"
    )
    assert violation.rows[0][0] == 2


def test_duplicated_header_column_is_refused(tmp_path: Path) -> None:
    text = "transaction_id,office_id,service_code,submitted_at,fee_paid_idr, office_id\n"
    text += "T1,A,KTP,2024-03-01,0,B\n"
    error = refused(make_dir(tmp_path, transactions=text))
    assert_reported(error, "transactions.csv", "office_id", "column appears twice in the header")


@pytest.mark.parametrize(("separator", "label"), [(";", "semicolons"), ("\t", "tabs")])
def test_other_separators_are_refused_with_a_hint(
    tmp_path: Path, separator: str, label: str
) -> None:
    text = transactions().replace(",", separator)
    error = refused(make_dir(tmp_path, transactions=text))
    assert_reported(
        error, "transactions.csv", None, f"not comma-separated: the header is split by {label}"
    )


def test_csv_and_parquet_for_one_table_are_refused(tmp_path: Path) -> None:
    root = make_dir(tmp_path)
    pd.read_csv(root / "services.csv", dtype=str).to_parquet(root / "services.parquet")

    error = refused(root)

    violation = the_violation(error, rule="table 'services' is given twice")
    assert violation.file == str(root)
    assert "services.csv, services.parquet" in violation.rule
    with pytest.raises(ContractError):
        find_table_file(root, "services")
    assert find_table_file(root, "transactions") == root / "transactions.csv"
    assert find_table_file(root, "outcomes") is None


def test_unreadable_parquet_is_refused(tmp_path: Path) -> None:
    root = make_dir(tmp_path)
    (root / "transactions.csv").unlink()
    (root / "transactions.parquet").write_bytes(b"PAR1 this is not parquet")
    error = refused(root)
    assert_reported(error, "transactions.parquet", None, "not a readable Parquet file")
    (root / "transactions.parquet").write_bytes(b"")
    assert_reported(refused(root), "transactions.parquet", None, "file is empty")


# --- Parquet ---------------------------------------------------------------------------------


def test_parquet_with_typed_columns_loads(tmp_path: Path) -> None:
    svc = pd.DataFrame(
        {
            "service_code": [101, 202],  # integer codes become strings
            "service_name": ["KTP", "PBG"],
            "official_fee_idr": np.array([0, 50000], dtype="int64"),
            "fee_is_variable": [False, True],
            "sla_working_days": np.array([14, 28], dtype="int32"),
        }
    )
    tx = pd.DataFrame(
        {
            "transaction_id": np.array([1, 2, 3], dtype="int64"),
            "office_id": ["A", "B", "C"],
            "service_code": ["101", "202", "202"],
            "submitted_at": pd.to_datetime(
                ["2024-03-01 02:30", "2024-03-01 03:00", "2024-03-01 04:00"]
            ).tz_localize("UTC"),
            "completed_at": pd.to_datetime(["2024-03-02 09:00", None, "2024-03-03 09:00"]),
            "fee_paid_idr": np.array([0, 1_500_000, 0], dtype="int64"),
            "officer_id": pd.array([7, None, 9], dtype="Int64"),  # ids with gaps
            "assessed_fee_idr": [np.nan, 1_250_000.0, np.nan],  # NaN = empty, not an error
            "reported_fee_idr": pd.array([None, 2_000_000, None], dtype="Int64"),
            "visits": np.array([1, 2, 0], dtype="int8"),
        }
    )
    data = load_data_dir(make_dir(tmp_path, services=svc, transactions=tx))

    assert data.services["service_code"].tolist() == ["101", "202"]
    assert str(data.services["service_code"].dtype) == "string"
    assert data.services["fee_is_variable"].tolist() == [False, True]
    assert data.services["sla_working_days"].tolist() == [14.0, 28.0]
    t = data.transactions
    assert t["transaction_id"].tolist() == ["1", "2", "3"]
    assert t["officer_id"].tolist() == ["7", pd.NA, "9"]
    assert str(t["fee_paid_idr"].dtype) == "Int64"
    assert t["fee_paid_idr"].tolist() == [0, 1_500_000, 0]
    assert t["assessed_fee_idr"].isna().tolist() == [True, False, True]
    assert t["assessed_fee_idr"].iloc[1] == 1_250_000
    assert t["reported_fee_idr"].iloc[1] == 2_000_000
    assert str(t["visits"].dtype) == "Int64"
    # UTC instants converted to WIB wall time; naive timestamps taken as WIB already
    assert t["submitted_at"].dtype == "datetime64[ns]"
    assert t["submitted_at"].iloc[0] == pd.Timestamp("2024-03-01 09:30")
    assert t["completed_at"].iloc[0] == pd.Timestamp("2024-03-02 09:00")
    assert pd.isna(t["completed_at"].iloc[1])


def test_parquet_decimal_dictionary_and_date_columns_load(tmp_path: Path) -> None:
    import datetime as dt
    import decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    root = make_dir(tmp_path, transactions=None)
    (root / "transactions.csv").unlink()
    table = pa.table(
        {
            "transaction_id": pa.array(["T1", "T2"]),
            "office_id": pa.array(["A", "A"]).dictionary_encode(),
            "service_code": pa.array(["KTP", "PBG"]).dictionary_encode(),
            "submitted_at": pa.array([dt.datetime(2024, 3, 1, 9)] * 2, pa.timestamp("ms")),
            "fee_paid_idr": pa.array(
                [decimal.Decimal("0"), decimal.Decimal("50000")], pa.decimal128(18, 0)
            ),
        }
    )
    pq.write_table(table, root / "transactions.parquet")
    pq.write_table(pa.table({"date": pa.array([dt.date(2024, 4, 8)])}), root / "holidays.parquet")

    data = load_data_dir(root)

    assert data.transactions["service_code"].tolist() == ["KTP", "PBG"]
    assert data.transactions["fee_paid_idr"].tolist() == [0, 50000]
    assert data.transactions["submitted_at"].iloc[0] == pd.Timestamp("2024-03-01 09:00")
    assert data.closure_days == [pd.Timestamp("2024-04-08")]


def test_parquet_duplicate_integer_keys_are_refused(tmp_path: Path) -> None:
    tx = pd.DataFrame({**{k: [v, v] for k, v in TRANSACTION.items()}, "transaction_id": [7, 7]})
    error = refused(make_dir(tmp_path, transactions=tx))
    assert_reported(
        error, "transactions.parquet", "transaction_id", "duplicate", [(1, "'7'"), (2, "'7'")]
    )


def test_parquet_bad_values_are_refused(tmp_path: Path) -> None:
    tx = pd.DataFrame(
        {
            "transaction_id": ["T1", "T2", "T3", "T4"],
            "office_id": ["A", "A", "A", "A"],
            "service_code": ["KTP"] * 4,
            "submitted_at": pd.to_datetime(["2024-03-01"] * 4),
            "fee_paid_idr": [0.0, 50000.5, np.nan, -1.0],  # fraction, empty, negative
            "visits": [True, False, True, False],  # booleans are not counts
            "reported_fee_idr": [np.inf, 1.0, 2.0, 3.0],
        }
    )
    error = refused(make_dir(tmp_path, transactions=tx))
    file = "transactions.parquet"
    assert_reported(error, file, "fee_paid_idr", "type: must be a whole number", [(2, "50000.5")])
    assert_reported(error, file, "fee_paid_idr", "required: must not be empty", [(3, "(empty)")])
    assert_reported(error, file, "fee_paid_idr", "must be >= 0", [(4, "-1")])
    visits = the_violation(error, column="visits")
    assert visits.n_rows == 4 and visits.rows[0] == (1, "True")
    assert_reported(error, file, "reported_fee_idr", "whole number", [(1, "inf")])


def test_parquet_epoch_numbers_are_not_datetimes(tmp_path: Path) -> None:
    tx = pd.DataFrame({**{k: [v] for k, v in TRANSACTION.items()}, "submitted_at": [1709260200]})
    error = refused(make_dir(tmp_path, transactions=tx))
    assert_reported(
        error, "transactions.parquet", "submitted_at", "ISO 8601 datetime", [(1, "1709260200")]
    )


def test_parquet_and_csv_of_the_same_data_load_the_same(tmp_path: Path) -> None:
    from_csv = load_data_dir(full_dir(tmp_path / "csv"))
    root = tmp_path / "parquet"
    root.mkdir()
    for table in TABLE_SPECS:
        raw = read_table_file(tmp_path / "csv" / "data" / f"{table}.csv")
        raw.to_parquet(root / f"{table}.parquet", index=False)  # all columns as strings
    from_parquet = load_data_dir(root)
    for table in TABLE_SPECS:
        pd.testing.assert_frame_equal(getattr(from_csv, table), getattr(from_parquet, table))


def test_simulated_world_loads_the_same_from_csv_and_parquet(tmp_path: Path) -> None:
    simulate = pytest.importorskip("model.simulate")
    world = simulate.simulate_world(
        simulate.SimulationConfig(seed=3, offices=1, months=1, transactions_per_office_month=150)
    )
    simulate.write_world(world, tmp_path / "csv", fmt="csv")
    simulate.write_world(world, tmp_path / "parquet", fmt="parquet")
    a, b = load_data_dir(tmp_path / "csv"), load_data_dir(tmp_path / "parquet")
    assert len(a.transactions) == len(world.transactions)
    for table in TABLE_SPECS:
        left, right = getattr(a, table), getattr(b, table)
        assert (left is None) == (right is None), table
        if left is not None:
            columns = list(TABLE_SPECS[table].keys() & set(left.columns))
            pd.testing.assert_frame_equal(left[columns], right[columns], check_like=True)


# --- time zones --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "wib"),
    [
        ("2024-03-01 09:30", "2024-03-01 09:30"),  # naive: local already
        ("2024-03-01T09:30:15", "2024-03-01 09:30:15"),
        ("2024-03-01", "2024-03-01 00:00"),
        ("2024-03-01T09:30+07:00", "2024-03-01 09:30"),
        ("2024-03-01T09:30:00+0700", "2024-03-01 09:30"),
        ("2024-03-01T02:30:00Z", "2024-03-01 09:30"),
        ("2024-03-01T02:30:00.250+00:00", "2024-03-01 09:30:00.250"),
        ("2024-03-01T10:30:00+08:00", "2024-03-01 09:30"),  # WITA
        ("2024-03-01T11:30:00+09:00", "2024-03-01 09:30"),  # WIT
        ("2024-02-29T20:30:00-05:00", "2024-03-01 08:30"),
    ],
)
def test_datetimes_become_naive_wib(tmp_path: Path, text: str, wib: str) -> None:
    data = load_data_dir(make_dir(tmp_path, transactions=transactions({"submitted_at": text})))
    assert data.transactions["submitted_at"].iloc[0] == pd.Timestamp(wib)
    assert parse_datetime_value(text) == pd.Timestamp(wib)  # one value, read the same way


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("2025-02-30", "type: must be an ISO 8601 datetime"),
        ("notadate", "type: must be an ISO 8601 datetime"),
        ("01/03/2024", "type: must be an ISO 8601 datetime"),
        ("", "type: must be an ISO 8601 datetime"),
        ("9999-01-01", "range: datetime outside the supported years"),
    ],
)
def test_parse_datetime_value_refuses_what_a_file_may_not_hold(text: str, rule: str) -> None:
    with pytest.raises(ValueError, match=rule):
        parse_datetime_value(text)


def test_parse_datetime_value_in_the_configured_timezone() -> None:
    assert parse_datetime_value("2024-03-01T01:30Z", "Asia/Makassar") == pd.Timestamp(
        "2024-03-01 09:30"
    )
    with pytest.raises(SidakError, match="Unknown timezone"):
        parse_datetime_value("2024-03-01", "Mars/Olympus")


def test_configured_timezone_is_the_local_time(tmp_path: Path) -> None:
    tx = transactions({"submitted_at": "2024-03-01 09:30"}, {"submitted_at": "2024-03-01T01:30Z"})
    data = load_data_dir(make_dir(tmp_path, transactions=tx), timezone="Asia/Makassar")
    assert data.transactions["submitted_at"].tolist() == [
        pd.Timestamp("2024-03-01 09:30"),  # naive: taken as WITA
        pd.Timestamp("2024-03-01 09:30"),  # 01:30Z is 09:30 WITA
    ]


def test_unknown_timezone_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(SidakError, match="Unknown timezone 'Mars/Olympus'"):
        load_data_dir(make_dir(tmp_path), timezone="Mars/Olympus")


# --- the report -------------------------------------------------------------------------------


def test_report_lists_at_most_twenty_rows_and_counts_the_rest(tmp_path: Path) -> None:
    tx = transactions(*({"fee_paid_idr": f"-{i}"} for i in range(1, 46)))
    error = refused(make_dir(tmp_path, transactions=tx))

    violation = the_violation(error, column="fee_paid_idr")
    assert violation.n_rows == 45
    assert violation.rows == [(i, f"-{i}") for i in range(1, MAX_ROWS_REPORTED + 1)]
    lines = error.report().splitlines()
    file = root_file(tmp_path, "transactions.csv")
    assert lines[1] == f"{file}: column 'fee_paid_idr': must be >= 0 (45 rows)"
    assert lines[2:22] == [f"    row {i}: -{i}" for i in range(1, 21)]
    assert lines[22] == "    ... and 25 more"
    assert len(lines) == 23


def root_file(tmp_path: Path, name: str) -> str:
    return str(tmp_path / "data" / name)


def test_all_files_are_checked_in_one_run(tmp_path: Path) -> None:
    root = make_dir(
        tmp_path,
        services=services({}, {"sla_working_days": "0"}),
        transactions=transactions({}, {"channel": "calo"}),
        complaints=complaints({"received_at": "besok"}),
        holidays="",
        outcomes=to_csv([{"transaction_id": "T1", "outcome": "maybe"}]),
    )
    error = refused(root)

    files = {Path(v.file).name for v in error.violations}
    assert files == {
        "services.csv",
        "transactions.csv",
        "complaints.csv",
        "holidays.csv",
        "outcomes.csv",
    }
    first = error.report().splitlines()[0]
    assert first.startswith("Refused: 5 contract violation(s) in ")
    for name in files:
        assert name in first


def test_report_exact_text(tmp_path: Path) -> None:
    tx = transactions({}, {"fee_paid_idr": "50.000", "service_code": "XX"})
    error = refused(make_dir(tmp_path, transactions=tx))
    file = root_file(tmp_path, "transactions.csv")
    assert str(error) == error.report()
    assert error.report() == (
        f"Refused: 2 contract violation(s) in {file}\n"
        f"{file}: column 'fee_paid_idr': type: must be a whole number (digits only: no "
        "thousands separators, no decimals) (1 row)\n"
        "    row 2: '50.000'\n"
        f"{file}: column 'service_code': must exist in services (unknown service_code) (1 row)\n"
        "    row 2: 'XX'"
    )


def test_to_dict_is_json_with_file_column_rule_and_rows(tmp_path: Path) -> None:
    root = make_dir(tmp_path, transactions=transactions({"channel": "calo"}), holidays="")
    error = refused(root)

    payload = json.loads(json.dumps(error.to_dict()))

    assert payload == [
        {
            "file": root_file(tmp_path, "transactions.csv"),
            "column": "channel",
            "rule": "must be one of: online, counter, agent",
            "n_rows": 1,
            "rows": [{"row": 1, "value": "'calo'"}],
        },
        {
            "file": root_file(tmp_path, "holidays.csv"),
            "column": None,
            "rule": "file is empty (no header row)",
            "n_rows": 0,
            "rows": [],
        },
    ]
    assert isinstance(error, SidakError) and isinstance(error, ValueError)


# --- validate_table on its own (API payloads) -------------------------------------------------


def test_validate_table_accepts_json_like_values() -> None:
    raw = pd.DataFrame.from_records(
        [
            {**TRANSACTION, "fee_paid_idr": 0, "visits": None, "officer_id": 12},
            {**TRANSACTION, "transaction_id": 2, "fee_paid_idr": 50000.0, "visits": 2},
        ]
    )
    frame = validate_table("transactions", raw, "payload", known_services=["KTP"])
    assert frame["transaction_id"].tolist() == ["T1", "2"]
    assert frame["fee_paid_idr"].tolist() == [0, 50000]
    assert frame["visits"].isna().tolist() == [True, False]
    assert frame["officer_id"].iloc[0] == "12"  # 12.0 once the gap made it a float
    assert pd.isna(frame["officer_id"].iloc[1])
    assert len(frame) == len(raw)
    assert raw["fee_paid_idr"].tolist() == [0, 50000.0]  # the input is not modified


def test_validate_table_refuses_mixed_json_values() -> None:
    raw = pd.DataFrame.from_records(
        [
            {**TRANSACTION, "fee_paid_idr": "50000"},
            {**TRANSACTION, "transaction_id": "T2", "fee_paid_idr": True},
            {**TRANSACTION, "transaction_id": "T3", "fee_paid_idr": 1.5},
            {**TRANSACTION, "transaction_id": "T4", "fee_paid_idr": "1.5"},
        ]
    )
    with pytest.raises(ContractError) as caught:
        validate_table("transactions", raw, "payload")
    violation = the_violation(caught.value, column="fee_paid_idr")
    assert violation.rows == [(2, "True"), (3, "1.5"), (4, "'1.5'")]


def test_validate_table_refuses_duplicated_columns() -> None:
    raw = pd.DataFrame([["T1", "A", "KTP", "2024-03-01", "0", "B"]])
    raw.columns = [*TRANSACTION, "office_id"]
    with pytest.raises(ContractError, match="column appears twice"):
        validate_table("transactions", raw, "payload")
