"""``sidak validate DATA_DIR``: row counts on valid data; the exact report and exit 2 otherwise.

The CLI must print the contract report as is (file, column, rule, rows) and never a traceback.
Also the input checks of ``sidak entities`` (period, officer ids), which need no model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import Result
from typer.testing import CliRunner

from model.contract import ContractError, load_data_dir
from model.settings import get_settings
from service.cli import app

SERVICES = (
    "service_code,service_name,official_fee_idr,sla_working_days\n"
    "KTP,Kartu Tanda Penduduk,0,14\n"
    "PBG,Persetujuan Bangunan Gedung,50000,28\n"
)
HEADER = "transaction_id,office_id,service_code,submitted_at,fee_paid_idr"
TRANSACTIONS = (
    f"{HEADER}\n"
    "T1,DISDUKCAPIL-1872,KTP,2024-03-01 09:30,0\n"
    "T2,DPMPTSP-1872,PBG,2024-03-01T10:00:00+07:00,50000\n"
)


@pytest.fixture(autouse=True)
def _wib(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI reads the time zone from settings: pin it to the contract's default."""
    monkeypatch.setenv("SIDAK_TIMEZONE", "Asia/Jakarta")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def make_dir(tmp_path: Path, **files: str | bytes) -> Path:
    """A data directory: file name -> content; services/transactions default to valid ones."""
    root = tmp_path / "data"
    root.mkdir(exist_ok=True)
    contents: dict[str, str | bytes | None] = {
        "services.csv": SERVICES,
        "transactions.csv": TRANSACTIONS,
        **files,
    }
    for name, content in contents.items():
        if content is None:
            continue
        if isinstance(content, bytes):
            (root / name).write_bytes(content)
        else:
            (root / name).write_text(content, encoding="utf-8")
    return root


def run(*args: str) -> Result:
    result = CliRunner().invoke(app, ["validate", *args])
    assert "Traceback" not in result.output
    return result


def test_valid_directory_exits_0_with_row_counts(tmp_path: Path) -> None:
    root = make_dir(tmp_path, **{"holidays.csv": "date,description\n2024-04-08,Cuti bersama\n"})

    result = CliRunner().invoke(app, ["validate", str(root)])

    assert result.exit_code == 0, result.output
    assert result.output == (
        f"{root}: valid\n"
        "  services      2 rows\n"
        "  transactions  2 rows\n"
        "  complaints    absent\n"
        "  holidays      1 rows\n"
        "  outcomes      absent\n"
    )


def test_large_counts_are_grouped(tmp_path: Path) -> None:
    rows = "".join(f"T{i},DISDUKCAPIL-1872,KTP,2024-03-01 09:30,0\n" for i in range(1234))
    root = make_dir(tmp_path, **{"transactions.csv": f"{HEADER}\n{rows}"})
    result = run(str(root))
    assert result.exit_code == 0
    assert "  transactions  1,234 rows\n" in result.output


def _parquet_twice(root: Path) -> None:
    pd.read_csv(root / "services.csv", dtype=str).to_parquet(root / "services.parquet")


def _no_services(root: Path) -> None:
    (root / "services.csv").unlink()


