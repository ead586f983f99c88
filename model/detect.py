"""The risk model: features -> detectors -> one risk score in [0, 1] with reasons.

Three detectors, each with the estimator contract:

- ``RedFlagRules``: explicit signals grounded in the service standard (a fee on a free
  service, a fee above the tariff, money reported beyond the receipt, a file held past the
  standard while peers were on time, ...), each worth a number of evidence points;
- ``OutlierEnsemble`` (``model.engine``): unsupervised, over the peer-normalised features,
  catching unusual combinations the rules do not name;
- ``VerdictModel``: supervised on supervisors' verdicts (the ``outcomes`` table) when there
  are enough of them; the combination leans on it more as labels accumulate.

Evidence adds up: ``risk = 1 - exp(-points / scale)``, so one strong signal or several weak
ones make a high score, and scores mean the same in every office and service because every
time signal is relative to peers. Bands come from inspection capacity: "high" holds about
the number of cases supervisors can inspect per month.
"""

from __future__ import annotations

import copy
from typing import TypeAlias

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from model.engine import OutlierEnsemble
from model.explain import (
    MIN_POINTS,
    OFFICER_RECORD,
    build_reasons,
    entity_evidence,
)
from model.features.entities import LEARNING_DAYS, tie_strength
from model.features.pipeline import FeatureBuilder, FeatureColumns

# Bumped whenever the fitted state changes shape, or the rules change what a fitted model's
# scores mean (its bands and evaluation were set from its own scores): bundles of another
# format are refused with a clear message instead of failing half-way through scoring or
# scoring differently from what was evaluated. 6: weak and lone signals corroborate.
# 7: the officer's fee record (per service) and the intermediary's lift their files in
# proportion, and the officer's amplifies faint traces; people's records no longer
# corroborate the outlier engine on a file. 8: a duty stamp's worth reported above the
# receipt is no levy (``reported_gap_levy``). 9: an intermediary's tie to one officer counts
# in proportion to its repeat filings, not from 8 filings on (``agent_prior_filings``).
# 10: how sure the officer's count of fee-signal files is beyond colleagues' rates on the
# same services (``officer_fee_evidence``) lifts their files and joins their record.
# 11: an intermediary's strongest tie counts on its files with other officers too
# (``agent_tie_lift``, ``agent_tie_share``). 12: the ties' expected shares are looked up
# too (``agent_pair_base``, ``agent_tie_base``), for the reason's "about 10% expected".
# 13: fixed fees that receipts show have changed are taken at the tariff in force
# (``TransactionSignals.tariffs_in_force_``). 14: a new officer's pace is learnt per month
# of tenure (``EntityProfiles.tenure_``, ``officer_pace_z``). 15: the features carry
# ``is_rejected`` (a file held, then rejected, weighs a quarter). 16: the model keeps the
# ids of the files whose verdicts it was fitted on (``reviewed_ids_``, for ``sidak compare``).
MODEL_FORMAT = 16

# Features the unsupervised engine sees: peer-normalised, comparable across offices.
ENGINE_FEATURES = (
    "fee_excess_ratio",
    "fee_on_free_service",
    # A reported gap beyond a duty stamp: a stamp's worth is common and no levy.
    "reported_gap_levy",
    "cash_unusual",
    "visits_excess",
    "completed_off_hours_unusual",
    # Slowness only relative to the officer's own pace (a slow new officer is slow on every
    # file, which is not unusual for them); speed relative to peers.
    "speed_z",
    "officer_relative_delay_z",
    "officer_fee_signal_excess",
    "officer_spread_excess",
    "officer_fast_excess",
    "officer_slow_excess",
    "agent_pair_lift",
    "agent_median_z",
    "money_complaint_on_transaction",
)


Points = dict[str, np.ndarray]

