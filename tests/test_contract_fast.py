"""The contract's fast path accepts exactly what the full check accepts, or defers to it.

For many valid and hostile records, ``accept_frame`` and ``accept_records`` either return a
frame equal to ``validate_table_full``'s (values, dtypes, column order, index), or None; and
``validate_table`` (fast path first) returns or refuses exactly as the full check does, with
the same violations (rule texts and row numbers).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from model.contract import ContractError, validate_table, validate_table_full
from model.contract_fast import accept_frame, accept_records
from model.errors import SidakError

SERVICES = ["KTP", "AKTA", "PBG"]

VALID: dict[str, Any] = {
    "transaction_id": "TX-1",
    "office_id": "DISDUKCAPIL-1872",
    "service_code": "KTP",
    "submitted_at": "2025-02-03T08:00:00",
    "completed_at": "2025-02-05T10:30:00",
    "fee_paid_idr": 0,
    "officer_id": "OFF-1",
    "channel": "counter",
    "agent_id": None,
    "applicant_id": "A-1",
    "payment_method": "none",
    "assessed_fee_idr": None,
    "reported_fee_idr": 50_000,
    "visits": 2,
    "status": "completed",
}

# (field, value) replacements of one record; "<drop>" removes the field.
DROP = "<drop>"
HOSTILE: list[tuple[str, Any]] = [
    *[("transaction_id", v) for v in (123, 1.0, 1.5, "", " TX-1", "TX-1 ", "TX\u00a0", None)],
    *[("transaction_id", v) for v in (True, "tx-é", "\ttab", DROP)],
    *[("office_id", v) for v in (None, "", DROP, 7, "Ü-OFFICE")],
    *[("service_code", v) for v in ("UNKNOWN", "ktp", None, "", 5, DROP)],
    *[
        ("submitted_at", v)
        for v in (
            "2025-13-01",
            "2025-02-30T08:00:00",
            "2025-02-03T08:00:00+07:00",
            "2025-02-03T08:00:00Z",
            "2025-02-03T01:00:00-05:00",
            "2025-02-03",
            "2025-02-03 08:00",
            "2025-02-03T08:00",
            "2025-02-03T08:00:00.123456",
            "2025-02-03T08:00:00.123456789",
            "03/02/2025",
            "yesterday",
            1_700_000_000,
            1.7e9,
            "1600-01-01T00:00:00",
            "2300-01-01T00:00:00",
            "1677-09-21T00:00:00",
            "",
            None,
            True,
            DROP,
        )
    ],
    *[
        ("completed_at", v)
        for v in (
            "2025-02-01T08:00:00",  # before submitted
            "2025-02-03T07:59:59",
            "2025-02-03T08:00:00",  # the same moment
            "2025-02-03T09:00:00+07:00",
            None,
            "",
            "not a date",
            DROP,
        )
    ],
    *[
        ("fee_paid_idr", v)
        for v in (
            -1,
            1.5,
            50_000.0,
            "50000",
            "+50000",
            "-5",
            "50.000",
            "50,000",
            "1e3",
            " 5",
            "",
            True,
            None,
            math.nan,
            math.inf,
            2**60,
            2**63,
            10**20,
            1e300,
            DROP,
        )
    ],
    *[("channel", v) for v in ("agent", "AGENT", "calo", "", None, 5, DROP)],
    *[("payment_method", v) for v in ("cash", "qris", "Cash", "tunai", None)],
    *[("status", v) for v in ("pending", "rejected", "done", " completed")],
    *[("visits", v) for v in (-1, 0, 2.0, 2.5, "2", "two", None)],
    *[("assessed_fee_idr", v) for v in (100_000, -5, 0.0, "100000", 1.25, math.nan)],
    *[("reported_fee_idr", v) for v in (None, -1, "x")],
    *[("note", v) for v in ("an extra column", 5, None, 1.5)],
]


def _record(i: int = 1, **changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(VALID)
    record["transaction_id"] = f"TX-{i}"
    for name, value in changes.items():
        if value is DROP:
            record.pop(name, None)
        else:
            record[name] = value
    return record


def _outcome(call: Any) -> tuple[str, Any]:
    try:
        return "ok", call()
    except ContractError as error:
        return "refused", error.to_dict()
    except SidakError as error:
        return "error", str(error)


def check(records: list[dict[str, Any]], known: list[str] | None = SERVICES) -> bool:
    """Asserts the fast-path contract for ``records``; True when the fast path accepted."""
    frame = pd.DataFrame.from_records(records)
    full = _outcome(lambda: validate_table_full("transactions", frame, "t", known_services=known))
    via = _outcome(lambda: validate_table("transactions", frame, "t", known_services=known))
    assert via[0] == full[0]
    if full[0] == "ok":
        pd.testing.assert_frame_equal(via[1], full[1])
    else:
        assert via[1] == full[1]
    accepted = False
    for fast in (
        accept_frame("transactions", frame, known),
        accept_records("transactions", records, known),
    ):
        if fast is not None:
            accepted = True
            assert full[0] == "ok", f"fast path accepted what the full check refuses: {full[1]}"
            pd.testing.assert_frame_equal(fast, full[1])
    return accepted


def test_plainly_valid_records_take_the_fast_path() -> None:
    assert check([_record()])
    assert check([_record(i) for i in range(16)])
    assert check([_record(1, completed_at=None, status="pending"), _record(2, visits=None)])
    assert check([_record(1), _record(2, fee_paid_idr=50_000.0)])  # ints and floats mixed
    assert check([_record(1)], known=None)


@pytest.mark.parametrize(("field", "value"), HOSTILE, ids=[f"{f}={v!r}" for f, v in HOSTILE])
def test_one_changed_field(field: str, value: Any) -> None:
    check([_record(1, **{field: value})])
    # the same value after a valid record (mixed column types, row number 2)
    check([_record(1), _record(2, **{field: value})])


@pytest.mark.parametrize(("field", "value"), HOSTILE, ids=[f"{f}={v!r}" for f, v in HOSTILE])
def test_one_changed_field_in_a_larger_batch(field: str, value: Any) -> None:
    """Batches of more than 32 records check text and whole numbers column-wise first."""
    check([_record(i) for i in range(40)] + [_record(40, **{field: value})])


@pytest.mark.parametrize("visits", [2**53, -(2**53), 2**53 - 1, None, 3.0, True])
def test_whole_numbers_column_wise(visits: Any) -> None:
    records = [_record(i, visits=None if i % 5 else i) for i in range(40)]
    assert check(records)
    check([*records, _record(40, visits=visits)])


def test_duplicate_ids_and_missing_keys() -> None:
    assert not check([_record(1), _record(1)])
    partial = _record(2)
    del partial["visits"], partial["status"]  # a key only some records hold
    assert check([_record(1), partial])
    assert check([partial, _record(1)])
    assert not check([{"transaction_id": "TX-1"}])


def test_every_row_number_of_a_refusal_is_the_full_checks() -> None:
    records = [_record(i, fee_paid_idr=-i if i % 3 == 0 else 0) for i in range(30)]
    assert not check(records)


def test_typed_columns_and_other_frames() -> None:
    frame = pd.DataFrame.from_records([_record(i) for i in range(4)])
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"]).astype("datetime64[ns]")
    frame["visits"] = frame["visits"].astype("Int64")
    frame.index = [10, 11, 12, 13]
    full = validate_table_full("transactions", frame, "t", known_services=SERVICES)
    fast = accept_frame("transactions", frame, SERVICES)
    assert fast is not None
    pd.testing.assert_frame_equal(fast, full)
    frame["submitted_at"] = frame["submitted_at"].dt.tz_localize("UTC")  # zones: full check
    assert accept_frame("transactions", frame, SERVICES) is None


def test_timezones() -> None:
    records = [_record(1)]
    for zone in ("Asia/Makassar", "UTC"):
        frame = pd.DataFrame.from_records(records)
        full = validate_table_full(
            "transactions", frame, "t", known_services=SERVICES, timezone=zone
        )
        fast = accept_records("transactions", records, SERVICES, timezone=zone)
        assert fast is not None
        pd.testing.assert_frame_equal(fast, full)
    with pytest.raises(SidakError, match="Unknown timezone"):
        accept_records("transactions", records, SERVICES, timezone="Mars/Olympus")


def test_random_mixtures() -> None:
    """Several hostile fields at once, over many seeded draws."""
    rng = np.random.default_rng(0)
    accepted = 0
    for _ in range(60):
        records = []
        for i in range(int(rng.integers(1, 5))):
            picks = rng.choice(len(HOSTILE), size=int(rng.integers(0, 3)), replace=False)
            records.append(_record(i, **{HOSTILE[p][0]: HOSTILE[p][1] for p in picks}))
        accepted += check(records)
    assert 0 < accepted < 60


def test_other_tables() -> None:
    services = [
        {
            "service_code": "KTP",
            "service_name": "KTP-el",
            "official_fee_idr": 0,
            "sla_working_days": 3,
        },
        {
            "service_code": "PBG",
            "service_name": "PBG",
            "official_fee_idr": 0,
            "fee_is_variable": True,
            "sla_working_days": 20.5,
        },
    ]
    cases = [
        services,
        [{**services[0], "sla_working_days": 0}],
        [{**services[0], "sla_working_days": -1.5}],
        [{**services[0], "sla_working_days": "3"}],
        [{**services[0], "fee_is_variable": "yes"}],
        [{**services[0], "fee_is_variable": None}],
        [services[0], services[0]],
    ]
    for records in cases:
        frame = pd.DataFrame.from_records(records)
        full = _outcome(lambda f=frame: validate_table_full("services", f, "s"))
        via = _outcome(lambda f=frame: validate_table("services", f, "s"))
        assert via[0] == full[0]
        if full[0] == "ok":
            pd.testing.assert_frame_equal(via[1], full[1])
        fast = accept_frame("services", frame)
        if fast is not None:
            assert full[0] == "ok"
    outcomes = pd.DataFrame({"transaction_id": ["TX-1"], "outcome": ["confirmed"]})
    pd.testing.assert_frame_equal(
        validate_table("outcomes", outcomes, "o"), validate_table_full("outcomes", outcomes, "o")
    )
    # No key for outcomes: a transaction reviewed twice is accepted by both paths alike.
    twice = pd.DataFrame(
        {"transaction_id": ["TX-1", "TX-1"], "outcome": ["dismissed", "confirmed"]}
    )
    fast = accept_frame("outcomes", twice)
    assert fast is not None
    pd.testing.assert_frame_equal(fast, validate_table_full("outcomes", twice, "o"))
