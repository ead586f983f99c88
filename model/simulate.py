"""Synthetic Sidak worlds: public-service data with planted extortion and benign look-alikes.

``simulate_world`` builds offices (Disdukcapil, DPMPTSP, Dishub), officers, intermediaries
and about ``offices x months x transactions_per_office_month`` applications that follow the
data contract, then plants officer-level extortion schemes and the benign patterns that
look like them (see ``shared/domain.md``). ``write_world`` writes the contract tables to a
data directory and the ground truth to ``truth/`` beside them, which no model may read.

Everything is vectorised with one seeded ``numpy`` Generator, so a seed gives the same world.
Processing times are drawn in *working days* and turned into dates with
``model.calendar.WorkingCalendar``, so a Lebaran break in the middle of an application
lengthens it in calendar days but not in working days.

Planted schemes (``SCHEMES``; officer level, one per affected application):
``surcharge_free`` (round sums for free civil-registry documents, cash, often off-receipt),
``fee_markup`` (above a fixed or assessed fee), ``speed_money`` (far faster than peers,
sometimes at night or on a weekend, money mostly off-receipt), ``calo_ring`` (a calo whose
filings go mostly to one inside officer and come back fast) and ``delay_until_paid`` (held
far past the standard, many visits, complaints naming money). Benign look-alikes
(``LOOKALIKES``) are marked on benign applications only, the first that applies.

Truth files (``OUT_DIR/truth/``): ``transactions.csv`` (transaction_id, is_irregular,
scheme, lookalike), ``officers.csv`` (officer_id, office_id, is_extorter, profile, schemes
joined by ``;``, speed_factor, n_transactions), ``agents.csv`` (agent_id, office_id, kind,
linked_officer_id, monthly_filings), ``complaints.csv`` (complaint_id, kind, scheme,
target_officer_id, target_transaction_id), ``offices.csv`` and ``config.json``.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import holidays as holidays_lib
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from model.calendar import WEEKMASK, WorkingCalendar, national_holidays
from model.settings import REFERENCE_SERVICES

logger = logging.getLogger(__name__)

SCHEMES = ("surcharge_free", "fee_markup", "speed_money", "calo_ring", "delay_until_paid")
# Look-alikes in priority order: a benign transaction carries the first that applies.
LOOKALIKES = (
    "unfounded_complaint",
    "big_assessed_fee",
    "biro_jasa",
    "slow_new_officer",
    "system_outage",
    "seasonal_surge",
    "holiday_mid_application",
    "survey_misreport",
)
CONTRACT_TRANSACTION_COLUMNS = (
    "transaction_id", "office_id", "service_code", "submitted_at", "completed_at",
    "fee_paid_idr", "officer_id", "channel", "agent_id", "applicant_id", "payment_method",
    "assessed_fee_idr", "reported_fee_idr", "visits", "status",
)  # fmt: skip
SERVICE_COLUMNS = ("service_code", "service_name", "official_fee_idr", "fee_is_variable",
                   "sla_working_days")  # fmt: skip

# Real BPS region codes (kabupaten/kota) and names.
REGIONS: tuple[tuple[str, str], ...] = (
    ("3171", "Kota Jakarta Selatan"), ("3273", "Kota Bandung"), ("3578", "Kota Surabaya"),
    ("3374", "Kota Semarang"), ("1872", "Kota Metro"), ("7371", "Kota Makassar"),
    ("6271", "Kota Palangka Raya"), ("3404", "Kabupaten Sleman"), ("1271", "Kota Medan"),
    ("5171", "Kota Denpasar"), ("3201", "Kabupaten Bogor"), ("6471", "Kota Balikpapan"),
    ("3515", "Kabupaten Sidoarjo"), ("3302", "Kabupaten Banyumas"), ("1871", "Kota Bandar Lampung"),
    ("3471", "Kota Yogyakarta"),
)  # fmt: skip
AGENCY_LABEL = {"DISDUKCAPIL": "Disdukcapil", "DPMPTSP": "DPMPTSP", "DISHUB": "Dishub"}
AGENCY_SHORT = {"DISDUKCAPIL": "DUK", "DPMPTSP": "PTSP", "DISHUB": "HUB"}
# Schemes an extorter in each agency can run besides calo rings (which every office gets).
AGENCY_SCHEMES = {
    "DISDUKCAPIL": ("surcharge_free", "speed_money", "delay_until_paid"),
    "DPMPTSP": ("fee_markup", "speed_money", "delay_until_paid"),
    "DISHUB": ("fee_markup", "speed_money", "delay_until_paid"),
}
# Relative monthly volume of an office by agency (Disdukcapil is the busiest counter).
AGENCY_VOLUME = {"DISDUKCAPIL": 1.3, "DPMPTSP": 0.6, "DISHUB": 0.8}


@dataclass(frozen=True)
class ServiceProfile:
    """How a service behaves in the simulation (not part of the contract)."""

    weight: float  # share of its agency's demand
    online_share: float  # share filed online (any hour, any day)
    median_days: float  # typical honest processing time, working days
    sigma: float = 0.6  # log-normal spread of processing time
    surge: bool = False  # demand surges in the school-enrolment months
    eid_factor: float = 1.0  # demand multiplier in the month after Idul Fitri
    fee_median_idr: float = 0.0  # assessed fee median (variable-fee services)
    fee_sigma: float = 0.0
    big_fee_share: float = 0.0  # share of very large assessed fees (large buildings)
    calo_target: bool = False  # services calo rings sell


SERVICE_PROFILES: dict[str, ServiceProfile] = {
    "DUK-KTP-BARU": ServiceProfile(0.17, 0.15, 0.45, calo_target=True),
    "DUK-KTP-GANTI": ServiceProfile(0.12, 0.20, 0.45, calo_target=True),
    "DUK-KK": ServiceProfile(0.22, 0.35, 0.35, surge=True, calo_target=True),
    "DUK-AKTA-LAHIR": ServiceProfile(0.16, 0.40, 0.40, surge=True, calo_target=True),
    "DUK-AKTA-MATI": ServiceProfile(0.06, 0.30, 0.35),
    "DUK-AKTA-KAWIN": ServiceProfile(0.03, 0.10, 1.2),
    "DUK-AKTA-CERAI": ServiceProfile(0.01, 0.05, 1.3),
    "DUK-AKTA-ANAK": ServiceProfile(0.01, 0.05, 1.3),
    "DUK-PINDAH": ServiceProfile(0.10, 0.45, 0.35, eid_factor=1.6, calo_target=True),
    "DUK-KIA": ServiceProfile(0.10, 0.40, 0.40, surge=True),
    "DUK-CATPIL-UBAH": ServiceProfile(0.02, 0.05, 1.2),
    "PTSP-PBG": ServiceProfile(
        0.22,
        0.85,
        16.0,
        0.35,
        fee_median_idr=4.5e6,
        fee_sigma=0.8,
        big_fee_share=0.04,
        calo_target=True,
    ),
    "PTSP-SLF": ServiceProfile(0.10, 0.80, 1.4, 0.5, calo_target=True),
    "PTSP-REKLAME": ServiceProfile(0.12, 0.50, 2.2, 0.5, fee_median_idr=3.0e6, fee_sigma=0.9),
    "PTSP-NIB": ServiceProfile(0.36, 0.90, 0.2, 0.6),
    "PTSP-SIP-NAKES": ServiceProfile(0.20, 0.70, 2.2, 0.5),
    "HUB-KIR-BARANG": ServiceProfile(0.55, 0.05, 0.25, calo_target=True),
    "HUB-KIR-BUS": ServiceProfile(0.15, 0.05, 0.25, eid_factor=1.8, calo_target=True),
    "HUB-KIR-PNP": ServiceProfile(0.30, 0.05, 0.25, calo_target=True),
}


def _default_profile(sla_working_days: float) -> ServiceProfile:
    """Profile for a catalogue service the simulator has no specific knowledge of."""
    return ServiceProfile(0.05, 0.3, max(0.3, 0.4 * float(sla_working_days)), 0.5)


def _default_on_receipt() -> dict[str, float]:
    return {
        "surcharge_free": 0.4,
        "fee_markup": 0.5,
        "speed_money": 0.2,
        "calo_ring": 0.25,
        "delay_until_paid": 0.2,
    }


def _default_complaint_rates() -> dict[str, float]:
    return {
        "surcharge_free": 0.04,
        "fee_markup": 0.04,
        "speed_money": 0.01,
        "calo_ring": 0.03,
        "delay_until_paid": 0.15,
    }


@dataclass
class SimulationConfig:
    """Every size and rate of a simulated world; JSON/YAML files override the defaults."""

    seed: int = 0
    months: int = 12
    offices: int = 8
    start: str = "2025-01-01"
    transactions_per_office_month: int = 1000
    n_outcomes: int = 0
    # -- shape of the world
    agency_cycle: tuple[str, ...] = (
        "DISDUKCAPIL", "DPMPTSP", "DISHUB", "DISDUKCAPIL",
        "DPMPTSP", "DISDUKCAPIL", "DPMPTSP", "DISDUKCAPIL",
    )  # fmt: skip
    office_size_sigma: float = 0.3
    transactions_per_officer_month: int = 150
    min_officers_per_office: int = 4
    rejection_rate: float = 0.03
    rejected_with_decision_date: float = 0.6
    cash_share_paid_services: float = 0.1
    scheme_cash_share: float = 0.4  # cash share of the fee when the officer runs a scheme
    survey_response_rate: float = 0.2
    victim_response_factor: float = 0.8
    repeat_applicant_share: float = 0.15
    # -- intermediaries
    agent_share: float = 0.05  # share of an office's volume filed by legitimate biro jasa
    biro_jasa_per_office: int = 2
    biro_fee_reported_share: float = 0.3  # biro clients who report the agency's own fee
    calo_rings_per_office: int = 1
    calo_share: float = 0.006  # share of an office's volume filed by each calo
    calo_inside_share: float = 0.85  # share of a calo's filings that reach the inside officer
    # -- extortion (officer level)
    extorter_share: float = 0.12
    min_extorters_per_office: int = 1
    extorter_does_both_share: float = 0.7  # extorters who both delay and sell speed
    surcharge_rate: float = 0.12
    markup_rate: float = 0.15
    speed_money_rate: float = 0.04
    delay_rate: float = 0.035
    delay_unpaid_share: float = 0.3  # held files whose applicant never paid
    night_weekend_share: float = 0.35  # speed-money files finished at night or on a weekend
    on_receipt_share: dict[str, float] = field(default_factory=_default_on_receipt)
    money_complaint_rate: dict[str, float] = field(default_factory=_default_complaint_rates)
    # -- benign look-alikes
    outage_office_share: float = 0.25
    outage_weeks: tuple[int, int] = (2, 5)
    outage_slowdown: float = 3.0
    surge_months: tuple[int, ...] = (6, 7)
    surge_volume_factor: float = 1.8
    surge_slowdown: float = 1.6
    slow_new_office_share: float = 0.4
    slow_new_speed: float = 2.2
    big_fee_threshold_idr: int = 100_000_000
    survey_misreport_rate: float = 0.03
    unfounded_complaints_per_office_month: float = 0.6
    background_complaints_per_office_month: float = 12.0
    outage_complaints_per_week: float = 4.0
    local_closure_days_per_year: int = 2
    # -- supervisors' reviews (outcomes.csv)
    # Reviews are drawn by what a supervisor can see (red flags), never by the truth.
    outcome_weight_per_signal: float = 10.0
    outcome_weight_other: float = 0.1
    outcome_miss_rate: float = 0.08
    outcome_false_confirm_rate: float = 0.01

    @classmethod
    def load(cls, path: Path | None) -> SimulationConfig:
        """Defaults overridden by a JSON or YAML file; ``None`` gives the defaults."""
        if path is None:
            return cls()
        text = Path(path).read_text(encoding="utf-8")
        if Path(path).suffix.lower() in (".yaml", ".yml"):
            import yaml  # only needed for YAML configs

            values = yaml.safe_load(text) or {}
        else:
            values = json.loads(text)
        if not isinstance(values, dict):
            raise ValueError(f"{path}: expected a mapping of configuration keys")
        return cls().with_overrides(**values)

    def with_overrides(self, **kwargs: Any) -> SimulationConfig:
        """A copy with the given fields replaced; ``None`` values are ignored."""
        known = {f.name: f for f in fields(self)}
        unknown = sorted(set(kwargs) - set(known))
        if unknown:
            raise ValueError(f"unknown simulation setting(s): {', '.join(unknown)}")
        changes: dict[str, Any] = {}
        for name, value in kwargs.items():
            if value is None:
                continue
            current = getattr(self, name)
            if isinstance(current, tuple):
                value = tuple(value)
            elif isinstance(current, dict):
                value = {**current, **dict(value)}
            changes[name] = value
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class World:
    """A simulated data directory: contract tables plus the ground truth."""

    services: pd.DataFrame
    transactions: pd.DataFrame
    complaints: pd.DataFrame
    holidays: pd.DataFrame
    outcomes: pd.DataFrame | None
    truth_transactions: pd.DataFrame
    truth_officers: pd.DataFrame
    truth_agents: pd.DataFrame
    truth_complaints: pd.DataFrame
    truth_offices: pd.DataFrame
    config: SimulationConfig


@dataclass
class _Context:
    """Shared state of one simulation run."""

    config: SimulationConfig
    rng: np.random.Generator
    start: pd.Timestamp
    end: pd.Timestamp  # exclusive
    calendar: WorkingCalendar
    services: pd.DataFrame  # catalogue joined with profiles
    offices: pd.DataFrame = field(default_factory=pd.DataFrame)
    officers: pd.DataFrame = field(default_factory=pd.DataFrame)
    agents: pd.DataFrame = field(default_factory=pd.DataFrame)


# ---------------------------------------------------------------------------------------
# catalogue, window, closures
# ---------------------------------------------------------------------------------------


def load_reference_services(path: Path = REFERENCE_SERVICES) -> pd.DataFrame:
    """The reference catalogue with typed contract columns (extra columns kept)."""
    services = pd.read_csv(path, dtype={"service_code": str})
    services["fee_is_variable"] = (
        services["fee_is_variable"].astype(str).str.lower().isin(["true", "1", "yes"])
    )
    services["official_fee_idr"] = services["official_fee_idr"].astype(np.int64)
    return services


def _with_profiles(services: pd.DataFrame) -> pd.DataFrame:
    profiles = [
        SERVICE_PROFILES.get(code, _default_profile(sla))
        for code, sla in zip(services["service_code"], services["sla_working_days"], strict=True)
    ]
    frame = pd.DataFrame([asdict(p) for p in profiles], index=services.index)
    return pd.concat([services, frame], axis=1)


def _window(config: SimulationConfig) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(config.start).normalize()
    return start, start + pd.DateOffset(months=config.months)


def _local_closures(
    config: SimulationConfig, rng: np.random.Generator, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """A few local closure days per year on weekdays that are not national holidays."""
    national = set(national_holidays(range(start.year, end.year + 1)).date)
    days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    candidates = [d for d in days if d.weekday() < 5 and d.date() not in national]
    n_days = max(0, round(config.local_closure_days_per_year * config.months / 12))
    if not candidates or n_days == 0:
        return pd.DataFrame({"date": pd.Series([], dtype="datetime64[ns]"), "description": []})
    picked = sorted(rng.choice(len(candidates), size=min(n_days, len(candidates)), replace=False))
    reasons = (
        "Cuti bersama daerah (keputusan kepala daerah)",
        "Libur hari jadi daerah",
        "Penutupan layanan: pemeliharaan jaringan dan server",
    )
    return pd.DataFrame(
        {
            "date": [candidates[i] for i in picked],
            "description": [reasons[k % len(reasons)] for k in range(len(picked))],
        }
    )


def _eid_months(start: pd.Timestamp, end: pd.Timestamp) -> set[tuple[int, int]]:
    """(year, month) of the month following each Idul Fitri in the window."""
    calendar = holidays_lib.country_holidays(
        "ID", years=range(start.year, end.year + 1), language="en_US"
    )
    months = set()
    for day, name in calendar.items():
        if name == "Eid al-Fitr":
            after = pd.Timestamp(day) + pd.Timedelta(days=10)
            months.add((after.year, after.month))
    return months


# ---------------------------------------------------------------------------------------
# offices, officers, intermediaries
# ---------------------------------------------------------------------------------------


def _build_offices(ctx: _Context) -> pd.DataFrame:
    """Offices with agency, BPS region, monthly volume and an optional outage window."""
    config, rng = ctx.config, ctx.rng
    n = config.offices
    agencies = [config.agency_cycle[i % len(config.agency_cycle)] for i in range(n)]
    regions = [REGIONS[i % len(REGIONS)] for i in range(n)]
    office_ids = _dedupe(
        [f"{agency}-{code}" for agency, (code, _) in zip(agencies, regions, strict=True)]
    )
    # Short unique code for transaction and agent ids: DUK3171, or DUK3171B for a second unit.
    short_codes = [
        AGENCY_SHORT[agency] + office_id.split("-", 1)[1].replace("-", "")
        for agency, office_id in zip(agencies, office_ids, strict=True)
    ]
    size = rng.lognormal(0.0, config.office_size_sigma, n) * [AGENCY_VOLUME[a] for a in agencies]
    size = size / size.mean()
    offices = pd.DataFrame(
        {
            "office_id": office_ids,
            "short_code": short_codes,
            "agency": agencies,
            "region_code": [code for code, _ in regions],
            "region_name": [name for _, name in regions],
            "monthly_volume": config.transactions_per_office_month * size,
        }
    )
    return _with_outages(offices, ctx)


def _dedupe(ids: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for value in ids:
        seen[value] = seen.get(value, 0) + 1
        result.append(value if seen[value] == 1 else f"{value}-{chr(ord('A') + seen[value] - 1)}")
    return result


def _with_outages(offices: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    """Pick offices whose system (or KTP-el blank supply) fails for a few weeks."""
    config, rng = ctx.config, ctx.rng
    n = len(offices)
    n_out = min(n, max(1, round(config.outage_office_share * n))) if n else 0
    chosen = rng.choice(n, size=n_out, replace=False) if n_out else np.array([], dtype=int)
    starts = pd.Series(pd.NaT, index=offices.index, dtype="datetime64[ns]")
    ends = starts.copy()
    span_days = max(1, (ctx.end - ctx.start).days)
    for i in chosen:
        weeks = int(rng.integers(config.outage_weeks[0], config.outage_weeks[1] + 1))
        length = min(7 * weeks, max(7, span_days // 2))
        offset = int(rng.integers(0, max(1, span_days - length)))
        starts.iloc[i] = ctx.start + pd.Timedelta(days=offset)
        ends.iloc[i] = starts.iloc[i] + pd.Timedelta(days=length)
    return offices.assign(outage_start=starts, outage_end=ends)


def _build_officers(ctx: _Context) -> pd.DataFrame:
    """Officers per office: honest, slow new hires, and extorters with their schemes."""
    config, rng = ctx.config, ctx.rng
    rows: list[dict[str, Any]] = []
    per_region: dict[str, int] = {}
    slow_offices = _pick_slow_new_offices(ctx)
    for position, office in enumerate(ctx.offices.itertuples(index=False)):
        n_officers = max(
            config.min_officers_per_office,
            round(office.monthly_volume / config.transactions_per_officer_month),
        )
        n_extorters = min(
            n_officers - 1,
            max(config.min_extorters_per_office, round(config.extorter_share * n_officers)),
        )
        order = rng.permutation(n_officers)
        extorter_slots = set(order[:n_extorters].tolist())
        slow_slot = int(order[n_extorters]) if position in slow_offices else -1
        schemes = _assign_schemes(office.agency, n_extorters, ctx)
        for k in range(n_officers):
            per_region[office.region_code] = per_region.get(office.region_code, 0) + 1
            officer_id = f"OFF-{office.region_code}-{per_region[office.region_code]:03d}"
            rows.append(
                _officer_row(officer_id, office.office_id, k, extorter_slots, slow_slot, schemes)
            )
    officers = pd.DataFrame(rows)
    officers["speed"] = rng.lognormal(0.0, 0.15, len(officers))
    officers["sigma_mult"] = rng.uniform(0.85, 1.15, len(officers))
    officers["intensity"] = np.where(
        officers["is_extorter"] == 1, rng.uniform(0.6, 1.4, len(officers)), 0.0
    )
    slow = officers["profile"] == "slow_new"
    officers.loc[slow, "speed"] = config.slow_new_speed * rng.uniform(0.9, 1.1, int(slow.sum()))
    officers.loc[slow, "sigma_mult"] = 0.4
    return officers


def _pick_slow_new_offices(ctx: _Context) -> set[int]:
    n = len(ctx.offices)
    picked = set(np.flatnonzero(ctx.rng.random(n) < ctx.config.slow_new_office_share).tolist())
    if not picked and n and ctx.config.slow_new_office_share > 0:
        picked = {int(ctx.rng.integers(n))}
    return picked


def _assign_schemes(agency: str, n_extorters: int, ctx: _Context) -> list[list[str]]:
    """Schemes per extorter: every scheme feasible in the agency is run by someone."""
    feasible = list(AGENCY_SCHEMES.get(agency, ("speed_money", "delay_until_paid")))
    ctx.rng.shuffle(feasible)
    schemes: list[list[str]] = [[] for _ in range(n_extorters)]
    for i, scheme in enumerate(feasible):
        schemes[i % n_extorters].append(scheme)
    for extorter in schemes:
        if ctx.rng.random() < ctx.config.extorter_does_both_share:
            for scheme in ("speed_money", "delay_until_paid"):
                if scheme in feasible and scheme not in extorter:
                    extorter.append(scheme)
    return [sorted(s) for s in schemes]


def _officer_row(
    officer_id: str,
    office_id: str,
    slot: int,
    extorter_slots: set[int],
    slow_slot: int,
    schemes: list[list[str]],
) -> dict[str, Any]:
    if slot in extorter_slots:
        rank = sorted(extorter_slots).index(slot)
        return {"officer_id": officer_id, "office_id": office_id, "is_extorter": 1,
                "profile": "extorter", "schemes": schemes[rank]}  # fmt: skip
    profile = "slow_new" if slot == slow_slot else "honest"
    return {"officer_id": officer_id, "office_id": office_id, "is_extorter": 0,
            "profile": profile, "schemes": []}  # fmt: skip


def _build_agents(ctx: _Context) -> pd.DataFrame:
    """Legitimate biro jasa and calo rings (each calo linked to one inside extorter)."""
    config, rng = ctx.config, ctx.rng
    rows: list[dict[str, Any]] = []
    for office in ctx.offices.itertuples(index=False):
        staff = ctx.officers[ctx.officers["office_id"] == office.office_id]
        extorters = staff[staff["is_extorter"] == 1]["officer_id"].tolist()
        kinds = ["biro_jasa"] * config.biro_jasa_per_office
        kinds += ["calo"] * (config.calo_rings_per_office if extorters else 0)
        kinds = [kinds[i] for i in rng.permutation(len(kinds))]
        biro_volume = (
            office.monthly_volume * config.agent_share / max(1, config.biro_jasa_per_office)
        )
        for k, kind in enumerate(kinds, start=1):
            linked = extorters[int(rng.integers(len(extorters)))] if kind == "calo" else None
            calo_volume = office.monthly_volume * config.calo_share
            monthly = biro_volume if kind == "biro_jasa" else calo_volume
            agent_id = f"AGT-{office.short_code}-{k:02d}"
            rows.append({"agent_id": agent_id, "office_id": office.office_id, "kind": kind,
                         "linked_officer_id": linked, "monthly_filings": monthly})  # fmt: skip
    columns = ["agent_id", "office_id", "kind", "linked_officer_id", "monthly_filings"]
    agents = pd.DataFrame(rows, columns=columns)
    for officer_id in agents["linked_officer_id"].dropna():
        row = ctx.officers.index[ctx.officers["officer_id"] == officer_id][0]
        ctx.officers.at[row, "schemes"] = sorted({*ctx.officers.at[row, "schemes"], "calo_ring"})
    return agents


# ---------------------------------------------------------------------------------------
# applications
# ---------------------------------------------------------------------------------------

# Hour-of-day weights for online filings (evening peak after work, little at night).
_ONLINE_HOURS = np.array(
    [1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 5, 6, 6, 5, 4, 5, 5, 5, 4, 4, 5, 6, 7, 6, 4, 2], float
)


def _window_days(ctx: _Context) -> tuple[np.ndarray, np.ndarray]:
    days = np.arange(
        np.datetime64(ctx.start.date(), "D"),
        np.datetime64(ctx.end.date(), "D"),
        dtype="datetime64[D]",
    )
    working = ctx.calendar.is_working_day(pd.Series(days)).to_numpy()
    return days, working


def _season(services: pd.DataFrame, days: np.ndarray, ctx: _Context) -> np.ndarray:
    """Demand multiplier per (day, service): school-enrolment surge and post-Lebaran peaks."""
    months = days.astype("datetime64[M]").astype(np.int64)
    month_of_year = months % 12 + 1
    surge_day = np.isin(month_of_year, ctx.config.surge_months)
    eid = {(y - 1970) * 12 + (m - 1) for y, m in _eid_months(ctx.start, ctx.end)}
    eid_day = np.isin(months, list(eid))
    factor = np.ones((len(days), len(services)))
    surge = services["surge"].to_numpy(bool)
    factor[np.ix_(surge_day, surge)] *= ctx.config.surge_volume_factor
    eid_factor = services["eid_factor"].to_numpy(float)
    factor[eid_day] *= eid_factor[None, :]
    noise = ctx.rng.lognormal(0.0, 0.08, months.max() - months.min() + 1)
    return factor * noise[months - months.min()][:, None]


def _draw_public_filings(ctx: _Context, days: np.ndarray, working: np.ndarray) -> pd.DataFrame:
    """Counter and online applications of every office, by Poisson day-by-service draws."""
    rng, parts = ctx.rng, []
    for office in ctx.offices.itertuples(index=False):
        services = ctx.services[ctx.services["agency"] == office.agency].reset_index(drop=True)
        if services.empty:
            continue
        weights = services["weight"].to_numpy(float) / services["weight"].sum()
        online = services["online_share"].to_numpy(float)
        demand = weights[None, :] * _season(services, days, ctx)
        counter = demand * (1 - online)[None, :] * working[:, None]
        online_demand = demand * online[None, :] * np.where(working, 1.0, 0.3)[:, None]
        # Scale so the expected public volume is the office's monthly volume net of agents.
        target = office.monthly_volume * ctx.config.months * (1 - ctx.config.agent_share)
        scale = target / max(counter.sum() + online_demand.sum(), 1e-9)
        for channel, lam in (("counter", counter * scale), ("online", online_demand * scale)):
            counts = rng.poisson(lam).ravel()
            cells = np.repeat(np.arange(counts.size), counts)
            day_idx, svc_idx = np.divmod(cells, len(services))
            seconds = _time_of_day(channel, len(cells), rng)
            parts.append(_filing_frame(office.office_id, services, day_idx, svc_idx, days,
                                       seconds, channel, None))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def _time_of_day(channel: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Seconds after midnight: office hours at the counter, any hour online."""
    if channel == "online":
        hours = rng.choice(24, size=n, p=_ONLINE_HOURS / _ONLINE_HOURS.sum())
        return hours * 3600 + rng.integers(0, 3600, n)
    return (8 * 3600 + 7 * 3600 * rng.beta(1.5, 2.5, n)).astype(np.int64)