BAD_TRANSACTIONS = {
    "duplicate key": (
        f"{HEADER}\nT1,A,KTP,2024-03-01,0\nT2,A,KTP,2024-03-01,0\nT1,A,KTP,2024-03-02,0\n",
        [
            "{tx}: column 'transaction_id': unique key: duplicate value (2 rows)",
            "    row 1: 'T1'",
            "    row 3: 'T1'",
        ],
    ),
    "unknown service code": (
        f"{HEADER}\nT1,A,KTP,2024-03-01,0\nT2,A,SIM-A,2024-03-01,0\n",
        [
            "{tx}: column 'service_code': must exist in services (unknown service_code) (1 row)",
            "    row 2: 'SIM-A'",
        ],
    ),
    "negative money": (
        f"{HEADER}\nT1,A,KTP,2024-03-01,-5000\n",
        ["{tx}: column 'fee_paid_idr': must be >= 0 (1 row)", "    row 1: -5000"],
    ),
    "thousands separator": (
        f'{HEADER}\nT1,A,PBG,2024-03-01,"50.000"\n',
        [
            "{tx}: column 'fee_paid_idr': type: must be a whole number (digits only: no "
            "thousands separators, no decimals) (1 row)",
            "    row 1: '50.000'",
        ],
    ),
    "completed before submitted": (
        f"{HEADER},completed_at\nT1,A,KTP,2024-03-02 10:00,0,2024-03-01 10:00\n",
        [
            "{tx}: column 'completed_at': completed_at must not be before submitted_at (1 row)",
            "    row 1: 2024-03-01 10:00:00 (submitted_at 2024-03-02 10:00:00)",
        ],
    ),
    "unparseable date": (
        f"{HEADER}\nT1,A,KTP,01/03/2024,0\n",
        [
            "{tx}: column 'submitted_at': type: must be an ISO 8601 datetime (e.g. 2024-03-01 "
            "09:30 or 2024-03-01T09:30+07:00) (1 row)",
            "    row 1: '01/03/2024'",
        ],
    ),
    "bad enum": (
        f"{HEADER},channel\nT1,A,KTP,2024-03-01,0,calo\n",
        [
            "{tx}: column 'channel': must be one of: online, counter, agent (1 row)",
            "    row 1: 'calo'",
        ],
    ),
    "missing column": (
        "transaction_id,office_id,service_code,submitted_at\nT1,A,KTP,2024-03-01\n",
        ["{tx}: column 'fee_paid_idr': required column is missing"],
    ),
    "empty file": ("", ["{tx}: file: file is empty (no header row)"]),
    "header only": (f"{HEADER}\n", ["{tx}: file: table has a header but no rows"]),
    "latin-1": (
        f"{HEADER}\nT1,Kantor Café,KTP,2024-03-01,0\n".encode("latin-1"),
        [
            "{tx}: column 'office_id': encoding: not valid UTF-8 (Windows-1252/Latin-1?): save "
            "the file as CSV UTF-8 (1 row)",
            "    row 1: 'Kantor Café'",
        ],
    ),
    "utf-16": (
        TRANSACTIONS.encode("utf-16"),
        ["{tx}: file: encoding: file is UTF-16, not UTF-8: save it as CSV UTF-8"],
    ),
    "ragged row": (
        f"{HEADER}\nT1,A,KTP,2024-03-01,0\nT2,A,KTP,2024-03-01,50,000\n",
        [
            "{tx}: file: malformed CSV: each row must have as many fields as the header (5); "
            "quote values that hold commas, close every quote (1 row)",
            "    row 2: 6 fields: 'T2,A,KTP,2024-03-01,50,000'",
        ],
    ),
    "more than 20 rows": (
        HEADER + "\n" + "".join(f"T{i},A,KTP,2024-03-01,-{i}\n" for i in range(1, 26)),
        [
            "{tx}: column 'fee_paid_idr': must be >= 0 (25 rows)",
            *(f"    row {i}: -{i}" for i in range(1, 21)),
            "    ... and 5 more",
        ],
    ),
}


@pytest.mark.parametrize("case", list(BAD_TRANSACTIONS))
def test_bad_transactions_exit_2_with_the_exact_report(tmp_path: Path, case: str) -> None:
    content, lines = BAD_TRANSACTIONS[case]
    root = make_dir(tmp_path, **{"transactions.csv": content})
    tx = root / "transactions.csv"

    result = CliRunner().invoke(app, ["validate", str(root)])

    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    expected = [f"Refused: 1 contract violation(s) in {tx}", *(x.format(tx=tx) for x in lines)]
    assert result.output == "\n".join(expected) + "\n"
    assert "Traceback" not in result.output


BAD_DIRECTORIES: dict[str, tuple[Callable[[Path], None], str]] = {
    "missing required table": (
        _no_services,
        "{root}: file: required table 'services' is missing "
        "(expected services.csv or services.parquet)",
    ),
    "csv and parquet for one table": (
        _parquet_twice,
        "{root}: file: table 'services' is given twice (services.csv, services.parquet): "
        "keep one file per table",
    ),
}


@pytest.mark.parametrize("case", list(BAD_DIRECTORIES))
def test_bad_directories_exit_2_with_the_exact_report(tmp_path: Path, case: str) -> None:
    change, line = BAD_DIRECTORIES[case]
    root = make_dir(tmp_path)
    change(root)

    result = run(str(root))

    assert result.exit_code == 2
    assert result.output == (
        f"Refused: 1 contract violation(s) in {root}\n{line.format(root=root)}\n"
    )


def test_every_file_is_reported_in_one_run(tmp_path: Path) -> None:
    root = make_dir(
        tmp_path,
        **{
            "services.csv": SERVICES.replace(",28\n", ",0\n"),
            "transactions.csv": f"{HEADER}\nT1,A,KTP,2024-03-01,Rp 0\n",
            "outcomes.csv": "transaction_id,outcome\nT1,ya\n",
        },
    )
    result = run(str(root))
    assert result.exit_code == 2
    with pytest.raises(ContractError) as caught:
        load_data_dir(root)
    assert result.output == caught.value.report() + "\n"
    output = result.output
    assert output.startswith("Refused: 3 contract violation(s) in ")
    assert f"{root / 'services.csv'}: column 'sla_working_days': must be > 0 (1 row)" in output
    assert f"{root / 'transactions.csv'}: column 'fee_paid_idr': type:" in output
    assert f"{root / 'outcomes.csv'}: column 'outcome': must be one of:" in output


