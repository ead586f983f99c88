"""Processing time judged against peers: same office, same service, same weeks.

A file is compared like with like. Its log time-to-SLA ratio is taken relative to the
office's usual pace for that service, then to what the whole office did that week (an
outage slows everyone), then to what every office did for that service that week (a
seasonal surge), then to the channel's usual pace. What is left, scaled by the service's
robust spread (MAD), is ``time_z``: negative = faster than peers, positive = slower.
All baselines are medians fitted on training data and stored, so a transaction scored
alone gets the same value as in a batch.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from model.features.lookup import Keys, distinct_joined_keys, joined_keys, lookup

MAD_TO_SIGMA = 1.4826


def _week(moments: pd.Series) -> pd.Series:
    """Monday-based week number (1970-01-01 was a Thursday, hence the shift of 3 days)."""
    days = moments.to_numpy(dtype="datetime64[D]").astype("int64")
    return pd.Series((days + 3) // 7, index=moments.index)


def _shrunk_median(values: pd.Series, keys: np.ndarray, min_count: int, prior: float) -> dict:
    """Median per key, shrunk toward 0 for small groups (n / (n + prior))."""
    grouped = values.groupby(keys)
    stats = pd.DataFrame({"median": grouped.median(), "n": grouped.size()})
    stats = stats[stats["n"] >= min_count]
    return (stats["median"] * stats["n"] / (stats["n"] + prior)).to_dict()


class PeerTiming(TransformerMixin, BaseEstimator):
    """Working-day processing time relative to office, week, service-season and channel peers."""

    def __init__(
        self,
        min_group: int = 5,
        min_week_group: int = 8,
        shrink: float = 10.0,
        min_scale: float = 0.25,
    ) -> None:
        self.min_group = min_group
        self.min_scale = min_scale
        self.min_week_group = min_week_group
        self.shrink = shrink

    @staticmethod
    def _log_ratio(X: pd.DataFrame) -> pd.Series:
        days = X["processing_working_days"].astype(float)
        return np.log1p(days) - np.log1p(X["sla_working_days"].astype(float))

    def _stages(self) -> list[tuple[str, list[str], int]]:
        return [
            ("office_week", ["office_id", "_week"], self.min_week_group),
            ("service_week", ["service_code", "_week"], self.min_week_group),
            ("service_channel", ["service_code", "channel"], self.min_group),
        ]

    def fit(self, X: pd.DataFrame, y: object = None) -> PeerTiming:
        frame = X.assign(_week=_week(X["submitted_at"]), _ratio=self._log_ratio(X))
        done = frame[frame["_ratio"].notna() & ~frame["is_open"].to_numpy(dtype=bool)]
        office_service = joined_keys(done, ["office_id", "service_code"])
        grouped = done["_ratio"].groupby(office_service)
        stats = pd.DataFrame({"median": grouped.median(), "n": grouped.size()})
        self.base_office_service_ = stats.loc[stats["n"] >= self.min_group, "median"].to_dict()
        self.base_service_ = done.groupby("service_code")["_ratio"].median().to_dict()
        self.peer_days_ = done.groupby(office_service)["processing_working_days"].median().to_dict()
        residual = done["_ratio"] - self._base(done)
        self.shifts_: dict[str, dict] = {}
        for name, columns, min_count in self._stages():
            keys = joined_keys(done, columns)
            self.shifts_[name] = _shrunk_median(residual, keys, min_count, self.shrink)
            residual = residual - lookup(keys, self.shifts_[name], 0.0)
        deviation = (residual - residual.median()).abs()
        scale = deviation.groupby(done["service_code"].to_numpy()).median() * MAD_TO_SIGMA
        # Below ~0.25 in log units (a quarter faster or slower) differences are noise.
        floor = max(float(deviation.median() * MAD_TO_SIGMA), self.min_scale)
        self.scale_service_ = scale.clip(lower=floor).to_dict()
        self.scale_default_ = floor
        self.feature_names_out_ = np.array(
            ["time_z", "delay_z", "speed_z", "sla_ratio", "sla_overrun_days", "peer_days"]
        )
        return self

    def _base(self, frame: pd.DataFrame, office_service: Keys | None = None) -> np.ndarray:
        if office_service is None:
            office_service = joined_keys(frame, ["office_id", "service_code"])
        service = lookup(frame["service_code"], self.base_service_, 0.0)
        base = lookup(office_service, self.base_office_service_, np.nan)
        return np.where(np.isnan(base), service, base)

    def residual(self, X: pd.DataFrame, office_service: Keys | None = None) -> np.ndarray:
        """Log time ratio left after all peer baselines (NaN when no time is known)."""
        check_is_fitted(self, "shifts_")
        # The key columns only (no copy of X with a week column: that costs more than the
        # arithmetic for a request's few rows); same values as ``X.assign(_week=...)``.
        keys = {name: X[name] for name in ("office_id", "service_code", "channel")}
        keys["_week"] = _week(X["submitted_at"])
        base = self._base(X, office_service)
        days = np.asarray(X["processing_working_days"], dtype=float)
        sla = np.asarray(X["sla_working_days"], dtype=float)
        residual = (np.log1p(days) - np.log1p(sla)) - base
        for name, columns, _ in self._stages():
            stage = distinct_joined_keys(keys, columns)
            residual = residual - lookup(stage, self.shifts_[name], 0.0)
        return residual

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(self.transform_columns(X), index=X.index)

    def transform_columns(self, X: pd.DataFrame) -> dict[str, np.ndarray]:
        """``transform``'s columns as arrays by name (no frame: for scoring few rows)."""
        office_service = distinct_joined_keys(X, ["office_id", "service_code"])
        residual = self.residual(X, office_service)
        z = residual / lookup(X["service_code"], self.scale_service_, self.scale_default_)
        days = np.asarray(X["processing_working_days"], dtype=float)
        sla = np.asarray(X["sla_working_days"], dtype=float)
        is_open = np.asarray(X["is_open"], dtype=bool)
        columns = {
            "time_z": np.nan_to_num(z),
            "delay_z": np.nan_to_num(np.clip(z, 0.0, None)),
            # An open file has not been fast: its time so far is only a lower bound.
            "speed_z": np.where(is_open, 0.0, np.nan_to_num(np.clip(-z, 0.0, None))),
            "sla_ratio": np.nan_to_num(days / sla),
            "sla_overrun_days": np.nan_to_num(np.clip(days - sla, 0.0, None)),
            "peer_days": lookup(office_service, self.peer_days_, np.nan),
        }
        return columns

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_
