"""Wild world: an independent synthetic generator of pungli in Indonesian public services.

It models civil-registry offices (DISDUKCAPIL-xxxx, every document free by law) and one-stop
licensing offices (DPMPTSP-xxxx, PBG building approval with a per-building assessed retribution
plus fixed-fee and free licences) over a few months, on a working-day calendar with national
holidays and cuti bersama. Officers differ in honest speed; a few extort on a fraction of their
files with one of several schemes: illegal charges on free services, markups, delay until paid
(penundaan berlarut), speed money, calo rings (one fixer colluding with one officer) and
after-hours completion. Each irregular file shows only some of the weak signals (fee on the
receipt or only in a follow-up survey, cash, time, visits, complaints). Benign look-alikes are
planted and labelled: office outages, the birth-certificate surge before the school year, slow
new officers, huge legitimate building fees, licensed filing agencies, holidays inside an
application, weekend backlog drives, materai in survey answers and unfounded complaints.
Output follows data contract v1, plus truth tables for transactions and officers.
"""

from __future__ import annotations

import argparse
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import holidays as hol
import numpy as np
import pandas as pd

H = 3600
# code, name, official fee, fee variable, SLA (working days), office kind, volume share, median wd
SERVICES = [
    ("KTP-EL", "Penerbitan KTP-el", 0, False, 3, "DK", 0.30, 1.0),
    ("KK", "Kartu Keluarga", 0, False, 1, "DK", 0.28, 0.35),
    ("AKTA-LAHIR", "Akta Kelahiran", 0, False, 1, "DK", 0.20, 0.4),
    ("AKTA-MATI", "Akta Kematian", 0, False, 1, "DK", 0.08, 0.4),
    ("SKPWNI", "Surat Keterangan Pindah WNI", 0, False, 1, "DK", 0.14, 0.3),
    ("PBG", "Persetujuan Bangunan Gedung", 0, True, 28, "PT", 0.18, 14.0),
    ("SIP-NAKES", "Surat Izin Praktik Tenaga Kesehatan", 0, False, 5, "PT", 0.27, 2.0),
    ("REKLAME", "Izin Penyelenggaraan Reklame", 250_000, False, 5, "PT", 0.22, 2.2),
    ("TRAYEK", "Izin Trayek Angkutan Orang", 150_000, False, 7, "PT", 0.10, 3.0),
    ("TDUP", "Tanda Daftar Usaha Pariwisata", 0, False, 3, "PT", 0.23, 1.2),
]
CODE, FEE, VAR, SLA, MED = (np.array([s[i] for s in SERVICES]) for i in (0, 2, 3, 4, 7))
SHORT = [
    "ktp",
    "kk",
    "akta lahir",
    "akta kematian",
    "surat pindah",
    "pbg",
    "sip",
    "izin reklame",
    "izin trayek",
    "tdup",
]
CALO_SVC = {"DK": ["KTP-EL", "KK", "AKTA-LAHIR"], "PT": ["PBG", "REKLAME", "SIP-NAKES"]}
REGIONS = ["1871", "3273", "3578", "5171", "7371", "6471", "1371", "3374", "3471", "6171"]
CUTI = {  # cuti bersama (SKB 3 Menteri): office closures beyond national public holidays
    2023: [
        "2023-01-23",
        "2023-03-23",
        "2023-04-19",
        "2023-04-20",
        "2023-04-21",
        "2023-04-24",
        "2023-04-25",
        "2023-06-02",
        "2023-06-28",
        "2023-06-30",
        "2023-12-26",
    ],
    2024: [
        "2024-02-09",
        "2024-03-12",
        "2024-04-08",
        "2024-04-09",
        "2024-04-12",
        "2024-04-15",
        "2024-05-10",
        "2024-05-24",
        "2024-06-18",
        "2024-12-26",
    ],
    2025: [
        "2025-01-28",
        "2025-03-28",
        "2025-04-02",
        "2025-04-03",
        "2025-04-04",
        "2025-04-07",
        "2025-05-13",
        "2025-05-30",
        "2025-06-09",
        "2025-08-18",
        "2025-12-26",
    ],
}
SCHEMES = {
    "DK": ["free_charge", "delay_until_paid", "speed_money", "after_hours"],
    "PT": ["free_charge", "markup", "delay_until_paid", "speed_money", "after_hours"],
}
BASE: dict[str, Any] = dict(
    extorter_rate=0.09,
    file_rate=(0.15, 0.4),
    colluder_extra=0.5,
    weights=dict(free_charge=3, markup=3, delay_until_paid=2, speed_money=2, after_hours=1),
    ring_prob=0.35,
    rings_max=1,
    calo_month=(12, 35),
    calo_loyal=0.93,
    agency_dk=0.03,
    agency_pt=0.12,
    agencies=(3, 6),
    small=(20_000, 50_000, 100_000, 150_000, 200_000),
    big=(250_000, 500_000, 1_000_000, 2_000_000, 5_000_000),
    recorded=0.35,
    cash_irr=0.75,
    pay_legit=(0.30, 0.40, 0.25, 0.05),
    survey=0.2,
    response=0.6,
    truthful=0.75,
    delay=(2.5, 6.0),
    speed=(0.03, 0.15),
    after_sec=0.12,
    cmp_irr=0.08,
    cmp_delay=0.15,
    cmp_service=12.0,
    unfounded=0.8,
    outage_prob=0.35,
    surge=1.0,
    slow_new=0.08,
    big_building=0.06,
    drive_prob=0.3,
)
MIXES: dict[str, dict[str, Any]] = {
    "base": BASE,
    "agents": {
        **BASE,
        "extorter_rate": 0.07,
        "file_rate": (0.05, 0.15),
        "colluder_extra": 0.2,
        "ring_prob": 0.9,
        "rings_max": 2,
        "calo_month": (20, 45),
        "calo_loyal": 0.95,
        "agency_dk": 0.12,
        "agency_pt": 0.3,
        "agencies": (6, 12),
    },
    "quiet": {
        **BASE,
        "small": (10_000, 15_000, 20_000, 25_000, 50_000),
        "big": (50_000, 100_000, 150_000, 250_000, 500_000),
        "recorded": 0.1,
        "cash_irr": 0.35,
        "pay_legit": (0.10, 0.60, 0.25, 0.05),
        "survey": 0.05,
        "delay": (1.6, 3.0),
        "speed": (0.15, 0.4),
        "after_sec": 0.04,
        "cmp_irr": 0.02,
        "cmp_delay": 0.04,
        "unfounded": 0.4,
        "ring_prob": 0.2,
        "outage_prob": 0.5,
        "extorter_rate": 0.1,
        "slow_new": 0.12,
        "weights": {**BASE["weights"], "delay_until_paid": 1, "after_hours": 0.5, "free_charge": 4},
    },
    "noisy": {
        **BASE,
        "outage_prob": 0.9,
        "surge": 1.8,
        "slow_new": 0.18,
        "big_building": 0.15,
        "drive_prob": 0.8,
        "unfounded": 2.5,
        "cmp_service": 25.0,
        "agency_pt": 0.2,
    },
}
MONEY = [
    "Saya diminta uang rokok {amt} waktu urus {svc}, katanya biar cepat.",
    "petugas minta biaya tambahan {amt} tanpa kwitansi utk {svc}",
    "bayar lebih tanpa kuitansi pas ngurus {svc}, katanya gratis tp disuruh bayar {amt}",
    "Urus {svc} lewat calo bayar {amt}, ternyata ada orang dalam yg proses",
    "dimintai pelicin {amt} supaya berkas {svc} tdk ditahan",
    "Berkas {svc} ditahan berminggu2, baru diproses setelah kasih uang terima kasih {amt}",
    "Ada pungli di loket {svc}!! diminta {amt}",
    "oknum petugas minta imbalan {amt}, kalau tidak mau berkas {svc} dipending terus",
    "biaya {svc} lbh mahal dr tarif resmi, selisih {amt} ga ada bukti bayar",
    "Mohon ditindak, ada yg minta duit {amt} utk percepatan {svc}",
]
SERVICE_TXT = [
    "antrean panjang sekali, dari pagi blm dipanggil",
    "petugas tidak ramah dan jutek",
    "website error terus, tidak bisa upload berkas {svc}",
    "aplikasi online sering down",
    "sudah lewat waktu, {svc} belum selesai juga",
    "pelayanan {svc} lama, tolong diperbaiki",
    "informasi persyaratan {svc} tidak jelas",
    "nomor antrean online tidak berlaku di loket",
    "ruang tunggu panas, AC mati",
    "sdh 3 minggu {svc} blm jadi, tiap ditanya disuruh nunggu",
]
CALO_TXT = [
    "banyak calo di depan kantor, nawarin {svc} cepat {amt}",
    "ada calo yg bisa urus {svc} sehari jadi asal bayar {amt}",
]