def test_missing_directory_exits_2(tmp_path: Path) -> None:
    result = run(str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert result.output == (
        f"Refused: 1 contract violation(s) in {tmp_path / 'nope'}\n"
        f"{tmp_path / 'nope'}: file: data directory does not exist\n"
    )


def test_unknown_timezone_setting_exits_2_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIDAK_TIMEZONE", "Mars/Olympus")
    get_settings.cache_clear()
    result = run(str(make_dir(tmp_path)))
    assert result.exit_code == 2
    assert "Unknown timezone 'Mars/Olympus'" in result.output


def test_configured_timezone_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 2024-03-01T10:00+07:00 is 11:00 WITA: completed at 10:30 WITA is then too early
    content = f"{HEADER},completed_at\nT1,A,KTP,2024-03-01T10:00:00+07:00,0,2024-03-01 10:30\n"
    root = make_dir(tmp_path, **{"transactions.csv": content})
    assert run(str(root)).exit_code == 0
    monkeypatch.setenv("SIDAK_TIMEZONE", "Asia/Makassar")
    get_settings.cache_clear()
    result = run(str(root))
    assert result.exit_code == 2
    assert "    row 1: 2024-03-01 10:30:00 (submitted_at 2024-03-01 11:00:00)" in result.output


# --- sidak entities: the period and officer ids are checked before any model is loaded ------


def entities(*args: str) -> Result:
    result = CliRunner().invoke(app, ["entities", *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


OFFICERS = (
    f"{HEADER},officer_id\n"
    "T1,DISDUKCAPIL-1872,KTP,2024-03-01 09:30,0,OFF-1\n"
    "T2,DPMPTSP-1872,PBG,2024-03-01T10:00:00+07:00,50000,\n"
)


@pytest.mark.parametrize(
    ("args", "period"),
    [
        (["--start", "2030-01-01"], "from 2030-01-01 on"),
        (["--end", "2024-02-01"], "before 2024-02-01"),
        (["--start", "2024-01-01", "--end", "2024-02-01"], "between 2024-01-01 and 2024-02-01"),
        # 10:30 WITA is 09:30 WIB: T1 (09:30) is not before it
        (["--end", "2024-03-01T10:30:00+08:00"], "before 2024-03-01 09:30:00"),
        (["--start", "2024-03-01T03:00:01Z"], "from 2024-03-01 10:00:01 on"),
    ],
)
def test_entities_for_a_period_without_transactions_say_so(
    tmp_path: Path, args: list[str], period: str
) -> None:
    root = make_dir(tmp_path)
    result = entities(str(root), "--level", "office", *args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"No transactions {period}")
    assert result.output.endswith(
        f" in {root} (its transactions were submitted from 2024-03-01 to 2024-03-01).\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--start", "2024-03-02", "--end", "2024-03-01"],
            "--start 2024-03-02 must be before --end 2024-03-01 (the end is exclusive)",
        ),
        (
            ["--start", "2024-03-01T12:00+09:00", "--end", "2024-03-01 09:00"],
            "--start 2024-03-01 10:00:00 must be before --end 2024-03-01 09:00:00 "
            "(the end is exclusive)",
        ),
        (
            ["--start", "2024-03-01 10:00", "--end", "2024-03-01T10:00+07:00"],
            "--start 2024-03-01 10:00:00 must be before --end 2024-03-01 10:00:00 "
            "(the end is exclusive)",
        ),
        (
            ["--start", "2025-02-30"],
            "--start '2025-02-30' is not a valid date: must be an ISO 8601 datetime "
            "(e.g. 2024-03-01 09:30 or 2024-03-01T09:30+07:00)",
        ),
        (
            ["--end", "notadate"],
            "--end 'notadate' is not a valid date: must be an ISO 8601 datetime "
            "(e.g. 2024-03-01 09:30 or 2024-03-01T09:30+07:00)",
        ),
        (
            ["--end", "9999-01-01"],
            "--end '9999-01-01' is not a valid date: datetime outside the supported years "
            "1677-2262",
        ),
    ],
)
def test_entities_refuse_a_bad_period_in_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = entities(str(make_dir(tmp_path)), *args)
    assert result.exit_code == 2
    assert result.output == message + "\n"


def test_entities_by_officer_without_officer_ids_say_so(tmp_path: Path) -> None:
    root = make_dir(tmp_path)
    result = entities(str(root))
    assert result.exit_code == 2
    assert result.output == (
        f"No officer ids in {root} (officer_id is absent or empty): officers cannot be ranked; "
        "rank offices with --level office.\n"
    )
    assert "Empty DataFrame" not in result.output


def test_entities_by_officer_in_a_period_without_officer_ids_say_so(tmp_path: Path) -> None:
    root = make_dir(tmp_path, **{"transactions.csv": OFFICERS})
    result = entities(str(root), "--start", "2024-03-01 10:00")
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"No officer ids among the 1 transaction from 2024-03-01 10:00:00 on in {root}: "
        "no officers to rank.\n"
    )


@pytest.mark.parametrize(
    ("variable", "value", "why"),
    [
        ("SIDAK_SCORE_JOBS", "0", "0 threads cannot score"),
        ("SIDAK_SCORE_JOBS", "two", "valid integer"),
        ("SIDAK_LANGUAGE", "fr", "'id' or 'en'"),
    ],
)
def test_a_setting_set_wrong_is_named_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, why: str
) -> None:
    monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["validate", str(make_dir(tmp_path))])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"{variable}='{value}': " in result.output and why in result.output