def _filing_frame(
    office_id: str,
    services: pd.DataFrame,
    day_idx: np.ndarray,
    svc_idx: np.ndarray,
    days: np.ndarray,
    seconds: np.ndarray,
    channel: str,
    agent_id: str | None,
) -> pd.DataFrame:
    submitted = days[day_idx].astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    return pd.DataFrame(
        {
            "office_id": office_id,
            "service_code": services["service_code"].to_numpy()[svc_idx],
            "submitted_at": submitted,
            "channel": channel,
            "agent_id": agent_id,
        }
    )


def _draw_agent_filings(ctx: _Context, days: np.ndarray, working: np.ndarray) -> pd.DataFrame:
    """Filings by intermediaries on working days: calos sell a few popular services."""
    rng, parts = ctx.rng, []
    work_days = np.flatnonzero(working)
    for agent in ctx.agents.itertuples(index=False):
        agency = ctx.offices.loc[ctx.offices["office_id"] == agent.office_id, "agency"].iloc[0]
        services = ctx.services[ctx.services["agency"] == agency].reset_index(drop=True)
        if agent.kind == "calo" and services["calo_target"].any():
            services = services[services["calo_target"]].reset_index(drop=True)
        weights = services["weight"].to_numpy(float) / services["weight"].sum()
        lam = agent.monthly_filings * ctx.config.months / max(1, len(work_days))
        counts = rng.poisson(lam, len(work_days))
        day_idx = np.repeat(work_days, counts)
        svc_idx = rng.choice(len(services), size=len(day_idx), p=weights)
        seconds = _time_of_day("counter", len(day_idx), rng)
        parts.append(_filing_frame(agent.office_id, services, day_idx, svc_idx, days, seconds,
                                   "agent", agent.agent_id))  # fmt: skip
    if not parts:
        return pd.DataFrame(
            columns=["office_id", "service_code", "submitted_at", "channel", "agent_id"]
        )
    return pd.concat(parts, ignore_index=True)