@dataclass(frozen=True)
class WildConfig:
    seed: int = 0
    offices: int = 8
    months: int = 6
    mix: str = "base"
    start: str = "2024-02-01"
    volume: float = 1.0  # scales transaction volume
    national_in_holidays: bool = False  # also list national holidays in holidays.csv
    overrides: tuple[tuple[str, Any], ...] = ()  # (knob, value) pairs applied over the mix


def _rp(rng: np.random.Generator, a: Any) -> str:
    a = int(a)
    k, m, dots = a // 1000, a // 10**6, f"{a:,}".replace(",", ".")
    if a >= 10**6 and a % 10**6 == 0:
        return str(rng.choice([f"{m} juta", f"{m}jt", f"Rp {dots}"]))
    return str(rng.choice([f"Rp {dots}", f"{k}rb", f"{k} ribu", f"Rp{dots},-", f"{k}k"]))


def _choice(rng: np.random.Generator, vals: Any, n: int, w: Any = None) -> np.ndarray:
    p = None if w is None else np.asarray(w, float) / np.sum(w)
    return rng.choice(np.asarray(vals), size=n, p=p)


def _office(
    rng: np.random.Generator,
    p: dict[str, Any],
    k: int,
    kind: str,
    oid: str,
    days: np.ndarray,
    cal: np.busdaycalendar,
    months: int,
    vol: float,
    oids: np.ndarray,
    aids: np.ndarray,
) -> tuple[pd.DataFrame, list, list]:
    nd, dk = len(days), kind == "DK"
    svc = np.array([i for i, s in enumerate(SERVICES) if s[5] == kind])
    work = np.is_busday(days, busdaycal=cal)
    md = pd.DatetimeIndex(days).month * 100 + pd.DatetimeIndex(days).day
    surge_day = ((md >= 610) & (md <= 727)) & dk & (p["surge"] > 0)
    season = np.ones((nd, len(svc)))
    for code, boost in (("AKTA-LAHIR", 1.8), ("KK", 0.5)):
        if code in CODE[svc]:
            season[surge_day, list(CODE[svc]).index(code)] += boost * p["surge"]
    rate = vol * rng.uniform(1200, 1550) if dk else vol * rng.uniform(1050, 1400)
    lam = rate / 21.7 * np.array([SERVICES[i][6] for i in svc]) * season
    cnt = rng.poisson(lam * np.where(work, 1.0, 0.12)[:, None])
    r, c = np.indices(cnt.shape)
    day, sv = np.repeat(r.ravel(), cnt.ravel()), np.repeat(svc[c.ravel()], cnt.ravel())
    n0 = len(day)
    online = ~work[day] | (rng.random(n0) < (0.35 if dk else 0.55))
    # officers
    no = int(rng.integers(10, 17) if dk else rng.integers(8, 14))
    spd, wt = rng.lognormal(0, 0.25, no), rng.gamma(4, 1, no)
    new = (rng.random(no) < p["slow_new"]) & (np.arange(no) > 0)
    hire = np.where(new, rng.integers(-20, int(nd * 0.6), no), -9999)
    m0 = rng.uniform(2.2, 3.5, no)
    ext = ~new & (rng.random(no) < p["extorter_rate"])
    schemes: list[list[str]] = [[] for _ in range(no)]
    opts = SCHEMES[kind]
    for o in np.flatnonzero(ext):
        w = np.array([p["weights"][s] for s in opts], float)
        schemes[o] = [
            str(x)
            for x in rng.choice(opts, size=1 + rng.binomial(2, 0.4), replace=False, p=w / w.sum())
        ]
    na = int(rng.integers(*p["agencies"]))
    colluders: list[int] = []
    if rng.random() < p["ring_prob"]:
        for _ in range(int(rng.integers(1, p["rings_max"] + 1))):
            pool = np.flatnonzero(ext) if ext.any() else np.flatnonzero(~new)
            c_ = int(rng.choice(pool))
            if not ext[c_]:
                ext[c_] = True
                two = rng.random() < p["colluder_extra"]
                schemes[c_] = [str(rng.choice(opts))] if two else []
            colluders.append(c_)
            schemes[c_] = ["calo_ring", *[s for s in schemes[c_] if s != "calo_ring"]]
    frate = rng.uniform(p["file_rate"][0], p["file_rate"][1], no)
    tech = rng.choice(np.flatnonzero(~new), size=min(4, int((~new).sum())), replace=False)
    # calo files, agency files
    cdays, cagent, csv = [], [], []
    wdays = np.flatnonzero(work)
    for j in range(len(colluders)):
        m = rng.poisson(rng.uniform(*p["calo_month"]) * months)
        cdays.append(rng.choice(wdays, m))
        cagent.append(np.full(m, na + j))
        csv.append(_choice(rng, [list(CODE).index(s) for s in CALO_SVC[kind]], m, [3, 2, 2]))
    day = np.concatenate([day, *cdays]).astype(int)
    sv = np.concatenate([sv, *csv]).astype(int)
    n = len(day)
    calo = np.arange(n) >= n0
    agent = np.full(n, -1)
    agent[calo] = np.concatenate([np.zeros(0, int), *cagent])
    agency = ~calo & (rng.random(n) < (p["agency_dk"] if dk else p["agency_pt"]))
    agent[agency] = rng.choice(na, agency.sum(), p=(g := rng.gamma(2, 1, na)) / g.sum())
    online = np.concatenate([online, np.zeros(n - n0, bool)]) & ~agency
    channel = np.where(agent >= 0, "agent", np.where(online, "online", "counter"))
    sec = np.where(online, rng.uniform(6 * H, 23 * H, n), 8 * H + 7 * H * rng.beta(1.3, 2.2, n))
    # officer routing
    off = np.zeros(n, int)
    est = np.flatnonzero(~new)
    for s in svc:
        m = sv == s
        pool = tech if CODE[s] == "PBG" else np.arange(no)
        off[m] = rng.choice(pool, m.sum(), p=wt[pool] / wt[pool].sum())
    bad = hire[off] > day
    off[bad] = rng.choice(est, bad.sum(), p=wt[est] / wt[est].sum())
    if colluders:
        loyal = calo & (rng.random(n) < p["calo_loyal"])
        off[loyal] = np.array(colluders)[agent[loyal] - na]
    # legal fees
    assessed = np.round(np.maximum(rng.lognormal(np.log(6e6), 1.0, n), 7.5e5), -2) * VAR[sv]
    bigb = VAR[sv] & (rng.random(n) < p["big_building"])
    assessed[bigb] = np.round(np.maximum(rng.lognormal(np.log(4e8), 0.8, bigb.sum()), 1.5e8), -2)
    base_fee = np.where(VAR[sv], assessed, FEE[sv]).astype(np.int64)
    # honest duration in working days
    d = MED[sv] * rng.lognormal(0, 0.55, n) * spd[off]
    d *= np.where(new[off], 1 + (m0[off] - 1) * np.exp(-(day - hire[off]) / 75), 1.0)
    surge_f = surge_day[day] & (p["surge"] > 0)
    d *= np.where(surge_f, 1 + 0.9 * p["surge"], 1.0)
    outage = np.zeros(n, bool)
    if rng.random() < p["outage_prob"] and nd > 60:
        ws = int(rng.integers(10, nd - 40))
        outage = (day >= ws - 3) & (day < ws + int(rng.integers(14, 36)))
        d *= np.where(outage, rng.uniform(2.5, 4.0), 1.0)
    # extortion
    scheme = np.full(n, "", dtype=object)
    cand = ext[off] & ~calo & (rng.random(n) < frate[off])
    free = (FEE[sv] == 0) & ~VAR[sv]
    for o in np.flatnonzero(ext):
        for grp in (True, False):
            ok = [
                s
                for s in schemes[o]
                if s != "calo_ring" and (s != "free_charge" or grp) and (s != "markup" or not grp)
            ]
            m = cand & (off == o) & (free == grp)
            if ok and m.any():
                scheme[m] = _choice(rng, ok, int(m.sum()), [p["weights"][s] for s in ok])
    if colluders:
        scheme[calo & np.isin(off, colluders)] = "calo_ring"
    irr = scheme != ""
    cheap = dk | free
    extra = np.where(
        cheap,
        _choice(rng, p["small"], n, [4, 7, 6, 2, 1]),
        _choice(rng, p["big"], n, [3, 4, 3, 2, 1]),
    ).astype(np.int64)
    pbg_mk = (scheme == "markup") & VAR[sv]
    extra[pbg_mk] = np.maximum(
        np.round(assessed[pbg_mk] * rng.uniform(0.05, 0.2, n)[pbg_mk], -5), extra[pbg_mk]
    )
    rec_p = {"free_charge": 1.0, "markup": 1.6, "calo_ring": 0.4}
    rec = irr & (rng.random(n) < p["recorded"] * np.array([rec_p.get(s, 0.5) for s in scheme]))
    u = rng.uniform(0, 1, n)
    d = np.select(
        [
            scheme == "delay_until_paid",
            scheme == "speed_money",
            scheme == "calo_ring",
            scheme == "after_hours",
            irr,
        ],
        [
            SLA[sv]
            + (p["delay"][0] - 1 + u * (p["delay"][1] - p["delay"][0]))
            * np.maximum(SLA[sv] ** 0.6, 2)
            + d,
            MED[sv] * (p["speed"][0] + u * (p["speed"][1] - p["speed"][0])),
            d * (0.1 + 0.25 * u),
            d * (0.3 + 0.6 * u),
            d * (0.5 + 0.5 * u),
        ],
        d,
    )
    visits = np.select(
        [channel == "counter", channel == "online"],
        [1 + rng.poisson(0.4, n), rng.binomial(1, 0.3, n)],
        rng.binomial(1, 0.2, n),
    )
    visits += np.where(scheme == "delay_until_paid", rng.integers(2, 5, n) * (u < 0.8), 0)
    visits += (irr & ~calo & (rng.random(n) < 0.25)).astype(int)
    visits += (outage & (rng.random(n) < 0.5)).astype(int)
    visits[scheme == "calo_ring"] = rng.binomial(1, 0.15, int((scheme == "calo_ring").sum()))
    # completion timestamps on the working-day clock (08:00-16:00)
    dd = days[day]
    inwork = work[day] & (sec < 16 * H)
    anchor = np.where(inwork, dd, np.busday_offset(dd, 1, roll="backward", busdaycal=cal))
    p0 = np.where(inwork, np.clip(sec - 8 * H, 0, None) / (8 * H), 0.0) + d
    cday = np.busday_offset(anchor, np.floor(p0).astype(int), roll="forward", busdaycal=cal)
    csec = 8 * H + (p0 - np.floor(p0)) * 8 * H
    over = ~irr & (rng.random(n) < 0.03)
    csec[over] = rng.uniform(16 * H, 18.5 * H, over.sum())
    late = (scheme == "after_hours") | (irr & (rng.random(n) < p["after_sec"]))
    csec[late] = rng.uniform(19 * H, 23.5 * H, late.sum())
    wk = late & (rng.random(n) < 0.4)
    wd = (cday.astype("datetime64[D]").view("int64") + 3) % 7  # 0 = Monday (1970-01-01: Thu)
    cday[wk] = cday[wk] + ((5 - wd[wk]) % 7 + rng.integers(0, 2, wk.sum())).astype("timedelta64[D]")
    drive = np.zeros(n, bool)
    if rng.random() < p["drive_prob"] and nd > 40:
        w0 = days[int(rng.integers(5, nd - 30))]
        sat = cday - ((wd + 2) % 7).astype("timedelta64[D]")
        drive = (
            ~irr
            & (wd <= 1)
            & (sat >= dd)
            & (sat >= w0)
            & (sat < w0 + np.timedelta64(21, "D"))
            & (rng.random(n) < 0.5)
        )
        cday[drive] = sat[drive]
        csec[drive] = rng.uniform(8.5 * H, 13 * H, drive.sum())
    sub = dd.astype("datetime64[s]") + sec.astype("timedelta64[s]")
    comp = np.maximum(
        cday.astype("datetime64[s]") + csec.astype("timedelta64[s]"), sub + np.timedelta64(600, "s")
    )
    df = pd.DataFrame(
        dict(
            office_id=oid,
            svc=sv,
            sub=sub,
            comp=comp,
            day=day,
            off=off,
            channel=channel,
            agent=agent,
            base_fee=base_fee,
            extra=extra,
            rec=rec,
            scheme=scheme,
            calo=calo,
            agency=agency,
            bigb=bigb,
            outage=outage,
            surge=surge_f & ~irr,
            slow=new[off] & ~irr,
            drive=drive,
            visits=visits,
            assessed=np.where(VAR[sv], assessed, -1),
            d=d,
        )
    )
    df["agent_id"] = np.where(agent >= 0, aids[k * 20 + np.clip(agent, 0, None)], "")
    df["officer_id"] = oids[k * 40 + off]
    offs = [
        dict(
            officer_id=oids[k * 40 + o],
            office_id=oid,
            is_extorter=int(ext[o]),
            profile="extorter" if ext[o] else "slow_new" if new[o] else "honest",
            schemes=";".join(schemes[o]),
        )
        for o in range(no)
    ]
    return df, offs, [kind, colluders, outage]


