"""Kotaworld: an independent synthetic world of local public-service offices, to benchmark Sidak.

Written from the domain notes and the data contract alone. A handful of regencies/cities in WIB
and WITA (Kota Malang, Kab. Malang, Samarinda, Balikpapan, Makassar, Denpasar, Mataram, Bandar
Lampung) run six kinds of service unit, cycled to fill ``offices``:

- ``DUKCAPIL`` civil registry (KTP-el, KK, birth/death certificates, moving letters, KIA; all free
  by law), with Saturday *jemput bola* mobile service days;
- ``DPMPTSP`` one-stop licensing (PBG building approval with an assessed retribution, SLF,
  health-worker practice licences SIP signed in weekly batches, pharmacy licences, billboard
  tax, tourism registration; partly auto-approved online);
- ``SAMSAT`` vehicle-tax counters (annual STNK/PKB, five-yearly plates, transfer of title,
  moving out; assessed per vehicle), with licensed *biro jasa*, e-Samsat night batches, tax
  amnesty (*pemutihan*) surges and Sunday CFD service;
- ``BAPENDA`` land and property tax (BPHTB validation filed by PPAT/notaries with a huge legal
  fee range, PBB mutations verified in weekly batches, NJOP letters, SPPT copies);
- ``KEC`` kecamatan PATEN counters (village/kecamatan letters, SKTM before the school year,
  heirs' statements, micro-business licences, land deeds by the camat as PPAT Sementara);
- ``DINKES`` health office licensing (hygiene certificates with a fixed retribution, SPP-IRT
  home-industry food certificates tied to a monthly training day, water laboratory tests).

Offices in WITA export datetimes with ``+08:00``; some WIB offices add ``+07:00``; a few central
systems export UTC with ``Z``; some offices give minutes only. Offices differ in which optional
columns they fill (channel, payment method, visits, applicant, officer, survey answers); a column no
office fills is left out of the file. SP4N-LAPOR! complaints carry WIB wall time and a
complainant-chosen category; complaints from an office's own channel have no category.

Irregular schemes (``truth.scheme``): ``fee_markup`` (round extra above the legal or assessed
fee, recorded only sometimes, often in cash), ``free_service_charge`` (money for a free
document, mostly off the books), ``delay_for_payment`` (*penundaan berlarut*: file held well past
the SLA, repeated visits, some still pending), ``speed_money`` (far faster than peers, sometimes
finished at night or on a Saturday), ``calo_ring`` (a fixer whose filings go to one complicit
officer and come back fast; some offices record no intermediaries at all, so the fixer, like
the licensed agencies there, files as a plain counter applicant),
``underassessment_kickback`` (variable fee assessed low, often to a negotiated round figure, the
kickback off the books) and ``thank_you_gift`` (a demanded gift at pick-up: no trace in the data
unless the applicant says so in the survey or a complaint). A share of every scheme leaves no
trace at all. Extorters' colleagues stay honest, so signals are relative to the office.

Benign look-alikes (``truth.lookalike``, benign rows only, several joined by ``;``):
``system_outage`` (an office's system down for weeks: stalled files, repeated visits, a
backlog cleared with evening and Saturday overtime), ``seasonal_surge`` (school-year documents,
the Lebaran *mudik* moving letters, vehicle-tax amnesty, PBB due season), ``blanko_shortage``
(no KTP-el/KIA card stock: cards printed in one batch when stock arrives), ``batch_completion``
(weekly signing days, monthly SPP-IRT training), ``slow_new_officer``, ``fast_officer`` (an
honest senior who is simply quick), ``large_assessed_fee``, ``licensed_agency`` (biro jasa /
PPAT, in some Samsat offices routed to one dedicated agency desk), ``survey_legal_extras``
(survey answers that add stamp duty, photocopies, the agency's own fee, or round the amount up),
``holiday_span``, ``weekend_service``, ``night_system_completion``, ``unfounded_complaint``,
``incomplete_docs`` (file returned for a missing document), ``backlog_delay`` (honest late
files), ``stamp_duty_recorded`` (a kecamatan counter keys the Rp 10.000 materai it sells into
the receipt of a free letter), ``multiple_units`` (one hygiene file for several outlets, or several
water samples: a round multiple of the fixed fee), ``late_penalty`` (a Samsat receipt above the
assessment by a legal, non-round late-payment penalty) and, in the ``decoy`` mix, ``tariff_update``
(a new Perda tariff the exported catalogue does not show yet: from a date on, every applicant
pays a round Rp 50.000 more for a hygiene certificate and Rp 15.000 more for a water test).

Mixes (``MIXES``):

- ``base``: a realistic middle: extortion in about 60% of the offices (one to three officers
  each, a fixer in some), about 3% of files irregular, half the extra money on the receipt, a
  fifth of irregular files without any trace, one outage, the usual look-alikes.
- ``digital``: most citizens file online, few counter contacts and visits; extortion moves to
  holding files, speed money, fixers and assessments, and very little money reaches the
  receipts; surveys are common (answered in an app) but victims seldom admit paying;
  more outages, since everything runs on the system.
- ``concentrated``: extortion in a quarter of the offices only, where half the staff and a fixer
  take part: peers in the same office are no clean baseline, and ranking offices matters.
- ``decoy``: look-alikes everywhere (long and repeated outages, strong surges, card shortages,
  several slow new officers, agency desks, stale tariffs, weekend services, many unfounded
  money complaints) while the extortion leaves fewer traces than in ``base``.

``generate(KotaConfig(...))`` returns the contract tables (``services``, ``transactions``,
``complaints``, ``holidays``) and the truth (``truth``: transaction_id, is_irregular, scheme,
lookalike; ``truth_officers``: officer_id, office_id, is_extorter, profile, schemes, with honest
profiles ``honest``, ``slow_new``, ``fast_senior``, ``mobile_unit`` and ``agency_desk``). The
irregular share is drawn around the mix's target for each seed. ``KotaConfig.scale`` multiplies
every office's volume. ``write`` stores transactions as Parquet, the other tables as CSV, and the
truth under ``truth/``. Everything is drawn from one ``numpy.random.default_rng`` seeded from the
whole config, so a config always gives the same world.

Run ``python bench/kotaworld.py OUT_DIR --seed S --offices N --months M --mix X``.
"""

from __future__ import annotations

import argparse
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import holidays as pyholidays
import numpy as np
import pandas as pd

# --------------------------------------------------------------------------------------------
# configuration and mixes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KotaConfig:
    seed: int = 0
    offices: int = 8
    months: int = 6
    mix: str = "base"
    start: str = "2024-01-08"
    scale: float = 1.0  # multiplies every office's volume


_BASE_MIX: dict[str, Any] = {
    "target_share": 0.032,  # irregular share of all transactions
    "corrupt_office_share": 0.6,
    "extorters_per_office": (1, 3),
    "extorter_staff_share": None,  # if set: share of an office's staff who extort
    "cap_per_extorter": 0.3,  # at most this share of an extorter's eligible files
    "scheme_weights": {
        "fee_markup": 1.0,
        "free_service_charge": 1.2,
        "delay_for_payment": 1.2,
        "speed_money": 1.0,
        "underassessment_kickback": 0.7,
        "thank_you_gift": 0.6,
    },
    "calo_prob": 0.45,  # chance a corrupt office with agent filings also has a calo ring
    "calo_rate": (0.15, 0.35),  # calo filings, as a share of the office's irregular budget
    "recorded": 0.5,  # chance extra money shows in fee_paid_idr
    "traceless": 0.2,  # irregular files with no trace at all
    "online_boost": 0.0,  # 0 = domain shares; 1 = everyone online
    "survey_office": 0.6,
    "survey_contact": 0.25,
    "survey_response": 0.45,
    "victim_report": 0.5,
    "complaint_irregular": 0.07,
    "complaint_benign": 0.004,
    "unfounded": 0.0005,
    "outages": 1,
    "outage_len": (8, 15),
    "surge": 1.0,
    "blanko_prob": 0.5,
    "pemutihan_prob": 0.6,
    "slow_new_prob": 0.5,
    "second_slow_new": 0.0,
    "fast_senior_prob": 0.4,
    "agency_desk_prob": 0.5,
    "agency_concentration": 1.2,  # Zipf exponent of licensed agencies' shares
    "mobile_prob": 0.6,
    "late_rate": 0.035,
    "incomplete_rate": 0.06,
    "tariff_update": False,
    "penalty_rate": 0.01,  # Samsat files whose receipt adds a late penalty to the assessment
}


def _mix(**over: Any) -> dict[str, Any]:
    out = dict(_BASE_MIX)
    out.update(over)
    return out


MIXES: dict[str, dict[str, Any]] = {
    "base": _mix(),
    "digital": _mix(
        target_share=0.028,
        online_boost=0.7,
        scheme_weights={
            "fee_markup": 0.5,
            "free_service_charge": 0.5,
            "delay_for_payment": 1.6,
            "speed_money": 1.3,
            "underassessment_kickback": 1.0,
            "thank_you_gift": 0.4,
        },
        calo_prob=0.65,
        recorded=0.2,
        traceless=0.25,
        survey_office=0.9,
        survey_contact=0.45,
        survey_response=0.55,
        victim_report=0.3,
        complaint_irregular=0.05,
        complaint_benign=0.006,
        outages=2,
    ),
    "concentrated": _mix(
        target_share=0.035,
        corrupt_office_share=0.25,
        extorter_staff_share=0.5,
        cap_per_extorter=0.45,
        calo_prob=0.9,
        calo_rate=(0.25, 0.5),
        recorded=0.55,
    ),
    "decoy": _mix(
        target_share=0.03,
        recorded=0.35,
        traceless=0.3,
        victim_report=0.35,
        complaint_irregular=0.04,
        complaint_benign=0.006,
        unfounded=0.002,
        outages=3,
        outage_len=(10, 25),
        surge=1.7,
        blanko_prob=1.0,
        pemutihan_prob=1.0,
        slow_new_prob=1.0,
        second_slow_new=0.5,
        fast_senior_prob=0.7,
        agency_desk_prob=1.0,
        agency_concentration=2.0,
        mobile_prob=1.0,
        late_rate=0.055,
        incomplete_rate=0.09,
        tariff_update=True,
        penalty_rate=0.03,
    ),
}

SCHEMES = (
    "fee_markup",
    "free_service_charge",
    "delay_for_payment",
    "speed_money",
    "underassessment_kickback",
    "thank_you_gift",
    "calo_ring",
)

LOOKALIKES = (
    "system_outage",
    "seasonal_surge",
    "blanko_shortage",
    "batch_completion",
    "slow_new_officer",
    "fast_officer",
    "large_assessed_fee",
    "licensed_agency",
    "survey_legal_extras",
    "holiday_span",
    "weekend_service",
    "night_system_completion",
    "unfounded_complaint",
    "incomplete_docs",
    "backlog_delay",
    "stamp_duty_recorded",
    "multiple_units",
    "late_penalty",
    "tariff_update",
)
_LA = {name: 1 << i for i, name in enumerate(LOOKALIKES)}

# --------------------------------------------------------------------------------------------
# the service catalogue
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Svc:
    code: str
    name: str
    short: str  # how a citizen names it in a complaint
    kind: str
    fee: int
    variable: bool
    sla: float
    typ: float  # typical honest processing, working days
    weight: float  # share of the office's daily volume
    online: float
    agent: float
    pickup: bool  # a document to collect in person
    bribe: int  # typical round extra demanded, rupiah
    auto: float = 0.0  # share of online files completed by the system itself
    surge: str = ""
    batch: str = ""
    calo: bool = False  # fixers like this service