# Time signals, weighed less in a new officer's rate of flagged files in their first
# ``LEARNING_DAYS`` (see ``RiskModel._learning_months_discounted``).
TIME_EVIDENCE = ("HELD_PAST_STANDARD", "OPEN_PAST_STANDARD", "EXTRA_VISITS")
LEARNING_SHARE = 0.5
# Reasons left out of an entity's rate of flagged files (see ``RiskModel.rank_entities``).
NOT_ENTITY_EVIDENCE = ["OFFICER_PATTERN", "AGENT_FEE_RECORD", "UNUSUAL_PATTERN"]
# Records of the file's people, not signals of the file: they do not corroborate the outlier
# engine's "unusual" (an extreme officer's clean files are rare combinations too), and
# neither do supervisors' verdicts on the officer's other files.
PEOPLE_RECORDS = ["OFFICER_PATTERN", "AGENT_FEE_RECORD", "CONFIRMED_BEFORE"]
# Share of its weight a weak signal (cash, extra visits) keeps on a file that carries no money,
# time or complaint signal: such signals corroborate, they rarely stand alone.
WEAK_SIGNAL_ALONE = 0.25
# Signals that are telling beside another (or beside the officer's or intermediary's record)
# but alone are as often noise: a survey answer misremembered, an unfounded complaint, a file
# slow or fast for reasons of its own. Alone they keep LONE_SIGNAL_SHARE of their weight.
# (A receipted fee above the tariff stands alone: the receipt is the evidence.)
LONE_SIGNALS = (
    "REPORTED_ABOVE_RECEIPT",
    "MONEY_COMPLAINT",
    "HELD_PAST_STANDARD",
    "OPEN_PAST_STANDARD",
    "RUSHED_VS_PEERS",
    "COMPLETED_OFF_HOURS",
)
LONE_SIGNAL_SHARE = 0.5


# A feature frame, or its columns by name (what scoring reads).
Features: TypeAlias = pd.DataFrame | FeatureColumns


def f(frame: Features, column: str) -> np.ndarray:
    """A feature column as floats (numpy: the rules run per request, so no pandas ops)."""
    return np.asarray(frame[column], dtype=float)


