"""Per-transaction signals against the service standard: fees, payment, time of completion.

``enrich`` joins the service catalogue and counts working days (one place for both);
``TransactionSignals`` turns an enriched frame into named numeric signals. Units: rupiah for
money, working days for time; ratios are unitless. Higher values mean more suspicious.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from model.calendar import WorkingCalendar

# A gap below this many rupiah is rounding or a bank charge, not a levy.
MATERIAL_GAP_IDR = 5_000
ROUND_UNIT_IDR = 10_000


def _column(frame: pd.DataFrame, name: str, default: object = np.nan) -> pd.Series:
    if name in frame:
        return frame[name]
    return pd.Series(default, index=frame.index)


def _as_float(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def enrich(
    transactions: pd.DataFrame,
    services: pd.DataFrame,
    calendar: WorkingCalendar,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """Transactions joined with their service standard, with working days elapsed.

    ``processing_working_days`` counts to completion, or for an open file (no completion,
    not rejected) to ``as_of`` — the end of the training data, so a file still held far
    past its standard shows as such, and one transaction scored alone matches the batch.
    """
    catalogue = services.set_index("service_code")
    frame = pd.DataFrame(index=transactions.index)
    for column in ("transaction_id", "office_id", "service_code", "officer_id", "agent_id"):
        frame[column] = _column(transactions, column, pd.NA).astype("string")
    frame["channel"] = _column(transactions, "channel", pd.NA).astype("string")
    frame["payment_method"] = _column(transactions, "payment_method", pd.NA).astype("string")
    frame["status"] = _column(transactions, "status", pd.NA).astype("string")
    frame["submitted_at"] = pd.to_datetime(transactions["submitted_at"])
    completed = pd.to_datetime(_column(transactions, "completed_at", pd.NaT))
    frame["completed_at"] = completed
    codes = frame["service_code"].astype(object)
    frame["official_fee_idr"] = codes.map(catalogue["official_fee_idr"]).astype(float)
    frame["fee_is_variable"] = codes.map(catalogue["fee_is_variable"]).fillna(False).astype(bool)
    frame["sla_working_days"] = codes.map(catalogue["sla_working_days"]).astype(float)
    frame["fee_paid_idr"] = _as_float(transactions["fee_paid_idr"])
    frame["assessed_fee_idr"] = _as_float(_column(transactions, "assessed_fee_idr"))
    frame["reported_fee_idr"] = _as_float(_column(transactions, "reported_fee_idr"))
    frame["visits"] = _as_float(_column(transactions, "visits"))
    rejected = frame["status"].eq("rejected").fillna(False).to_numpy(dtype=bool)
    is_open = completed.isna().to_numpy() & ~rejected
    end = completed.where(~is_open, as_of)
    end = end.where(end >= frame["submitted_at"], frame["submitted_at"])
    days = calendar.working_days_between(frame["submitted_at"], end, fractional=True)
    days[completed.isna().to_numpy() & rejected] = np.nan
    frame["processing_working_days"] = days.to_numpy()
    frame["is_open"] = is_open
    return frame


class TransactionSignals(TransformerMixin, BaseEstimator):
    """Fee, payment, visit and completion-time signals of single transactions.

    ``fit`` learns per-service norms (how often people pay cash, how many visits a file
    needs, how often the office finishes work off-hours) so that "cash" and "a third visit"
    are judged against what is normal for that service.
    """

    def __init__(self, night_start_hour: int = 19, night_end_hour: int = 6) -> None:
        self.night_start_hour = night_start_hour
        self.night_end_hour = night_end_hour

    def fit(self, X: pd.DataFrame, y: object = None) -> TransactionSignals:
        paid_service = X["fee_paid_idr"] > 0
        cash = X["payment_method"].eq("cash").astype(float).where(X["payment_method"].notna())
        self.cash_share_ = cash[paid_service].groupby(X["service_code"]).mean().to_dict()
        self.global_cash_share_ = float(np.nan_to_num(cash[paid_service].mean(), nan=0.5))
        self.visits_median_ = X.groupby("service_code")["visits"].median().dropna().to_dict()
        off = self._off_hours(X)
        self.office_off_hours_rate_ = (
            off[X["completed_at"].notna()].groupby(X["office_id"]).mean().to_dict()
        )
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
            "cash_unusual",
            "visits_excess",
            "completed_off_hours",
            "completed_off_hours_unusual",
        ]

    def _off_hours(self, X: pd.DataFrame) -> pd.Series:
        """Completed at night or on a weekend. Holidays are left out on purpose: offices do
        open on some cuti bersama days, and calendars of closures are often incomplete."""
        hour = X["completed_at"].dt.hour
        night = (hour >= self.night_start_hour) | (hour < self.night_end_hour)
        weekend = X["completed_at"].dt.dayofweek >= 5
        off = (night | weekend).fillna(False)
        return off.astype(float).where(X["completed_at"].notna(), 0.0)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "cash_share_")
        out = pd.DataFrame(index=X.index)
        official = X["official_fee_idr"].to_numpy(dtype=float)
        assessed = X["assessed_fee_idr"].to_numpy(dtype=float)
        variable = X["fee_is_variable"].to_numpy(dtype=bool)
        # Variable fees: the assessed amount is the legal one; unknown when not given.
        legal = np.where(variable, assessed, official)
        paid = X["fee_paid_idr"].to_numpy(dtype=float)
        excess = np.where(np.isnan(legal), 0.0, np.maximum(paid - legal, 0.0))
        excess = np.where(excess >= MATERIAL_GAP_IDR, excess, 0.0)
        out["legal_fee_idr"] = legal
        out["fee_excess_idr"] = excess
        out["fee_excess_ratio"] = excess / np.maximum(np.nan_to_num(legal), 50_000.0)
        out["fee_on_free_service"] = ((legal == 0) & (excess > 0)).astype(float)
        out["fee_excess_is_round"] = ((excess > 0) & (excess % ROUND_UNIT_IDR == 0)).astype(float)
        reported = X["reported_fee_idr"].to_numpy(dtype=float)
        gap = np.where(np.isnan(reported), 0.0, np.maximum(reported - paid, 0.0))
        gap = np.where(gap >= MATERIAL_GAP_IDR, gap, 0.0)
        out["reported_gap_idr"] = gap
        out["reported_gap_flag"] = (gap > 0).astype(float)
        share = X["service_code"].astype(object).map(self.cash_share_).astype(float)
        share = share.fillna(self.global_cash_share_).to_numpy()
        cash = X["payment_method"].eq("cash").fillna(False).to_numpy(dtype=bool)
        # Cash is only odd where paying non-cash is the norm for this service.
        out["cash_unusual"] = np.where(cash & (paid > 0), np.clip(1.0 - share, 0.0, 1.0), 0.0)
        norm = X["service_code"].astype(object).map(self.visits_median_).astype(float)
        extra = X["visits"].to_numpy(dtype=float) - norm.fillna(1.0).to_numpy()
        out["visits_excess"] = np.nan_to_num(np.clip(extra, 0.0, None))
        off = self._off_hours(X).to_numpy()
        base = X["office_id"].astype(object).map(self.office_off_hours_rate_).astype(float)
        out["completed_off_hours"] = off
        out["completed_off_hours_unusual"] = off * np.clip(1.0 - 2.0 * base.fillna(0.0), 0, 1)
        return out

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_
