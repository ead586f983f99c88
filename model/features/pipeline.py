"""All features of a transaction, fitted once and applied anywhere.

``FeatureBuilder`` holds everything learnt from the training data — the service catalogue,
the working-day calendar, peer baselines, entity profiles — so one transaction scored alone
gets exactly the features it gets in a batch. Pandas in, pandas out, named columns.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from model.calendar import WorkingCalendar
from model.features.complaints import complaint_signals, per_transaction_columns
from model.features.entities import EntityProfiles
from model.features.peers import PeerTiming
from model.features.transaction import ID_COLUMNS, TransactionSignals, enrich, enrich_columns

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
    "is_rejected",
    "visits",
)


class FeatureColumns:
    """Feature columns by name (numpy arrays; ids and dates as Series) and their row index.

    Read like a frame (``F["fee_excess_idr"]``, ``"x" in F``, ``len(F)`` rows, ``F.index``);
    ``frame()`` builds the ``pandas.DataFrame`` that ``FeatureBuilder.transform`` returns.
    """

    def __init__(self, arrays: dict[str, Any], index: pd.Index) -> None:
        self.arrays = arrays
        self.index = index

    def __getitem__(self, name: str) -> Any:
        return self.arrays[name]

    def __contains__(self, name: object) -> bool:
        return name in self.arrays

    def __iter__(self) -> Iterator[str]:
        return iter(self.arrays)

    def __len__(self) -> int:
        return len(self.index)

    def frame(self, names: list[str] | tuple[str, ...] | None = None) -> pd.DataFrame:
        """The columns (all, or ``names`` in that order) as a frame on the rows' index."""
        chosen = self.arrays if names is None else {name: self.arrays[name] for name in names}
        return pd.DataFrame(chosen, index=self.index)


def _catalogue(services: pd.DataFrame) -> pd.DataFrame:
    """The service catalogue's columns the features read (``fee_is_variable`` defaults)."""
    catalogue = services.copy()
    if "fee_is_variable" not in catalogue:
        catalogue["fee_is_variable"] = False
    columns = ["service_code", "service_name", "official_fee_idr", "fee_is_variable"]
    return catalogue[[*columns, "sla_working_days"]].reset_index(drop=True)


def _closures(holidays: pd.DataFrame | None) -> tuple[np.datetime64, ...]:
    if holidays is None:
        return ()
    return tuple(
        np.datetime64(pd.Timestamp(d).date(), "D") for d in pd.to_datetime(holidays["date"])
    )


def data_end(moments: pd.Series, gap_days: int = 31) -> pd.Timestamp:
    """The end of an export: its latest date, leaving out stray dates far beyond the rest.

    Open files are aged up to this moment. A single mistyped year (2099 for 2025) must not
    make every pending file look held for decades: dates more than ``gap_days`` after the
    99.9th percentile (at most the last 0.1% of the dates, and one date in small exports)
    are not the end of the export.
    """
    known = np.sort(moments.dropna().to_numpy(dtype="datetime64[ns]"))
    if not len(known):
        raise ValueError("no dates to find the end of the data from")
    bulk = known[int(np.floor(0.999 * (len(known) - 1)))]
    inside = known[known <= bulk + np.timedelta64(gap_days, "D")]
    return pd.Timestamp(inside[-1])


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
        self.services_ = _catalogue(services)
        closures = _closures(holidays)
        submitted = pd.to_datetime(transactions["submitted_at"])
        completed = pd.to_datetime(transactions.get("completed_at", submitted))
        self.as_of_ = data_end(pd.concat([submitted, completed], ignore_index=True))
        self.calendar_ = WorkingCalendar(
            int(submitted.min().year) - 1,
            int(self.as_of_.year) + 5,
            closures,
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

    def with_reference(
        self, services: pd.DataFrame | None = None, holidays: pd.DataFrame | None = None
    ) -> FeatureBuilder:
        """A copy that reads this service catalogue and these closure days, every fitted
        statistic unchanged: a tariff or a standard changed since training (a new Perda), a
        service was added, the office announced closures. Codes the new catalogue does not
        list keep their trained entry; closures add to the trained ones."""
        check_is_fitted(self, "entities_")
        out = copy.copy(self)
        if services is not None and len(services):
            catalogue = _catalogue(services)
            kept = self.services_[~self.services_["service_code"].isin(catalogue["service_code"])]
            out.services_ = pd.concat([catalogue, kept], ignore_index=True)
        added = set(_closures(holidays)) - set(self.calendar_.extra_closures)
        if added:
            out.calendar_ = dataclasses.replace(
                self.calendar_,
                extra_closures=tuple(sorted({*self.calendar_.extra_closures, *added})),
            )
        return out

    def _enrich(self, transactions: pd.DataFrame) -> pd.DataFrame:
        return enrich(transactions, self.services_, self.calendar_, self.as_of_)

    @staticmethod
    def _fee_signal(frame: pd.DataFrame) -> pd.Series:
        # A reported gap of a duty stamp's worth is not a fee signal (``reported_gap_levy``).
        flagged = (frame["fee_excess_idr"] > 0) | (frame["reported_gap_levy"] > 0)
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
        return self.transform_columns(transactions, complaints).frame()

    def transform_columns(
        self, transactions: pd.DataFrame, complaints: pd.DataFrame | None = None
    ) -> FeatureColumns:
        """``transform``'s columns without the frame (what scoring reads; same values).

        Building a frame of some sixty columns, and reading them back one by one, costs more
        than computing them for a scoring request's few rows.
        """
        check_is_fitted(self, "entities_")
        enriched = enrich_columns(transactions, self.services_, self.calendar_, self.as_of_)
        frame = FeatureColumns(enriched, transactions.index)
        timing = self.timing_.transform_columns(frame)
        people = self.entities_.transform_columns(frame)
        # A consistently slow officer (new, or simply slow) explains their own delays; and
        # times stretch with the pace, so the slower the officer, the wider their own
        # ordinary spread: a delay beyond their pace counts in units of that wider spread
        # (damped: a square root, as an officer who holds many files is slower too).
        own_pace = np.clip(people["officer_pace_z"], 0.0, None)
        relative = np.clip(timing["time_z"] - own_pace, 0, None) / np.sqrt(1.0 + own_pace)
        columns: dict[str, Any] = {"officer_relative_delay_z": relative}
        columns.update(enriched)
        for part in (
            self.signals_.transform_columns(frame),
            timing,
            people,
            per_transaction_columns(complaints, frame["transaction_id"]),
        ):
            columns.update(part)
        return FeatureColumns(
            {name: columns[name] for name in self.feature_names_out_}, frame.index
        )

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Context columns (ids, fees, days: for explanations) then the signal columns."""
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_