def _select(F: Features, names: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """Some feature columns as a frame (in ``names`` order, on the rows' index)."""
    return F[list(names)] if isinstance(F, pd.DataFrame) else F.frame(names)


def _clip01(values: pd.Series | np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(values, dtype=float), 0.0, 1.0)


class RedFlagRules(BaseEstimator):
    """Evidence points per signal from explicit, documented rules (higher = more suspicious).

    ``points(F)`` returns one column per reason code; ``score_samples`` their sum.
    Stateless apart from its weights: ``fit`` only records the signal names.
    """

    def __init__(
        self,
        fee_weight: float = 3.0,
        delay_weight: float = 0.8,
        speed_weight: float = 0.5,
        officer_weight: float = 1.5,
        fee_record_weight: float = 2.0,
        faint_weight: float = 1.0,
        evidence_weight: float = 0.6,
        tie_elsewhere_weight: float = 0.5,
        verdict_weight: float = 2.0,
    ) -> None:
        self.fee_weight = fee_weight
        self.delay_weight = delay_weight
        self.speed_weight = speed_weight
        self.officer_weight = officer_weight
        self.fee_record_weight = fee_record_weight
        self.faint_weight = faint_weight
        self.evidence_weight = evidence_weight
        self.tie_elsewhere_weight = tie_elsewhere_weight
        self.verdict_weight = verdict_weight

    def fit(self, F: pd.DataFrame, y: object = None) -> RedFlagRules:
        self.codes_ = list(self.points(F.head(1)).columns)
        return self

    def _fee_points(self, F: Features, p: Points) -> None:
        free = f(F, "fee_on_free_service")
        excess = (f(F, "fee_excess_idr") > 0).astype(float)
        bump = 0.1 * self.fee_weight * f(F, "fee_excess_is_round")
        p["FEE_ON_FREE_SERVICE"] = free * (self.fee_weight + bump)
        size = _clip01(4 * f(F, "fee_excess_ratio"))
        # Above an assessed (variable) fee, an amount that is not round is most often a
        # computed part the assessment column leaves out (a late penalty, interest):
        # half weight. A round one is a levy.
        computed = np.asarray(F["fee_is_variable"], dtype=float) * (
            1.0 - f(F, "fee_excess_is_round")
        )
        p["FEE_ABOVE_TARIFF"] = (
            (1 - free)
            * excess
            * (self.fee_weight * (0.55 + 0.35 * size) + bump)
            * (1.0 - 0.5 * computed)
        )
        # Rp 10.000 is a duty stamp (meterai) or a photocopy; Rp 50.000 and up is a levy.
        # Through an intermediary, the applicant also paid the agency's own (legal) fee.
        p["REPORTED_ABOVE_RECEIPT"] = self.fee_weight * (
            0.1 * f(F, "reported_gap_unexplained") + 0.75 * f(F, "reported_gap_levy")
        )

    def _time_points(self, F: Features, p: Points) -> None:
        # A delay counts only beyond the standard, beyond peers and beyond the officer's own
        # pace: outages, surges, holidays and slow-but-honest officers are taken out first.
        delay = np.minimum(f(F, "delay_z"), f(F, "officer_relative_delay_z"))
        past_standard = (f(F, "sla_ratio") > 1.0).astype(float)
        # Two robust sigmas slower is ordinary variation; from three on, a file is held.
        held = self.delay_weight * np.clip(delay - 2.5, 0.0, 4.0) * past_standard
        is_open = np.asarray(F["is_open"], dtype=bool)
        # Held, then rejected: a rejection is a decision on the file's merits (a missing
        # document, an applicant who does not qualify) and the wait was as often the
        # applicant's; a file held for money is served once paid. A quarter, as an open file.
        rejected = np.asarray(F["is_rejected"], dtype=bool)
        p["HELD_PAST_STANDARD"] = np.where(is_open, 0.0, np.where(rejected, 0.25, 1.0) * held)
        # A file still open long past its standard may be held, but as often it waits on
        # the applicant (missing documents, an abandoned application): alone it weighs a
        # quarter of a file that was held and then released; other signals on it count fully.
        p["OPEN_PAST_STANDARD"] = np.where(is_open, 0.25 * held, 0.0)
        speed = f(F, "speed_z")
        p["RUSHED_VS_PEERS"] = self.speed_weight * np.clip(speed - 1.5, 0.0, 4.0)
        p["COMPLETED_OFF_HOURS"] = 1.0 * f(F, "completed_off_hours_unusual")

    def _people_points(
        self, F: Features, p: Points, own: np.ndarray, officer: np.ndarray, tied: np.ndarray
    ) -> None:
        """``officer``: the officer's record in [0, 1]; ``tied``: how far the file's
        intermediary is tied to its officer, in [0, 1]."""
        # The officer's record mostly amplifies a file's own signals; on a clean file it only
        # lifts it above files of officers without such a record.
        # How much more often than colleagues an officer's files carry fees beyond the
        # tariff (on this service, where an officer's levies concentrate) estimates how often
        # they take money: it lifts every file of theirs in proportion, receipt or not, so an
        # officer caught on one file in four ranks above one caught on one in twenty (the
        # record above is capped, and alone it cannot tell them apart).
        fee_record = np.maximum(
            f(F, "officer_fee_signal_excess"), f(F, "officer_service_fee_excess")
        )
        # On a file of an officer who takes money, the faint traces of a paid file count too:
        # done somewhat faster than peers (half a sigma on, below RUSHED_VS_PEERS), one
        # visit more than the service needs.
        faint = _clip01(np.nan_to_num(f(F, "speed_z")) - 0.5) + 0.5 * _clip01(
            np.nan_to_num(f(F, "visits_excess"))
        )
        p["OFFICER_PATTERN"] = (
            self.officer_weight * officer * (0.25 + 0.75 * _clip01(own / 1.0))
            + self.fee_record_weight * np.clip(fee_record, 0.0, 1.0)
            + self.faint_weight * _clip01(3.0 * fee_record) * faint
            # How sure it is that the officer's count of such files is beyond colleagues'
            # rates, whatever its size: seven levies where one was expected are near-certain
            # though they are a point in a hundred; on a quiet extorter's every file.
            + self.evidence_weight * f(F, "officer_fee_evidence")
        )
        fast = _clip01(f(F, "speed_z") / 2.0) + _clip01(-f(F, "agent_median_z") / 2.0)
        p["AGENT_TIED_TO_OFFICER"] = 1.6 * tied * (0.7 + 0.3 * _clip01(fast))
        # Supervisors' verdicts on other files of the same officer or intermediary.
        # An agency's record only counts where it is tied to one officer (a licensed biro
        # jasa files with everyone, and one bad file of theirs says little of the others).
        # The same for an intermediary: one whose files carry fees beyond the tariff more
        # often than the office's other intermediaries' takes money on the side.
        p["AGENT_FEE_RECORD"] = self.fee_record_weight * np.clip(
            f(F, "agent_fee_signal_excess"), 0.0, 1.0
        )
        confirmed = f(F, "officer_confirmed") + f(F, "agent_confirmed") * (tied > 0)
        record = _clip01(confirmed / 3.0) * (1.0 - 0.5 * _clip01(f(F, "officer_dismissed") / 10.0))
        # Like the officer's record, it amplifies the file's own signals: on a clean file of a
        # confirmed officer it lifts little (most of an extorter's files are honest ones).
        # Verdicts and the officer's record say the same thing (this officer takes money):
        # a verdict lifts only as far as the record had not already (counted once, not twice).
        p["CONFIRMED_BEFORE"] = (
            self.verdict_weight * record * (0.1 + 0.9 * _clip01(own / 1.0)) * (1.0 - officer)
        )

    def points(self, F: Features) -> pd.DataFrame:
        p: Points = {}
        self._fee_points(F, p)
        self._time_points(F, p)
        money = 2.0 * f(F, "money_complaint_on_transaction")
        # Weak signals: several together with a money or time signal is the domain's pattern;
        # alone, most cash payers simply prefer cash and most returns are a missing document,
        # so alone (or with each other) they keep only WEAK_SIGNAL_ALONE of their weight.
        corroborated = _clip01((np.sum(list(p.values()), axis=0) + money) / 1.0)
        weak = WEAK_SIGNAL_ALONE + (1 - WEAK_SIGNAL_ALONE) * corroborated
        p["CASH_WHERE_NONCASH_NORM"] = 0.6 * f(F, "cash_unusual") * weak
        # One extra visit is a missing document; coming back again and again is not.
        extra = f(F, "visits_excess")
        # Applicants come back when a file is held: visits count fully past the standard.
        held = (f(F, "sla_ratio") > 1.0).astype(float)
        p["EXTRA_VISITS"] = 0.5 * np.clip(extra - 1.0, 0.0, 4.0) * (0.5 + 0.5 * held) * weak
        p["MONEY_COMPLAINT"] = money
        officer = _clip01(
            sum(weight * np.minimum(f(F, name), cap) for name, weight, cap in OFFICER_RECORD)
        )
        tied = tie_strength(f(F, "agent_pair_lift"), f(F, "agent_pair_share"))
        # A fixer tied to one officer is a fixer on its files with other officers too: its
        # strongest tie counts there for ``tie_elsewhere_weight`` of its weight.
        strongest = tie_strength(f(F, "agent_tie_lift"), f(F, "agent_tie_share"))
        elsewhere = strongest * self.tie_elsewhere_weight
        tied = np.maximum(tied, elsewhere)
        # A lone signal (nothing else on the file, no record behind the officer or the
        # intermediary) counts for part of its weight; "several weak signals together".
        total = np.sum(list(p.values()), axis=0)
        for code in LONE_SIGNALS:
            support = np.maximum(_clip01(total - p[code]), np.maximum(officer, tied))
            p[code] = p[code] * (LONE_SIGNAL_SHARE + (1 - LONE_SIGNAL_SHARE) * support)
        self._people_points(F, p, np.sum(list(p.values()), axis=0), officer, tied)
        return pd.DataFrame(p, index=F.index)

    def score_samples(self, F: Features) -> np.ndarray:
        return self.points(F).sum(axis=1).to_numpy()


class VerdictModel(ClassifierMixin, BaseEstimator):
    """Supervised on supervisors' verdicts: logistic regression on few labels, boosted trees
    once there are ``min_labels_for_trees``. ``score_samples`` = P(confirmed)."""

    def __init__(self, min_labels_for_trees: int = 400, random_state: int = 0) -> None:
        self.min_labels_for_trees = min_labels_for_trees
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: pd.Series) -> VerdictModel:
        labels = np.asarray(y, dtype=int)
        self.classes_ = np.array([0, 1])
        if len(labels) >= self.min_labels_for_trees:
            self.estimator_ = HistGradientBoostingClassifier(
                max_depth=3,
                learning_rate=0.08,
                max_iter=150,
                l2_regularization=1.0,
                class_weight="balanced",
                random_state=self.random_state,
            )
        else:
            self.estimator_ = make_pipeline(
                StandardScaler(), LogisticRegression(C=0.5, class_weight="balanced", max_iter=500)
            )
        self.estimator_.fit(X, labels)
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(X)

    def score_samples(self, X: pd.DataFrame) -> np.ndarray:
        return self.predict_proba(X)[:, 1]

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.score_samples(X) >= 0.5).astype(int)