def _draw_applications(ctx: _Context) -> pd.DataFrame:
    days, working = _window_days(ctx)
    frames = [_draw_public_filings(ctx, days, working), _draw_agent_filings(ctx, days, working)]
    tx = pd.concat([f for f in frames if not f.empty], ignore_index=True)
    tx = tx.sort_values(["submitted_at", "office_id", "service_code"], kind="stable")
    tx = tx.reset_index(drop=True)
    agent_kind = ctx.agents.set_index("agent_id")["kind"]
    tx["agent_kind"] = tx["agent_id"].map(agent_kind).astype(object)
    return tx


def _assign_officers(tx: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    """Each application goes to an officer of its office; calo files mostly to the inside man."""
    rng = ctx.rng
    officer_ids = np.empty(len(tx), dtype=object)
    office_values = tx["office_id"].to_numpy()
    for office_id, staff in ctx.officers.groupby("office_id", sort=True):
        rows = np.flatnonzero(office_values == office_id)
        weight = np.where(staff["profile"].to_numpy() == "slow_new", 0.6, 1.0)
        picks = rng.choice(len(staff), size=len(rows), p=weight / weight.sum())
        officer_ids[rows] = staff["officer_id"].to_numpy()[picks]
    linked = tx["agent_id"].map(ctx.agents.set_index("agent_id")["linked_officer_id"])
    inside = linked.notna().to_numpy() & (rng.random(len(tx)) < ctx.config.calo_inside_share)
    officer_ids[inside] = linked.to_numpy()[inside]
    # Positions into the service and officer tables, for fast per-application lookups.
    service_index = pd.Index(ctx.services["service_code"]).get_indexer(tx["service_code"])
    officer_index = pd.Index(ctx.officers["officer_id"]).get_indexer(officer_ids)
    return tx.assign(officer_id=officer_ids, svc_idx=service_index, officer_idx=officer_index)


# ---------------------------------------------------------------------------------------
# fees, conditions, schemes
# ---------------------------------------------------------------------------------------


def _or_none(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``values`` as objects, with None where ``keep`` is False."""
    result = np.asarray(values, dtype=object).copy()
    result[~np.asarray(keep, dtype=bool)] = None
    return result


def _end_s(ctx: _Context) -> np.datetime64:
    return np.datetime64(ctx.end.to_datetime64(), "s")


def _service_column(tx: pd.DataFrame, ctx: _Context, column: str) -> np.ndarray:
    return ctx.services[column].to_numpy()[tx["svc_idx"].to_numpy()]


def _officer_column(tx: pd.DataFrame, ctx: _Context, column: str) -> np.ndarray:
    return ctx.officers[column].to_numpy()[tx["officer_idx"].to_numpy()]


def _legal_fees(tx: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    """Official fee, or the assessed fee for variable-fee services (a few very large ones)."""
    rng, n = ctx.rng, len(tx)
    variable = _service_column(tx, ctx, "fee_is_variable").astype(bool)
    official = _service_column(tx, ctx, "official_fee_idr").astype(np.int64)
    median = _service_column(tx, ctx, "fee_median_idr").astype(float)
    sigma = _service_column(tx, ctx, "fee_sigma").astype(float)
    big = variable & (rng.random(n) < _service_column(tx, ctx, "big_fee_share").astype(float))
    assessed = np.maximum(median, 1.0) * np.exp(rng.normal(0.0, 1.0, n) * sigma)
    large = np.exp(rng.normal(math.log(2.5e8), 0.7, n))
    assessed = np.where(big, np.maximum(large, ctx.config.big_fee_threshold_idr * 1.05), assessed)
    assessed = np.maximum(100_000, np.round(assessed / 1000) * 1000).astype(np.int64)
    legal = np.where(variable, assessed, official)
    return tx.assign(
        fee_variable=variable,
        assessed_fee_idr=pd.Series(assessed, index=tx.index, dtype="Int64").where(variable),
        legal_fee=legal,
        big_fee=variable & (assessed >= ctx.config.big_fee_threshold_idr),
    )


def _conditions(tx: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    """Benign office-level conditions: outage windows and the enrolment-season surge."""
    offices = ctx.offices.set_index("office_id")
    submitted = tx["submitted_at"]
    start = tx["office_id"].map(offices["outage_start"])
    end = tx["office_id"].map(offices["outage_end"])
    in_outage = ((submitted >= start) & (submitted < end)).fillna(False).to_numpy(bool)
    surge_agencies = set(ctx.services.loc[ctx.services["surge"], "agency"])
    agency = tx["office_id"].map(offices["agency"])
    surge = (
        agency.isin(surge_agencies).to_numpy()
        & submitted.dt.month.isin(ctx.config.surge_months).to_numpy()
    )
    return tx.assign(in_outage=in_outage, in_surge=surge)


def _plant_schemes(tx: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    """At most one scheme per application, drawn from its officer's schemes and intensity."""
    config, n = ctx.config, len(tx)
    intensity = _officer_column(tx, ctx, "intensity").astype(float)
    officer_schemes = ctx.officers["schemes"].tolist()
    officer_index = tx["officer_idx"].to_numpy()
    not_agent = tx["channel"].to_numpy() != "agent"
    free = (tx["legal_fee"].to_numpy() == 0) & ~tx["fee_variable"].to_numpy()
    online_discount = np.where(tx["channel"].to_numpy() == "online", 0.5, 1.0)
    candidates: dict[str, tuple[float, np.ndarray, np.ndarray | float]] = {
        "surcharge_free": (config.surcharge_rate, free & not_agent, online_discount),
        "fee_markup": (config.markup_rate, ~free & not_agent, 1.0),
        "speed_money": (config.speed_money_rate, not_agent, 1.0),
        "delay_until_paid": (config.delay_rate, not_agent, 1.0),
    }
    u = ctx.rng.random(n)
    lower = np.zeros(n)
    scheme = np.full(n, "", dtype=object)
    for name, (rate, eligible, discount) in candidates.items():
        runs = np.array([name in s for s in officer_schemes], dtype=bool)[officer_index]
        upper = lower + rate * intensity * discount * (eligible & runs)
        scheme[(u >= lower) & (u < upper) & (scheme == "")] = name
        lower = upper
    scheme[tx["agent_kind"].to_numpy() == "calo"] = "calo_ring"
    return tx.assign(scheme=scheme)


# (scheme, fee type) -> (amounts in rupiah, probabilities). Fee types: free, fixed, variable.
EXTRA_AMOUNTS: dict[tuple[str, str], tuple[tuple[int, ...], tuple[float, ...]]] = {
    ("surcharge_free", "free"): ((20_000, 50_000, 100_000, 150_000, 200_000),
                                 (0.3, 0.4, 0.2, 0.05, 0.05)),
    ("fee_markup", "fixed"): ((25_000, 50_000, 100_000), (0.3, 0.5, 0.2)),
    ("fee_markup", "variable"): ((500_000, 1_000_000, 2_000_000, 5_000_000),
                                 (0.35, 0.35, 0.2, 0.1)),
    ("speed_money", "free"): ((50_000, 100_000, 200_000, 300_000), (0.3, 0.4, 0.2, 0.1)),
    ("speed_money", "fixed"): ((50_000, 100_000, 150_000), (0.4, 0.4, 0.2)),
    ("speed_money", "variable"): ((1_000_000, 2_000_000, 5_000_000, 10_000_000),
                                  (0.3, 0.35, 0.25, 0.1)),
    ("delay_until_paid", "free"): ((50_000, 100_000, 200_000), (0.35, 0.45, 0.2)),
    ("delay_until_paid", "fixed"): ((50_000, 100_000), (0.6, 0.4)),
    ("delay_until_paid", "variable"): ((1_000_000, 2_500_000, 5_000_000), (0.4, 0.4, 0.2)),
    # calo rings: what the applicant pays the calo; the inside officer's cut is below
    ("calo_ring", "free"): ((150_000, 250_000, 300_000, 500_000), (0.25, 0.35, 0.25, 0.15)),
    ("calo_ring", "fixed"): ((100_000, 150_000, 200_000), (0.4, 0.4, 0.2)),
    ("calo_ring", "variable"): ((2_000_000, 3_000_000, 5_000_000, 10_000_000),
                                (0.3, 0.3, 0.3, 0.1)),
}  # fmt: skip
CALO_CUT_AMOUNTS = {"free": (50_000, 100_000), "fixed": (25_000, 50_000),
                    "variable": (500_000, 1_000_000)}  # fmt: skip


def _fee_type(tx: pd.DataFrame) -> np.ndarray:
    variable = tx["fee_variable"].to_numpy()
    fixed = ~variable & (tx["legal_fee"].to_numpy() > 0)
    return np.where(variable, "variable", np.where(fixed, "fixed", "free"))


def _extra_payments(tx: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    """Money taken beyond the legal fee, and how much of it shows on the receipt."""
    rng, n = ctx.rng, len(tx)
    scheme, fee_type = tx["scheme"].to_numpy(), _fee_type(tx)
    extra = np.zeros(n, dtype=np.int64)
    cut = np.zeros(n, dtype=np.int64)
    for (name, kind), (amounts, probs) in EXTRA_AMOUNTS.items():
        rows = np.flatnonzero((scheme == name) & (fee_type == kind))
        extra[rows] = rng.choice(amounts, size=len(rows), p=probs)
        if name == "calo_ring":
            cut[rows] = rng.choice(CALO_CUT_AMOUNTS[kind], size=len(rows))
    unpaid = (scheme == "delay_until_paid") & (rng.random(n) < ctx.config.delay_unpaid_share)
    extra[unpaid] = 0
    share = np.array([ctx.config.on_receipt_share.get(s, 0.0) for s in SCHEMES])
    scheme_index = pd.Series(scheme).map({s: i for i, s in enumerate(SCHEMES)}).to_numpy()
    has_scheme = ~pd.isna(scheme_index)
    p_receipt = np.zeros(n)
    p_receipt[has_scheme] = share[scheme_index[has_scheme].astype(int)]
    on_receipt = (rng.random(n) < p_receipt) & (extra > 0)
    receipt_extra = np.where(scheme == "calo_ring", cut, extra) * on_receipt
    return tx.assign(extra_total=extra, receipt_extra=receipt_extra, extra_on_receipt=on_receipt)


# ---------------------------------------------------------------------------------------
# processing time, completion, status
# ---------------------------------------------------------------------------------------

OFFICE_OPEN_S, OFFICE_CLOSE_S = 8 * 3600, 16 * 3600 + 1800


def _processing_days(tx: pd.DataFrame, ctx: _Context) -> np.ndarray:
    """Working days from submission to decision, by service, officer, load and scheme."""
    rng, config, n = ctx.rng, ctx.config, len(tx)
    median = _service_column(tx, ctx, "median_days").astype(float)
    sigma = _service_column(tx, ctx, "sigma").astype(float)
    sla = _service_column(tx, ctx, "sla_working_days").astype(float)
    speed = _officer_column(tx, ctx, "speed").astype(float)
    spread = _officer_column(tx, ctx, "sigma_mult").astype(float)
    outage, surge = tx["in_outage"].to_numpy(), tx["in_surge"].to_numpy()
    load = np.where(surge, config.surge_slowdown, 1.0) * np.where(
        outage, config.outage_slowdown, 1.0
    )
    backlog = np.where(outage, rng.uniform(1.0, 4.0, n), 0.0)
    days = median * speed * load * np.exp(rng.normal(0.0, 1.0, n) * sigma * spread) + backlog
    scheme = tx["scheme"].to_numpy()
    inside = (scheme == "calo_ring") & (tx["officer_id"].to_numpy() == _linked_officer(tx, ctx))
    fast = (scheme == "speed_money") | inside
    days = np.where(fast, median * rng.uniform(0.02, 0.25, n), days)
    held = scheme == "delay_until_paid"
    hold = sla + sla * rng.uniform(0.5, 1.5, n) + rng.uniform(3.0, 15.0, n)
    days = np.where(held, hold, days)
    whole = np.floor(days + rng.random(n)).astype(np.int64)
    seconds = _seconds_of_day(tx["submitted_at"])
    submitted_day = tx["submitted_at"].to_numpy().astype("datetime64[D]")
    open_day = ctx.calendar.is_working_day(pd.Series(submitted_day)).to_numpy()
    too_late = ~open_day | (seconds > 14 * 3600 + 1800)
    return np.where(too_late, np.maximum(whole, 1), whole)


def _linked_officer(tx: pd.DataFrame, ctx: _Context) -> np.ndarray:
    linked = tx["agent_id"].map(ctx.agents.set_index("agent_id")["linked_officer_id"])
    return linked.fillna("").to_numpy()


def _seconds_of_day(moments: pd.Series) -> np.ndarray:
    values = moments.to_numpy().astype("datetime64[s]")
    return (values - values.astype("datetime64[D]")).astype(np.int64)


def _completion_times(tx: pd.DataFrame, working_days: np.ndarray, ctx: _Context) -> np.ndarray:
    """Completion moments (datetime64[s]): working-day offsets, then a time of day."""
    rng, n = ctx.rng, len(tx)
    submitted = tx["submitted_at"].to_numpy().astype("datetime64[s]")
    submitted_day = submitted.astype("datetime64[D]")
    done_day = ctx.calendar.add_working_days(pd.Series(submitted_day), working_days)
    sub_seconds = _seconds_of_day(tx["submitted_at"])
    seconds = (OFFICE_OPEN_S + (OFFICE_CLOSE_S - OFFICE_OPEN_S) * rng.beta(2, 2, n)).astype(
        np.int64
    )
    overtime = rng.random(n) < np.where(tx["in_surge"].to_numpy(), 0.05, 0.01)
    seconds = np.where(overtime, rng.integers(OFFICE_CLOSE_S, 19 * 3600, n), seconds)
    same_day = done_day == submitted_day
    started = np.maximum(sub_seconds, OFFICE_OPEN_S)  # online filings wait for opening
    quick = np.minimum(started + rng.integers(15 * 60, 150 * 60, n), OFFICE_CLOSE_S)
    seconds = np.where(same_day, np.maximum(quick, sub_seconds + 600), seconds)
    done_day, seconds = _after_hours(tx, done_day, seconds, submitted_day, ctx)
    seconds = np.where(done_day == submitted_day, np.maximum(seconds, sub_seconds + 600), seconds)
    return done_day.astype("datetime64[s]") + seconds.astype("timedelta64[s]")


def _after_hours(
    tx: pd.DataFrame,
    done_day: np.ndarray,
    seconds: np.ndarray,
    submitted_day: np.ndarray,
    ctx: _Context,
) -> tuple[np.ndarray, np.ndarray]:
    """Speed-money work finished at night, or on the weekend after a late-week filing."""
    rng, n = ctx.rng, len(tx)
    scheme = tx["scheme"].to_numpy()
    inside = (scheme == "calo_ring") & (tx["officer_id"].to_numpy() == _linked_officer(tx, ctx))
    fast = ((scheme == "speed_money") | inside) & (rng.random(n) < ctx.config.night_weekend_share)
    weekday = (submitted_day.astype(np.int64) + 3) % 7  # Monday = 0
    to_weekend = np.select([weekday == 3, weekday == 4, weekday == 5], [2, 1, 1], default=-1)
    weekend = fast & (to_weekend > 0) & (rng.random(n) < 0.5)
    night = fast & ~weekend
    done_day = np.where(weekend, submitted_day + to_weekend.astype("timedelta64[D]"), done_day)
    seconds = np.where(weekend, rng.integers(9 * 3600, 14 * 3600, n), seconds)
    seconds = np.where(night, rng.integers(19 * 3600, 23 * 3600, n), seconds)
    return done_day, seconds


def _status(tx: pd.DataFrame, completed: np.ndarray, ctx: _Context) -> pd.DataFrame:
    """completed / rejected / pending; pending files have no completed_at at the window end."""
    rng, n = ctx.rng, len(tx)
    end = _end_s(ctx)
    rejected = rng.random(n) < ctx.config.rejection_rate
    decided = completed < end
    early_rejection = rejected & (rng.random(n) >= ctx.config.rejected_with_decision_date)
    status = np.where(~decided, "pending", np.where(rejected, "rejected", "completed"))
    keep = decided & ~early_rejection
    completed_at = np.where(keep, completed, np.datetime64("NaT"))
    return tx.assign(
        status=status,
        completed_at=pd.to_datetime(completed_at.astype("datetime64[s]")),
        decision_at=pd.to_datetime(completed),
    )


# ---------------------------------------------------------------------------------------
# payments, survey, visits, identifiers
# ---------------------------------------------------------------------------------------


def _payments(tx: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    """Recorded payment: the legal fee plus any on-receipt extra; cash mostly with extras."""
    rng, config, n = ctx.rng, ctx.config, len(tx)
    fee_paid = tx["legal_fee"].to_numpy() + tx["receipt_extra"].to_numpy()
    non_cash = rng.choice(["transfer", "qris", "other"], size=n, p=[0.55, 0.4, 0.05])
    # Whoever deals off the books also tends to take the official fee in cash.
    p_cash = np.where(
        tx["scheme"].to_numpy() != "", config.scheme_cash_share, config.cash_share_paid_services
    )
    normal = np.where(rng.random(n) < p_cash, "cash", non_cash)
    with_extra = rng.choice(["cash", "other", "transfer"], size=n, p=[0.85, 0.1, 0.05])
    method = np.where(tx["extra_on_receipt"].to_numpy(), with_extra, normal)
    method = np.where(fee_paid == 0, "none", method)
    return tx.assign(fee_paid_idr=fee_paid.astype(np.int64), payment_method=method)


def _survey(tx: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    """What a fraction of applicants report paying, hidden payments included."""
    rng, config, n = ctx.rng, ctx.config, len(tx)
    irregular = tx["scheme"].to_numpy() != ""
    rate = config.survey_response_rate * np.where(irregular, config.victim_response_factor, 1.0)
    respond = (tx["status"].to_numpy() != "pending") & (rng.random(n) < rate)
    paid = tx["legal_fee"].to_numpy() + tx["extra_total"].to_numpy()
    biro = tx["agent_kind"].to_numpy() == "biro_jasa"
    variable = tx["fee_variable"].to_numpy()
    biro_fee = np.where(
        variable,
        rng.choice([1_000_000, 2_000_000, 3_000_000], size=n),
        rng.choice([100_000, 150_000, 250_000], size=n),
    )
    adds_biro_fee = biro & (rng.random(n) < config.biro_fee_reported_share)
    paid = paid + np.where(adds_biro_fee, biro_fee, 0)
    misreport = ~irregular & ~biro & (rng.random(n) < config.survey_misreport_rate)
    paid = paid + np.where(misreport, rng.choice([5_000, 10_000, 20_000], size=n), 0)
    reported = pd.array(paid, dtype="Int64")
    reported[~respond] = pd.NA
    return tx.assign(reported_fee_idr=reported, survey_misreport=misreport & respond)


def _visits(tx: pd.DataFrame, ctx: _Context) -> np.ndarray:
    """In-person visits: counter files need a pickup, held files many returns."""
    rng, n = ctx.rng, len(tx)
    channel = tx["channel"].to_numpy()
    base = np.select(
        [channel == "counter", channel == "online"],
        [1 + (rng.random(n) < 0.55), (rng.random(n) < 0.35).astype(int)],
        default=(rng.random(n) < 0.1).astype(int),
    )
    held = tx["scheme"].to_numpy() == "delay_until_paid"
    base = base + np.where(held, rng.integers(2, 6, n), 0)
    base = base + (tx["in_outage"].to_numpy() & (rng.random(n) < 0.5))
    base = base + ((tx["status"].to_numpy() == "rejected") & (rng.random(n) < 0.5))
    return base.astype(np.int64)


def _identifiers(tx: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    """Transaction ids per office in submission order; pseudonymous applicant ids."""
    rng, n = ctx.rng, len(tx)
    offices = ctx.offices.set_index("office_id")
    prefix = tx["office_id"].map("TX-" + offices["short_code"] + "-")
    sequence = tx.groupby("office_id", sort=False).cumcount() + 1
    transaction_id = prefix + sequence.astype(str).str.zfill(6)
    pool = max(1, int(n * (1 - ctx.config.repeat_applicant_share)))
    tokens = rng.choice(2**40, size=pool, replace=False)
    names = pd.Series(tokens).map("A-{:010x}".format).to_numpy()
    first = rng.permutation(pool)[: min(n, pool)]
    index = rng.permutation(np.concatenate([first, rng.integers(0, pool, n - len(first))]))
    applicant = names[index]
    return tx.assign(transaction_id=transaction_id.to_numpy(), applicant_id=applicant)


# ---------------------------------------------------------------------------------------
# complaints (Bahasa Indonesia, phone-keyboard spelling)
# ---------------------------------------------------------------------------------------

SERVICE_WORDS: dict[str, tuple[str, ...]] = {
    "DUK-KTP-BARU": ("KTP", "e-KTP", "KTP-el", "ktp baru"),
    "DUK-KTP-GANTI": ("KTP", "ganti KTP", "KTP yang hilang"),
    "DUK-KK": ("KK", "kartu keluarga", "kk baru"),
    "DUK-AKTA-LAHIR": ("akta kelahiran", "akte lahir", "akta anak"),
    "DUK-AKTA-MATI": ("akta kematian", "akte kematian"),
    "DUK-AKTA-KAWIN": ("akta perkawinan", "akte nikah"),
    "DUK-AKTA-CERAI": ("akta cerai",),
    "DUK-AKTA-ANAK": ("pengesahan anak",),
    "DUK-PINDAH": ("surat pindah", "SKPWNI", "surat pindah domisili"),
    "DUK-KIA": ("KIA", "kartu identitas anak"),
    "DUK-CATPIL-UBAH": ("perubahan nama", "pembetulan akta"),
    "PTSP-PBG": ("PBG", "izin bangunan", "PBG rumah"),
    "PTSP-SLF": ("SLF", "sertifikat laik fungsi"),
    "PTSP-REKLAME": ("izin reklame", "izin baliho"),
    "PTSP-NIB": ("NIB", "NIB di OSS"),
    "PTSP-SIP-NAKES": ("SIP", "izin praktik"),
    "HUB-KIR-BARANG": ("KIR", "uji kir", "buku kir"),
    "HUB-KIR-BUS": ("KIR bus", "uji kir"),
    "HUB-KIR-PNP": ("KIR", "uji kir angkot"),
}
MONEY_TEXTS = {
    "generic": (
        "Saya diminta uang {amt} sama petugas waktu ngurus {svc}, katanya biar cepat. "
        "Tidak ada kuitansi.",
        "petugas minta duit {amt} buat {svc}, bilangnya biaya tambahan. Bukannya gratis ya?",
        "Harus kasih pelicin {amt} baru berkas {svc} diproses. Ini pungli kan pak?",
        "kasih uang rokoq {amt} ke oknum di loket {loket} baru berkas ditandatangani",
        "Disuruh bayar {amt} tanpa kwitansi untuk {svc} di {office}",
        "Oknum petugas loket {loket} minta imbalan {amt} untuk {svc}. Mohon ditindak",
        "bayar {amt} ke petugas buat {svc}, katanya uang terima kasih. padahal gratis",
    ),
    "delay_until_paid": (
        "Ngurus {svc} sudah {n} minggu tidak jadi2, ujung2nya dikode minta uang rokok {amt}",
        "berkas {svc} saya ditahan terus, katanya kalau mau cepat ada biaya {amt}. "
        "sogok dulu baru jalan",
        "{svc} sudah lewat {n} minggu belum selesai, ditanya malah disuruh siapin uang {amt}",
        "Sudah bolak balik {k} kali ke {office}, berkas {svc} baru diproses "
        "setelah kasih uang {amt}",
    ),
    "calo_ring": (
        "Ada calo di {office} yang bisa bikin {svc} sehari jadi asal bayar {amt}. "
        "Orang dalam ikut main.",
        "Mau urus {svc} sendiri dipersulit, lewat calo langsung jadi. Calonya minta {amt}",
        "calo di depan {office} nawarin {svc} kilat {amt}, katanya kenal petugas loket {loket}",
    ),
    "speed_money": (
        "Ditawari {svc} jadi hari ini asal ada uang pelicin {amt}",
        "petugas bilang kalau mau cepat bayar {amt}, kalau tidak ya antri minggu depan",
    ),
}
DELAY_TEXTS = (
    "{svc} saya sudah {n} minggu belum jadi, ditelpon tidak diangkat",
    "Berkas {svc} katanya hilang, disuruh ulang dari awal. Sudah {n} minggu",
    "kapan {svc} saya selesai? sudah bolak balik {k} kali ke {office}",
    "Permohonan {svc} statusnya masih diproses terus, padahal sudah lewat jadwal",
)
BACKGROUND_TEXTS = {
    "common": (
        "Antrian panjang sekali, datang jam 7 baru dipanggil jam 12",
        "nomor antrian online selalu habis jam 8 pagi",
        "Petugas loket {loket} jutek, ditanya baik2 malah dibentak",
        "pelayanan di {office} lambat, petugasnya banyak yang main HP",
        "Website {office} tidak bisa diakses dari kemarin",
        "aplikasi error terus waktu upload berkas {svc}",
        "Ruang tunggu panas, AC mati, toilet kotor",
        "Persyaratan {svc} di website beda dengan di loket, jadi bolak balik",
        "Mohon info apakah layanan {svc} buka hari Sabtu?",
        "parkir di {office} bayar 5rb, resmi atau tidak?",
        "jam 2 siang loket sudah tutup padahal jadwalnya sampai jam 3",
        "Terima kasih, pelayanan {svc} cepat dan ramah",
    ),
    "DISDUKCAPIL": (
        "blanko KTP habis katanya, disuruh nunggu bulan depan",
        "cetak KTP katanya blangko kosong, cuma dikasih surat keterangan",
        "Perekaman KTP untuk lansia tolong dibuat jalur khusus",
    ),
    "DPMPTSP": (
        "SIMBG lemot sekali, upload gambar gagal terus",
        "OSS error tidak bisa terbit NIB dari pagi",
        "Konsultasi PBG dijadwalkan ulang terus tanpa kabar",
    ),
    "DISHUB": (
        "uji KIR antri dari subuh, alat uji rusak",
        "Jadwal uji kir online tidak sesuai, sampai sana disuruh pulang",
    ),
    "outage": (
        "sistem offline seharian, pelayanan {svc} dihentikan",
        "SIAK down terus, sudah {n} hari tidak bisa cetak dokumen",
        "blangko KTP-el kosong sudah {n} minggu, kapan ada lagi?",
        "server error, berkas {svc} saya tertahan",
        "jaringan putus terus di {office}, disuruh balik besok",
    ),
}
CATEGORY = {"DISDUKCAPIL": "Administrasi Kependudukan", "DPMPTSP": "Perizinan",
            "DISHUB": "Perhubungan"}  # fmt: skip
_VARIANTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tidak", ("ga", "gak", "tdk", "nggak", "tidak")),
    ("Tidak", ("Gak", "Ga", "Tidak")),
    ("yang", ("yg", "yang")),
    ("sudah", ("udah", "sdh", "sudah")),
    ("Sudah", ("Udah", "Sdh", "Sudah")),
    ("sekali", ("bgt", "banget", "sekali")),
    ("kuitansi", ("kwitansi", "kuitansi", "kwitansinya")),
    ("kwitansi", ("kuitansi", "kwitansi")),
    ("untuk", ("utk", "buat", "untuk")),
    ("Saya", ("Sy", "Aku", "Saya")),
    ("saya", ("sy", "aku", "saya")),
    ("uang rokok", ("uang rokoq", "uang rokok", "duit rokok")),
    ("minta", ("minta", "mintak", "minta")),
)


def _format_amount(amount: int, rng: np.random.Generator) -> str:
    """Rupiah the way people type it: Rp50.000, 50rb, 50 ribu, 50k, 1,5jt."""
    thousands = amount // 1000
    if amount >= 1_000_000 and rng.random() < 0.6:
        millions = f"{amount / 1e6:g}".replace(".", ",")
        return [f"{millions}jt", f"{millions} juta", f"Rp{millions} juta"][int(rng.integers(3))]
    dotted = f"{amount:,}".replace(",", ".")
    options = [
        f"Rp{dotted}",
        f"Rp {dotted},-",
        f"{thousands}rb",
        f"{thousands} ribu",
        f"{thousands}k",
    ]
    return options[int(rng.integers(len(options)))]


def _vary_text(text: str, rng: np.random.Generator) -> str:
    """Spelling variants, slang and shouting, as typed on a phone."""
    for word, options in _VARIANTS:
        if word in text and rng.random() < 0.5:
            text = text.replace(word, options[int(rng.integers(len(options)))])
    roll = rng.random()
    if roll < 0.1:
        text = text.lower()
    elif roll < 0.13:
        text = text.upper()
    if rng.random() < 0.2:
        text += (" !!", " ??", " Tolong ditindak.", " mohon perhatiannya")[int(rng.integers(4))]
    return text


def _complaint_drafts(
    tx: pd.DataFrame,
    rows: np.ndarray,
    received: np.ndarray,
    kind: str,
    group: np.ndarray | str,
    name_probs: tuple[float, float, float],
    ctx: _Context,
) -> pd.DataFrame:
    """Complaints about the applications ``rows``; naming each entity with a probability."""
    rng, n = ctx.rng, len(rows)
    p_tx, p_officer, p_service = name_probs
    sub = tx.iloc[rows]
    target_officer = np.where(
        sub["scheme"].to_numpy() == "calo_ring",
        _linked_officer(sub, ctx),
        sub["officer_id"].to_numpy(),
    )
    amount = np.where(sub["extra_total"].to_numpy() > 0, sub["extra_total"].to_numpy(),
                      rng.choice([50_000, 100_000, 200_000], size=n))  # fmt: skip
    return pd.DataFrame(
        {
            "office_id": sub["office_id"].to_numpy(),
            "received_at": received,
            "kind": kind,
            "scheme": sub["scheme"].to_numpy() if kind == "money_founded" else "",
            "group": group,
            "text_service": sub["service_code"].to_numpy(),
            "amount": amount,
            "target_transaction_id": sub["transaction_id"].to_numpy(),
            "target_officer_id": target_officer,
            "transaction_id": _or_none(sub["transaction_id"].to_numpy(), rng.random(n) < p_tx),
            "officer_id": _or_none(target_officer, rng.random(n) < p_officer),
            "service_code": _or_none(sub["service_code"].to_numpy(), rng.random(n) < p_service),
        }
    )


def _after(
    tx: pd.DataFrame, rows: np.ndarray, low: float, high: float, ctx: _Context
) -> np.ndarray:
    """A moment ``low``..``high`` days after each application's decision (or submission)."""
    base = tx["decision_at"].to_numpy()[rows].astype("datetime64[s]")
    submitted = tx["submitted_at"].to_numpy()[rows].astype("datetime64[s]")
    base = np.where(base < submitted, submitted, base)
    offset = (ctx.rng.uniform(low, high, len(rows)) * 86400).astype("timedelta64[s]")
    return np.maximum(base + offset, submitted + np.timedelta64(3600, "s"))


def _money_complaints(tx: pd.DataFrame, ctx: _Context) -> list[pd.DataFrame]:
    """Victims who complain: money named, more often when a file was held."""
    rng, scheme = ctx.rng, tx["scheme"].to_numpy()
    rate = pd.Series(scheme).map(ctx.config.money_complaint_rate).fillna(0.0).to_numpy()
    rows = np.flatnonzero((scheme != "") & (rng.random(len(tx)) < rate))
    groups = np.array([f"money:{s}" if s in MONEY_TEXTS and rng.random() < 0.6 else "money:generic"
                       for s in scheme[rows]], dtype=object)  # fmt: skip
    founded = _complaint_drafts(tx, rows, _after(tx, rows, -3, 12, ctx), "money_founded", groups,
                                (0.5, 0.45, 0.8), ctx)  # fmt: skip
    held = np.flatnonzero((scheme == "delay_until_paid") & (rng.random(len(tx)) < 0.2))
    delay = _complaint_drafts(tx, held, _after(tx, held, -10, 2, ctx), "delay_only", "delay",
                              (0.5, 0.2, 0.9), ctx)  # fmt: skip
    return [founded, delay]


def _unfounded_complaints(tx: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    """Money accusations against honest officers (a grudge, a misunderstanding)."""
    rng = ctx.rng
    honest = _officer_column(tx, ctx, "is_extorter") == 0
    eligible = honest & (tx["scheme"].to_numpy() == "") & (tx["status"].to_numpy() == "completed")
    eligible &= tx["agent_kind"].isna().to_numpy()
    rate = ctx.config.unfounded_complaints_per_office_month * ctx.config.months
    picks = []
    for office_id in ctx.offices["office_id"]:
        pool = np.flatnonzero(eligible & (tx["office_id"].to_numpy() == office_id))
        count = min(len(pool), int(rng.poisson(rate)))
        picks.append(rng.choice(pool, size=count, replace=False))
    rows = np.sort(np.concatenate(picks)) if picks else np.array([], dtype=int)
    return _complaint_drafts(tx, rows, _after(tx, rows, 0.5, 12, ctx), "money_unfounded",
                             "money:generic", (0.6, 0.7, 0.8), ctx)  # fmt: skip


def _delay_complaints(tx: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    """Honest slowness (outage, surge, slow officers) also draws delay complaints."""
    sla = _service_column(tx, ctx, "sla_working_days").astype(float)
    slow = (tx["scheme"].to_numpy() == "") & (tx["working_days"].to_numpy() > sla + 2)
    rows = np.flatnonzero(slow & (ctx.rng.random(len(tx)) < 0.04))
    return _complaint_drafts(tx, rows, _after(tx, rows, -5, 3, ctx), "delay_only", "delay",
                             (0.4, 0.15, 0.9), ctx)  # fmt: skip


def _background_complaints(tx: pd.DataFrame, ctx: _Context) -> list[pd.DataFrame]:
    """Queues, rudeness, websites, blanks, facilities; more during outages."""
    rng, config, parts = ctx.rng, ctx.config, []
    office_values = tx["office_id"].to_numpy()
    for office in ctx.offices.itertuples(index=False):
        pool = np.flatnonzero(office_values == office.office_id)
        if not len(pool):
            continue
        count = int(rng.poisson(config.background_complaints_per_office_month * config.months))
        rows = rng.choice(pool, size=count)
        # Complaints arrive while people use the service: a few days after a visit.
        submitted = tx["submitted_at"].to_numpy()[rows].astype("datetime64[s]")
        received = submitted + (rng.uniform(0.05, 5, count) * 86400).astype("timedelta64[s]")
        groups = np.where(rng.random(count) < 0.25, office.agency, "common")
        parts.append(_complaint_drafts(tx, rows, received, "background", groups,
                                       (0.03, 0.03, 0.3), ctx))  # fmt: skip
        if pd.notna(office.outage_start):
            parts.append(_outage_complaints(tx, pool, office, ctx))
    return parts


def _outage_complaints(
    tx: pd.DataFrame, pool: np.ndarray, office: Any, ctx: _Context
) -> pd.DataFrame:
    weeks = (office.outage_end - office.outage_start).days / 7
    count = int(ctx.rng.poisson(ctx.config.outage_complaints_per_week * weeks))
    submitted = tx["submitted_at"].to_numpy()[pool]
    during = pool[(submitted >= office.outage_start.to_datetime64())
                  & (submitted < office.outage_end.to_datetime64())]  # fmt: skip
    rows = ctx.rng.choice(during if len(during) else pool, size=count)
    received = _after(tx, rows, 0.2, 6, ctx)
    received = np.minimum(received, tx["submitted_at"].to_numpy()[rows].astype("datetime64[s]")
                          + np.timedelta64(6 * 86400, "s"))  # fmt: skip
    return _complaint_drafts(tx, rows, received, "outage", "outage", (0.15, 0.0, 0.4), ctx)


def _complaint_text(draft: Any, office_names: Mapping[str, str], rng: np.random.Generator) -> str:
    group = str(draft.group)
    if group.startswith("money:"):
        templates = MONEY_TEXTS[group.split(":", 1)[1]]
    elif group == "delay":
        templates = DELAY_TEXTS
    else:
        templates = BACKGROUND_TEXTS[group]
    words = SERVICE_WORDS.get(draft.text_service, ("layanan",))
    text = templates[int(rng.integers(len(templates)))].format(
        svc=words[int(rng.integers(len(words)))],
        amt=_format_amount(int(draft.amount), rng),
        office=office_names[draft.office_id],
        loket=int(rng.integers(1, 9)),
        n=int(rng.integers(2, 7)),
        k=int(rng.integers(3, 7)),
    )
    return _vary_text(text, rng)


def _complaints(tx: pd.DataFrame, ctx: _Context) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The complaints table and its truth (kind, scheme, whom it is really about)."""
    rng = ctx.rng
    drafts = pd.concat(
        [*_background_complaints(tx, ctx), *_money_complaints(tx, ctx),
         _unfounded_complaints(tx, ctx), _delay_complaints(tx, ctx)],
        ignore_index=True,
    )  # fmt: skip
    drafts["received_at"] = pd.to_datetime(drafts["received_at"]).astype("datetime64[s]")
    drafts = drafts[drafts["received_at"] < ctx.end].sort_values("received_at", kind="stable")
    drafts = drafts.reset_index(drop=True)
    offices = ctx.offices.set_index("office_id")
    office_names = {
        office_id: f"{AGENCY_LABEL[row.agency]} {row.region_name}"
        for office_id, row in offices.iterrows()
    }
    texts = [_complaint_text(d, office_names, rng) for d in drafts.itertuples(index=False)]
    ids = [f"CMP-{i:06d}" for i in range(1, len(drafts) + 1)]
    agency_category = drafts["office_id"].map(offices["agency"]).map(CATEGORY).to_numpy()
    money = drafts["kind"].str.startswith("money").to_numpy()
    roll = rng.random(len(drafts))
    category = np.where(money & (roll < 0.45), "Pungutan Liar", agency_category)
    category = np.where(~money & (roll < 0.2), "Sarana dan Prasarana", category)
    category = _or_none(category, roll <= 0.85)
    complaints = drafts[["received_at", "office_id"]].assign(text=texts)
    complaints.insert(0, "complaint_id", ids)
    for column in ("service_code", "officer_id", "transaction_id"):
        complaints[column] = drafts[column].astype(object)
    complaints["category"] = category
    truth = drafts[["kind", "scheme", "target_officer_id", "target_transaction_id"]].copy()
    truth.insert(0, "complaint_id", ids)
    is_background = truth["kind"].isin(["background", "outage"])
    truth.loc[is_background, ["target_officer_id", "target_transaction_id"]] = None
    return complaints, truth


# ---------------------------------------------------------------------------------------
# ground truth and supervisors' reviews
# ---------------------------------------------------------------------------------------


def _closed_weekdays(tx: pd.DataFrame, ctx: _Context) -> np.ndarray:
    """Holidays and closures on weekdays between submission and decision."""
    submitted = pd.Series(tx["submitted_at"].to_numpy().astype("datetime64[D]"))
    decided = pd.Series(tx["decision_at"].to_numpy().astype("datetime64[D]"))
    weekdays = np.busday_count(
        submitted.to_numpy().astype("datetime64[D]") + 1,
        decided.to_numpy().astype("datetime64[D]") + 1,
        weekmask=WEEKMASK,
    )
    working = ctx.calendar.working_days_between(submitted, decided).to_numpy()
    return weekdays - working


def _truth_transactions(
    tx: pd.DataFrame, complaints: pd.DataFrame, complaint_truth: pd.DataFrame, ctx: _Context
) -> pd.DataFrame:
    """is_irregular, scheme and the benign look-alike (first that applies, benign rows only)."""
    scheme = tx["scheme"].to_numpy()
    sla = _service_column(tx, ctx, "sla_working_days").astype(float)
    pending = tx["status"].to_numpy() == "pending"
    slowed = (tx["working_days"].to_numpy() > sla) | pending
    unfounded = complaints["transaction_id"][complaint_truth["kind"] == "money_unfounded"]
    conditions = {
        "unfounded_complaint": tx["transaction_id"].isin(set(unfounded.dropna())).to_numpy(),
        "big_assessed_fee": tx["big_fee"].to_numpy(),
        "biro_jasa": tx["agent_kind"].to_numpy() == "biro_jasa",
        "slow_new_officer": _officer_column(tx, ctx, "profile") == "slow_new",
        "system_outage": tx["in_outage"].to_numpy() & slowed,
        "seasonal_surge": tx["in_surge"].to_numpy() & slowed,
        "holiday_mid_application": (_closed_weekdays(tx, ctx) >= 2) & ~pending,
        "survey_misreport": tx["survey_misreport"].to_numpy(),
    }
    lookalike = np.select([conditions[name] for name in LOOKALIKES], list(LOOKALIKES), default="")
    lookalike = np.where(scheme == "", lookalike, "")
    return pd.DataFrame(
        {
            "transaction_id": tx["transaction_id"].to_numpy(),
            "is_irregular": (scheme != "").astype(np.int64),
            "scheme": scheme,
            "lookalike": lookalike,
        }
    )


def _visible_red_flags(tx: pd.DataFrame, complaints: pd.DataFrame, ctx: _Context) -> np.ndarray:
    """How suspicious an application looks to a supervisor (observable signals only)."""
    sla = _service_column(tx, ctx, "sla_working_days").astype(float)
    fee_paid, legal = tx["fee_paid_idr"].to_numpy(), tx["legal_fee"].to_numpy()
    reported = tx["reported_fee_idr"].fillna(0).to_numpy(dtype=np.int64)
    done = tx["completed_at"]
    money = complaints[complaints["text"].str.contains(r"uang|duit|bayar|calo|pelicin", case=False)]
    working_days = tx["working_days"].to_numpy()
    flags = [
        (fee_paid > legal) * 2.0,
        (reported > fee_paid) * 2.0,
        (working_days > sla) * 0.5,
        (working_days > 2 * sla + 3) * 1.0,
        ((done.dt.hour >= 19) | (done.dt.dayofweek >= 5)).fillna(False).to_numpy(bool) * 1.0,
        tx["transaction_id"].isin(set(money["transaction_id"].dropna())).to_numpy() * 3.0,
        tx["officer_id"].isin(set(money["officer_id"].dropna())).to_numpy() * 0.5,
        (tx["payment_method"].to_numpy() == "cash") * 0.5,
        (tx["channel"].to_numpy() == "agent") * 0.5,
        (tx["visits"].to_numpy() >= 3) * 0.5,
    ]
    return np.sum([np.asarray(flag, dtype=float) for flag in flags], axis=0)


def _outcomes(
    tx: pd.DataFrame, truth: pd.DataFrame, complaints: pd.DataFrame, ctx: _Context
) -> pd.DataFrame | None:
    """Supervisors' verdicts on a sample drawn mostly from suspicious-looking applications."""
    config, rng = ctx.config, ctx.rng
    n_reviews = min(config.n_outcomes, len(tx))
    if n_reviews <= 0:
        return None
    irregular = truth["is_irregular"].to_numpy() == 1
    signals = _visible_red_flags(tx, complaints, ctx)
    # Squared: cases with several red flags together are the ones that get inspected.
    weight = config.outcome_weight_other + config.outcome_weight_per_signal * signals**2
    rows = np.sort(rng.choice(len(tx), size=n_reviews, replace=False, p=weight / weight.sum()))
    roll = rng.random(n_reviews)
    confirmed = np.where(irregular[rows], roll >= config.outcome_miss_rate,
                         roll < config.outcome_false_confirm_rate)  # fmt: skip
    submitted = tx["submitted_at"].to_numpy()[rows].astype("datetime64[s]")
    decided = tx["decision_at"].to_numpy()[rows].astype("datetime64[s]")
    last = _end_s(ctx) - np.timedelta64(3600, "s")
    base = np.maximum(submitted, np.minimum(decided, last))
    reviewed = base + (rng.uniform(3, 60, n_reviews) * 86400).astype("timedelta64[s]")
    reviewed = np.maximum(submitted + np.timedelta64(3600, "s"), np.minimum(reviewed, last))
    outcomes = pd.DataFrame(
        {
            "transaction_id": tx["transaction_id"].to_numpy()[rows],
            "outcome": np.where(confirmed, "confirmed", "dismissed"),
            "reviewed_at": pd.to_datetime(reviewed),
        }
    )
    return outcomes.sort_values("reviewed_at", kind="stable").reset_index(drop=True)


def _truth_officers(tx: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    counts = tx["officer_id"].value_counts()
    officers = ctx.officers
    return pd.DataFrame(
        {
            "officer_id": officers["officer_id"],
            "office_id": officers["office_id"],
            "is_extorter": officers["is_extorter"].astype(np.int64),
            "profile": officers["profile"],
            "schemes": officers["schemes"].map(";".join),
            "speed_factor": officers["speed"].round(3),
            "n_transactions": officers["officer_id"].map(counts).fillna(0).astype(np.int64),
        }
    )


def _truth_offices(ctx: _Context) -> pd.DataFrame:
    offices = ctx.offices
    return pd.DataFrame(
        {
            "office_id": offices["office_id"],
            "agency": offices["agency"],
            "region_code": offices["region_code"],
            "region_name": offices["region_name"],
            "monthly_volume": offices["monthly_volume"].round().astype(np.int64),
            "outage_start": offices["outage_start"].dt.date,
            "outage_end": offices["outage_end"].dt.date,
        }
    )


# ---------------------------------------------------------------------------------------
# orchestration and output
# ---------------------------------------------------------------------------------------


def _stage_people(tx: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    ctx.offices = _build_offices(ctx)
    ctx.officers = _build_officers(ctx)
    ctx.agents = _build_agents(ctx)
    return tx


def _stage_applications(tx: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    return _assign_officers(_draw_applications(ctx), ctx)


def _stage_schemes(tx: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    tx = _conditions(_legal_fees(tx, ctx), ctx)
    return _extra_payments(_plant_schemes(tx, ctx), ctx)


def _stage_timing(tx: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    completed = _completion_times(tx, _processing_days(tx, ctx), ctx)
    tx = _status(tx, completed, ctx)
    submitted_day = pd.Series(tx["submitted_at"].to_numpy().astype("datetime64[D]"))
    decided_day = pd.Series(tx["decision_at"].to_numpy().astype("datetime64[D]"))
    elapsed = ctx.calendar.working_days_between(submitted_day, decided_day).to_numpy()
    return tx.assign(working_days=elapsed)


def _stage_money(tx: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    tx = _survey(_payments(tx, ctx), ctx)
    return _identifiers(tx.assign(visits=_visits(tx, ctx)), ctx)


_STAGES: tuple[tuple[str, Callable[[pd.DataFrame, _Context], pd.DataFrame]], ...] = (
    ("offices and officers", _stage_people),
    ("applications", _stage_applications),
    ("fees and schemes", _stage_schemes),
    ("processing times", _stage_timing),
    ("payments and survey", _stage_money),
)


def simulate_world(config: SimulationConfig, progress: bool = False) -> World:
    """Simulate a world for ``config``; the same seed always gives the same world."""
    rng = np.random.default_rng(config.seed)
    start, end = _window(config)
    closures = _local_closures(config, rng, start, end)
    calendar = WorkingCalendar.for_period(start, end, list(closures["date"]))
    catalogue = load_reference_services()
    ctx = _Context(config, rng, start, end, calendar, _with_profiles(catalogue))
    tx = pd.DataFrame()
    with tqdm(total=len(_STAGES) + 2, desc="simulate", disable=not progress) as bar:
        for name, stage in _STAGES:
            bar.set_postfix_str(name)
            tx = stage(tx, ctx)
            bar.update()
        bar.set_postfix_str("complaints")
        complaints, complaint_truth = _complaints(tx, ctx)
        bar.update()
        bar.set_postfix_str("truth and outcomes")
        truth = _truth_transactions(tx, complaints, complaint_truth, ctx)
        outcomes = _outcomes(tx, truth, complaints, ctx)
        bar.update()
    world = _assemble(tx, catalogue, closures, complaints, complaint_truth, truth, outcomes, ctx)
    _log_summary(world)
    return world


def _assemble(
    tx: pd.DataFrame,
    catalogue: pd.DataFrame,
    closures: pd.DataFrame,
    complaints: pd.DataFrame,
    complaint_truth: pd.DataFrame,
    truth: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    ctx: _Context,
) -> World:
    agencies = set(ctx.offices["agency"])
    services = catalogue[catalogue["agency"].isin(agencies)].reset_index(drop=True)
    transactions = tx[list(CONTRACT_TRANSACTION_COLUMNS)].copy()
    transactions["submitted_at"] = transactions["submitted_at"].astype("datetime64[s]")
    transactions["completed_at"] = transactions["completed_at"].astype("datetime64[s]")
    transactions["agent_id"] = transactions["agent_id"].astype(object)
    for column in ("assessed_fee_idr", "reported_fee_idr"):
        transactions[column] = transactions[column].astype("Int64")
    agents = ctx.agents.assign(monthly_filings=ctx.agents["monthly_filings"].round(1))
    return World(
        services=services,
        transactions=transactions.reset_index(drop=True),
        complaints=complaints,
        holidays=closures,
        outcomes=outcomes,
        truth_transactions=truth,
        truth_officers=_truth_officers(tx, ctx),
        truth_agents=agents,
        truth_complaints=complaint_truth,
        truth_offices=_truth_offices(ctx),
        config=ctx.config,
    )


def _log_summary(world: World) -> None:
    truth = world.truth_transactions
    share = float(truth["is_irregular"].mean()) if len(truth) else 0.0
    logger.info(
        "simulated world: %d transactions (%.1f%% irregular), %d complaints",
        len(truth),
        100 * share,
        len(world.complaints),
        extra={
            "transactions": len(truth),
            "irregular_share": round(share, 4),
            "schemes": truth["scheme"][truth["scheme"] != ""].value_counts().to_dict(),
            "lookalikes": truth["lookalike"][truth["lookalike"] != ""].value_counts().to_dict(),
            "complaints": len(world.complaints),
            "outcomes": 0 if world.outcomes is None else len(world.outcomes),
        },
    )


TABLE_NAMES = ("services", "transactions", "complaints", "holidays", "outcomes")
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"


def write_world(world: World, out_dir: Path, fmt: str = "csv") -> dict[str, Path]:
    """Write the contract tables (CSV or Parquet) and ``truth/`` (always CSV + config.json)."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown format {fmt!r}: use 'csv' or 'parquet'")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    holidays = world.holidays.assign(
        date=pd.to_datetime(world.holidays["date"]).dt.strftime("%Y-%m-%d")
    )
    tables: dict[str, pd.DataFrame | None] = {
        "services": world.services,
        "transactions": world.transactions,
        "complaints": world.complaints,
        "holidays": holidays,
        "outcomes": world.outcomes,
    }
    written: dict[str, Path] = {}
    for name in TABLE_NAMES:
        for stale in (out_dir / f"{name}.csv", out_dir / f"{name}.parquet"):
            stale.unlink(missing_ok=True)  # one file per table, from this world only
        frame = tables[name]
        if frame is None:
            continue
        path = out_dir / f"{name}.{fmt}"
        _write_frame(frame, path, fmt)
        written[name] = path
    written.update(_write_truth(world, out_dir / "truth"))
    logger.info(
        "wrote world to %s (%s)",
        out_dir,
        fmt,
        extra={"out_dir": str(out_dir), "format": fmt, "files": len(written)},
    )
    return written


def _write_frame(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, date_format=DATETIME_FORMAT)


def _write_truth(world: World, truth_dir: Path) -> dict[str, Path]:
    truth_dir.mkdir(parents=True, exist_ok=True)
    frames = {
        "transactions": world.truth_transactions,
        "officers": world.truth_officers,
        "agents": world.truth_agents,
        "complaints": world.truth_complaints,
        "offices": world.truth_offices,
    }
    written = {}
    for name, frame in frames.items():
        path = truth_dir / f"{name}.csv"
        frame.to_csv(path, index=False, date_format=DATETIME_FORMAT)
        written[f"truth/{name}"] = path
    config_path = truth_dir / "config.json"
    config_path.write_text(json.dumps(world.config.to_dict(), indent=2, ensure_ascii=False) + "\n")
    written["truth/config"] = config_path
    return written
