"""A second, independent world generator, so Sidak is not judged only by its own simulator.

Written separately from ``model.simulate`` with different mechanics and proportions: its own
small catalogue, officer speeds, office load that drifts week by week, no working-day
calendar of Sidak's (it adds business days with numpy and the ``holidays`` package), and
schemes and look-alikes mixed in other shares. Writes the data contract plus the same
truth files (``truth/transactions.csv``, ``truth/officers.csv``) as the simulator.

    python bench/altworld.py OUT_DIR --seed 5 --offices 5 --months 4
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import holidays as holidays_lib
import numpy as np
import pandas as pd

SERVICES = pd.DataFrame(
    {
        "service_code": ["KTP", "KK", "AKTALHR", "SKPWNI", "IMB", "TRAYEK", "TDUP"],
        "service_name": [
            "KTP-el",
            "Kartu Keluarga",
            "Akta Kelahiran",
            "Surat Keterangan Pindah",
            "Persetujuan Bangunan Gedung",
            "Izin Trayek",
            "Tanda Daftar Usaha Pariwisata",
        ],
        "official_fee_idr": [0, 0, 0, 0, 0, 75_000, 250_000],
        "fee_is_variable": [False, False, False, False, True, False, False],
        "sla_working_days": [2, 3, 3, 2, 25, 7, 5],
    }
)
DEMAND = np.array([0.3, 0.2, 0.18, 0.1, 0.07, 0.07, 0.08])
MONEY_TEXT = [
    "petugas minta uang {n} supaya berkas cepat, tanpa kwitansi",
    "disuruh bayar {n} padahal katanya gratis",
    "harus kasih uang rokok baru diproses",
    "ada calo, bayar {n} langsung jadi",
]
SERVICE_TEXT = ["antrian sangat panjang", "petugas kurang ramah", "aplikasi sering error"]


@dataclass
class AltConfig:
    seed: int = 0
    offices: int = 5
    months: int = 4
    per_office_day: int = 35
    extorter_share: float = 0.15
    scheme_rate: float = 0.25
    survey_rate: float = 0.25


def _business_add(start: np.ndarray, days: np.ndarray, closed: np.ndarray) -> np.ndarray:
    calendar = np.busdaycalendar(holidays=closed)
    return np.busday_offset(start, days, roll="forward", busdaycal=calendar)


def _officers(cfg: AltConfig, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for office in range(cfg.offices):
        size = int(rng.integers(6, 12))
        extorters = set(rng.choice(size, max(1, round(size * cfg.extorter_share)), replace=False))
        slow_new = int(rng.integers(0, size))
        for number in range(size):
            profile = "extorter" if number in extorters else "honest"
            if profile == "honest" and number == slow_new and office % 2 == 0:
                profile = "slow_new"
            rows.append(
                {
                    "officer_id": f"P{office:02d}-{number:02d}",
                    "office_id": f"UPT-{office + 1:02d}",
                    "profile": profile,
                    "speed": 2.5 if profile == "slow_new" else float(rng.lognormal(0, 0.2)),
                }
            )
    return pd.DataFrame(rows)


def generate(cfg: AltConfig) -> dict[str, pd.DataFrame]:
    """One world: contract tables plus ``truth`` and ``truth_officers``."""
    rng = np.random.default_rng(cfg.seed + 7919)
    start = np.datetime64("2025-02-03")
    end = start + np.timedelta64(30 * cfg.months, "D")
    closed = np.array(
        sorted(holidays_lib.country_holidays("ID", years=[2025, 2026], categories=("public",))),
        dtype="datetime64[D]",
    )
    days = np.arange(start, end, dtype="datetime64[D]")
    days = days[np.is_busday(days, holidays=closed)]
    officers = _officers(cfg, rng)
    n = cfg.per_office_day * len(days) * cfg.offices
    office = rng.integers(0, cfg.offices, n)
    day = rng.choice(days, n)
    officer_rows = [
        np.flatnonzero(officers["office_id"] == f"UPT-{o + 1:02d}") for o in range(cfg.offices)
    ]
    pick = np.array([rng.choice(officer_rows[o]) for o in office])
    service = rng.choice(len(SERVICES), n, p=DEMAND)
    sla = SERVICES["sla_working_days"].to_numpy()[service]
    speed = officers["speed"].to_numpy()[pick]
    week = ((day - start).astype(int) // 7).astype(int)
    load = np.exp(np.cumsum(rng.normal(0, 0.05, (cfg.offices, week.max() + 1)), axis=1))
    base = rng.gamma(3.0, sla / 6.0) * speed * load[office, week]
    frame = pd.DataFrame(
        {
            "office": office,
            "officer": pick,
            "service": service,
            "day": day,
            "base": base,
            "sla": sla,
            "hour": rng.integers(8 * 60, 15 * 60, n),
        }
    )
    return _finish(frame, officers, cfg, rng, closed)


def _finish(
    frame: pd.DataFrame,
    officers: pd.DataFrame,
    cfg: AltConfig,
    rng: np.random.Generator,
    closed: np.ndarray,
) -> dict[str, pd.DataFrame]:
    n = len(frame)
    profile = officers["profile"].to_numpy()[frame["officer"]]
    fee = SERVICES["official_fee_idr"].to_numpy()[frame["service"]].astype(float)
    variable = SERVICES["fee_is_variable"].to_numpy()[frame["service"]]
    assessed = np.where(variable, rng.integers(10, 900, n) * 50_000, np.nan)
    fee = np.where(variable, assessed, fee)
    paid = fee.copy()
    days_taken = frame["base"].to_numpy()
    visits = rng.poisson(0.6, n) + 1
    channel = rng.choice(["online", "counter", "agent"], n, p=[0.45, 0.45, 0.1])
    agent = np.where(channel == "agent", "AG-" + rng.integers(1, 4, n).astype(str), None)
    payment = np.where(
        fee > 0, rng.choice(["transfer", "qris", "cash"], n, p=[0.5, 0.4, 0.1]), "none"
    )
    completed_hour = rng.integers(9 * 60, 16 * 60, n)
    scheme = np.full(n, "", dtype=object)
    lookalike = np.full(n, "", dtype=object)
    extort = (profile == "extorter") & (rng.random(n) < cfg.scheme_rate)
    kind = rng.choice(["pungli_free", "markup", "fast_track", "hold", "calo"], n)
    free = fee == 0
    kind = np.where(free & (kind == "markup"), "pungli_free", kind)
    kind = np.where(~free & (kind == "pungli_free"), "markup", kind)
    extra = rng.choice([25_000, 50_000, 100_000, 150_000], n)
    recorded = rng.random(n) < 0.5
    surcharge = extort & np.isin(kind, ["pungli_free", "markup"])
    paid = np.where(surcharge & recorded, paid + extra, paid)
    payment = np.where(surcharge & recorded, "cash", payment)
    fast = extort & (kind == "fast_track")
    days_taken = np.where(fast, days_taken * 0.15, days_taken)
    completed_hour = np.where(
        fast & (rng.random(n) < 0.4), rng.integers(18 * 60, 22 * 60, n), completed_hour
    )
    hold = extort & (kind == "hold")
    days_taken = np.where(hold, frame["sla"] * rng.uniform(3, 6, n), days_taken)
    visits = np.where(hold, visits + rng.integers(2, 5, n), visits)
    calo = extort & (kind == "calo")
    channel = np.where(calo, "agent", channel)
    agent = np.where(calo, "CALO-" + frame["officer"].astype(str).to_numpy(), agent)
    days_taken = np.where(calo, days_taken * 0.3, days_taken)
    scheme[extort] = kind[extort]
    hidden = extort & ~(surcharge & recorded)
    survey = rng.random(n) < cfg.survey_rate
    reported = np.where(survey, paid, np.nan)
    reported = np.where(survey & hidden & (kind != "hold"), paid + extra, reported)
    reported = np.where(survey & ~extort & (rng.random(n) < 0.03), paid + 10_000, reported)
    lookalike[(~extort) & survey & (reported > paid)] = "survey_noise"
    # Look-alikes: outage in office 0 for three weeks; surge for birth certificates.
    day = frame["day"].to_numpy().astype("datetime64[D]")
    outage = (
        (frame["office"].to_numpy() == 0)
        & (day >= np.datetime64("2025-03-10"))
        & (day < np.datetime64("2025-03-31"))
    )
    days_taken = np.where(outage & ~extort, days_taken * 3 + 2, days_taken)
    lookalike[outage & ~extort] = "outage"
    surge = (
        (frame["service"].to_numpy() == 2)
        & (day >= np.datetime64("2025-04-01"))
        & (day < np.datetime64("2025-05-01"))
    )
    days_taken = np.where(surge & ~extort, days_taken * 2, days_taken)
    lookalike[surge & ~extort & (lookalike == "")] = "surge"
    lookalike[(profile == "slow_new") & ~extort & (lookalike == "")] = "slow_new_officer"
    lookalike[variable & (assessed > 30_000_000) & ~extort] = "big_assessed_fee"
    lookalike[(channel == "agent") & ~extort & (lookalike == "")] = "agency"
    whole = np.floor(days_taken).astype(int)
    done_day = _business_add(day, whole, closed)
    submitted = pd.Series(pd.to_datetime(day)) + pd.to_timedelta(frame["hour"], unit="min")
    completed = pd.Series(pd.to_datetime(done_day)) + pd.to_timedelta(completed_hour, unit="min")
    completed = completed.where(completed > submitted, submitted + pd.Timedelta(hours=2))
    officer_ids = officers["officer_id"].to_numpy()[frame["officer"]]
    office_ids = officers["office_id"].to_numpy()[frame["officer"]]
    ids = [f"ALT-{i:07d}" for i in range(n)]
    transactions = pd.DataFrame(
        {
            "transaction_id": ids,
            "office_id": office_ids,
            "service_code": SERVICES["service_code"].to_numpy()[frame["service"]],
            "submitted_at": submitted.dt.strftime("%Y-%m-%dT%H:%M:%S"),
            "completed_at": completed.dt.strftime("%Y-%m-%dT%H:%M:%S"),
            "fee_paid_idr": paid.astype("int64"),
            "officer_id": officer_ids,
            "channel": channel,
            "agent_id": agent,
            "payment_method": payment,
            "assessed_fee_idr": pd.array(np.where(variable, assessed, np.nan)).astype("Int64"),
            "reported_fee_idr": pd.array(reported).astype("Int64"),
            "visits": visits,
            "status": "completed",
        }
    )
    complaints = _complaints(transactions, hold | (surcharge & ~recorded), rng)
    truth = pd.DataFrame(
        {
            "transaction_id": ids,
            "is_irregular": extort.astype(int),
            "scheme": scheme,
            "lookalike": np.where(extort, "", lookalike),
        }
    )
    truth_officers = officers.assign(is_extorter=(officers["profile"] == "extorter").astype(int))
    return {
        "services": SERVICES,
        "transactions": transactions,
        "complaints": complaints,
        "truth": truth,
        "truth_officers": truth_officers[["officer_id", "office_id", "is_extorter", "profile"]],
    }


def _complaints(
    transactions: pd.DataFrame, victims: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    named = transactions[victims & (rng.random(len(transactions)) < 0.3)]
    honest = transactions.sample(n=min(8, len(transactions)), random_state=int(rng.integers(1e9)))
    background = transactions.sample(
        n=min(len(transactions) // 200, len(transactions)), random_state=int(rng.integers(1e9))
    )
    parts = [
        named.assign(text=[rng.choice(MONEY_TEXT).format(n="50rb") for _ in range(len(named))]),
        honest.assign(text="petugas minta uang tambahan"),  # unfounded
        background.assign(text=[rng.choice(SERVICE_TEXT) for _ in range(len(background))]),
    ]
    rows = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(
        {
            "complaint_id": [f"LAPOR-{i:06d}" for i in range(len(rows))],
            "received_at": rows["completed_at"],
            "office_id": rows["office_id"],
            "text": rows["text"],
            "transaction_id": np.where(rng.random(len(rows)) < 0.7, rows["transaction_id"], None),
        }
    )


def write(world: dict[str, pd.DataFrame], out_dir: Path) -> None:
    (out_dir / "truth").mkdir(parents=True, exist_ok=True)
    for table in ("services", "transactions", "complaints"):
        world[table].to_csv(out_dir / f"{table}.csv", index=False)
    world["truth"].to_csv(out_dir / "truth" / "transactions.csv", index=False)
    world["truth_officers"].to_csv(out_dir / "truth" / "officers.csv", index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--offices", type=int, default=5)
    parser.add_argument("--months", type=int, default=4)
    args = parser.parse_args()
    write(
        generate(AltConfig(seed=args.seed, offices=args.offices, months=args.months)), args.out_dir
    )


if __name__ == "__main__":
    main()