def in_period(
    submitted: pd.Series, start: pd.Timestamp | str | None, end: pd.Timestamp | str | None
) -> np.ndarray:
    """Rows submitted in ``[start, end)`` (either bound optional): the period rule of every
    entity ranking (library, CLI, API)."""
    moments = pd.to_datetime(submitted)
    keep = np.ones(len(moments), dtype=bool)
    if start is not None:
        keep &= (moments >= pd.Timestamp(start)).to_numpy()
    if end is not None:
        keep &= (moments < pd.Timestamp(end)).to_numpy()
    return keep


def _reviewed_ids(transactions: pd.DataFrame, y: pd.Series | None) -> np.ndarray:
    """The transaction ids whose verdicts a model was fitted on, sorted: what ``sidak compare``
    leaves out when it judges the model on verdicts it has not seen."""
    if y is None:
        return np.array([], dtype=object)
    known = pd.Series(np.asarray(y, dtype=float)).notna().to_numpy()
    return np.sort(transactions["transaction_id"].to_numpy()[known].astype(str)).astype(object)


def _wilson_lower_bound(hits: pd.Series, n: pd.Series, z: float = 1.64) -> pd.Series:
    """Lower confidence bound of a rate: small entities need more evidence to rank high."""
    n = n.clip(lower=1)
    rate = (hits / n).clip(0, 1)
    centre = rate + z * z / (2 * n)
    margin = z * np.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n))
    return (centre - margin) / (1 + z * z / n)