def generate(cfg: WildConfig) -> dict[str, pd.DataFrame]:
    p = {**MIXES[cfg.mix], **dict(cfg.overrides)}
    rng = np.random.default_rng([cfg.seed, zlib.crc32(cfg.mix.encode()), cfg.offices, cfg.months])
    start = pd.Timestamp(cfg.start)
    end = start + pd.DateOffset(months=cfg.months)
    years = list(range(start.year, end.year + 2))
    nat = {pd.Timestamp(a): str(b) for a, b in hol.Indonesia(years=years).items()}
    cuti = {pd.Timestamp(a): "Cuti bersama" for y in years for a in CUTI.get(y, [])}
    closed = np.array(sorted(set(nat) | set(cuti)), dtype="datetime64[D]")
    cal = np.busdaycalendar(holidays=closed)
    days = np.arange(np.datetime64(start.date()), np.datetime64(end.date()))
    pool = rng.choice(90000, cfg.offices * 40, replace=False) + 10000
    oids = np.array([f"PTG-{x}" for x in pool])
    aids = np.array([f"AGT-{x}" for x in rng.choice(9000, cfg.offices * 20, replace=False) + 1000])
    frames: list[pd.DataFrame] = []
    officers: list[dict[str, Any]] = []
    metas: list[tuple[Any, ...]] = []
    for k in range(cfg.offices):
        kind = "DK" if k % 2 == 0 else "PT"
        reg = REGIONS[k // 2] if k // 2 < len(REGIONS) else str(1100 + 7 * (k // 2))
        oid = f"{'DISDUKCAPIL' if kind == 'DK' else 'DPMPTSP'}-{reg}"
        df, offs, meta = _office(
            rng, p, k, kind, oid, days, cal, cfg.months, cfg.volume, oids, aids
        )
        frames, officers, metas = [*frames, df], officers + offs, [*metas, (oid, *meta)]
    tx = pd.concat(frames).sort_values(["sub", "office_id"], kind="stable").reset_index(drop=True)
    n = len(tx)
    tx["transaction_id"] = [f"PMH{i + 1:08d}" for i in range(n)]
    irr = (tx.scheme != "").to_numpy()
    end64 = np.datetime64(end.to_pydatetime(), "s")
    pending = (tx.comp >= end64).to_numpy() | (~irr & (rng.random(n) < 0.005))
    rejected = ~irr & ~pending & (rng.random(n) < 0.04)
    status = np.where(pending, "pending", np.where(rejected, "rejected", "completed"))
    comp = tx.comp.where(~pending & ~(rejected & (rng.random(n) < 0.2)))
    done = status == "completed"
    fee = np.where(done, tx.base_fee + tx.extra * tx.rec, 0).astype(np.int64)
    hidden = np.where(irr, tx.extra * ~tx.rec, 0) + np.where(
        irr & tx.calo, _choice(rng, [100_000, 150_000, 200_000, 300_000, 500_000], n), 0
    )
    paid_legit = _choice(rng, ["cash", "transfer", "qris", "other"], n, p["pay_legit"])
    paid_legit = np.where(VAR[tx.svc] & (rng.random(n) < 0.8), "transfer", paid_legit)
    paid_irr = np.where(
        rng.random(n) < p["cash_irr"], "cash", _choice(rng, ["transfer", "qris"], n)
    )
    method = np.where(fee == 0, "none", np.where(irr & tx.rec, paid_irr, paid_legit))
    asked = done & (rng.random(n) < p["survey"] * p["response"])
    truthful = rng.random(n) < p["truthful"]
    agency_fee = tx.agency & (rng.random(n) < 0.4)
    materai = ~irr & ~tx.agency & (rng.random(n) < 0.04)
    rep = fee + hidden * truthful + agency_fee * _choice(rng, np.arange(150, 800, 50) * 1000, n)
    rep += materai * 10_000
    reported = pd.array(np.where(asked, rep, 0), dtype="Int64")
    reported[~asked] = pd.NA
    # look-alikes (benign files only, most specific first)
    cday = comp.to_numpy().astype("datetime64[D]")
    sday = tx["sub"].to_numpy().astype("datetime64[D]")
    cend = np.where(np.isnat(cday), sday, cday)
    hol_in = np.busday_count(sday, cend, busdaycal=cal) < np.busday_count(sday, cend)
    conds = [tx.outage, tx.surge, tx.slow, tx.bigb, tx.agency, tx.drive, asked & materai, hol_in]
    names = [
        "outage",
        "seasonal_surge",
        "slow_new_officer",
        "big_building",
        "licensed_agency",
        "weekend_drive",
        "materai_reported",
        "holiday_span",
    ]
    look = np.select([np.asarray(c, bool) for c in conds], names, "").astype(object)
    look[irr] = ""
    complaints = _complaints(rng, p, tx, irr, metas, officers, cfg.months, end64, look)
    out = pd.DataFrame(
        {
            "transaction_id": tx.transaction_id,
            "office_id": tx.office_id,
            "service_code": CODE[tx.svc],
            "submitted_at": tx["sub"],
            "completed_at": comp,
            "fee_paid_idr": fee,
            "officer_id": tx.officer_id,
            "channel": tx.channel,
            "agent_id": tx.agent_id.replace("", pd.NA),
            "applicant_id": [
                f"APL-{x:09d}" for x in rng.integers(0, int(0.9 * n) + 10, n) * 7919 % 10**9
            ],
            "payment_method": method,
            "assessed_fee_idr": pd.array(tx.assessed.where(tx.assessed >= 0), dtype="Int64"),
            "reported_fee_idr": reported,
            "visits": tx.visits.astype(int),
            "status": status,
        }
    )
    services = pd.DataFrame(
        {
            "service_code": CODE,
            "service_name": [s[1] for s in SERVICES],
            "official_fee_idr": FEE,
            "fee_is_variable": VAR,
            "sla_working_days": [s[4] for s in SERVICES],
        }
    )
    hd = {**(nat if cfg.national_in_holidays else {}), **cuti}
    holi = pd.DataFrame(
        sorted(
            (k.date().isoformat(), v) for k, v in hd.items() if start.year <= k.year <= end.year
        ),
        columns=["date", "description"],
    )
    truth = pd.DataFrame(
        {
            "transaction_id": tx.transaction_id,
            "is_irregular": irr.astype(int),
            "scheme": tx.scheme,
            "lookalike": look,
        }
    )
    return {
        "services": services,
        "transactions": out,
        "complaints": complaints,
        "holidays": holi,
        "truth": truth,
        "truth_officers": pd.DataFrame(officers),
    }


def _complaints(
    rng: np.random.Generator,
    p: dict[str, Any],
    tx: pd.DataFrame,
    irr: np.ndarray,
    metas: list,
    officers: list,
    months: int,
    end: np.datetime64,
    look: np.ndarray,
) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    cat = {"DK": "Administrasi Kependudukan", "PT": "Perizinan"}

    def add(
        i: int | None,
        oid: str,
        kind: str,
        text: str,
        money: bool,
        level: float,
        when: Any,
        officer: str | None = None,
        svc: int | None = None,
    ) -> bool:
        c = (
            "Pungutan Liar"
            if money and rng.random() < 0.45
            else str(rng.choice([cat[kind], "Pelayanan Publik"]))
        )
        lag = np.timedelta64(int(rng.exponential(6 * 86400)), "s")
        row: dict[str, Any] = dict(
            received_at=when + lag,
            office_id=oid,
            text=text,
            category=c,
            service_code=None,
            officer_id=None,
            transaction_id=None,
        )
        if i is not None:
            svc, officer = int(tx.svc.iat[i]), str(tx.officer_id.iat[i])
        if level < 0.4 and i is not None:
            row["transaction_id"] = tx.transaction_id.iat[i]
        if level < 0.7 and officer is not None:
            row["officer_id"] = officer
        if svc is not None and (level < 0.7 or rng.random() < 0.5):
            row["service_code"] = CODE[svc]
        rows.append(row)
        return bool(row["received_at"] < end)

    for i in map(int, np.flatnonzero(irr)):
        s, oid, kind = int(tx.svc.iat[i]), tx.office_id.iat[i], "DK" if tx.svc.iat[i] < 5 else "PT"
        when = min(tx.comp.iat[i], tx["sub"].iat[i] + pd.Timedelta(days=14))
        if rng.random() < p["cmp_irr"]:
            txt = str(rng.choice(MONEY)).format(amt=_rp(rng, tx.extra.iat[i]), svc=SHORT[s])
            add(i, oid, kind, txt, True, rng.random(), when)
        if tx.scheme.iat[i] == "delay_until_paid" and rng.random() < p["cmp_delay"]:
            add(i, oid, kind, SERVICE_TXT[9].format(svc=SHORT[s]), False, rng.random() * 0.5, when)
    tof = pd.DataFrame(officers)
    for oid, kind, colluders, outage in metas:
        idx = np.flatnonzero((tx.office_id == oid).to_numpy())
        slow_w = tx.d.to_numpy()[idx] + 0.2
        ns = rng.poisson(p["cmp_service"] * months) + rng.poisson(0.6 * outage.sum() / 30)
        for i in rng.choice(idx, ns, p=slow_w / slow_w.sum()):
            add(
                int(i),
                oid,
                kind,
                str(rng.choice(SERVICE_TXT)).format(svc=SHORT[tx.svc.iat[i]]),
                False,
                rng.random() * 1.4,
                tx["sub"].iat[i],
            )
        honest = tof[(tof.office_id == oid) & (tof.is_extorter == 0)].officer_id.to_numpy()
        for _ in range(rng.poisson(p["unfounded"] * months)):
            mine = idx[(tx.officer_id.to_numpy()[idx] == str(rng.choice(honest))) & ~irr[idx]]
            if not len(mine):
                continue
            i = int(rng.choice(mine))
            txt = str(rng.choice(MONEY)).format(
                amt=_rp(rng, rng.choice(p["small"])), svc=SHORT[tx.svc.iat[i]]
            )
            lvl = rng.random()
            if add(i, oid, kind, txt, True, lvl, tx["sub"].iat[i]) and lvl < 0.4 and not look[i]:
                look[i] = "unfounded_complaint"
        for _ in range(rng.poisson((0.3 + 1.5 * len(colluders)) * months * p["cmp_irr"] / 0.08)):
            i = int(rng.choice(idx))
            add(
                None,
                oid,
                kind,
                str(rng.choice(CALO_TXT)).format(
                    svc=SHORT[tx.svc.iat[i]], amt=_rp(rng, rng.choice(p["big"]))
                ),
                True,
                1.0,
                tx["sub"].iat[i],
            )
    cm = pd.DataFrame(
        rows,
        columns=[
            "received_at",
            "office_id",
            "text",
            "service_code",
            "officer_id",
            "transaction_id",
            "category",
        ],
    )
    cm = cm[cm.received_at < end].sort_values("received_at", kind="stable").reset_index(drop=True)
    cm.insert(0, "complaint_id", [f"ADU-{i + 1:06d}" for i in range(len(cm))])
    return cm


def write(world: dict[str, pd.DataFrame], out_dir: Path) -> None:
    out_dir = Path(out_dir)
    (out_dir / "truth").mkdir(parents=True, exist_ok=True)
    fmt = "%Y-%m-%dT%H:%M:%S"
    for name in ("services", "transactions", "complaints", "holidays"):
        df = world[name].copy()
        if "fee_is_variable" in df:
            df["fee_is_variable"] = df.fee_is_variable.map({True: "true", False: "false"})
        df.to_csv(out_dir / f"{name}.csv", index=False, date_format=fmt, encoding="utf-8")
    world["truth"].to_csv(out_dir / "truth" / "transactions.csv", index=False)
    world["truth_officers"].to_csv(out_dir / "truth" / "officers.csv", index=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--offices", type=int, default=8)
    ap.add_argument("--months", type=int, default=6)
    ap.add_argument("--mix", choices=sorted(MIXES), default="base")
    a = ap.parse_args()
    t = time.perf_counter()
    world = generate(WildConfig(seed=a.seed, offices=a.offices, months=a.months, mix=a.mix))
    write(world, a.out_dir)
    tr = world["truth"]
    print(
        f"{len(tr)} transactions, {tr.is_irregular.mean():.1%} irregular, "
        f"{len(world['complaints'])} complaints -> {a.out_dir} ({time.perf_counter() - t:.1f}s)"
    )


if __name__ == "__main__":
    main()
