"""Per-transaction signals against the service standard: fees, payment, time of completion.

``enrich`` joins the service catalogue and counts working days (one place for both);
``TransactionSignals`` turns an enriched frame into named numeric signals. Units: rupiah for
money, working days for time; ratios are unitless. Higher values mean more suspicious.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from model.calendar import WorkingCalendar
from model.features.lookup import as_dict, equals, lookup

# Identifiers and categories carried as strings from the transactions to the features.
ID_COLUMNS = ("transaction_id", "office_id", "service_code", "officer_id", "agent_id", "channel")

# A gap below this many rupiah is rounding or a bank charge, not a levy.
MATERIAL_GAP_IDR = 5_000
ROUND_UNIT_IDR = 10_000
# Weight of a reported-vs-receipt gap on a file filed through an agent (who charges a fee).
AGENT_GAP_SHARE = 0.35
# An applicant who reports up to one duty stamp (bea meterai, Rp 10.000 since UU 10/2020)
# or a photocopy more than the receipt most likely counts what they paid beside the fee; from
# about Rp 50.000 beyond it, a reported gap reads as a levy (``reported_gap_levy`` = 1).
STAMP_DUTY_IDR = 10_000
LEVY_SCALE_IDR = 40_000
# A tariff in force that the exported catalogue does not show yet (a new regional regulation):
# in an office and month, at least this share of the receipts of a fixed-fee service, out of
# at least ``TARIFF_MIN_FILES``, show one and the same amount above the catalogue's. A levy
# is taken from some applicants, in amounts that vary; a receipt every applicant gets is the
# price.
TARIFF_SHARE = 0.8
TARIFF_MIN_FILES = 20


def _column(frame: pd.DataFrame, name: str, default: object = np.nan) -> pd.Series:
    if name in frame:
        return frame[name]
    return pd.Series(default, index=frame.index)


def _as_float(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_integer_dtype(series.dtype) or pd.api.types.is_float_dtype(series.dtype):
        return series.to_numpy(dtype=float, na_value=np.nan)  # already numbers: no parsing
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


# The fitted catalogue as dicts, per catalogue frame (fitted state, never changed in place):
# building them costs more than scoring one transaction.
_CATALOGUE_MAPS: dict[int, tuple[weakref.ref, tuple[dict, dict, dict]]] = {}


def _as_string(series: pd.Series) -> pd.Series:
    same = series.dtype == pd.api.types.pandas_dtype("string")
    return series if same else series.astype("string")


def _as_datetime(series: pd.Series) -> pd.Series:
    return series if series.dtype == "datetime64[ns]" else pd.to_datetime(series)


def _catalogue_maps(services: pd.DataFrame) -> tuple[dict, dict, dict]:
    """Official fee, variable-fee flag (as float) and SLA per service code."""
    cached = _CATALOGUE_MAPS.get(id(services))
    if cached is not None and cached[0]() is services:
        return cached[1]
    catalogue = services.set_index("service_code")
    maps = (
        as_dict(catalogue["official_fee_idr"]),
        as_dict(catalogue["fee_is_variable"].astype(float)),
        as_dict(catalogue["sla_working_days"]),
    )
    if len(_CATALOGUE_MAPS) > 64:
        _CATALOGUE_MAPS.clear()
    _CATALOGUE_MAPS[id(services)] = (weakref.ref(services), maps)
    return maps


def _processing_end(
    submitted: pd.Series, completed: pd.Series, is_open: np.ndarray, as_of: pd.Timestamp
) -> pd.Series:
    """Completion, or ``as_of`` for open files; never before submission (NaT: submission)."""
    if submitted.dtype == completed.dtype == "datetime64[ns]":  # in numpy, same values
        start = submitted.to_numpy()
        moment = pd.Timestamp(as_of).as_unit("ns").to_datetime64()
        end = np.where(is_open, moment, completed.to_numpy())
        end = np.where(end >= start, end, start)  # NaT compares False: the submission
        return pd.Series(end, index=completed.index, name=completed.name)
    end = completed.where(~is_open, as_of)
    return end.where(end >= submitted, submitted)


def enrich(
    transactions: pd.DataFrame,
    services: pd.DataFrame,
    calendar: WorkingCalendar,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """Transactions joined with their service standard, with working days elapsed.

    ``enrich_columns`` as a frame on the transactions' index.
    """
    columns = enrich_columns(transactions, services, calendar, as_of)
    return pd.DataFrame(columns, index=transactions.index)


def enrich_columns(
    transactions: pd.DataFrame,
    services: pd.DataFrame,
    calendar: WorkingCalendar,
    as_of: pd.Timestamp,
) -> dict[str, object]:
    """``enrich``'s columns by name: ids and dates as Series, numbers as arrays.

    ``processing_working_days`` counts to completion, or for an open file (no completion,
    not rejected) to ``as_of`` — the end of the training data, so a file still held far
    past its standard shows as such, and one transaction scored alone matches the batch.
    """
    official_fees, variable_fees, slas = _catalogue_maps(services)
    codes = _column(transactions, "service_code", pd.NA).to_numpy(dtype=object)
    frame: dict[str, object] = {
        column: _as_string(_column(transactions, column, pd.NA))
        for column in (*ID_COLUMNS, "payment_method", "status")
    }
    submitted = _as_datetime(transactions["submitted_at"])
    completed = _as_datetime(_column(transactions, "completed_at", pd.NaT))
    frame["submitted_at"] = submitted
    frame["completed_at"] = completed
    frame["official_fee_idr"] = lookup(codes, official_fees, np.nan)
    variable = lookup(codes, variable_fees, 0.0)
    frame["fee_is_variable"] = variable.astype(bool)
    frame["sla_working_days"] = lookup(codes, slas, np.nan)
    frame["fee_paid_idr"] = _as_float(transactions["fee_paid_idr"])
    for column in ("assessed_fee_idr", "reported_fee_idr", "visits"):
        frame[column] = _as_float(_column(transactions, column))
    status = _column(transactions, "status", pd.NA)
    decided = equals(status, "rejected") | equals(status, "completed")
    missing = completed.isna().to_numpy()
    # Open: no completion in an export that records completions, and not decided. An export
    # without the column says nothing of how long files took, so nothing counts as open.
    is_open = missing & ~decided & ("completed_at" in transactions)
    end = _processing_end(submitted, completed, is_open, as_of)
    days = calendar.working_days_between(submitted, end, fractional=True).to_numpy(copy=True)
    days[missing & ~is_open] = np.nan  # decided without a completion time: duration unknown
    frame["processing_working_days"] = days
    frame["is_open"] = is_open
    frame["is_rejected"] = equals(status, "rejected")
    return frame


class TransactionSignals(TransformerMixin, BaseEstimator):
    """Fee, payment, visit and completion-time signals of single transactions.

    ``fit`` learns per-service norms (how often people pay cash, how many visits a file
    needs, how often the office finishes work off-hours) so that "cash" and "a third visit"
    are judged against what is normal for that service.
    """

    def __init__(
        self,
        night_start_hour: int = 19,
        night_end_hour: int = 6,
        service_day_min_officers: int = 2,
        service_day_min_files: int = 8,
    ) -> None:
        self.night_start_hour = night_start_hour
        self.night_end_hour = night_end_hour
        self.service_day_min_officers = service_day_min_officers
        self.service_day_min_files = service_day_min_files

    def fit(self, X: pd.DataFrame, y: object = None) -> TransactionSignals:
        paid_service = X["fee_paid_idr"] > 0
        cash = X["payment_method"].eq("cash").astype(float).where(X["payment_method"].notna())
        self.cash_share_ = cash[paid_service].groupby(X["service_code"]).mean().to_dict()
        self.global_cash_share_ = float(np.nan_to_num(cash[paid_service].mean(), nan=0.5))
        self.visits_median_ = X.groupby("service_code")["visits"].median().dropna().to_dict()
        self.service_days_ = self._service_days(X)
        off = pd.Series(self._off_hours(X), index=X.index)
        done = X["completed_at"].notna()
        self.office_off_hours_rate_ = off[done].groupby(X["office_id"][done]).mean().to_dict()
        self.tariffs_in_force_, self.latest_tariffs_ = tariffs_in_force(X)
        self.feature_names_out_ = np.array(self._names())
        return self

    def _names(self) -> list[str]:
        return [
            "legal_fee_idr",
            "fee_excess_idr",
            "fee_excess_ratio",
            "fee_on_free_service",
            "fee_excess_is_round",
            "reported_gap_idr",
            "reported_gap_flag",
            "reported_gap_unexplained",
            "reported_gap_levy",
            "cash_unusual",
            "visits_excess",
            "completed_off_hours",
            "completed_off_hours_unusual",
        ]

    def _completion_times(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row: completion day, night completion, weekend daytime completion."""
        moments = X["completed_at"].to_numpy(dtype="datetime64[ns]")
        known = ~np.isnat(moments)
        completed = np.where(known, moments, np.datetime64(0, "ns"))
        day = completed.astype("datetime64[D]")
        hour = ((completed - day) // np.timedelta64(1, "h")).astype(np.int64)
        weekday = (day.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        night = ((hour >= self.night_start_hour) | (hour < self.night_end_hour)) & known
        return day, night, (weekday >= 5) & ~night & known

    @staticmethod
    def _day_keys(X: pd.DataFrame, day: np.ndarray, rows: np.ndarray) -> np.ndarray:
        offices = X["office_id"].to_numpy(dtype=object)[rows]
        dates = day[rows].astype(str)
        return np.array([f"{office}|{date}" for office, date in zip(offices, dates, strict=True)])

    def _service_days(self, X: pd.DataFrame) -> dict[Hashable, float]:
        """Weekend days on which an office was open: eight files or more completed in
        daytime by two officers or more (a Saturday service, a mobile unit's day out, a
        backlog drive). Work on such a day is the office's, not one officer's after-hours
        errand; one officer alone on a Saturday stays after hours, whatever the number of
        files. Learned from the training data; a weekend day the model has not seen counts
        as closed."""
        day, _, weekend_day = self._completion_times(X)
        rows = np.flatnonzero(weekend_day)
        if not len(rows):
            return {}
        officers = X["officer_id"].to_numpy(dtype=object)[rows]
        frame = pd.DataFrame({"key": self._day_keys(X, day, rows), "officer": officers})
        per_day = frame.groupby("key").agg(files=("key", "size"), officers=("officer", "nunique"))
        # Without officer ids, many files alone mark the day.
        enough_officers = (per_day["officers"] >= self.service_day_min_officers) | (
            per_day["officers"] == 0
        )
        busy = per_day["files"] >= self.service_day_min_files
        return dict.fromkeys(per_day.index[enough_officers & busy], 1.0)

    def _off_hours(self, X: pd.DataFrame) -> np.ndarray:
        """Completed at night, or on a weekend the office was not open (see
        ``_service_days``). Holidays are left out on purpose: offices do open on some cuti
        bersama days, and calendars of closures are often incomplete."""
        day, night, weekend_day = self._completion_times(X)
        off = night | weekend_day
        rows = np.flatnonzero(weekend_day)
        if len(rows) and getattr(self, "service_days_", None):
            open_day = lookup(self._day_keys(X, day, rows), self.service_days_, 0.0) > 0
            off[rows[open_day]] = False
        return off.astype(float)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(self.transform_columns(X), index=X.index)

    def transform_columns(self, X: pd.DataFrame) -> dict[str, np.ndarray]:
        """``transform``'s columns as arrays by name (no frame: for scoring few rows)."""
        check_is_fitted(self, "cash_share_")
        official = np.asarray(X["official_fee_idr"], dtype=float)
        assessed = np.asarray(X["assessed_fee_idr"], dtype=float)
        variable = np.asarray(X["fee_is_variable"], dtype=bool)
        # Variable fees: the assessed amount is the legal one; unknown when not given. A
        # fixed fee that receipts show has changed (``tariffs_in_force``) is the one in force.
        legal = np.where(variable, assessed, official)
        if getattr(self, "tariffs_in_force_", None) or getattr(self, "latest_tariffs_", None):
            legal = np.fmax(legal, self._tariff_in_force(X))
        paid = np.asarray(X["fee_paid_idr"], dtype=float)
        excess = np.where(np.isnan(legal), 0.0, np.maximum(paid - legal, 0.0))
        excess = np.where(excess >= MATERIAL_GAP_IDR, excess, 0.0)
        reported = np.asarray(X["reported_fee_idr"], dtype=float)
        gap = np.where(np.isnan(reported), 0.0, np.maximum(reported - paid, 0.0))
        gap = np.where(gap >= MATERIAL_GAP_IDR, gap, 0.0)
        via_agent = equals(X["channel"], "agent")
        unexplained = (gap > 0) * np.where(via_agent, AGENT_GAP_SHARE, 1.0)
        beyond_stamp = np.clip((gap - STAMP_DUTY_IDR) / LEVY_SCALE_IDR, 0.0, 1.0)
        share = lookup(X["service_code"], self.cash_share_, self.global_cash_share_)
        cash = equals(X["payment_method"], "cash")
        norm = lookup(X["service_code"], self.visits_median_, 1.0)
        extra = np.asarray(X["visits"], dtype=float) - norm
        off = self._off_hours(X)
        base = lookup(X["office_id"], self.office_off_hours_rate_, 0.0)
        columns = {
            "legal_fee_idr": legal,
            "fee_excess_idr": excess,
            "fee_excess_ratio": excess / np.maximum(np.nan_to_num(legal), 50_000.0),
            "fee_on_free_service": ((legal == 0) & (excess > 0)).astype(float),
            "fee_excess_is_round": ((excess > 0) & (excess % ROUND_UNIT_IDR == 0)).astype(float),
            "reported_gap_idr": gap,
            "reported_gap_flag": (gap > 0).astype(float),
            # Through an intermediary the applicant also paid the agency's own (legal) fee,
            # so a gap there is mostly explained: it counts for about a third.
            "reported_gap_unexplained": unexplained,
            # The same beyond a duty stamp, in proportion to the amount (0 for a stamp's worth).
            "reported_gap_levy": unexplained * beyond_stamp,
            # Cash is only odd where paying non-cash is the norm for this service.
            "cash_unusual": np.where(cash & (paid > 0), np.clip(1.0 - share, 0.0, 1.0), 0.0),
            "visits_excess": np.nan_to_num(np.clip(extra, 0.0, None)),
            "completed_off_hours": off,
            "completed_off_hours_unusual": off * np.clip(1.0 - 2.0 * base, 0, 1),
        }
        return columns

    def _tariff_in_force(self, X: pd.DataFrame) -> np.ndarray:
        """Per row, the tariff in force for its office, service and month where receipts
        showed one (NaN elsewhere); after the training months, the last one seen."""
        found = np.full(len(X["fee_paid_idr"]), np.nan)
        services = {key.rsplit("|", 1)[1] for key in self.latest_tariffs_} | {
            key.rsplit("|", 2)[1] for key in self.tariffs_in_force_
        }
        rows = np.flatnonzero(pd.Series(X["service_code"]).astype(object).isin(services))
        if not len(rows):
            return found
        cell, month = _tariff_keys(X, rows)
        by_month, latest = self.tariffs_in_force_, self.latest_tariffs_
        for i, (c, m) in enumerate(zip(cell, month, strict=True)):
            amount = by_month.get(f"{c}|{m}")
            if amount is None and c in latest and m > latest[c][0]:
                amount = latest[c][1]
            if amount is not None:
                found[rows[i]] = amount
        return found

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_


def _tariff_keys(X: pd.DataFrame, rows: np.ndarray) -> tuple[list[str], list[str]]:
    """``office|service`` and ``YYYY-MM`` of submission for ``rows``."""
    office = pd.Series(X["office_id"]).astype(object).to_numpy()[rows]
    service = pd.Series(X["service_code"]).astype(object).to_numpy()[rows]
    month = pd.Series(X["submitted_at"]).iloc[rows].dt.strftime("%Y-%m").tolist()
    cell = [f"{o}|{c}" for o, c in zip(office, service, strict=True)]
    return cell, month


def tariffs_in_force(
    X: pd.DataFrame,
) -> tuple[dict[str, float], dict[str, tuple[str, float]]]:
    """Fixed fees that receipts show have changed: where, in an office and month, at least
    ``TARIFF_SHARE`` of the paid receipts of a fixed-fee service (``TARIFF_MIN_FILES`` or
    more) show one amount above the catalogue's. Returns that amount by
    ``office|service|YYYY-MM``, and by ``office|service`` the last training month and amount
    where that month had one (it stays in force for later months). Free services are left
    out: a charge for a service free by law is a finding whoever takes it.
    """
    if not {"official_fee_idr", "fee_is_variable", "submitted_at"} <= set(X.columns):
        return {}, {}
    official = np.asarray(X["official_fee_idr"], dtype=float)
    paid = np.asarray(X["fee_paid_idr"], dtype=float)
    fixed = ~np.asarray(X["fee_is_variable"], dtype=bool) & (official > 0) & (paid > 0)
    if not fixed.any():
        return {}, {}
    rows = np.flatnonzero(fixed)
    cell, month = _tariff_keys(X, rows)
    frame = pd.DataFrame({"cell": cell, "month": month, "paid": paid[rows], "fee": official[rows]})
    # the catalogue's fee is the service's, so it rides along with the cell
    counts = frame.groupby(["cell", "month", "fee", "paid"]).size().rename("count").reset_index()
    counts["total"] = counts.groupby(["cell", "month"])["count"].transform("sum")
    modal = counts.loc[counts.groupby(["cell", "month"])["count"].idxmax()]
    in_force = modal[
        (modal["total"] >= TARIFF_MIN_FILES)
        & (modal["count"] >= TARIFF_SHARE * modal["total"])
        & (modal["paid"] >= modal["fee"] + MATERIAL_GAP_IDR)
    ]
    by_month = {
        f"{c}|{m}": float(p)
        for c, m, p in zip(in_force["cell"], in_force["month"], in_force["paid"], strict=True)
    }
    last = modal.groupby("cell")["month"].max()
    latest = {c: (m, by_month[f"{c}|{m}"]) for c, m in last.items() if f"{c}|{m}" in by_month}
    return by_month, latest