class RiskModel(BaseEstimator):
    """Scores transactions for irregularity risk in [0, 1] and explains each score.

    ``fit(transactions, y=None, *, services, complaints=None, holidays=None)`` — ``y`` is an
    optional Series aligned to ``transactions``: 1 confirmed, 0 dismissed, NaN unreviewed.
    ``score_transactions`` returns the contract's score record with entity context;
    ``rank_entities`` ranks officers or offices for a period with the evidence behind it.
    """

    def __init__(
        self,
        capacity_high_per_month: int = 50,
        capacity_medium_per_month: int = 250,
        min_labels_for_supervised: int = 30,
        label_half_weight: int = 150,
        max_supervised_weight: float = 0.8,
        evidence_scale: float = 2.0,
        engine_weight: float = 2.0,
        engine_max_rows: int = 200_000,
        engine_bags: int = 2,
        language: str = "id",
        random_state: int = 0,
    ) -> None:
        self.capacity_high_per_month = capacity_high_per_month
        self.capacity_medium_per_month = capacity_medium_per_month
        self.min_labels_for_supervised = min_labels_for_supervised
        self.label_half_weight = label_half_weight
        self.max_supervised_weight = max_supervised_weight
        self.evidence_scale = evidence_scale
        self.engine_weight = engine_weight
        self.engine_max_rows = engine_max_rows
        self.engine_bags = engine_bags
        self.language = language
        self.random_state = random_state

    # --- fitting ------------------------------------------------------------------------

    def fit(
        self,
        transactions: pd.DataFrame,
        y: pd.Series | None = None,
        *,
        services: pd.DataFrame,
        complaints: pd.DataFrame | None = None,
        holidays: pd.DataFrame | None = None,
    ) -> RiskModel:
        self.features_ = FeatureBuilder().fit(
            transactions, y, services=services, complaints=complaints, holidays=holidays
        )
        F = self.features_.transform(transactions, complaints)
        self.rules_ = RedFlagRules().fit(F)
        self._fit_engine(F)
        points = self._points(F)
        unsupervised = self._risk_from_points(points)
        self._fit_supervised(F, points, y)
        self.reviewed_ids_ = _reviewed_ids(transactions, y)
        risk = self._combine(F, points, unsupervised)
        self._set_thresholds(risk, transactions)
        self.model_format_ = MODEL_FORMAT
        self.model_version_ = getattr(self, "model_version_", "unversioned")
        return self

    def _fit_engine(self, F: pd.DataFrame) -> None:
        X = F[list(ENGINE_FEATURES)]
        rng = np.random.default_rng(self.random_state)
        if len(X) > self.engine_max_rows:
            X = X.iloc[np.sort(rng.choice(len(X), self.engine_max_rows, replace=False))]
        self.engine_ = OutlierEnsemble(n_bags=self.engine_bags, random_state=self.random_state)
        self.engine_.fit(X)

    def _engine_quantile(self, F: Features) -> np.ndarray:
        """Share of training transactions that look more ordinary (the engine's calibration)."""
        return self.engine_.score_samples(_select(F, ENGINE_FEATURES))

    def _points(self, F: Features) -> pd.DataFrame:
        points = self.rules_.points(F)
        quantile = self._engine_quantile(F)
        # Only the rarest 3% of combinations add evidence; the rest is ordinary variation.
        # Unusual is not irregular (a big legal fee, a busy agency, a noisy survey answer are
        # all rare): the engine mostly corroborates the file's named signals, and alone it
        # counts for a little. Its people's records are not the file's (PEOPLE_RECORDS).
        rare = np.clip((quantile - 0.97) / 0.03, 0, 1)
        total = points.to_numpy().sum(axis=1)
        records = sum(points[code].to_numpy() for code in PEOPLE_RECORDS)
        named = _clip01((total - records) / 1.0)
        points["UNUSUAL_PATTERN"] = self.engine_weight * rare * (0.1 + 0.9 * named)
        return points

    def _unusual_drivers(self, F: Features, points: pd.DataFrame) -> np.ndarray:
        """Per row, the engine feature it is most extreme on, where UNUSUAL_PATTERN is shown
        as a reason (None elsewhere): what the outlier engine saw, for the explanation."""
        drivers = np.full(len(points), None, dtype=object)
        shown = np.flatnonzero(points["UNUSUAL_PATTERN"].to_numpy() >= MIN_POINTS)
        if len(shown) and "ecod" in getattr(self.engine_, "members_", ()):
            values = np.column_stack([f(F, name)[shown] for name in ENGINE_FEATURES])
            contributions = self.engine_.feature_terms(values)
            drivers[shown] = np.asarray(ENGINE_FEATURES, dtype=object)[
                np.argmax(contributions, axis=1)
            ]
        return drivers

    def _risk_from_points(self, points: pd.DataFrame) -> np.ndarray:
        return 1.0 - np.exp(-points.sum(axis=1).to_numpy() / self.evidence_scale)

    def _supervised_inputs(self, F: Features, points: pd.DataFrame) -> pd.DataFrame:
        extra = _select(
            F, ["time_z", "fee_excess_ratio", "officer_spread_excess", "agent_pair_lift"]
        )
        return pd.concat([points.reset_index(drop=True), extra.reset_index(drop=True)], axis=1)

    def _fit_supervised(self, F: pd.DataFrame, points: pd.DataFrame, y: pd.Series | None) -> None:
        self.supervised_ = None
        self.supervised_weight_ = 0.0
        self.n_labels_ = 0
        if y is None:
            return
        labels = pd.Series(np.asarray(y, dtype=float))
        known = labels.notna().to_numpy()
        self.n_labels_ = int(known.sum())
        counts = labels[known].value_counts()
        if self.n_labels_ < self.min_labels_for_supervised or counts.min() < 5 or len(counts) < 2:
            return
        X = self._supervised_inputs(F, points)
        target = labels[known].astype(int)
        self.supervised_ = VerdictModel(random_state=self.random_state).fit(X[known], target)
        ceiling = min(
            self.max_supervised_weight, self.n_labels_ / (self.n_labels_ + self.label_half_weight)
        )
        self.supervised_weight_ = self._proven_weight(
            X[known], target, self._risk_from_points(points)[known], ceiling
        )

    def _proven_weight(
        self, X: pd.DataFrame, y: pd.Series, unsupervised: np.ndarray, ceiling: float
    ) -> float:
        """How far to lean on the verdict model: as far as it has earned on held-out verdicts.

        Out-of-fold predictions on the reviewed files are blended with the rule-and-engine
        risk at a few weights up to ``ceiling`` (which grows with the number of labels); the
        weight whose blend ranks the held-out verdicts best (average precision) is kept, the
        smaller one on a tie. Where supervisors mostly confirmed what the rules already put
        on top, the verdict model adds nothing and gets little weight; where they dismissed
        cases the rules liked, it earns more.
        """
        folds = int(min(5, y.value_counts().min()))
        if folds < 2:
            return 0.0
        cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.random_state)
        held_out = cross_val_predict(
            VerdictModel(random_state=self.random_state), X, y, cv=cv, method="predict_proba"
        )[:, 1]
        best_weight, best_ap = 0.0, -1.0
        for weight in np.linspace(0.0, ceiling, 5):
            blend = (1 - weight) * unsupervised + weight * held_out
            ap = average_precision_score(y, blend)
            if ap > best_ap + 1e-9:
                best_weight, best_ap = float(weight), ap
        return best_weight

    def _combine(self, F: Features, points: pd.DataFrame, unsupervised: np.ndarray) -> np.ndarray:
        if self.supervised_ is None or self.supervised_weight_ == 0.0:
            return unsupervised  # a verdict model that earned no weight is not run at all
        learned = self.supervised_.score_samples(self._supervised_inputs(F, points))
        points["LEARNED_FROM_VERDICTS"] = self.evidence_scale * self.supervised_weight_ * learned
        return (1 - self.supervised_weight_) * unsupervised + self.supervised_weight_ * learned

    def _set_thresholds(self, risk: np.ndarray, transactions: pd.DataFrame) -> None:
        months = max(1, pd.to_datetime(transactions["submitted_at"]).dt.to_period("M").nunique())
        n = len(risk)
        ordered = np.sort(risk)[::-1]

        def at_rank(k: int, floor: float) -> float:
            return max(float(ordered[min(max(k, 1), n) - 1]), floor)

        high = at_rank(self.capacity_high_per_month * months, 0.5)
        medium = at_rank(
            (self.capacity_high_per_month + self.capacity_medium_per_month) * months, 0.25
        )
        self.thresholds_ = {"high": high, "medium": min(medium, high)}
        self.training_months_ = int(months)

    # --- scoring ------------------------------------------------------------------------

    def _score(
        self, transactions: pd.DataFrame, complaints: pd.DataFrame | None
    ) -> tuple[FeatureColumns, pd.DataFrame, np.ndarray]:
        check_is_fitted(self, "thresholds_")
        F = self.features_.transform_columns(transactions, complaints)
        points = self._points(F)
        risk = self._combine(F, points, self._risk_from_points(points))
        return F, points, np.clip(risk, 0.0, 1.0)

    def with_reference(
        self, services: pd.DataFrame | None = None, holidays: pd.DataFrame | None = None
    ) -> RiskModel:
        """This model reading a newer service catalogue and closure days (see
        ``FeatureBuilder.with_reference``); fitted statistics and thresholds unchanged."""
        check_is_fitted(self, "thresholds_")
        out = copy.copy(self)
        out.features_ = self.features_.with_reference(services, holidays)
        return out

    def score_samples(
        self, transactions: pd.DataFrame, complaints: pd.DataFrame | None = None
    ) -> np.ndarray:
        """Risk in [0, 1] per transaction; higher = more worth inspecting."""
        return self._score(transactions, complaints)[2]

    def band(self, risk: np.ndarray) -> np.ndarray:
        high, medium = self.thresholds_["high"], self.thresholds_["medium"]
        return np.where(risk >= high, "high", np.where(risk >= medium, "medium", "low"))

    def score_transactions(
        self,
        transactions: pd.DataFrame,
        complaints: pd.DataFrame | None = None,
        language: str | None = None,
    ) -> pd.DataFrame:
        """The contract's score record per transaction (input order), with entity context."""
        F, points, risk = self._score(transactions, complaints)
        drivers = self._unusual_drivers(F, points)
        reasons = build_reasons(F, points, language or self.language, unusual_drivers=drivers)
        return pd.DataFrame(
            {
                "transaction_id": F["transaction_id"].astype(str).to_numpy(),
                "risk_score": np.round(risk, 6),
                "risk_band": self.band(risk),
                "reasons": reasons,
                "model_version": self.model_version_,
                "office_id": F["office_id"].astype(object).to_numpy(),
                "service_code": F["service_code"].astype(object).to_numpy(),
                "officer_id": F["officer_id"].astype(object).to_numpy(),
            }
        )

    def rank_entities(
        self,
        transactions: pd.DataFrame,
        complaints: pd.DataFrame | None = None,
        level: str = "officer",
        start: pd.Timestamp | str | None = None,
        end: pd.Timestamp | str | None = None,
        language: str | None = None,
    ) -> pd.DataFrame:
        """Officers or offices ranked for a period, with the evidence behind each rank.

        ``entity_score`` is a lower confidence bound of the entity's rate of flagged files
        (risk-weighted), so a large office and a small one are judged on the same scale and
        one flagged file out of three does not outrank thirty out of three hundred. That
        rate counts the files' named signals only: the officer's record is what is being
        summed up (counting it again on each file would let it vouch for itself), and the
        outlier engine's "unusual" is not irregular (a new officer's files are unusual).
        ``top_reasons`` are the codes with the most evidence in the flagged files;
        ``evidence`` says it in a sentence (Bahasa Indonesia, or ``language="en"``): how many
        files are high or medium risk and the signals most of them carry.
        """
        key = {"officer": "officer_id", "office": "office_id"}[level]
        period = transactions[in_period(transactions["submitted_at"], start, end)]
        if period.empty:  # nothing submitted in the period: nothing to rank
            context = ["office_id"] if level == "officer" else []
            columns = [key, "rank", *context, "n_transactions", "flagged_weight", "n_high"]
            columns += ["n_flagged", "mean_risk", "max_risk", "entity_score", "top_reasons"]
            columns += ["new_officer_since"] if level == "officer" else []
            return pd.DataFrame(columns=[*columns, "evidence"])
        F, points, risk = self._score(period, complaints)
        evidence = points.drop(columns=NOT_ENTITY_EVIDENCE, errors="ignore")
        if level == "officer":
            evidence = self._learning_months_discounted(F, evidence)
        named = self._risk_from_points(evidence)
        frame = pd.DataFrame(
            {
                key: F[key].astype(object).to_numpy(),
                "office_id": F["office_id"].astype(object).to_numpy(),
                "risk": risk,
                "flagged": np.where(named >= self.thresholds_["medium"], named, 0.0),
                "high": risk >= self.thresholds_["high"],
                "is_flagged": risk >= self.thresholds_["medium"],
            },
            index=F.index,
        ).dropna(subset=[key])
        grouped = frame.groupby(key, sort=False)
        table = grouped.agg(
            office_id=("office_id", "first"),
            n_transactions=("risk", "size"),
            flagged_weight=("flagged", "sum"),
            n_high=("high", "sum"),
            n_flagged=("is_flagged", "sum"),
            mean_risk=("risk", "mean"),
            max_risk=("risk", "max"),
        )
        table["entity_score"] = _wilson_lower_bound(
            table["flagged_weight"], table["n_transactions"]
        )
        # The flagged files' evidence, grouped by entity once for both summaries.
        flagged = points.loc[frame.index[frame["is_flagged"].to_numpy()]]
        owners = frame.loc[flagged.index, key].to_numpy()
        table["top_reasons"] = self._top_reasons(flagged, owners)
        if level == "officer":  # a new officer's first months are slow (the pace allows it)
            joined = self.features_.entities_.new_officers()
            since = [joined.get(officer, pd.NaT) for officer in table.index]
            table["new_officer_since"] = pd.to_datetime(pd.Series(since, index=table.index))
        table["evidence"] = self._evidence(flagged, owners, key, table, language or self.language)
        table = table.sort_values(["entity_score", "flagged_weight"], ascending=False)
        table.insert(0, "rank", np.arange(1, len(table) + 1))
        if level == "office":
            table = table.drop(columns="office_id")
        return table.reset_index()

    def _learning_months_discounted(self, F: Features, evidence: pd.DataFrame) -> pd.DataFrame:
        """A new officer's slowness in their first months is inexperience as often as not
        (files returned for a document a colleague would have waived, a longer wait at
        each step): in the officer's rate of flagged files, time signals on files of their
        first ``LEARNING_DAYS`` count ``LEARNING_SHARE``. Money signals count in full."""
        columns = [code for code in TIME_EVIDENCE if code in evidence]
        learning = self.features_.entities_.days_in_post(F) < LEARNING_DAYS  # NaN: False
        if not columns or not learning.any():
            return evidence
        evidence = evidence.copy()
        share = np.where(learning, LEARNING_SHARE, 1.0)
        for code in columns:
            evidence[code] = evidence[code].to_numpy() * share
        return evidence

    @staticmethod
    def _evidence(
        flagged: pd.DataFrame, owners: np.ndarray, key: str, table: pd.DataFrame, language: str
    ) -> list[str]:
        """``entity_evidence`` per entity of ``table``: the three signals with the most
        evidence in its flagged files (``flagged``, owned by ``owners``), each with the
        number of those files carrying it."""
        if key == "officer_id":  # the officer's own record is what is being summed up here
            flagged = flagged.drop(columns="OFFICER_PATTERN", errors="ignore")
        shown = (flagged >= MIN_POINTS).groupby(owners).sum()
        weight = flagged.where(flagged >= MIN_POINTS, 0.0).groupby(owners).sum()
        out = []
        for entity, row in table.iterrows():
            signals: list[tuple[str, int]] = []
            if entity in shown.index:  # the signals with the most evidence, and their files
                strongest = weight.loc[entity].sort_values(ascending=False, kind="stable")
                counts = shown.loc[entity]
                signals = [(str(c), int(counts[c])) for c in strongest.index[:3] if counts[c]]
            out.append(
                entity_evidence(
                    int(row["n_transactions"]),
                    int(row["n_high"]),
                    int(row["n_flagged"]),
                    signals,
                    language,
                    new_since=row.get("new_officer_since"),
                )
            )
        return out

    @staticmethod
    def _top_reasons(flagged: pd.DataFrame, owners: np.ndarray) -> pd.Series:
        """Per entity, up to three codes with at least 0.5 points summed over its flagged
        files, strongest first, ``;``-joined."""
        if flagged.empty:
            return pd.Series(dtype=object)
        summed = flagged.groupby(owners).sum()
        return summed.apply(
            lambda row: ";".join(row[row >= 0.5].sort_values(ascending=False).index[:3]), axis=1
        )
