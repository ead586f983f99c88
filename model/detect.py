"""The risk model: features -> detectors -> one risk score in [0, 1] with reasons.

INTERFACE (stable; the implementation behind it is being built):

    model = RiskModel(capacity_high_per_month=50, capacity_medium_per_month=250, random_state=0)
    model.fit(transactions, y=None, services=services, complaints=None, holidays=None)
        # y: optional Series aligned to transactions: 1 confirmed, 0 dismissed, NaN unreviewed
    model.score_samples(transactions, complaints=None) -> np.ndarray   # risk in [0, 1]
    model.score_transactions(transactions, complaints=None, language=None) -> pd.DataFrame
        # the contract's score record, one row per transaction, in input order:
        # transaction_id, risk_score, risk_band (low/medium/high),
        # reasons (list of {"code", "message", "weight"}, strongest first), model_version,
        # plus entity context: office_id, service_code, officer_id
    model.rank_entities(transactions, complaints=None, level="officer", start=None, end=None)
        -> pd.DataFrame  # one row per officer/office, ranked, with evidence columns
    model.thresholds_ -> {"high": float, "medium": float}
    model.model_version_ -> str  (set by training before the bundle is saved)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted


class RiskModel(BaseEstimator):
    """Scores transactions for irregularity risk; see the module docstring for the contract."""

    def __init__(
        self,
        capacity_high_per_month: int = 50,
        capacity_medium_per_month: int = 250,
        min_labels_for_supervised: int = 30,
        language: str = "id",
        random_state: int = 0,
    ) -> None:
        self.capacity_high_per_month = capacity_high_per_month
        self.capacity_medium_per_month = capacity_medium_per_month
        self.min_labels_for_supervised = min_labels_for_supervised
        self.language = language
        self.random_state = random_state

    def fit(
        self,
        transactions: pd.DataFrame,
        y: pd.Series | None = None,
        *,
        services: pd.DataFrame,
        complaints: pd.DataFrame | None = None,
        holidays: pd.DataFrame | None = None,
    ) -> RiskModel:
        self.services_ = services.copy()
        self.thresholds_ = {"high": 0.9, "medium": 0.5}
        self.model_version_ = "unversioned"
        self.n_labels_ = 0 if y is None else int(pd.Series(y).notna().sum())
        return self

    def score_samples(
        self, transactions: pd.DataFrame, complaints: pd.DataFrame | None = None
    ) -> np.ndarray:
        check_is_fitted(self, "services_")
        fees = self.services_.set_index("service_code")["official_fee_idr"]
        official = transactions["service_code"].map(fees).fillna(0).to_numpy()
        paid = transactions["fee_paid_idr"].astype(float).to_numpy()
        return np.clip((paid - official) / 100_000.0, 0.0, 1.0)

    def score_transactions(
        self,
        transactions: pd.DataFrame,
        complaints: pd.DataFrame | None = None,
        language: str | None = None,
    ) -> pd.DataFrame:
        risk = self.score_samples(transactions, complaints)
        band = np.where(
            risk >= self.thresholds_["high"],
            "high",
            np.where(risk >= self.thresholds_["medium"], "medium", "low"),
        )
        return pd.DataFrame(
            {
                "transaction_id": transactions["transaction_id"].to_numpy(),
                "risk_score": risk,
                "risk_band": band,
                "reasons": [[] for _ in range(len(transactions))],
                "model_version": self.model_version_,
                "office_id": transactions["office_id"].to_numpy(),
                "service_code": transactions["service_code"].to_numpy(),
                "officer_id": (
                    transactions["officer_id"].to_numpy()
                    if "officer_id" in transactions
                    else None
                ),
            }
        )
