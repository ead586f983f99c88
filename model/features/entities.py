"""Officers, intermediaries and offices compared with their colleagues.

Extortion is done by people, repeatedly. ``EntityProfiles`` learns, per officer, how often
their files carry fee signals (overall, and per service: levies concentrate on the services
applicants pay for), how widely their processing times spread (the same officer
rushes files for those who pay and holds the rest), and how many complaints naming money
point at them — each relative to colleagues in the same office and shrunk toward the
office's rate so that an officer with ten files is not judged like one with a thousand.
Fee signals are counted against colleagues' rates on the same services, and beside the
size of the excess it keeps how sure the count is (a Poisson test: seven levies where one
was expected are near-certain though small). Per intermediary (agent) it learns how
concentrated its filings are on one officer compared with how the office routes the
services it files (in proportion to its repeat filings) and its strongest such tie, how
fast those files come back, and how often they carry fees beyond the tariff compared with
the office's other intermediaries.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import poisson
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from model.features.lookup import as_dict, distinct_tuple_keys, lookup, lookup_many

FAST_Z = -2.0
SLOW_Z = 2.0
# An officer whose first file comes this many days or more after their office's first one
# joined during the data: a new officer, slow while learning the job (a look-alike in the
# domain), whose pace is learnt per month of tenure, shrunk toward their overall pace by
# ``TENURE_SHRINK`` files. An officer back from three weeks' leave is read as new too; for an
# honest one that changes nothing (their pace is the same each month).
NEW_OFFICER_DAYS = 21
TENURE_MONTH_DAYS = 30
TENURE_SHRINK = 10.0
# A new officer's first days, in which the officer ranking weighs their time signals less
# (``RiskModel._learning_months_discounted``).
LEARNING_DAYS = 90
# An intermediary is tied to an officer when it files with them more than ``TIE_LIFT`` times
# as often as the office's routing would give, with at least ``TIE_SHARE`` of its filings.
TIE_LIFT = 2.0
TIE_SHARE = 0.4
# Per-officer statistics kept by ``fit``; each is looked up by officer as ``officer_<name>``.
OFFICER_STATISTICS = (
    "fee_signal_excess",
    "fee_evidence",
    "fee_hits",
    "fee_expected",
    "spread_excess",
    "fast_excess",
    "slow_excess",
    "median_z",
    "money_complaints",
)
# Features looked up by officer alone (``officer_service_fee_excess`` is keyed by officer and
# service, and is looked up on its own).
OFFICER_LOOKUPS = (
    *(f"officer_{name}" for name in OFFICER_STATISTICS),
    "officer_confirmed",
    "officer_dismissed",
)


def _day_number(moments: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 (float), by the moments' own calendar dates."""
    return pd.Series(moments).to_numpy(dtype="datetime64[D]").astype("int64").astype(float)


def tie_strength(lift: np.ndarray, share: np.ndarray) -> np.ndarray:
    """How far an intermediary is tied to an officer, in [0, 1]: 0 up to ``TIE_LIFT``, 1
    from a lift of 6; 0 below ``TIE_SHARE`` of its filings, whatever the lift."""
    strength = np.clip((np.asarray(lift, dtype=float) - TIE_LIFT) / 4.0, 0.0, 1.0)
    return strength * (np.asarray(share, dtype=float) >= TIE_SHARE)


def _shrunk_rate(hits: pd.Series, n: pd.Series, prior: pd.Series, strength: float) -> pd.Series:
    return (hits + prior * strength) / (n + strength)


def _iqr(values: pd.Series) -> float:
    return float(values.quantile(0.75) - values.quantile(0.25)) if len(values) >= 4 else np.nan