SERVICES: tuple[Svc, ...] = (
    # civil registry: free by law (UU 24/2013 art. 79A)
    Svc("DK-KTP", "Penerbitan KTP-el (baru, rusak, hilang, perubahan)", "KTP-el", "DUKCAPIL",
        0, False, 1, 0.35, 0.30, 0.22, 0.03, True, 50_000, calo=True),
    Svc("DK-KK", "Penerbitan Kartu Keluarga (perubahan data)", "KK", "DUKCAPIL",
        0, False, 1, 0.45, 0.25, 0.45, 0.03, False, 50_000, surge="school", calo=True),
    Svc("DK-AKL", "Penerbitan Akta Kelahiran", "akta kelahiran", "DUKCAPIL",
        0, False, 3, 0.9, 0.18, 0.45, 0.03, False, 100_000, surge="school", calo=True),
    Svc("DK-AKM", "Penerbitan Akta Kematian", "akta kematian", "DUKCAPIL",
        0, False, 3, 1.0, 0.05, 0.30, 0.02, False, 100_000),
    Svc("DK-PWNI", "Surat Keterangan Pindah WNI (SKPWNI)", "surat pindah", "DUKCAPIL",
        0, False, 1, 0.30, 0.12, 0.35, 0.03, False, 50_000, surge="mudik"),
    Svc("DK-KIA", "Penerbitan Kartu Identitas Anak (KIA)", "KIA", "DUKCAPIL",
        0, False, 3, 1.0, 0.10, 0.40, 0.02, True, 30_000, surge="school"),
    # one-stop licensing
    Svc("PT-PBG", "Persetujuan Bangunan Gedung (PBG)", "PBG", "DPMPTSP",
        0, True, 28, 14.0, 0.22, 0.62, 0.25, False, 2_500_000, calo=True),
    Svc("PT-SLF", "Sertifikat Laik Fungsi (SLF)", "SLF", "DPMPTSP",
        0, False, 10, 5.0, 0.06, 0.55, 0.30, False, 1_500_000),
    Svc("PT-SIP", "Surat Izin Praktik Tenaga Kesehatan (dokter, bidan, perawat)", "SIP",
        "DPMPTSP", 0, False, 5, 1.5, 0.30, 0.60, 0.05, False, 300_000, batch="thu"),
    Svc("PT-SIA", "Surat Izin Apotek", "izin apotek", "DPMPTSP",
        0, False, 10, 5.0, 0.05, 0.50, 0.15, False, 1_000_000),
    Svc("PT-REK", "Izin Penyelenggaraan Reklame dan Pajak Reklame", "izin reklame", "DPMPTSP",
        0, True, 5, 2.0, 0.17, 0.40, 0.30, False, 500_000),
    Svc("PT-TDUP", "Tanda Daftar Usaha Pariwisata (TDUP)", "TDUP", "DPMPTSP",
        0, False, 3, 1.0, 0.20, 0.80, 0.05, False, 200_000, auto=0.6),
    # vehicle tax counters (provincial UPT, assessed per vehicle)
    Svc("SM-PKB", "Pengesahan STNK Tahunan dan Pembayaran PKB", "perpanjangan STNK", "SAMSAT",
        0, True, 0.5, 0.05, 0.62, 0.35, 0.15, False, 50_000, auto=1.0, surge="pemutihan"),
    Svc("SM-GNT", "Penggantian STNK dan TNKB Lima Tahunan", "ganti plat lima tahunan",
        "SAMSAT", 0, True, 3, 0.8, 0.20, 0.15, 0.25, True, 100_000, calo=True),
    Svc("SM-BBN", "Balik Nama Kendaraan Bermotor (BBNKB II)", "balik nama", "SAMSAT",
        0, True, 5, 2.0, 0.12, 0.05, 0.40, True, 250_000, surge="pemutihan", calo=True),
    Svc("SM-MUT", "Mutasi Keluar Daerah (Cabut Berkas)", "mutasi kendaraan", "SAMSAT",
        0, True, 5, 2.0, 0.06, 0.05, 0.45, False, 200_000, calo=True),
    # land and property tax
    Svc("BP-BPHTB", "Validasi Bea Perolehan Hak atas Tanah dan Bangunan (BPHTB)",
        "validasi BPHTB", "BAPENDA", 0, True, 3, 1.0, 0.45, 0.20, 0.70, False, 2_000_000,
        calo=True),
    Svc("BP-PBBM", "Mutasi dan Pemecahan Objek PBB-P2", "mutasi PBB", "BAPENDA",
        0, False, 10, 4.0, 0.25, 0.25, 0.20, False, 300_000, batch="fri"),
    Svc("BP-NJOP", "Surat Keterangan NJOP", "surat keterangan NJOP", "BAPENDA",
        0, False, 3, 1.0, 0.15, 0.30, 0.30, False, 100_000),
    Svc("BP-SPPT", "Salinan SPPT PBB-P2", "salinan SPPT", "BAPENDA",
        0, False, 1, 0.15, 0.15, 0.50, 0.05, False, 20_000, auto=0.8, surge="pbb"),
    # kecamatan PATEN
    Svc("KC-SKTM", "Legalisasi Surat Keterangan Tidak Mampu (SKTM)", "SKTM", "KEC",
        0, False, 1, 0.2, 0.25, 0.05, 0.01, False, 20_000, surge="school"),
    Svc("KC-DOM", "Surat Keterangan Domisili Usaha", "surat domisili usaha", "KEC",
        0, False, 2, 0.8, 0.20, 0.10, 0.02, False, 50_000),
    Svc("KC-SKAW", "Pengesahan Surat Keterangan Ahli Waris", "surat ahli waris", "KEC",
        0, False, 5, 2.0, 0.12, 0.02, 0.05, False, 100_000),
    Svc("KC-IUMK", "Izin Usaha Mikro dan Kecil (IUMK)", "IUMK", "KEC",
        0, False, 3, 1.0, 0.13, 0.20, 0.02, False, 50_000),
    Svc("KC-SKCK", "Surat Pengantar SKCK dan Keterangan Kelakuan Baik", "surat pengantar SKCK",
        "KEC", 0, False, 1, 0.1, 0.15, 0.05, 0.01, False, 20_000),
    Svc("KC-AJB", "Akta Jual Beli Tanah (Camat selaku PPAT Sementara)", "akta jual beli tanah",
        "KEC", 0, True, 7, 3.0, 0.15, 0.0, 0.15, True, 500_000),
    # health office licensing
    Svc("DN-SLHS", "Sertifikat Laik Higiene Sanitasi (rumah makan, depot air minum)", "SLHS",
        "DINKES", 150_000, False, 14, 7.0, 0.35, 0.35, 0.10, False, 200_000),
    Svc("DN-PIRT", "Sertifikat Produksi Pangan Industri Rumah Tangga (SPP-IRT)", "SPP-IRT",
        "DINKES", 0, False, 14, 4.0, 0.35, 0.50, 0.05, False, 250_000, batch="pirt"),
    Svc("DN-LAB", "Pemeriksaan Kualitas Air Minum (Labkesda)", "uji lab air", "DINKES",
        85_000, False, 7, 4.0, 0.20, 0.10, 0.05, True, 50_000),
    Svc("DN-KLIN", "Rekomendasi Izin Operasional Klinik", "rekomendasi klinik", "DINKES",
        0, False, 10, 5.0, 0.10, 0.40, 0.20, False, 1_000_000),
)  # fmt: skip
_SVC = {s.code: s for s in SERVICES}

KINDS: dict[str, dict[str, Any]] = {
    "DUKCAPIL": {
        "daily": 100, "per_officer": 12, "label": "Disdukcapil", "system": "SIAK",
        "sector": "Administrasi Kependudukan", "cash": 0.0, "visits": 0.7,
        "schemes": ("free_service_charge", "delay_for_payment", "speed_money", "thank_you_gift"),
    },
    "DPMPTSP": {
        "daily": 22, "per_officer": 4.5, "label": "DPMPTSP", "system": "SIMBG/OSS",
        "sector": "Perizinan", "cash": 0.1, "visits": 0.5,
        "schemes": ("delay_for_payment", "speed_money", "underassessment_kickback",
                    "free_service_charge", "fee_markup"),
    },
    "SAMSAT": {
        "daily": 92, "per_officer": 14, "label": "Samsat", "system": "e-Samsat",
        "sector": "Pajak Kendaraan", "cash": 0.45, "visits": 0.6,
        "schemes": ("fee_markup", "speed_money", "thank_you_gift", "delay_for_payment"),
    },
    "BAPENDA": {
        "daily": 16, "per_officer": 4.0, "label": "Bapenda", "system": "SISMIOP",
        "sector": "Pajak Daerah", "cash": 0.1, "visits": 0.5,
        "schemes": ("fee_markup", "delay_for_payment", "underassessment_kickback",
                    "free_service_charge"),
    },
    "KEC": {
        "daily": 26, "per_officer": 6.5, "label": "Kantor Kecamatan", "system": "SIMPATEN",
        "sector": "Pelayanan Kecamatan", "cash": 0.85, "visits": 0.3,
        "schemes": ("free_service_charge", "delay_for_payment", "fee_markup", "thank_you_gift"),
    },
    "DINKES": {
        "daily": 10, "per_officer": 3.0, "label": "Dinas Kesehatan", "system": "SIMKES",
        "sector": "Kesehatan", "cash": 0.5, "visits": 0.5,
        "schemes": ("fee_markup", "delay_for_payment", "free_service_charge", "speed_money"),
    },
}  # fmt: skip

# (kind, regional code, place, kecamatan name or "", utc offset hours)
OFFICE_TEMPLATES: tuple[tuple[str, str, str, str, int], ...] = (
    ("DUKCAPIL", "6472", "Kota Samarinda", "", 8),
    ("DPMPTSP", "3573", "Kota Malang", "", 7),
    ("KEC", "647202", "Kota Samarinda", "Sungai Kunjang", 8),
    ("SAMSAT", "3573", "Kota Malang", "", 7),
    ("KEC", "350717", "Kabupaten Malang", "Singosari", 7),
    ("BAPENDA", "6471", "Kota Balikpapan", "", 8),
    ("DUKCAPIL", "3507", "Kabupaten Malang", "", 7),
    ("DINKES", "7371", "Kota Makassar", "", 8),
    ("SAMSAT", "6471", "Kota Balikpapan", "", 8),
    ("DPMPTSP", "5171", "Kota Denpasar", "", 8),
    ("KEC", "737110", "Kota Makassar", "Tamalate", 8),
    ("DUKCAPIL", "1871", "Kota Bandar Lampung", "", 7),
    ("BAPENDA", "3573", "Kota Malang", "", 7),
    ("DINKES", "3507", "Kabupaten Malang", "", 7),
    ("KEC", "187107", "Kota Bandar Lampung", "Kedaton", 7),
    ("SAMSAT", "5271", "Kota Mataram", "", 8),
)

_CUTI_NAMES = {
    "Lunar New Year": "Cuti bersama Tahun Baru Imlek",
    "Day of Silence": "Cuti bersama Hari Suci Nyepi",
    "Eid al-Fitr": "Cuti bersama Idulfitri",
    "Ascension": "Cuti bersama Kenaikan Yesus Kristus",
    "Vesak": "Cuti bersama Hari Raya Waisak",
    "Eid al-Adha": "Cuti bersama Iduladha",
    "Christmas": "Cuti bersama Hari Raya Natal",
    "Independence Day": "Cuti bersama Hari Kemerdekaan",
}

_LADDER = np.array(
    [5e3, 1e4, 2e4, 25e3, 3e4, 5e4, 75e3, 1e5, 15e4, 2e5, 25e4, 3e5, 4e5, 5e5, 75e4, 1e6, 15e5,
     2e6, 25e5, 3e6, 4e6, 5e6, 75e5, 1e7, 15e6, 2e7],
    dtype=np.int64,
)  # fmt: skip


def _round_amounts(rng: np.random.Generator, scale: np.ndarray, spread: float = 0.5) -> np.ndarray:
    """Round extra amounts near ``scale``: the Rp 20.000 / 50.000 / 100.000 people hand over."""
    raw = scale * rng.lognormal(0.0, spread, size=len(scale))
    idx = np.clip(np.searchsorted(_LADDER, raw), 0, len(_LADDER) - 1)
    lower = np.clip(idx - 1, 0, len(_LADDER) - 1)
    pick_lower = np.abs(_LADDER[lower] - raw) < np.abs(_LADDER[idx] - raw)
    return np.where(pick_lower, _LADDER[lower], _LADDER[idx]).astype(np.int64)


