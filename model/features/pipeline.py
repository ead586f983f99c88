"""All features of a transaction, fitted once and applied anywhere.

``FeatureBuilder`` holds everything learnt from the training data — the service catalogue,
the working-day calendar, peer baselines, entity profiles — so one transaction scored alone
gets exactly the features it gets in a batch. Pandas in, pandas out, named columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from model.calendar import WorkingCalendar
from model.features.complaints import complaint_signals, per_transaction
from model.features.entities import EntityProfiles
from model.features.peers import PeerTiming
from model.features.transaction import ID_COLUMNS, TransactionSignals, enrich

CONTEXT_COLUMNS = (
    *ID_COLUMNS,
    "submitted_at",
    "completed_at",
    "fee_paid_idr",
    "official_fee_idr",
    "fee_is_variable",
    "sla_working_days",
    "processing_working_days",
    "is_open",
    "visits",
)


class FeatureBuilder(TransformerMixin, BaseEstimator):
    """Transactions (+ catalogue, complaints, closures) -> one row of named features each.

    ``y`` (optional, aligned to transactions: 1 confirmed, 0 dismissed, NaN unreviewed) gives
    officers and intermediaries their record of supervisors' verdicts.
    """

    def __init__(self, timezone: str = "Asia/Jakarta") -> None:
        self.timezone = timezone

    def fit(
        self,
        transactions: pd.DataFrame,
        y: object = None,
        *,
        services: pd.DataFrame,
        complaints: pd.DataFrame | None = None,
        holidays: pd.DataFrame | None = None,
    ) -> FeatureBuilder:
        catalogue = services.copy()
        if "fee_is_variable" not in catalogue:
            catalogue["fee_is_variable"] = False
        columns = ["service_code", "service_name", "official_fee_idr", "fee_is_variable"]
        self.services_ = catalogue[[*columns, "sla_working_days"]].reset_index(drop=True)
        closures = [] if holidays is None else list(pd.to_datetime(holidays["date"]))
        submitted = pd.to_datetime(transactions["submitted_at"])
        completed = pd.to_datetime(transactions.get("completed_at", submitted))
        self.as_of_ = max(submitted.max(), completed.max())
        self.calendar_ = WorkingCalendar(
            int(submitted.min().year) - 1,
            int(self.as_of_.year) + 5,
            tuple(np.datetime64(pd.Timestamp(d).date(), "D") for d in closures),
        )
        frame = self._enrich(transactions)
        self.signals_ = TransactionSignals().fit(frame)
        frame = frame.join(self.signals_.transform(frame))
        self.timing_ = PeerTiming().fit(frame)
        frame = frame.join(self.timing_.transform(frame))
        frame["fee_signal"] = self._fee_signal(frame)
        signals = complaint_signals(complaints)
        verdicts = None if y is None else pd.Series(np.asarray(y, dtype=float), index=frame.index)
        self.entities_ = EntityProfiles().fit(
            frame, verdicts, complaints=self._attach(signals, frame)
        )
        self.signal_names_ = np.array(self._feature_names())
        self.feature_names_out_ = np.array([*CONTEXT_COLUMNS, *self.signal_names_])
        return self

    def _enrich(self, transactions: pd.DataFrame) -> pd.DataFrame:
        return enrich(transactions, self.services_, self.calendar_, self.as_of_)

    @staticmethod
    def _fee_signal(frame: pd.DataFrame) -> pd.Series:
        flagged = (frame["fee_excess_idr"] > 0) | (frame["reported_gap_idr"] > 0)
        return flagged.astype(float)

    @staticmethod
    def _attach(complaints: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
        """Complaints naming a transaction inherit its officer when they name none."""
        if complaints.empty:
            return complaints
        owner = frame.set_index("transaction_id")["officer_id"]
        owner = owner[~owner.index.duplicated()]
        inherited = complaints["transaction_id"].astype(object).map(owner)
        out = complaints.copy()
        out["officer_id"] = (
            out["officer_id"].astype(object).where(out["officer_id"].notna(), inherited)
        )
        return out

    def _feature_names(self) -> list[str]:
        return [
            *self.signals_.get_feature_names_out(),
            *self.timing_.get_feature_names_out(),
            "officer_relative_delay_z",
            *self.entities_.get_feature_names_out(),
            "complaints_on_transaction",
            "money_complaint_on_transaction",
        ]

    def transform(
        self, transactions: pd.DataFrame, complaints: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Features plus context columns (ids, fees, days) used for explanations."""
        check_is_fitted(self, "entities_")
        frame = self._enrich(transactions)
        timing = self.timing_.transform(frame)
        people = self.entities_.transform(frame)
        # A consistently slow officer (new, or simply slow) explains their own delays.
        own_pace = np.clip(people["officer_median_z"].to_numpy(), 0.0, None)
        relative = np.clip(timing["time_z"].to_numpy() - own_pace, 0, None)
        columns: dict[str, object] = {"officer_relative_delay_z": relative}
        for part in (
            frame,
            self.signals_.transform(frame),
            timing,
            people,
            per_transaction(complaints, frame["transaction_id"]),
        ):
            columns.update(part.items())
        # One frame built from the columns (a concat of six frames costs more than the rows
        # of a scoring request).
        return pd.DataFrame(
            {name: columns[name] for name in self.feature_names_out_}, index=frame.index
        )

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Context columns (ids, fees, days: for explanations) then the signal columns."""
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_