class EntityProfiles(TransformerMixin, BaseEstimator):
    """Officer and agent behaviour relative to office colleagues, joined to each transaction.

    Input: the enriched frame with ``fee_signal`` (0/1), ``time_z``, ``cash_unusual`` and
    ``completed_off_hours`` columns, plus complaints with ``money_signal`` given to ``fit``.
    """

    def __init__(self, shrink: float = 20.0, agent_prior_filings: float = 4.0) -> None:
        self.shrink = shrink
        self.agent_prior_filings = agent_prior_filings

    def fit(
        self, X: pd.DataFrame, y: pd.Series | None = None, complaints: pd.DataFrame | None = None
    ) -> EntityProfiles:
        """``y``: supervisors' verdicts aligned to ``X`` (1 confirmed, 0 dismissed, NaN)."""
        # Fast and slow relative to the officer's own pace: a new officer who is slow on
        # every file is not "often slow"; one who rushes some files and holds others is.
        timed = X["processing_working_days"].notna()
        officer = X["officer_id"].astype(object)
        own_pace = X["time_z"].where(timed).groupby(officer).median()
        self.tenure_ = self._fit_tenure(X, timed, own_pace)
        pace = officer.map(own_pace).fillna(0.0) + self._tenure_adjustment(X)
        relative = X["time_z"] - pace
        frame = X.assign(
            _relative=relative,
            _fast=(relative < FAST_Z).astype(float),
            _slow=(relative > SLOW_Z).astype(float),
        )
        self.officers_ = self._fit_officers(frame, complaints)
        self.officer_services_ = self._fit_officer_services(frame, self.officers_)
        self.offices_ = self._fit_offices(frame, complaints)
        self.agents_, self.pairs_ = self._fit_agents(frame)
        self.verdicts_ = {key: self._fit_verdicts(X, y, key) for key in ("officer_id", "agent_id")}
        self.lookups_ = self._lookups()
        self.feature_names_out_ = np.array(
            [
                "officer_fee_signal_excess",
                "officer_fee_evidence",
                "officer_fee_hits",
                "officer_fee_expected",
                "officer_spread_excess",
                "officer_fast_excess",
                "officer_slow_excess",
                "officer_median_z",
                "officer_pace_z",
                "officer_money_complaints",
                "officer_service_fee_excess",
                "office_money_complaints",
                "agent_pair_lift",
                "agent_pair_share",
                "agent_median_z",
                "agent_fee_signal_excess",
                "agent_tie_lift",
                "agent_tie_share",
                "agent_pair_base",
                "agent_tie_base",
                "officer_confirmed",
                "officer_dismissed",
                "agent_confirmed",
            ]
        )
        return self

    @staticmethod
    def _fit_tenure(X: pd.DataFrame, timed: pd.Series, own_pace: pd.Series) -> dict[str, dict]:
        """New officers' pace per month of tenure, as an adjustment to their overall pace.

        ``start``: officer → their first file's day (new officers only); ``last``: officer →
        their last month of tenure in the data (later files take that month's pace);
        ``adjustment``: (officer, month) → that month's pace minus the overall one.
        """
        empty: dict[str, dict] = {"start": {}, "last": {}, "adjustment": {}}
        known = X[X["officer_id"].notna()]
        if known.empty:
            return empty
        officer = known["officer_id"].astype(object)
        day = pd.Series(_day_number(known["submitted_at"]), index=known.index)
        office_start = day.groupby(known["office_id"].astype(object)).transform("min")
        start = day.groupby(officer).min()
        joined = (day - office_start).groupby(officer).min()
        new = joined.index[joined >= NEW_OFFICER_DAYS]
        if not len(new):
            return empty
        rows = officer.isin(new) & timed.loc[known.index] & known["time_z"].notna()
        month = ((day - officer.map(start)) // TENURE_MONTH_DAYS)[rows].astype(int)
        grouped = known.loc[rows, "time_z"].groupby([officer[rows], month])
        stats = pd.DataFrame({"median": grouped.median(), "n": grouped.size()})
        overall = stats.index.get_level_values(0).map(own_pace).to_numpy(dtype=float)
        paced = (stats["n"] * stats["median"] + TENURE_SHRINK * overall) / (
            stats["n"] + TENURE_SHRINK
        )
        adjustment = paced - overall
        months = stats.index.get_level_values(1)
        last = pd.Series(months, index=stats.index.get_level_values(0)).groupby(level=0).max()
        return {
            "start": {key: float(start[key]) for key in last.index},
            "last": {key: int(value) for key, value in last.items()},
            "adjustment": {key: float(value) for key, value in adjustment.items()},
        }

    def new_officers(self) -> dict[object, pd.Timestamp]:
        """Officers who joined during the training data, with the date of their first file."""
        check_is_fitted(self, "tenure_")
        return {
            officer: pd.Timestamp(int(day), unit="D")
            for officer, day in self.tenure_["start"].items()
        }

    def days_in_post(self, X: pd.DataFrame | Any) -> np.ndarray:
        """Per row, days from the officer's first file to this one's submission, for officers
        who joined during the training data; NaN for every other row."""
        check_is_fitted(self, "tenure_")
        out = np.full(len(X["officer_id"]), np.nan)
        if not self.tenure_["start"]:
            return out
        start = lookup(pd.Series(X["officer_id"]), self.tenure_["start"], np.nan)
        rows = np.flatnonzero(np.isfinite(start))
        if len(rows):
            out[rows] = _day_number(pd.Series(X["submitted_at"]).iloc[rows]) - start[rows]
        return out

    def _tenure_adjustment(self, X: pd.DataFrame | Any) -> np.ndarray:
        """Per row, how far the officer's pace in the file's month of tenure is from their
        overall pace (0 but for new officers)."""
        out = np.zeros(len(X["officer_id"]))
        days = self.days_in_post(X)
        rows = np.flatnonzero(np.isfinite(days))
        if not len(rows):
            return out
        officers = pd.Series(X["officer_id"]).to_numpy(dtype=object)[rows]
        last = lookup(pd.Series(officers), self.tenure_["last"], 0.0)
        month = np.clip(days[rows] // TENURE_MONTH_DAYS, 0, last).astype(int)
        adjustment = self.tenure_["adjustment"]
        out[rows] = [
            adjustment.get((key, int(m)), 0.0) for key, m in zip(officers, month, strict=True)
        ]
        return out

    @staticmethod
    def _fit_verdicts(X: pd.DataFrame, y: pd.Series | None, key: str) -> pd.DataFrame:
        """Confirmed and dismissed reviews per officer or agent (empty without verdicts)."""
        if y is None or key not in X:
            return pd.DataFrame(columns=["confirmed", "dismissed"])
        reviewed = pd.DataFrame({"entity": X[key].astype(object), "verdict": y}).dropna()
        return pd.DataFrame(
            {
                "confirmed": reviewed["verdict"].eq(1).groupby(reviewed["entity"]).sum(),
                "dismissed": reviewed["verdict"].eq(0).groupby(reviewed["entity"]).sum(),
            }
        ).astype(float)

    def _fit_officers(self, frame: pd.DataFrame, complaints: pd.DataFrame | None) -> pd.DataFrame:
        known = frame[frame["officer_id"].notna()]
        if known.empty:
            return pd.DataFrame(columns=list(self._officer_columns()))
        timed = known[known["time_z"].notna() & known["processing_working_days"].notna()]
        grouped = known.groupby(["office_id", "officer_id"], observed=True)
        stats = grouped.agg(
            n=("fee_signal", "size"),
            fee_hits=("fee_signal", "sum"),
            cash=("cash_unusual", "mean"),
            off_hours=("completed_off_hours", "mean"),
        )
        timing = timed.groupby(["office_id", "officer_id"], observed=True)["time_z"]
        stats["median_z"] = timing.median()
        # Spread around the officer's pace at the time (a new officer's learning curve is no
        # spread); for other officers the same as the spread of their times.
        stats["spread"] = timed.groupby(["office_id", "officer_id"], observed=True)[
            "_relative"
        ].agg(_iqr)
        stats["fast"] = timed.groupby(["office_id", "officer_id"], observed=True)["_fast"].mean()
        stats["slow"] = timed.groupby(["office_id", "officer_id"], observed=True)["_slow"].mean()
        stats = stats.reset_index()
        office = stats.groupby("office_id")
        evidence = self._fee_evidence(known, stats)
        for column in ("fee_evidence", "fee_hits", "fee_expected"):
            stats[column] = evidence[column].to_numpy()
        # The excess over what colleagues' rates on the same services would give (the
        # officer's own files left out): an officer at the desk of a service where fee
        # signals are common is compared with colleagues on that service, not the office.
        expected_rate = stats["fee_expected"] / stats["n"]
        rate = _shrunk_rate(stats["fee_hits"], stats["n"], expected_rate, self.shrink)
        stats["fee_signal_excess"] = (rate - expected_rate).clip(lower=0)
        weight = stats["n"] / (stats["n"] + self.shrink)
        for column in ("spread", "fast", "slow"):
            typical = office[column].transform("median")
            stats[f"{column}_excess"] = ((stats[column] - typical) * weight).clip(lower=0).fillna(0)
        stats["median_z"] = (stats["median_z"] * weight).fillna(0.0)
        # An officer slow on every file (a new one, say) also spreads wider in days: times
        # stretch with the pace, so more files fall far from the officer's own median. Spread
        # and rushed files only count beyond what the officer's slow pace explains.
        stretch = (1.0 + stats["median_z"].clip(lower=0.0)) ** 2
        for column in ("spread_excess", "fast_excess"):
            stats[column] = stats[column] / stretch
        stats["money_complaints"] = self._complaints_per_100(stats, complaints, "officer_id")
        return stats.set_index("officer_id")[list(self._officer_columns())]

    def _fee_evidence(self, known: pd.DataFrame, stats: pd.DataFrame) -> pd.DataFrame:
        """Per officer (rows of ``stats``): how sure it is that their files carry fee signals
        more often than colleagues' would (``fee_evidence``, in [0, 1]), whatever the size of
        the excess; beside it the count (``fee_hits``) and the count expected
        (``fee_expected``) that the reason quotes.

        The officer's count of fee-signal files is set against a Poisson count expected from
        colleagues' rates on the same services in the same office (the officer's own files
        left out; the office's other files stand in for a service few colleagues handle, and
        one pseudo-signal per office keeps a clean office from making one hit certain).
        Evidence is 0 up to p = 0.1 and 1 from p = 0.0001. Seven levies where one was
        expected is near-certain, though it is only one point in a hundred of 500 files; and
        an officer who handles the services where surveys often differ from receipts is
        compared with colleagues on those services, not with the whole office.
        """
        frame = pd.DataFrame(index=stats.index, columns=["fee_evidence", "fee_hits"], data=0.0)
        frame["fee_expected"] = 0.0
        if known.empty:
            return frame
        cells = known.groupby(["office_id", "officer_id", "service_code"], observed=True)
        cell = cells["fee_signal"].agg(hits="sum", n="size").reset_index()
        service = cell.groupby(["office_id", "service_code"])[["hits", "n"]].transform("sum")
        office = cell.groupby("office_id")[["hits", "n"]].transform("sum")
        mine = cell.groupby(["office_id", "officer_id"])[["hits", "n"]].transform("sum")
        others_n = service["n"] - cell["n"]
        office_rate = (office["hits"] - mine["hits"] + 1.0) / (office["n"] - mine["n"] + 1.0)
        service_rate = (service["hits"] - cell["hits"]) / others_n.where(others_n > 0)
        weight = others_n / (others_n + self.shrink)
        rate = weight * service_rate.fillna(0.0) + (1.0 - weight) * office_rate
        cell["expected"] = cell["n"] * rate
        per_officer = cell.groupby(["office_id", "officer_id"])[["hits", "expected"]].sum()
        keys = pd.MultiIndex.from_frame(stats[["office_id", "officer_id"]])
        keyed = per_officer.reindex(keys).fillna(0.0)
        hits, expected = keyed["hits"].to_numpy(float), keyed["expected"].to_numpy(float)
        p_value = poisson.sf(hits - 1, expected)
        surprise = -np.log10(np.clip(p_value, 1e-300, 1.0))
        frame["fee_evidence"] = np.clip((surprise - 1.0) / 3.0, 0.0, 1.0)
        frame["fee_hits"], frame["fee_expected"] = hits, expected
        return frame

    def _fit_officer_services(self, frame: pd.DataFrame, officers: pd.DataFrame) -> pd.Series:
        """Per (officer, service): how much more often than colleagues on the same service
        in the same office the officer's files carry fee signals. An officer who takes money
        tends to take it on the services where applicants pay it, so the rate is kept per
        service, shrunk toward the officer's overall rate (a service they handled a few times
        says little on its own)."""
        known = frame[frame["officer_id"].notna() & frame["service_code"].notna()]
        if known.empty or officers.empty:
            return pd.Series(dtype=float)
        keys = ["office_id", "officer_id", "service_code"]
        pairs = known.groupby(keys, observed=True)["fee_signal"].agg(["sum", "size"]).reset_index()
        office_service = known.groupby(["office_id", "service_code"], observed=True)["fee_signal"]
        typical = office_service.mean().rename("typical").reset_index()
        pairs = pairs.merge(typical, on=["office_id", "service_code"], how="left")
        office_rate = known.groupby("office_id", observed=True)["fee_signal"].mean()
        officer_rate = officers["fee_signal_excess"] + officers["office_id"].map(office_rate)
        prior = pairs["officer_id"].map(officer_rate[~officer_rate.index.duplicated()])
        rate = _shrunk_rate(pairs["sum"], pairs["size"], prior.fillna(pairs["typical"]), 10.0)
        excess = (rate - pairs["typical"]).clip(lower=0).fillna(0.0)
        return pd.Series(
            excess.to_numpy(),
            index=pd.MultiIndex.from_frame(pairs[["officer_id", "service_code"]]),
        )

    @staticmethod
    def _officer_columns() -> tuple[str, ...]:
        return ("office_id", "n", *OFFICER_STATISTICS)

    @staticmethod
    def _complaints_per_100(
        stats: pd.DataFrame, complaints: pd.DataFrame | None, key: str
    ) -> np.ndarray:
        """Money-naming complaints per 100 files (shrunk), for each row of ``stats``."""
        if complaints is None or complaints.empty or key not in complaints:
            return np.zeros(len(stats))
        money = complaints.loc[complaints[key].notna(), [key, "money_signal"]]
        per_entity = money.groupby(key)["money_signal"].sum()
        counts = stats[key].astype(object).map(per_entity).fillna(0.0)
        return (100.0 * counts / (stats["n"] + 50.0)).to_numpy()

    def _fit_offices(self, frame: pd.DataFrame, complaints: pd.DataFrame | None) -> pd.DataFrame:
        stats = frame.groupby("office_id").agg(n=("fee_signal", "size")).reset_index()
        stats["money_complaints"] = self._complaints_per_100(stats, complaints, "office_id")
        return stats.set_index("office_id")

    def _fit_agents(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        filed = frame[frame["agent_id"].notna() & frame["officer_id"].notna()]
        if filed.empty:
            agents = pd.DataFrame(
                columns=["n", "median_z", "fee_signal_excess", "tie_lift", "tie_share", "tie_base"]
            )
            return agents, pd.DataFrame(columns=["lift", "share", "base"])
        agents = filed.groupby("agent_id").agg(n=("time_z", "size"), median_z=("time_z", "median"))
        agents["fee_signal_excess"] = self._agent_fee_excess(filed)
        pair_n = filed.groupby(["agent_id", "officer_id"]).size().rename("pair_n").reset_index()
        pair_n["share"] = pair_n["pair_n"] / pair_n["agent_id"].map(agents["n"])
        expected = self._expected_filings(frame, filed, pair_n)
        pair_n["base"] = np.nan_to_num(expected / pair_n["agent_id"].map(agents["n"]), nan=1.0)
        # Lift over the officer's expected share (given the offices and services the agent
        # files), in proportion to the evidence: an agent's
        # first filing has to go to somebody, so only its repeat filings count, beside
        # ``agent_prior_filings`` pseudo-filings spread like the office's work. One filing
        # gives a lift of 1; three of three to one officer of ten, 4; a large agency, its
        # plain share over the officer's usual share.
        prior, base = self.agent_prior_filings, pair_n["base"].clip(lower=0.02)
        repeats = (pair_n["pair_n"] - 1).clip(lower=0)
        agent_repeats = pair_n["agent_id"].map(agents["n"]) - 1
        pair_n["lift"] = (repeats + prior * base) / (agent_repeats + prior) / base
        agents["median_z"] = agents["median_z"] * agents["n"] / (agents["n"] + prior)
        # The intermediary's strongest tie (among officers with at least ``TIE_SHARE`` of its
        # files): a fixer with a friend inside is a fixer on its files with other officers too.
        ties = pair_n[pair_n["share"] >= TIE_SHARE].sort_values("lift").groupby("agent_id").last()
        agents["tie_lift"] = ties["lift"].reindex(agents.index).fillna(1.0)
        agents["tie_share"] = ties["share"].reindex(agents.index).fillna(0.0)
        # the expected share beside the tie's, for the reason's "about 10% would be expected"
        agents["tie_base"] = ties["base"].reindex(agents.index).fillna(0.0)
        return agents, pair_n.set_index(["agent_id", "officer_id"])[["lift", "share", "base"]]

    def _expected_filings(
        self, frame: pd.DataFrame, filed: pd.DataFrame, pairs: pd.DataFrame
    ) -> np.ndarray:
        """Per (agent, officer) pair: how many of the agent's filings the officer would get
        if the office routed them like everyone's, given where and for which services the
        agent files. Where one officer holds the desk of a service, an agency that files only
        that service goes to that officer without being tied to them.

        Each filing's chance of reaching the officer is the officer's share of that service
        in that office, shrunk toward their share of the office's whole work (``shrink``
        files), so a service with few files says little.
        """
        service = frame["service_code"].astype(object).fillna("")
        officed = frame.assign(service_code=service)[frame["officer_id"].notna()]
        load = officed.groupby(["office_id", "officer_id"], observed=True).size()
        office_share = (load / load.groupby(level="office_id").transform("sum")).rename("office")
        handled = officed.groupby(["office_id", "service_code", "officer_id"], observed=True)
        totals = officed.groupby(["office_id", "service_code"], observed=True).size()
        # The agent's filings per office and service, set beside each officer it filed with
        # who works in that office.
        filings = (
            filed.assign(service_code=filed["service_code"].astype(object).fillna(""))
            .groupby(["agent_id", "office_id", "service_code"], observed=True)
            .size()
            .rename("filings")
            .reset_index()
        )
        keys = pairs[["agent_id", "officer_id"]].reset_index().rename(columns={"index": "pair"})
        spread = (
            keys.merge(filings, on="agent_id")
            .merge(office_share.reset_index(), on=["office_id", "officer_id"])
            .merge(totals.rename("total").reset_index(), on=["office_id", "service_code"])
            .merge(
                handled.size().rename("handled").reset_index(),
                on=["office_id", "service_code", "officer_id"],
                how="left",
            )
        )
        chance = (spread["handled"].fillna(0.0) + self.shrink * spread["office"]) / (
            spread["total"] + self.shrink
        )
        expected = (spread["filings"] * chance).groupby(spread["pair"]).sum()
        return expected.reindex(pairs.index).to_numpy()

    def _agent_fee_excess(self, filed: pd.DataFrame) -> pd.Series:
        """Per intermediary: how much more often than the office's intermediaries its files
        carry fees beyond the tariff, or payments reported above the receipt (beyond a duty stamp)
        that its own (legal) fee does not explain, shrunk toward the office's rate."""
        reported = filed["reported_gap_unexplained"].where(filed["reported_gap_levy"] > 0, 0.0)
        signal = np.maximum((filed["fee_excess_idr"] > 0).astype(float), reported)
        frame = pd.DataFrame(
            {"agent": filed["agent_id"], "office": filed["office_id"], "signal": signal}
        )
        office = frame.groupby("office")["signal"].mean()
        per_agent = frame.groupby("agent").agg(
            hits=("signal", "sum"), n=("signal", "size"), office=("office", "first")
        )
        prior = per_agent["office"].map(office)
        rate = _shrunk_rate(per_agent["hits"], per_agent["n"], prior, self.shrink)
        return (rate - prior).clip(lower=0).fillna(0.0)

    def _lookups(self) -> dict[str, dict]:
        """Every fitted statistic as a plain dict, for fast per-row look-ups."""

        def column(table: pd.DataFrame, name: str) -> dict:
            return {} if table.empty or name not in table else as_dict(table[name])

        tables = {f"officer_{name}": column(self.officers_, name) for name in OFFICER_STATISTICS}
        tables["officer_service_fee_excess"] = as_dict(self.officer_services_)
        tables["office_money_complaints"] = column(self.offices_, "money_complaints")
        tables["agent_median_z"] = column(self.agents_, "median_z")
        tables["agent_fee_signal_excess"] = column(self.agents_, "fee_signal_excess")
        tables["agent_tie_lift"] = column(self.agents_, "tie_lift")
        tables["agent_tie_share"] = column(self.agents_, "tie_share")
        tables["agent_tie_base"] = column(self.agents_, "tie_base")
        for name in ("lift", "share", "base"):
            pairs = self.pairs_[name] if len(self.pairs_) else pd.Series(dtype=float)
            tables[f"agent_pair_{name}"] = as_dict(pairs)
        tables["officer_confirmed"] = column(self.verdicts_["officer_id"], "confirmed")
        tables["officer_dismissed"] = column(self.verdicts_["officer_id"], "dismissed")
        tables["agent_confirmed"] = column(self.verdicts_["agent_id"], "confirmed")
        return tables

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(self.transform_columns(X), index=X.index)

    def transform_columns(self, X: pd.DataFrame) -> dict[str, np.ndarray]:
        """``transform``'s columns as arrays by name (no frame: for scoring few rows)."""
        check_is_fitted(self, "lookups_")
        tables = self.lookups_
        officer, agent = X["officer_id"], X["agent_id"]
        out = lookup_many(officer, {name: tables[name] for name in OFFICER_LOOKUPS}, 0.0)
        out["officer_pace_z"] = out["officer_median_z"] + self._tenure_adjustment(X)
        out["office_money_complaints"] = lookup(
            X["office_id"], tables["office_money_complaints"], 0.0
        )
        # Fitted keys hold no missing officer or service, so such a row finds nothing: 0.
        out["officer_service_fee_excess"] = lookup(
            distinct_tuple_keys(X, ["officer_id", "service_code"]),
            tables["officer_service_fee_excess"],
            0.0,
        )
        has_pair = np.asarray(~pd.isna(agent) & ~pd.isna(officer), dtype=bool)
        pair = distinct_tuple_keys(X, ["agent_id", "officer_id"])
        out["agent_pair_lift"] = np.where(
            has_pair, lookup(pair, tables["agent_pair_lift"], 1.0), 1.0
        )
        out["agent_pair_share"] = np.where(
            has_pair, lookup(pair, tables["agent_pair_share"], 0.0), 0.0
        )
        out["agent_pair_base"] = np.where(
            has_pair, lookup(pair, tables["agent_pair_base"], 0.0), 0.0
        )
        agent_names = (
            "agent_median_z",
            "agent_fee_signal_excess",
            "agent_tie_lift",
            "agent_tie_share",
            "agent_tie_base",
            "agent_confirmed",
        )
        out.update(lookup_many(agent, {name: tables[name] for name in agent_names}, 0.0))
        return {name: out[name] for name in self.feature_names_out_}

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_