def _token(rng: np.random.Generator, n: int, width: int, used: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        for v in rng.integers(0, 16**width, size=n - len(out) + 4):
            tok = f"{int(v):0{width}x}"
            if tok not in used:
                used.add(tok)
                out.append(tok)
                if len(out) == n:
                    break
    return out


# --------------------------------------------------------------------------------------------
# calendar
# --------------------------------------------------------------------------------------------


@dataclass
class Calendar:
    start: pd.Timestamp
    n_days: int  # days in the export period
    n_ext: int  # days simulated (period plus room for late completions)
    closed: np.ndarray  # bool per day index: weekend, national holiday or cuti bersama
    weekday: np.ndarray
    work_idx: np.ndarray  # day indices that are working days
    roll: np.ndarray  # rank (in work_idx) of the first working day >= day
    holidays_table: pd.DataFrame
    eid: list[int]  # day indices of Eid al-Fitr in or near the period

    def dates(self, idx: np.ndarray) -> np.ndarray:
        return np.datetime64(self.start.date(), "D") + idx.astype("timedelta64[D]")

    def offset(self, day: np.ndarray, wd: np.ndarray) -> np.ndarray:
        """Working day ``wd`` counted from the first working day on or after ``day``."""
        rank = np.clip(self.roll[day] + wd, 0, len(self.work_idx) - 1)
        return self.work_idx[rank]

    def next_weekday(self, day: np.ndarray, weekday: int) -> np.ndarray:
        """First working day on or after ``day`` falling on ``weekday`` (or the next one open)."""
        shift = (weekday - self.weekday[day]) % 7
        target = np.minimum(day + shift, self.n_ext - 1)
        return self.work_idx[np.minimum(self.roll[target], len(self.work_idx) - 1)]


def _calendar(cfg: KotaConfig, rng: np.random.Generator) -> Calendar:
    start = pd.Timestamp(cfg.start).normalize()
    end = start + pd.DateOffset(months=cfg.months)
    n_days = int((end - start).days)
    n_ext = n_days + 420
    dates = pd.date_range(start, periods=n_ext, freq="D")
    years = sorted({d.year for d in dates})
    public = pyholidays.Indonesia(years=years)
    joint = pyholidays.Indonesia(years=years, categories=("government",))
    weekday = dates.day_of_week.to_numpy()
    closed = weekday >= 5
    day_of = {d.date(): i for i, d in enumerate(dates)}
    eid: list[int] = []
    for d, name in public.items():
        if d in day_of:
            closed[day_of[d]] = True
            if name == "Eid al-Fitr":
                eid.append(day_of[d])
    rows = []
    for d, name in sorted(joint.items()):
        desc = next((v for k, v in _CUTI_NAMES.items() if k in name), "Cuti bersama")
        rows.append((d, desc))
        if d in day_of:
            closed[day_of[d]] = True
    # a regional closure every few months, announced by circular letter
    n_local = max(1, cfg.months // 4)
    open_days = np.flatnonzero(~closed[:n_days])
    if len(open_days) > 30:
        for i in rng.choice(open_days[10:-10], size=n_local, replace=False):
            closed[i] = True
            rows.append((dates[i].date(), "Libur daerah (surat edaran kepala daerah)"))
    table = pd.DataFrame(rows, columns=["date", "description"]).sort_values("date")
    table["date"] = pd.to_datetime(table["date"]).dt.strftime("%Y-%m-%d")
    table = table.drop_duplicates("date").reset_index(drop=True)
    work_idx = np.flatnonzero(~closed)
    roll = np.searchsorted(work_idx, np.arange(n_ext), side="left")
    return Calendar(start, n_days, n_ext, closed, weekday, work_idx, roll, table, sorted(eid))


# --------------------------------------------------------------------------------------------
# offices and officers
# --------------------------------------------------------------------------------------------


@dataclass
class Office:
    idx: int
    office_id: str
    kind: str
    place: str
    display: str
    tz: int
    tz_style: str  # naive / offset / utc
    seconds: bool
    size: float
    services: list[str]
    cols: dict[str, bool]
    survey: bool
    own_channel: float  # share of complaints through the office's own channel
    records_agents: bool  # False: filings by an intermediary are recorded as counter filings
    tx_format: int


@dataclass
class Officer:
    gidx: int
    officer_id: str
    office: int
    profile: str
    speed: float
    capacity: float
    active_from: int
    leave: tuple[int, int]
    affinity: np.ndarray
    extorter: bool = False
    intensity: float = 1.0
    schemes: tuple[str, ...] = ()
    agency_desk: bool = False
    mobile: bool = False


def _offices(cfg: KotaConfig, rng: np.random.Generator) -> list[Office]:
    out: list[Office] = []
    for i in range(cfg.offices):
        kind, code, place, kec, tz = OFFICE_TEMPLATES[i % len(OFFICE_TEMPLATES)]
        cycle = i // len(OFFICE_TEMPLATES)
        oid = f"{'UPT-SAMSAT' if kind == 'SAMSAT' else kind}-{code}"
        if cycle:
            oid += f"-U{cycle + 1}"
        label = KINDS[kind]["label"]
        display = f"{label} {kec}" if kec else f"{label} {place}"
        if tz == 8:
            style = "offset"
        else:
            style = str(rng.choice(["naive", "offset", "utc"], p=[0.7, 0.2, 0.1]))
        cols = {
            "channel": rng.random() < 0.9,
            "payment_method": rng.random() < (0.5 if kind == "DUKCAPIL" else 0.85),
            "visits": rng.random() < KINDS[kind]["visits"] + 0.2,
            "applicant_id": rng.random() < 0.9,
            "officer_id": rng.random() < (0.7 if kind == "KEC" else 0.97),
        }
        out.append(
            Office(
                idx=i,
                office_id=oid,
                kind=kind,
                place=place,
                display=display,
                tz=tz,
                tz_style=style,
                seconds=rng.random() < 0.75,
                size=float(np.clip(rng.lognormal(0.0, 0.18), 0.75, 1.35)),
                services=[s.code for s in SERVICES if s.kind == kind],
                cols=cols,
                survey=False,
                own_channel=float(rng.uniform(0.1, 0.5)),
                records_agents=bool(rng.random() < 0.75),
                tx_format=int(rng.integers(0, 3)),
            )
        )
    return out


def _officers(
    offices: list[Office], cal: Calendar, mix: dict[str, Any], rng: np.random.Generator
) -> list[Officer]:
    used: set[str] = set()
    officers: list[Officer] = []
    for o in offices:
        kind = KINDS[o.kind]
        n = int(np.clip(round(kind["daily"] * o.size / kind["per_officer"]), 3, 16))
        n_svc = len(o.services)
        profiles = ["honest"] * n
        slots = list(rng.permutation(n))
        if rng.random() < mix["slow_new_prob"]:
            profiles[slots.pop()] = "slow_new"
            if rng.random() < mix["second_slow_new"] and len(slots) > 2:
                profiles[slots.pop()] = "slow_new"
        if rng.random() < mix["fast_senior_prob"] and len(slots) > 2:
            profiles[slots.pop()] = "fast_senior"
        mobile_slot = -1
        if o.kind in ("DUKCAPIL", "SAMSAT") and rng.random() < mix["mobile_prob"] and slots:
            mobile_slot = slots.pop()
            profiles[mobile_slot] = "mobile_unit"
        desk_slot = -1
        if o.kind == "SAMSAT" and rng.random() < mix["agency_desk_prob"] and slots:
            desk_slot = slots.pop()
            profiles[desk_slot] = "agency_desk"
        ids = _token(rng, n, 8, used)
        for j in range(n):
            prof = profiles[j]
            aff = np.full(n_svc, 0.15)
            aff[rng.choice(n_svc, size=min(n_svc, int(rng.integers(1, 4))), replace=False)] = 1.0
            speed = float(rng.lognormal(0.0, 0.15))
            cap = float(rng.uniform(0.8, 1.2))
            active_from = 0
            if prof == "slow_new":
                active_from = int(rng.uniform(0.1, 0.45) * cal.n_days)
                cap *= 0.6
            elif prof == "fast_senior":
                speed, cap = float(rng.uniform(0.4, 0.6)), cap * 1.3
            elif prof == "mobile_unit":
                cap *= 0.7
            elif prof == "agency_desk":
                cap *= 0.4
            leave = (-1, -1)
            if rng.random() < 0.5:
                ls = int(rng.integers(0, max(1, cal.n_days - 14)))
                leave = (ls, ls + int(rng.integers(5, 15)))
            officers.append(
                Officer(
                    gidx=len(officers),
                    officer_id=f"PTG-{ids[j]}",
                    office=o.idx,
                    profile=prof,
                    speed=speed,
                    capacity=cap,
                    active_from=active_from,
                    leave=leave,
                    affinity=aff,
                    agency_desk=j == desk_slot,
                    mobile=j == mobile_slot,
                )
            )
    return officers


def _pick_extorters(
    offices: list[Office], officers: list[Officer], mix: dict[str, Any], rng: np.random.Generator
) -> None:
    n_corrupt = max(1, round(len(offices) * mix["corrupt_office_share"]))
    if mix["extorter_staff_share"] is not None:  # few offices, volume-weighted choice
        w = np.array([KINDS[o.kind]["daily"] * o.size for o in offices])
        corrupt = rng.choice(len(offices), size=n_corrupt, replace=False, p=w / w.sum())
    else:
        corrupt = rng.choice(len(offices), size=n_corrupt, replace=False)
    for oi in sorted(int(c) for c in corrupt):
        staff = [f for f in officers if f.office == oi and f.profile == "honest"]
        if not staff:
            continue
        if mix["extorter_staff_share"] is not None:
            k = max(1, round(len(staff) * mix["extorter_staff_share"]))
        else:
            lo, hi = mix["extorters_per_office"]
            k = int(rng.integers(lo, hi + 1))
        k = min(k, max(1, len(staff) - 1))
        pool = KINDS[offices[oi].kind]["schemes"]
        for f in rng.choice(len(staff), size=k, replace=False):
            off = staff[int(f)]
            off.extorter = True
            off.profile = "extorter"
            off.intensity = float(rng.lognormal(0.0, 0.5))
            m = int(rng.integers(2, min(4, len(pool)) + 1))
            off.schemes = tuple(sorted(rng.choice(pool, size=m, replace=False).tolist()))
            off.speed *= float(rng.uniform(0.9, 1.2))


# --------------------------------------------------------------------------------------------
# the generator
# --------------------------------------------------------------------------------------------


def _rng(cfg: KotaConfig) -> np.random.Generator:
    key = [cfg.seed, cfg.offices, cfg.months, zlib.crc32(cfg.mix.encode()),
           zlib.crc32(cfg.start.encode()), round(cfg.scale * 1000)]  # fmt: skip
    return np.random.default_rng(key)


def _window(cal: Calendar, rng: np.random.Generator, lo: int, hi: int) -> tuple[int, int]:
    """A window of ``lo..hi`` working days inside the period, as [first day, last day]."""
    works = cal.work_idx[cal.work_idx < cal.n_days]
    length = int(rng.integers(lo, hi + 1))
    length = min(length, max(2, len(works) // 3))
    first = int(rng.integers(min(8, len(works) - length - 1), max(9, len(works) - length - 4)))
    first = min(first, len(works) - length - 1)
    return int(works[first]), int(works[first + length - 1])


def _seasons(
    cal: Calendar, offices: list[Office], mix: dict[str, Any], rng: np.random.Generator
) -> dict[tuple[int, str], np.ndarray]:
    """Per (office, surge key): a bool per day index, True inside the surge window."""
    dates = pd.date_range(cal.start, periods=cal.n_ext, freq="D")
    month, dom = dates.month.to_numpy(), dates.day.to_numpy()
    school = (month == 6) | ((month == 7) & (dom <= 15))
    pbb = (month == 8) | (month == 9)
    mudik = np.zeros(cal.n_ext, bool)
    for e in cal.eid:
        mudik[max(0, e - 21) : min(cal.n_ext, e + 15)] = True
    out: dict[tuple[int, str], np.ndarray] = {}
    for o in offices:
        out[(o.idx, "school")] = school
        out[(o.idx, "pbb")] = pbb
        out[(o.idx, "mudik")] = mudik
        pem = np.zeros(cal.n_ext, bool)
        if o.kind == "SAMSAT" and rng.random() < mix["pemutihan_prob"]:
            a, b = _window(cal, rng, 25, 45)
            pem[a : b + 1] = True
        out[(o.idx, "pemutihan")] = pem
    return out


def _assessed(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The legally assessed fee of a variable-fee file (true value, before any tampering)."""
    n = len(codes)
    out = np.zeros(n, dtype=np.int64)
    u = rng.random(n)

    def put(mask: np.ndarray, values: np.ndarray) -> None:
        out[mask] = np.maximum(values[mask], 0).astype(np.int64)

    # PBG retribution: floor area x building index x unit rate
    area = np.where(
        u < 0.04, rng.lognormal(np.log(3000), 0.9, n), rng.lognormal(np.log(110), 0.6, n)
    )
    rate = rng.uniform(9_000, 32_000, n)
    put(codes == "PT-PBG", np.floor(area * rate / 100) * 100)
    # billboard tax: size x days x rate
    put(codes == "PT-REK", np.floor(rng.lognormal(np.log(2_400_000), 0.9, n) / 100) * 100)
    # vehicle tax: motorcycles and cars, SWDKLLJ, an occasional late penalty
    car = rng.random(n) < 0.3
    pkb = np.where(
        car, rng.lognormal(np.log(3_200_000), 0.55, n), rng.lognormal(np.log(260_000), 0.4, n)
    )
    pkb = np.floor(pkb / 100) * 100
    late = rng.random(n) < 0.12
    pkb = pkb + np.where(late, np.floor(pkb * rng.uniform(0.02, 0.25, n) / 100) * 100, 0)
    sw = np.where(car, 143_000, 35_000)
    put(codes == "SM-PKB", pkb + sw)
    put(codes == "SM-GNT", pkb + sw + np.where(car, 300_000, 160_000))
    put(codes == "SM-BBN", pkb + sw + np.where(car, 575_000, 325_000))
    put(codes == "SM-MUT", np.where(car, 250_000, 150_000).astype(float))
    # BPHTB: 5% of (transaction value - NPOPTKP); small houses owe nothing
    npop = np.round(rng.lognormal(np.log(420e6), 0.75, n) / 5e6) * 5e6
    put(codes == "BP-BPHTB", np.maximum(npop - 80e6, 0) * 0.05)
    # land deed by the camat: honorarium up to 1% of value
    val = np.round(rng.lognormal(np.log(180e6), 0.6, n) / 1e6) * 1e6
    put(codes == "KC-AJB", np.floor(val * rng.uniform(0.005, 0.01, n) / 1000) * 1000)
    return out


def generate(cfg: KotaConfig) -> dict[str, pd.DataFrame]:
    if cfg.mix not in MIXES:
        raise ValueError(f"unknown mix {cfg.mix!r}; choose from {sorted(MIXES)}")
    if cfg.offices < 1 or cfg.months < 1:
        raise ValueError("offices and months must be at least 1")
    mix = MIXES[cfg.mix]
    rng = _rng(cfg)
    cal = _calendar(cfg, rng)
    offices = _offices(cfg, rng)
    for o in offices:
        o.survey = bool(rng.random() < mix["survey_office"])
    officers = _officers(offices, cal, mix, rng)
    _pick_extorters(offices, officers, mix, rng)
    seasons = _seasons(cal, offices, mix, rng)
    surge_vol = 1 + 0.8 * min(1.0, mix["surge"]) + 0.2 * max(0.0, mix["surge"] - 1)
    surge_dur = 1 + 0.5 * mix["surge"]

    # ---- outages and card shortages (office-wide, benign) ---------------------------------
    outage = {o.idx: (-1, -1) for o in offices}
    n_out = min(len(offices), int(mix["outages"]))
    for oi in rng.choice(len(offices), size=n_out, replace=False):
        outage[int(oi)] = _window(cal, rng, *mix["outage_len"])
    blanko = {o.idx: (-1, -1) for o in offices}
    for o in offices:
        if o.kind == "DUKCAPIL" and rng.random() < mix["blanko_prob"]:
            blanko[o.idx] = _window(cal, rng, 15, 30)
    tariff_from = int(cal.n_days * rng.uniform(0.35, 0.6)) if mix["tariff_update"] else -1

    # ---- submissions -----------------------------------------------------------------------
    days = np.arange(cal.n_days)
    work = ~cal.closed[: cal.n_days]
    dow_f = np.array([1.25, 1.05, 1.0, 0.95, 0.75, 0.35, 0.3])[cal.weekday[: cal.n_days]]
    after_break = np.r_[False, cal.closed[: cal.n_days - 1]] & work
    boost = mix["online_boost"]
    parts: list[dict[str, np.ndarray]] = []
    agencies: dict[int, list[str]] = {}
    used_agent: set[str] = set()
    calo_of: dict[int, tuple[str, int]] = {}
    for o in offices:
        daily = KINDS[o.kind]["daily"] * o.size * cfg.scale
        a0, a1 = outage[o.idx]
        in_out = (days >= a0) & (days <= a1)
        n_ag = int(rng.integers(2, 7))
        agencies[o.idx] = [f"AG-{t}" for t in _token(rng, n_ag, 6, used_agent)]
        for code in o.services:
            s = _SVC[code]
            season = np.ones(cal.n_days)
            if s.surge:
                season = np.where(seasons[(o.idx, s.surge)][: cal.n_days], surge_vol, 1.0)
            online = 1 - (1 - s.online) * (1 - boost)
            agent = s.agent * (1 - 0.5 * boost)
            counter = max(0.02, 1 - online - agent)
            lam = daily * s.weight * season * np.where(in_out, 0.75, 1.0)
            lam = lam * np.where(after_break, 1.35, 1.0)
            for ch, share in (("counter", counter), ("agent", agent), ("online", online)):
                if share <= 0:
                    continue
                if ch == "online":
                    rate = lam * share * np.where(work, 1.0, 0.35)
                else:
                    rate = lam * share * np.where(work, dow_f, 0.0)
                cnt = rng.poisson(rate)
                day = np.repeat(days, cnt)
                m = len(day)
                if ch == "online":
                    evening = rng.random(m) < 0.35
                    hour = np.where(evening, rng.normal(20.0, 1.8, m), rng.normal(11.0, 2.8, m))
                    hour = np.mod(hour, 24.0)
                elif ch == "agent":
                    hour = np.clip(rng.normal(9.6, 1.0, m), 7.6, 15.2)
                else:
                    hour = np.clip(rng.normal(10.3, 1.6, m), 7.5, 15.4)
                parts.append(
                    {
                        "office": np.full(m, o.idx),
                        "svc": np.full(m, code, dtype=object),
                        "day": day,
                        "hour": hour,
                        "channel": np.full(m, ch, dtype=object),
                        "kind_flag": np.zeros(m, dtype=np.int8),  # 0 normal, 1 mobile, 2 calo
                    }
                )
        # weekend mobile service days (jemput bola, CFD Samsat keliling)
        mobile = [f for f in officers if f.office == o.idx and f.mobile]
        if mobile:
            target_wd = 5 if o.kind == "DUKCAPIL" else 6
            wk = np.flatnonzero(
                (cal.weekday[: cal.n_days] == target_wd) & ~_is_holiday(cal, cal.n_days)
            )
            chosen = wk[rng.random(len(wk)) < 0.4]
            cnt = rng.poisson(30 * o.size * cfg.scale, size=len(chosen))
            day = np.repeat(chosen, cnt)
            m = len(day)
            if o.kind == "DUKCAPIL":
                codes = rng.choice(
                    ["DK-KTP", "DK-KK", "DK-KIA", "DK-AKL"], size=m, p=[0.4, 0.3, 0.15, 0.15]
                )
            else:
                codes = np.full(m, "SM-PKB", dtype=object)
            parts.append(
                {
                    "office": np.full(m, o.idx),
                    "svc": codes.astype(object),
                    "day": day,
                    "hour": rng.uniform(7.0, 11.5, m),
                    "channel": np.full(m, "counter", dtype=object),
                    "kind_flag": np.ones(m, dtype=np.int8),
                }
            )

    # calo rings: a fixer with an inside contact in some corrupt offices
    for o in offices:
        ext = [f for f in officers if f.office == o.idx and f.extorter]
        calo_svcs = [c for c in o.services if _SVC[c].calo]
        if not ext or not calo_svcs or rng.random() >= mix["calo_prob"]:
            continue
        contact = ext[int(rng.integers(len(ext)))]
        contact.schemes = tuple(sorted({*contact.schemes, "calo_ring"}))
        calo_id = f"AG-{_token(rng, 1, 6, used_agent)[0]}"
        calo_of[o.idx] = (calo_id, contact.gidx)
        lo, hi = mix["calo_rate"]
        daily = KINDS[o.kind]["daily"] * o.size * cfg.scale
        rate = max(0.15, rng.uniform(lo, hi) * mix["target_share"] * daily)
        cnt = rng.poisson(rate * work * (1 - 0.5 * boost))
        day = np.repeat(days, cnt)
        m = len(day)
        w = np.array([_SVC[c].weight for c in calo_svcs])
        parts.append(
            {
                "office": np.full(m, o.idx),
                "svc": rng.choice(calo_svcs, size=m, p=w / w.sum()).astype(object),
                "day": day,
                "hour": np.clip(rng.normal(9.0, 1.0, m), 7.6, 14.5),
                "channel": np.full(m, "agent", dtype=object),
                "kind_flag": np.full(m, 2, dtype=np.int8),
            }
        )

    t = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((t["hour"], t["day"], t["office"]))
    t = {k: v[order] for k, v in t.items()}
    n = len(t["day"])
    office = t["office"].astype(int)
    svc = t["svc"]
    day = t["day"].astype(int)
    hour = t["hour"].astype(float)
    channel = t["channel"]
    flag = t["kind_flag"]
    is_mobile = flag == 1
    is_calo = flag == 2
    la = np.zeros(n, dtype=np.int64)  # look-alike bitmask

    sv = [_SVC[c] for c in svc]
    sla = np.array([s.sla for s in sv])
    typ = np.array([s.typ for s in sv])
    fee_fixed = np.array([s.fee for s in sv], dtype=np.int64)
    variable = np.array([s.variable for s in sv])
    pickup = np.array([s.pickup for s in sv])
    auto_p = np.array([s.auto for s in sv])
    bribe_scale = np.array([s.bribe for s in sv], dtype=float)
    batch = np.array([s.batch for s in sv], dtype=object)
    kinds = np.array([offices[i].kind for i in office], dtype=object)
    free = (fee_fixed == 0) & ~variable

    # ---- agents ------------------------------------------------------------------------------
    agent_id = np.full(n, None, dtype=object)
    licensed = (channel == "agent") & ~is_calo
    for o in offices:
        m = licensed & (office == o.idx)
        ags = agencies[o.idx]
        w = 1.0 / np.arange(1, len(ags) + 1) ** mix["agency_concentration"]
        agent_id[m] = rng.choice(ags, size=int(m.sum()), p=w / w.sum())
        if o.idx in calo_of:
            agent_id[is_calo & (office == o.idx)] = calo_of[o.idx][0]
    la[licensed] |= _LA["licensed_agency"]

    # ---- system auto-completion for online files --------------------------------------------
    is_auto = (channel == "online") & (rng.random(n) < auto_p)

    # ---- officer assignment -------------------------------------------------------------------
    officer = np.full(n, -1, dtype=np.int64)
    week = day // 7
    for o in offices:
        staff = [f for f in officers if f.office == o.idx]
        regular = staff
        desk = [f for f in staff if f.agency_desk]
        mob = [f for f in staff if f.mobile]
        in_o = office == o.idx
        # mobile service days: the mobile officer (and a colleague) serve
        mm = in_o & is_mobile
        if mm.any():
            helpers = [mob[0].gidx, *[f.gidx for f in staff if f.profile == "honest"][:1]]
            hp = np.array([0.7, 0.3][: len(helpers)])
            officer[mm] = rng.choice(helpers, size=int(mm.sum()), p=hp / hp.sum())
        svc_index = {c: k for k, c in enumerate(o.services)}
        todo = in_o & ~is_mobile & ~is_auto
        idx_all = np.flatnonzero(todo)
        if not len(idx_all):
            continue
        keys = week[idx_all] * 100 + np.array([svc_index[c] for c in svc[idx_all]])
        for key in np.unique(keys):
            rows = idx_all[keys == key]
            wk, si = int(key // 100), int(key % 100)
            mid = wk * 7 + 3
            weights = np.array(
                [
                    f.capacity * f.affinity[si]
                    * (mid >= f.active_from)
                    * (not (f.leave[0] <= mid <= f.leave[1]))
                    for f in regular
                ],
                dtype=float,
            )  # fmt: skip
            if weights.sum() <= 0:
                weights = np.array([f.capacity for f in regular], dtype=float)
            officer[rows] = np.array([f.gidx for f in regular])[
                rng.choice(len(regular), size=len(rows), p=weights / weights.sum())
            ]
            if desk:
                d = desk[0]
                if not (d.leave[0] <= mid <= d.leave[1]):
                    officer[rows[licensed[rows]]] = d.gidx
        if o.idx in calo_of:
            contact = officers[calo_of[o.idx][1]]
            cm = np.flatnonzero(in_o & is_calo)
            present = (day[cm] >= contact.active_from) & ~(
                (day[cm] >= contact.leave[0]) & (day[cm] <= contact.leave[1])
            )
            officer[cm[present]] = contact.gidx
    off_speed = np.array([f.speed for f in officers])
    prof_arr = np.array([f.profile for f in officers], dtype=object)
    prof = np.where(officer >= 0, prof_arr[np.maximum(officer, 0)], "system")
    start_arr = np.array([f.active_from for f in officers])

    # ---- pre-status ---------------------------------------------------------------------------
    rej_intake = (rng.random(n) < 0.02) & ~is_auto & ~is_mobile
    incomplete = (rng.random(n) < mix["incomplete_rate"]) & ~is_auto & ~is_mobile & ~rej_intake
    incomplete |= (prof == "slow_new") & (rng.random(n) < 0.05) & ~is_auto & ~rej_intake
    rej_decision = incomplete & (rng.random(n) < 0.3)
    rejected = rej_intake | rej_decision

    # ---- fees ---------------------------------------------------------------------------------
    assessed_true = np.where(variable, _assessed(svc, rng), 0).astype(np.int64)
    assessed = assessed_true.copy()
    base_fee = np.where(variable, assessed, fee_fixed).astype(np.int64)
    if tariff_from >= 0:
        tu = (svc == "DN-SLHS") | (svc == "DN-LAB")
        tu &= day >= tariff_from
        base_fee[tu] += np.where(svc[tu] == "DN-SLHS", 50_000, 15_000)
        la[tu] |= _LA["tariff_update"]
    multi = np.isin(svc, ["DN-SLHS", "DN-LAB"]) & (rng.random(n) < 0.025)
    base_fee[multi] *= rng.integers(2, 4, multi.sum())  # one file, several outlets or samples
    la[multi] |= _LA["multiple_units"]
    extra_recorded = np.zeros(n, dtype=np.int64)
    hidden_paid = np.zeros(n, dtype=np.int64)  # money paid off the books (truth side)

    # ---- honest processing time (working days) ------------------------------------------------
    surge_in = np.zeros(n, bool)
    for o in offices:
        for key in ("school", "pbb", "mudik", "pemutihan"):
            m = (office == o.idx) & np.array([s.surge == key for s in sv])
            if m.any():
                surge_in[m] = seasons[(o.idx, key)][day[m]]
    la[surge_in] |= _LA["seasonal_surge"]
    o_factor = np.array([float(rng.lognormal(0, 0.18)) for _ in offices])[office]
    f_speed = np.where(officer >= 0, off_speed[np.maximum(officer, 0)], 1.0)
    newness = np.where(
        prof == "slow_new", 1 + 1.4 * np.exp(-(day - start_arr[np.maximum(officer, 0)]) / 45.0), 1.0
    )
    wd = typ * f_speed * newness * o_factor * np.where(surge_in, surge_dur, 1.0)
    wd = wd * rng.lognormal(0.0, 0.5, n)
    d = np.floor(wd + rng.random(n)).astype(np.int64)
    late = (rng.random(n) < mix["late_rate"]) & ~is_auto & ~is_mobile
    d[late] += np.ceil(np.maximum(sla[late], 1) * rng.uniform(0.5, 2.0, late.sum())).astype(int) + 1
    d[incomplete] += rng.integers(2, 9, incomplete.sum())
    la[(prof == "slow_new")] |= _LA["slow_new_officer"]
    la[(prof == "fast_senior")] |= _LA["fast_officer"]
    la[incomplete] |= _LA["incomplete_docs"]

    # ---- irregular files ----------------------------------------------------------------------
    scheme = np.full(n, "", dtype=object)
    traceless = np.zeros(n, bool)
    offhours = np.zeros(n, bool)
    extra_visits = np.zeros(n, dtype=np.int64)
    completable = ~rejected
    contact_ch = (channel != "online") | pickup
    elig = {
        "fee_markup": completable & (base_fee > 0),
        "free_service_charge": completable & free & contact_ch,
        "delay_for_payment": completable & (sla >= 1),
        "speed_money": completable & (typ >= 1) & (channel != "online"),
        "underassessment_kickback": completable
        & np.isin(svc, ["PT-PBG", "PT-REK", "BP-BPHTB", "KC-AJB"])
        & (assessed_true > 500_000),
        "thank_you_gift": completable & contact_ch,
    }
    # calo filings handled by the contact are irregular
    contact_of = np.array([calo_of.get(int(o), ("", -2))[1] for o in office])
    calo_irr = is_calo & (officer >= 0) & (contact_of == officer)
    calo_irr &= ~rejected
    scheme[calo_irr] = "calo_ring"
    target = round(mix["target_share"] * rng.uniform(0.8, 1.25) * n)
    budget = max(0, target - int(calo_irr.sum()))
    ext = [f for f in officers if f.extorter]
    pools: list[np.ndarray] = []
    for f in ext:
        mine = (officer == f.gidx) & ~is_calo & ~is_mobile
        ok = np.zeros(n, bool)
        for sc in f.schemes:
            if sc in elig:
                ok |= elig[sc]
        pools.append(np.flatnonzero(mine & ok))
    cap = np.array([mix["cap_per_extorter"] * len(p) for p in pools])
    want = np.array([f.intensity * len(p) for f, p in zip(ext, pools, strict=True)], dtype=float)
    alloc = np.zeros(len(ext))
    for cap_now in (cap, cap * 1.5):  # few extorters: the ones there are work harder
        for _ in range(6):  # water-fill the budget under the caps
            free_mask = alloc < cap_now - 1e-9
            rest = budget - alloc.sum()
            if rest <= 0.5 or not free_mask.any() or want[free_mask].sum() <= 0:
                break
            add = rest * want * free_mask / want[free_mask].sum()
            alloc = np.minimum(cap_now, alloc + add)
        if alloc.sum() >= 0.9 * budget:
            break
    sw = mix["scheme_weights"]
    for f, pool, k in zip(ext, pools, np.round(alloc).astype(int), strict=True):
        if k <= 0 or not len(pool):
            continue
        w = np.where(channel[pool] == "online", 0.6, 1.5)
        pick = rng.choice(pool, size=min(k, len(pool)), replace=False, p=w / w.sum())
        own = [sc for sc in f.schemes if sc in elig]
        for r in pick:
            opts = [sc for sc in own if elig[sc][r]]
            ws = np.array([sw[sc] for sc in opts])
            scheme[r] = opts[int(rng.choice(len(opts), p=ws / ws.sum()))]
    irregular = scheme != ""
    traceless = irregular & (rng.random(n) < mix["traceless"])
    traced = irregular & ~traceless
    rec = rng.random(n) < mix["recorded"]

    m = traced & (scheme == "fee_markup")
    amt = _round_amounts(rng, bribe_scale[m])
    hidden_paid[m] = amt
    extra_recorded[m] = np.where(rec[m], amt, 0)
    extra_visits[m] = rng.random(m.sum()) < 0.3
    m = traced & (scheme == "free_service_charge")
    amt = _round_amounts(rng, bribe_scale[m])
    hidden_paid[m] = amt
    extra_recorded[m] = np.where(rng.random(m.sum()) < mix["recorded"] * 0.6, amt, 0)
    extra_visits[m] = rng.random(m.sum()) < 0.4
    m = traced & (scheme == "delay_for_payment")
    mild = rng.random(n) < 0.35
    hold = np.ceil(np.maximum(sla, 1) * rng.uniform(0.8, 4.0, n)).astype(int) + rng.integers(
        2, 13, n
    )
    mm = m & mild
    d[mm] = np.maximum(d[mm], np.ceil(sla[mm]).astype(int)) + rng.integers(1, 4, mm.sum())
    mm = m & ~mild
    d[mm] = np.maximum(d[mm], np.ceil(sla[mm]).astype(int)) + hold[mm]
    extra_visits[m] = rng.integers(1, 5, m.sum())
    amt = _round_amounts(rng, bribe_scale[m])
    hidden_paid[m] = amt
    extra_recorded[m] = np.where(rng.random(m.sum()) < mix["recorded"] * 0.2, amt, 0)
    offhours[m] = rng.random(m.sum()) < 0.2
    m = traced & (scheme == "speed_money")
    d[m] = np.floor(typ[m] * rng.uniform(0.0, 0.25, m.sum())).astype(int)
    amt = _round_amounts(rng, bribe_scale[m] * 1.5)
    hidden_paid[m] = amt
    extra_recorded[m] = np.where(rng.random(m.sum()) < mix["recorded"] * 0.3, amt, 0)
    offhours[m] = rng.random(m.sum()) < 0.35
    m = traced & (scheme == "calo_ring")
    d[m] = np.floor(typ[m] * rng.uniform(0.0, 0.35, m.sum())).astype(int)
    hidden_paid[m] = _round_amounts(rng, bribe_scale[m] * 2.0)
    offhours[m] = rng.random(m.sum()) < 0.15
    m = scheme == "calo_ring"  # even a traceless calo file has the calo's money behind it
    hidden_paid[m & ~traced] = _round_amounts(rng, bribe_scale[m & ~traced] * 2.0)
    m = traced & (scheme == "underassessment_kickback")
    cut = rng.uniform(0.35, 0.7, m.sum())
    low = assessed_true[m] * cut
    rnd = rng.random(m.sum()) < 0.6
    unit = np.where(assessed_true[m] > 20_000_000, 1_000_000, 250_000)
    low = np.where(rnd, np.maximum(unit, np.round(low / unit) * unit), np.floor(low / 100) * 100)
    assessed[m] = low.astype(np.int64)
    hidden_paid[m] = (
        np.round((assessed_true[m] - assessed[m]) * rng.uniform(0.25, 0.5, m.sum()) / 50_000)
        * 50_000
    ).astype(np.int64)
    d[m] = np.floor(d[m] * 0.7).astype(int)
    m = irregular & (scheme == "thank_you_gift")
    hidden_paid[m] = _round_amounts(rng, np.minimum(bribe_scale[m], 100_000) * 0.6)
    m = traceless & (hidden_paid == 0)
    hidden_paid[m] = _round_amounts(rng, bribe_scale[m])
    base_fee = np.where(variable, assessed, base_fee)

    # ---- completion day --------------------------------------------------------------------
    open_today = ~cal.closed[day] & (hour < 15.5)
    start_day = np.where(open_today, day, cal.offset(day, np.ones(n, int) * 0))
    start_day = np.where(
        ~open_today & ~cal.closed[day], cal.offset(day, np.ones(n, int)), start_day
    )
    comp_day = cal.offset(start_day, d)
    # weekly signing days and monthly training
    for key, wd_target in (("thu", 3), ("fri", 4)):
        m = (batch == key) & ~rejected
        snapped = cal.next_weekday(comp_day[m], wd_target)
        wait = cal.roll[snapped] - cal.roll[comp_day[m]]
        la[np.flatnonzero(m)[wait >= 2]] |= _LA["batch_completion"]
        comp_day[m] = snapped
    m = (batch == "pirt") & ~rejected
    if m.any():
        train = _training_days(cal)
        pos = np.searchsorted(train, comp_day[m])
        pos = np.minimum(pos, len(train) - 1)
        snapped = cal.offset(train[pos], np.full(m.sum(), 2))
        wait = cal.roll[snapped] - cal.roll[comp_day[m]]
        la[np.flatnonzero(m)[wait >= 2]] |= _LA["batch_completion"]
        comp_day[m] = np.maximum(snapped, comp_day[m])
    # card stock runs out: cards wait for the delivery, then print in one go
    for o in offices:
        b0, b1 = blanko[o.idx]
        if b0 < 0:
            continue
        m = (office == o.idx) & np.isin(svc, ["DK-KTP", "DK-KIA"]) & ~rejected
        m &= (comp_day >= b0) & (comp_day <= b1)
        comp_day[m] = cal.offset(np.full(m.sum(), b1 + 1), rng.integers(0, 3, m.sum()))
        la[m] |= _LA["blanko_shortage"]
    # outages: nothing completes until the system is back, then a backlog
    backlog_ot = np.zeros(n, bool)
    for o in offices:
        a0, a1 = outage[o.idx]
        if a0 < 0:
            continue
        in_o = office == o.idx
        hit = in_o & ~is_mobile & (comp_day >= a0) & (comp_day <= a1)
        lag = np.floor(rng.random(hit.sum()) ** 2 * 7).astype(int)
        comp_day[hit] = cal.offset(np.full(hit.sum(), a1 + 1), lag)
        touched = in_o & (day <= a1) & (comp_day >= a0) & ~is_mobile
        la[touched] |= _LA["system_outage"]
        extra_visits[in_o & (day >= a0) & (day <= a1) & (channel == "counter")] += (
            rng.random(int((in_o & (day >= a0) & (day <= a1) & (channel == "counter")).sum())) < 0.4
        )
        backlog_ot[np.flatnonzero(hit)[lag <= 4]] = True
    # an extorter's handover after hours, sometimes on a Saturday
    sat_move = offhours & (rng.random(n) < 0.35)
    shift = (5 - cal.weekday[comp_day]) % 7
    comp_day = np.where(sat_move, comp_day + shift, comp_day)

    # ---- completion time of day ----------------------------------------------------------------
    comp_hour = np.clip(rng.normal(13.0, 2.2, n), 8.0, 16.2)
    ot = rng.random(n) < 0.03
    comp_hour = np.where(ot, rng.uniform(16.2, 18.0, n), comp_hour)
    same = comp_day == day
    sh = hour + rng.uniform(0.25, 3.0, n)
    comp_hour = np.where(same, np.maximum(comp_hour, sh), comp_hour)
    spill = same & (comp_hour > 16.4) & ~offhours & ~is_mobile & (rng.random(n) < 0.8)
    comp_day = np.where(spill, cal.offset(day, np.ones(n, int)), comp_day)
    comp_hour = np.where(spill, rng.uniform(8.0, 11.0, n), comp_hour)
    boh = backlog_ot & (rng.random(n) < 0.35)
    comp_hour = np.where(boh, rng.uniform(16.5, 20.8, n), comp_hour)
    bsat = backlog_ot & ~boh & (rng.random(n) < 0.15)
    comp_day = np.where(bsat, comp_day + (5 - cal.weekday[comp_day]) % 7, comp_day)
    comp_hour = np.where(bsat, rng.uniform(8.0, 14.0, n), comp_hour)
    la[bsat & (comp_day != day)] |= _LA["weekend_service"]
    oh = offhours & ~sat_move
    comp_hour = np.where(oh, rng.uniform(18.0, 22.8, n), comp_hour)
    comp_hour = np.where(sat_move, rng.uniform(8.5, 13.0, n), comp_hour)
    # mobile service: done on the spot
    comp_day = np.where(is_mobile, day, comp_day)
    comp_hour = np.where(is_mobile, np.minimum(hour + rng.uniform(0.3, 2.5, n), 15.0), comp_hour)
    la[is_mobile] |= _LA["weekend_service"]
    # system auto-completion: minutes later, or the nightly batch
    nightly = is_auto & (rng.random(n) < 0.5)
    quick = hour + rng.uniform(0.05, 1.5, n)
    batch_h = rng.uniform(0.1, 2.5, n)
    auto_day = np.where(nightly, day + 1, day + (quick >= 24))
    auto_hour = np.where(nightly, batch_h, np.mod(quick, 24))
    for o in offices:  # a system that is down completes nothing until it is back
        a0, a1 = outage[o.idx]
        stuck = is_auto & (office == o.idx) & (auto_day >= a0) & (auto_day <= a1)
        auto_day[stuck] = a1 + 1 + np.floor(rng.random(stuck.sum()) * 2).astype(int)
        auto_hour[stuck] = rng.uniform(0.0, 23.9, stuck.sum())
    comp_day = np.where(is_auto, auto_day, comp_day)
    comp_hour = np.where(is_auto, auto_hour, comp_hour)
    comp_day = np.minimum(comp_day, cal.n_ext - 1)
    odd = is_auto & ((comp_hour < 7) | (comp_hour > 17) | cal.closed[comp_day])
    la[odd] |= _LA["night_system_completion"]

    sub_s = (day * 86400 + np.floor(hour * 3600)).astype(np.int64)
    comp_s = (comp_day * 86400 + np.floor(comp_hour * 3600)).astype(np.int64)
    comp_s = np.maximum(comp_s, sub_s + rng.integers(300, 3600, n))
    end_s = cal.n_days * 86400
    pending = ~rejected & (comp_s >= end_s)
    status = np.where(rejected, "rejected", np.where(pending, "pending", "completed")).astype(
        object
    )
    has_comp = (status == "completed") | (rej_decision & (comp_s < end_s))
    status[rej_decision & (comp_s >= end_s)] = "pending"
    completed = status == "completed"
    la[late & completed] |= _LA["backlog_delay"]

    # ---- money as recorded ---------------------------------------------------------------------
    pay_now = np.isin(kinds, ["SAMSAT", "BAPENDA"]) | ~variable
    fee_paid = np.where(completed | (status == "pending") & pay_now, base_fee + extra_recorded, 0)
    fee_paid = np.where((status == "pending") & ~pay_now, 0, fee_paid).astype(np.int64)
    # kecamatan counters that sell the stamp duty (materai) and key it into the same receipt
    stamp = ~irregular & completed & free & (kinds == "KEC") & (channel == "counter")
    stamp &= rng.random(n) < 0.006
    fee_paid[stamp] += 10_000 * rng.integers(1, 3, stamp.sum())
    la[stamp] |= _LA["stamp_duty_recorded"]
    # late-payment penalty (denda PKB) computed at the counter on top of the assessment
    fine = ~irregular & completed & variable & (kinds == "SAMSAT") & (svc != "SM-MUT")
    fine &= rng.random(n) < mix["penalty_rate"]
    months_late = rng.integers(1, 13, n)
    fee_paid[fine] += (np.floor(assessed[fine] * 0.02 * months_late[fine] / 100) * 100).astype(
        np.int64
    )
    la[fine] |= _LA["late_penalty"]
    show_assessed = variable & ~rej_intake
    large = np.zeros(n, bool)
    for code in ("PT-PBG", "PT-REK", "BP-BPHTB", "KC-AJB", "SM-PKB", "SM-GNT", "SM-BBN"):
        mm = (svc == code) & show_assessed
        if mm.sum() > 10:
            large |= mm & (assessed >= np.quantile(assessed[mm], 0.97))
    la[large] |= _LA["large_assessed_fee"]

    pm = np.full(n, "none", dtype=object)
    paid = fee_paid > 0
    cash_share = np.array([KINDS[k]["cash"] for k in kinds])
    u = rng.random(n)
    counter_pm = np.where(
        u < cash_share, "cash", np.where(rng.random(n) < 0.55, "qris", "transfer")
    )
    online_pm = rng.choice(["qris", "transfer", "other"], size=n, p=[0.5, 0.35, 0.15])
    agent_pm = rng.choice(["transfer", "cash", "other"], size=n, p=[0.6, 0.3, 0.1])
    pm = np.where(
        channel == "online", online_pm, np.where(channel == "agent", agent_pm, counter_pm)
    )
    pm = np.where(np.isin(svc, ["BP-BPHTB", "PT-PBG"]) & (rng.random(n) < 0.9), "transfer", pm)
    pm = np.where(paid, pm, "none").astype(object)
    pm[((extra_recorded > 0) & (rng.random(n) < 0.8)) | stamp] = "cash"

    # ---- visits ---------------------------------------------------------------------------------
    visits = np.where(channel == "online", 0, 1) + (pickup & (d > 0) & ~is_auto)
    visits = visits + np.where(incomplete, rng.integers(1, 3, n), 0) + extra_visits
    visits = np.where(is_auto, 0, visits)
    visits = np.where(is_calo & (scheme == "calo_ring"), rng.integers(0, 2, n), visits)
    visits = visits.astype(np.int64)

    # ---- survey answers ---------------------------------------------------------------------
    surveyed_office = np.array([offices[i].survey for i in office])
    contact_p = mix["survey_contact"] * np.where(channel == "agent", 0.3, 1.0)
    asked = surveyed_office & completed & (rng.random(n) < contact_p)
    resp_p = mix["survey_response"] * np.where(irregular, 0.6, 1.0)
    answered = asked & (rng.random(n) < resp_p)
    rep = fee_paid.astype(float).copy()
    human = (rep > 0) & (rng.random(n) < 0.45)
    step = np.where(rep < 500_000, 10_000, np.where(rep < 5_000_000, 50_000, 500_000))
    rep = np.where(human, np.round(rep / step) * step, rep)
    extras = rng.random(n) < 0.07
    rep = rep + np.where(extras, 10_000 * rng.integers(1, 3, n) + 5_000 * rng.integers(0, 4, n), 0)
    ag_fee = licensed & (rng.random(n) < 0.5)
    rep = rep + np.where(ag_fee, _round_amounts(rng, bribe_scale * 1.5), 0)
    forgot = rng.random(n) < 0.03
    rep = np.where(forgot, np.floor(rep * 0.5 / 1000) * 1000, rep)
    admit = traced & (rng.random(n) < mix["victim_report"])
    admit |= irregular & (scheme == "thank_you_gift") & (rng.random(n) < mix["victim_report"] * 0.4)
    admit &= scheme != "speed_money"
    unrec = hidden_paid - extra_recorded
    rep = np.where(admit, fee_paid + unrec + np.where(extras, 10_000, 0), rep)
    reported = np.where(answered, np.maximum(rep, 0), np.nan)
    la[answered & ~irregular & (reported > fee_paid)] |= _LA["survey_legal_extras"]

    # ---- holiday span ---------------------------------------------------------------------------
    closed_wd = np.cumsum(cal.closed & (cal.weekday < 5))
    span = closed_wd[np.minimum(comp_day, cal.n_ext - 1)] - closed_wd[day]
    la[has_comp & (span >= 2)] |= _LA["holiday_span"]

    # ---- transaction ids ------------------------------------------------------------------------
    tid = _transaction_ids(offices, office, day, cal)

    # ---- complaints -----------------------------------------------------------------------------
    ctx = {
        "n": n, "office": office, "svc": svc, "day": day, "comp_day": comp_day, "sla": sla,
        "d": d, "visits": visits, "officer": officer, "scheme": scheme, "traced": traced,
        "hidden": hidden_paid, "channel": channel, "licensed": licensed, "large": large,
        "assessed": assessed, "fee_paid": fee_paid, "prof": prof, "completed": completed,
        "status": status, "la": la, "tid": tid, "outage": outage, "kinds": kinds,
        "surge": surge_in, "calo_of": calo_of,
    }  # fmt: skip
    complaints, unfounded_rows = _complaints(ctx, offices, officers, cal, mix, rng)
    la[unfounded_rows] |= _LA["unfounded_complaint"]

    # ---- export tables ----------------------------------------------------------------------
    la[irregular] = 0
    tx = _export_transactions(
        offices, officers, cal, rng, tid=tid, office=office, svc=svc, sub_s=sub_s, comp_s=comp_s,
        has_comp=has_comp, fee_paid=fee_paid, officer=officer, channel=channel,
        agent_id=agent_id, pm=pm, variable=show_assessed, assessed=assessed, reported=reported,
        visits=visits, status=status,
    )  # fmt: skip
    services = pd.DataFrame(
        {
            "service_code": [s.code for s in SERVICES],
            "service_name": [s.name for s in SERVICES],
            "official_fee_idr": [s.fee for s in SERVICES],
            "fee_is_variable": [s.variable for s in SERVICES],
            "sla_working_days": [s.sla for s in SERVICES],
            "unit_type": [KINDS[s.kind]["label"] for s in SERVICES],
        }
    )
    used_kinds = {o.kind for o in offices}
    services = services[[s.kind in used_kinds for s in SERVICES]].reset_index(drop=True)
    truth = pd.DataFrame(
        {
            "transaction_id": tid,
            "is_irregular": irregular.astype(int),
            "scheme": scheme.astype(str),
            "lookalike": _la_strings(la),
        }
    )
    truth_officers = pd.DataFrame(
        {
            "officer_id": [f.officer_id for f in officers],
            "office_id": [offices[f.office].office_id for f in officers],
            "is_extorter": [int(f.extorter) for f in officers],
            "profile": [f.profile for f in officers],
            "schemes": [";".join(f.schemes) for f in officers],
        }
    )
    return {
        "services": services,
        "transactions": tx,
        "complaints": complaints,
        "holidays": cal.holidays_table.copy(),
        "truth": truth,
        "truth_officers": truth_officers,
    }


def _is_holiday(cal: Calendar, n: int) -> np.ndarray:
    """Closed days that are not weekends (public holidays, cuti bersama, local closures)."""
    return cal.closed[:n] & (cal.weekday[:n] < 5)


def _training_days(cal: Calendar) -> np.ndarray:
    """Monthly SPP-IRT food-safety training: the second working Tuesday of each month."""
    dates = pd.date_range(cal.start, periods=cal.n_ext, freq="D")
    tue = (cal.weekday == 1) & ~cal.closed
    out = []
    key = dates.year.to_numpy() * 12 + dates.month.to_numpy()
    for k in np.unique(key):
        idx = np.flatnonzero(tue & (key == k))
        if len(idx) >= 2:
            out.append(idx[1])
        elif len(idx):
            out.append(idx[0])
    return np.array(out, dtype=int)


def _la_strings(la: np.ndarray) -> np.ndarray:
    out = np.full(len(la), "", dtype=object)
    for val in np.unique(la):
        if val == 0:
            continue
        names = ";".join(name for name, bit in _LA.items() if val & bit)
        out[la == val] = names
    return out


def _transaction_ids(
    offices: list[Office], office: np.ndarray, day: np.ndarray, cal: Calendar
) -> np.ndarray:
    tid = np.empty(len(office), dtype=object)
    dates = pd.to_datetime(cal.dates(day))
    ym = dates.strftime("%y%m").to_numpy()
    ymd = dates.strftime("%Y%m%d").to_numpy()
    for o in offices:
        idx = np.flatnonzero(office == o.idx)
        seq = np.arange(1, len(idx) + 1)
        code = o.office_id.split("-", 1)[1]
        if o.tx_format == 0:
            tid[idx] = [f"{o.office_id}-{a}-{s:06d}" for a, s in zip(ym[idx], seq, strict=True)]
        elif o.tx_format == 1:
            tid[idx] = [f"REG{code}{a}{s:05d}" for a, s in zip(ymd[idx], seq, strict=True)]
        else:
            tid[idx] = [f"{o.kind[:3]}.{code}.{s:07d}" for s in seq]
    return tid


def _fmt_times(
    secs: np.ndarray, mask: np.ndarray, cal: Calendar, tz: int, style: str, seconds: bool
) -> np.ndarray:
    """ISO 8601 strings from local wall-clock seconds since the period start."""
    out = np.full(len(secs), None, dtype=object)
    if not mask.any():
        return out
    base = np.datetime64(cal.start.to_datetime64(), "s")
    s = secs[mask]
    if style == "utc":
        s = s - tz * 3600
    t = pd.to_datetime(base + s.astype("timedelta64[s]"))
    fmt = "%Y-%m-%dT%H:%M:%S" if seconds or style == "utc" else "%Y-%m-%dT%H:%M"
    txt = t.strftime(fmt).to_numpy().astype(object)
    if style == "offset":
        txt = txt + f"+{tz:02d}:00"
    elif style == "utc":
        txt = txt + "Z"
    out[mask] = txt
    return out


def _export_transactions(
    offices: list[Office],
    officers: list[Officer],
    cal: Calendar,
    rng: np.random.Generator,
    **a: np.ndarray,
) -> pd.DataFrame:
    n = len(a["tid"])
    office = a["office"]
    sub = np.full(n, None, dtype=object)
    comp = np.full(n, None, dtype=object)
    for o in offices:
        m = office == o.idx
        sub[m] = _fmt_times(a["sub_s"][m], np.ones(m.sum(), bool), cal, o.tz, o.tz_style, o.seconds)
        comp[m] = _fmt_times(a["comp_s"][m], a["has_comp"][m], cal, o.tz, o.tz_style, o.seconds)
    off_ids = np.array([f.officer_id for f in officers] + [None], dtype=object)
    officer_id = off_ids[np.where(a["officer"] >= 0, a["officer"], len(officers))]
    channel = a["channel"].copy()
    agent = a["agent_id"].copy()
    # some offices do not tell intermediaries from applicants: agency and fixer alike show up
    # as plain counter filings
    blind = np.isin(office, [o.idx for o in offices if not o.records_agents])
    blind &= channel == "agent"
    channel[blind] = "counter"
    agent[blind] = None
    tx = pd.DataFrame(
        {
            "transaction_id": a["tid"],
            "office_id": np.array([o.office_id for o in offices], dtype=object)[office],
            "service_code": a["svc"],
            "submitted_at": sub,
            "completed_at": comp,
            "fee_paid_idr": pd.array(a["fee_paid"], dtype="Int64"),
            "officer_id": officer_id,
            "channel": channel,
            "agent_id": agent,
            "applicant_id": _applicants(offices, office, rng),
            "payment_method": a["pm"],
            "assessed_fee_idr": _int_col(a["assessed"], a["variable"]),
            "reported_fee_idr": _int_col(
                np.nan_to_num(a["reported"]).astype(np.int64), ~np.isnan(a["reported"])
            ),
            "visits": pd.array(a["visits"], dtype="Int64"),
            "status": a["status"],
        }
    )
    # per office: which optional columns the export fills at all, and data-entry gaps
    for o in offices:
        m = office == o.idx
        for col, on in o.cols.items():
            if not on:
                tx.loc[m, col] = None if col not in ("visits",) else pd.NA
                if col == "channel":
                    tx.loc[m, "agent_id"] = None
        if not o.survey:
            tx.loc[m, "reported_fee_idr"] = pd.NA
    gaps = {"officer_id": 0.006, "channel": 0.004, "applicant_id": 0.01, "visits": 0.02}
    for col, p in gaps.items():
        g = rng.random(n) < p
        tx.loc[g, col] = pd.NA if col == "visits" else None
    tx["source_system"] = np.array([KINDS[o.kind]["system"] for o in offices], dtype=object)[office]
    for col in ("channel", "payment_method", "visits", "applicant_id", "officer_id",
                "agent_id", "reported_fee_idr", "assessed_fee_idr"):  # fmt: skip
        if tx[col].isna().all():
            tx = tx.drop(columns=col)
    return tx


def _int_col(values: np.ndarray, mask: np.ndarray) -> pd.arrays.IntegerArray:
    """Whole rupiah as a nullable integer column, empty where ``mask`` is False."""
    return pd.arrays.IntegerArray(np.asarray(values, dtype=np.int64), ~np.asarray(mask, bool))


def _applicants(offices: list[Office], office: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pseudonymised applicants, shared by the offices of one place (people use several)."""
    out = np.empty(len(office), dtype=object)
    places = sorted({o.place for o in offices})
    used: set[str] = set()
    for p in places:
        ois = [o.idx for o in offices if o.place == p]
        m = np.isin(office, ois)
        k = int(m.sum())
        pool = _token(rng, max(10, int(k * 0.75)), 12, used)
        out[m] = np.array(pool, dtype=object)[rng.integers(0, len(pool), k)]
    return out


# --------------------------------------------------------------------------------------------
# complaints
# --------------------------------------------------------------------------------------------

_MONEY = (
    "Saya mengurus {svc} di {office}. Petugas loket meminta biaya tambahan {amt} tanpa kuitansi.",
    "Mau ambil {svc} katanya harus bayar {amt} dulu, padahal setahu saya gratis. Tidak ada bukti "
    "bayar.",
    "Oknum petugas minta uang rokok {amt} supaya berkas {svc} saya diproses.",
    "Ada pungutan {amt} untuk {svc}, katanya uang administrasi. Mohon ditertibkan.",
    "Saya disuruh transfer {amt} ke rekening pribadi petugas untuk pengurusan {svc}.",
    "kok ngurus {svc} di {office} ada biaya tambahan {amt}?? bukannya sudah ada tarif resmi",
    "Bayar {svc} diminta lebih {amt} dari yang tertera di SKRD, tidak dikasih kuitansi.",
)
_DELAY = (
    "Berkas {svc} saya sudah {weeks} minggu belum selesai, padahal standar pelayanannya {sla} hari "
    "kerja. Sudah {visits} kali bolak-balik.",
    "Permohonan {svc} tidak ada kejelasan, setiap ditanya disuruh kembali minggu depan.",
    "Pengurusan {svc} di {office} sangat lama dan berbelit-belit, sudah {weeks} minggu.",
)
_DELAY_MONEY = (
    "Berkas {svc} ditahan berminggu-minggu. Petugas bilang bisa cepat kalau ada uang pelicin.",
    "Sudah {weeks} minggu menunggu {svc}. Petugas menawarkan bantu percepat dengan imbalan {amt}.",
)
_GIFT = (
    "Waktu ambil {svc}, petugas minta uang terima kasih, katanya seikhlasnya tapi memaksa.",
    "Selesai urus {svc} diminta {amt} untuk 'uang terima kasih' oleh petugas.",
)
_SPEED = (
    "Tetangga saya bayar lebih ke petugas dan {svc}-nya selesai sehari, saya yang antre biasa "
    "sudah dua minggu.",
)
_CALO = (
    "Banyak calo di {office}. Yang lewat calo cepat selesai, yang urus sendiri dipersulit.",
    "Ada calo menawarkan {svc} kilat dengan biaya {amt}, katanya kenal orang dalam.",
    "Calo bebas keluar masuk ruang pelayanan {office}, berkasnya langsung diterima petugas.",
)
_UNDER = ("Ada permainan nilai {svc} di {office}, nilainya bisa diatur asal ada imbalan.",)
_BENIGN = (
    "Antrean di {office} sangat panjang, nomor antrean sudah habis sebelum jam 9.",
    "Petugas kurang ramah dan sibuk main HP saat melayani.",
    "Persyaratan {svc} tidak jelas, berkas saya dikembalikan karena kurang fotokopi KK.",
    "Ruang tunggu panas, AC mati dan kursi kurang.",
    "Pelayanan {svc} lambat, antre dari pagi baru dipanggil siang.",
    "Jam pelayanan tidak sesuai, jam 14.00 loket sudah tutup.",
    "Hasil cetak {svc} ada salah ketik nama, harus urus ulang.",
    "Nomor WhatsApp pengaduan {office} tidak pernah dibalas.",
)
_SYSTEM = (
    "Aplikasi {sys} error terus, tidak bisa unggah berkas {svc}.",
    "Sistem {sys} offline, petugas bilang berkas {svc} belum bisa diproses sampai sistem normal.",
    "Website pendaftaran {svc} tidak bisa diakses sejak kemarin.",
)
_SURGE = (
    "Menjelang pendaftaran sekolah antrean {svc} luar biasa panjang, mohon ditambah loket.",
    "Program pemutihan bagus tapi antreannya sampai ke jalan, {svc} baru selesai sore.",
)
_MONEY_DECOY = (
    "Tukang parkir di depan {office} minta Rp 5.000, padahal parkir di kantor pemerintah "
    "seharusnya gratis.",
    "Harga fotokopi di koperasi {office} mahal sekali, Rp 2.000 per lembar.",
    "Materai Rp 10.000 harus beli sendiri di luar, kenapa tidak disediakan di loket?",
)
_UNFOUNDED = {
    "large": (
        "Tagihan {svc} saya {amt}, terlalu mahal. Jangan-jangan ada pungli di sini.",
        "Nilai {svc} tidak masuk akal, {amt}. Mohon diperiksa apakah ada pungutan liar.",
    ),
    "agency": (
        "Saya bayar {amt} lewat biro jasa untuk {svc}, padahal pajaknya jauh lebih murah. "
        "Ini pungli?",
    ),
    "fast": ("Berkas {svc} orang lain cepat selesai, punya saya lama, pasti ada main uang.",),
    "fee": ("Kenapa {svc} harus bayar {amt}? Katanya gratis, ini pungutan liar.",),
    "accuse": (
        "Petugas {svc} di {office} minta uang tambahan, tolong diperiksa.",
        "Saya curiga ada pungli di loket {svc}, petugasnya meminta imbalan.",
    ),
}
_WEEKS = ("dua", "tiga", "empat", "lima", "enam")


def _amt(v: int, rng: np.random.Generator) -> str:
    v = int(v)
    style = int(rng.integers(0, 4))
    if style == 0:
        return "Rp " + f"{v:,}".replace(",", ".")
    if style == 1:
        return f"Rp{v:,}".replace(",", ".")
    if v >= 1_000_000 and v % 100_000 == 0:
        return f"{v / 1_000_000:g} juta".replace(".", ",")
    return f"{v // 1000} ribu" if style == 2 else f"{v // 1000}rb"


def _complaints(
    c: dict[str, Any],
    offices: list[Office],
    officers: list[Officer],
    cal: Calendar,
    mix: dict[str, Any],
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray]:
    n = c["n"]
    rows: list[dict[str, Any]] = []
    unfounded: list[int] = []

    def add(r: int, text: str, money: bool, when: int, link_p: float, officer_p: float) -> None:
        o = offices[int(c["office"][r])]
        if when >= cal.n_days:
            return
        s = _SVC[c["svc"][r]]
        if link_p > 0 and rng.random() < 0.2:
            text = text + f" No. registrasi {c['tid'][r]}."
        link = rng.random() < link_p
        off = c["officer"][r] if (rng.random() < officer_p and c["officer"][r] >= 0) else -1
        own = rng.random() < o.own_channel
        if own:
            cat = ""
        else:
            sector = KINDS[o.kind]["sector"]
            u = rng.random()
            if money:
                cat = "Pungutan Liar" if u < 0.55 else ("Pelayanan Publik" if u < 0.85 else sector)
            else:
                cat = (
                    "Pelayanan Publik"
                    if u < 0.5
                    else (sector if u < 0.85 else ("Pungutan Liar" if u < 0.88 else "Lainnya"))
                )
        rows.append(
            {
                "office": o.idx,
                "own": own,
                "secs": when * 86400 + int(rng.uniform(6, 23) * 3600),
                "text": text,
                "service_code": s.code if rng.random() < 0.65 else None,
                "officer_id": officers[int(off)].officer_id if off >= 0 else None,
                "transaction_id": c["tid"][r] if link else None,
                "category": cat,
            }
        )

    def fill(tpl: str, r: int, amount: int = 0) -> str:
        o = offices[int(c["office"][r])]
        s = _SVC[c["svc"][r]]
        weeks = _WEEKS[min(4, max(0, int(c["d"][r]) // 5 - 2))]
        return tpl.format(
            svc=s.short, office=o.display, amt=_amt(amount, rng), sla=f"{s.sla:g}",
            weeks=weeks, visits=max(2, int(c["visits"][r])), sys=KINDS[o.kind]["system"],
            tid=c["tid"][r],
        )  # fmt: skip

    def after(r: int, lo: int, hi: int) -> int:
        base = c["comp_day"][r] if c["completed"][r] else c["day"][r] + 10
        return int(min(base, cal.n_days + 30) + rng.integers(lo, hi + 1))

    sch = c["scheme"]
    p_irr = mix["complaint_irregular"]
    for r in np.flatnonzero(c["traced"]):
        s = sch[r]
        u = rng.random()
        hid = int(c["hidden"][r])
        if s in ("fee_markup", "free_service_charge") and u < p_irr:
            add(r, fill(str(rng.choice(_MONEY)), r, hid), True, after(r, 0, 20), 0.4, 0.2)
        elif s == "delay_for_payment" and u < p_irr * 1.8:
            if rng.random() < 0.35:
                txt = fill(str(rng.choice(_DELAY_MONEY)), r, hid)
                money = True
            else:
                txt, money = fill(str(rng.choice(_DELAY)), r), False
            when = int(c["day"][r] + max(10, int(c["d"][r] * 1.2)) + rng.integers(0, 10))
            add(r, txt, money, when, 0.45, 0.15)
        elif s == "thank_you_gift" and u < p_irr * 0.4:
            add(r, fill(str(rng.choice(_GIFT)), r, hid), True, after(r, 0, 15), 0.3, 0.2)
        elif s == "speed_money" and u < p_irr * 0.15:
            add(r, fill(str(rng.choice(_SPEED)), r), True, after(r, 0, 20), 0.0, 0.1)
        elif s == "underassessment_kickback" and u < p_irr * 0.2:
            add(r, fill(str(rng.choice(_UNDER)), r), True, after(r, 5, 40), 0.0, 0.3)
    for r in np.flatnonzero(sch == "thank_you_gift"):
        if not c["traced"][r] and rng.random() < p_irr * 0.15:
            add(
                r,
                fill(str(rng.choice(_GIFT)), r, int(c["hidden"][r])),
                True,
                after(r, 0, 15),
                0.3,
                0.1,
            )
    # fixers are noticed by other applicants, at office level
    for oi in sorted(c["calo_of"]):
        rs = np.flatnonzero((c["office"] == oi) & (sch == "calo_ring"))
        k = rng.binomial(len(rs), min(0.5, p_irr * 0.3)) if len(rs) else 0
        for r in rng.choice(rs, size=k, replace=False) if k else []:
            amt = _round_amounts(rng, np.array([_SVC[c["svc"][r]].bribe * 2.0]))[0]
            add(r, fill(str(rng.choice(_CALO)), r, int(amt)), True, after(r, 0, 30), 0.0, 0.05)
    # everyday complaints about queues, systems, rudeness
    benign = np.flatnonzero(sch == "")
    p_b = mix["complaint_benign"]
    outage_rows = np.zeros(n, bool)
    for oi, (a0, a1) in c["outage"].items():
        if a0 >= 0:
            outage_rows |= (c["office"] == oi) & (c["day"] >= a0) & (c["day"] <= a1)
    prob = np.full(n, p_b)
    prob[outage_rows] *= 6
    prob[c["surge"]] *= 2.5
    prob[c["prof"] == "slow_new"] *= 2
    pick = benign[rng.random(len(benign)) < prob[benign]]
    for r in pick:
        if outage_rows[r] and rng.random() < 0.7:
            tpl = str(rng.choice(_SYSTEM))
        elif c["surge"][r] and rng.random() < 0.5:
            tpl = str(rng.choice(_SURGE))
        elif rng.random() < 0.12:  # money words, but nobody in the office took it
            add(r, fill(str(rng.choice(_MONEY_DECOY)), r), True, int(c["day"][r] + 1), 0.0, 0.0)
            continue
        else:
            tpl = str(rng.choice(_BENIGN))
        add(r, fill(tpl, r), False, int(c["day"][r] + rng.integers(1, 6)), 0.2, 0.05)
    # unfounded money complaints, tied to honest files
    k = rng.binomial(len(benign), mix["unfounded"])
    for r in rng.choice(benign, size=k, replace=False) if k else []:
        if c["large"][r]:
            key = "large"
        elif c["licensed"][r]:
            key = "agency"
        elif c["prof"][r] == "fast_senior":
            key = "fast"
        elif c["fee_paid"][r] > 0 and rng.random() < 0.5:
            key = "fee"
        else:
            key = "accuse"
        amount = int(c["fee_paid"][r]) if key != "agency" else int(c["fee_paid"][r] + 250_000)
        if key == "accuse":
            amount = int(_round_amounts(rng, np.array([50_000.0]))[0])
        before = len(rows)
        add(r, fill(str(rng.choice(_UNFOUNDED[key])), r, amount), True, after(r, 0, 20), 0.5, 0.35)
        if len(rows) > before:
            unfounded.append(int(r))
    # large-fee rows draw extra unfounded complaints
    big = np.flatnonzero(c["large"] & (sch == ""))
    kb = rng.binomial(len(big), min(0.3, mix["unfounded"] * 20)) if len(big) else 0
    for r in rng.choice(big, size=kb, replace=False) if kb else []:
        before = len(rows)
        tpl = str(rng.choice(_UNFOUNDED["large"]))
        add(r, fill(tpl, r, int(c["assessed"][r])), True, after(r, 0, 20), 0.5, 0.2)
        if len(rows) > before:
            unfounded.append(int(r))

    cols = ["complaint_id", "received_at", "office_id", "text", "service_code", "officer_id",
            "transaction_id", "category"]  # fmt: skip
    if not rows:
        return pd.DataFrame(columns=cols), np.array(unfounded, dtype=int)
    df = pd.DataFrame(rows).sort_values(["secs", "office"], kind="stable").reset_index(drop=True)
    ids, recv = [], []
    seq_own: dict[int, int] = {}
    lapor = int(rng.integers(1_000_000, 9_000_000))
    base = np.datetime64(cal.start.to_datetime64(), "s")
    for r in df.itertuples():
        o = offices[int(r.office)]
        if r.own:
            seq_own[o.idx] = seq_own.get(o.idx, 0) + 1
            ids.append(f"ADU-{o.office_id}-{seq_own[o.idx]:05d}")
            recv.append(_fmt_one(base, int(r.secs), o.tz, o.tz_style))
        else:
            lapor += int(rng.integers(3, 400))  # the national channel numbers all agencies
            ids.append(f"LAPOR-{lapor:08d}")
            recv.append(_fmt_one(base, int(r.secs) - (o.tz - 7) * 3600, 7, "naive"))
    df["complaint_id"] = ids
    df["received_at"] = recv
    df["office_id"] = [offices[int(i)].office_id for i in df["office"]]
    df["category"] = df["category"].replace("", None)
    return df[cols], np.array(sorted(set(unfounded)), dtype=int)


def _fmt_one(base: np.datetime64, secs: int, tz: int, style: str) -> str:
    if style == "utc":
        secs -= tz * 3600
    t = pd.Timestamp(base + np.timedelta64(secs, "s")).strftime("%Y-%m-%dT%H:%M:%S")
    if style == "offset":
        return t + f"+{tz:02d}:00"
    if style == "utc":
        return t + "Z"
    return t


# --------------------------------------------------------------------------------------------
# writing and the command line
# --------------------------------------------------------------------------------------------


def write(world: dict[str, pd.DataFrame], out_dir: Path) -> None:
    """Contract tables into ``out_dir`` (transactions as Parquet, the rest CSV) plus truth/."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for stem in ("services", "transactions", "complaints", "holidays"):
        for ext in (".csv", ".parquet"):
            (out / f"{stem}{ext}").unlink(missing_ok=True)
    world["services"].to_csv(out / "services.csv", index=False)
    world["transactions"].to_parquet(out / "transactions.parquet", index=False)
    world["complaints"].to_csv(out / "complaints.csv", index=False)
    world["holidays"].to_csv(out / "holidays.csv", index=False)
    truth = out / "truth"
    truth.mkdir(exist_ok=True)
    world["truth"].to_csv(truth / "transactions.csv", index=False)
    world["truth_officers"].to_csv(truth / "officers.csv", index=False)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Generate a Kotaworld synthetic data directory.")
    p.add_argument("out_dir", type=Path)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--offices", type=int, default=8)
    p.add_argument("--months", type=int, default=6)
    p.add_argument("--mix", default="base", choices=sorted(MIXES))
    p.add_argument("--start", default="2024-01-08")
    p.add_argument("--scale", type=float, default=1.0)
    args = p.parse_args(argv)
    cfg = KotaConfig(args.seed, args.offices, args.months, args.mix, args.start, args.scale)
    t0 = time.perf_counter()
    world = generate(cfg)
    write(world, args.out_dir)
    dt = time.perf_counter() - t0
    truth, officers = world["truth"], world["truth_officers"]
    irr = int(truth["is_irregular"].sum())
    print(f"kotaworld {cfg}")
    print(f"transactions {len(truth)}  irregular {irr} ({irr / max(1, len(truth)):.2%})")
    for name, cnt in truth.loc[truth["is_irregular"] == 1, "scheme"].value_counts().items():
        print(f"  scheme {name}: {cnt}")
    la = truth["lookalike"].str.split(";").explode()
    for name, cnt in la[la != ""].value_counts().items():
        print(f"  lookalike {name}: {cnt}")
    print(f"complaints {len(world['complaints'])}  services {len(world['services'])}")
    print(f"officers {len(officers)}  extorters {int(officers['is_extorter'].sum())}")
    print(f"written to {args.out_dir} in {dt:.1f}s")


if __name__ == "__main__":
    main()
