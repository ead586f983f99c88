"""Reasons a supervisor can read: for each score, the signals behind it, strongest first.

Each signal has a code (stable, for machines and CSV), a message template in Bahasa
Indonesia and English filled with the transaction's own figures, and a weight (its share
of the evidence behind the score). Messages never contain personal identifiers.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from model.features.entities import LEARNING_DAYS, tie_strength

MIN_POINTS = 0.25  # evidence below this is not worth showing as a reason


def rupiah(value: float) -> str:
    """Rp 50.000 — Indonesian thousands separator."""
    return "Rp " + count(value, "id")


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold Python's cyclic garbage collector while building many small containers.

    A million reasons are a million dicts in a few hundred thousand lists; none forms a
    cycle, but each few hundred of them start a collection that walks the young objects
    (and, as they age, every list built so far): about a tenth of scoring time. Turned back
    on afterwards only if it was on, so concurrent callers never leave it off.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _in(language: str, texts: tuple[str, str]) -> str:
    """The Bahasa Indonesia or the English one of ``(id, en)``."""
    return texts[0] if language == "id" else texts[1]


def _decimal(number: float, language: str) -> str:
    """One decimal; Bahasa Indonesia writes it with a comma (2,5), as rupiah amounts use the
    dot for thousands."""
    text = f"{number:.1f}"
    return text.replace(".", ",") if language == "id" else text


def _about(number: float, language: str) -> str:
    """A small expected count: "sekitar 0,5" / "about 0.5", or "hampir nol" / "almost none"."""
    if number < 0.05:
        return "hampir nol" if language == "id" else "almost none"
    return ("sekitar " if language == "id" else "about ") + _decimal(number, language)


def count(number: int | float, language: str = "id") -> str:
    """A whole count with the language's thousands separator: 1.054 (id), 1,054 (en)."""
    if not np.isfinite(number):
        return "-"
    text = f"{round(float(number)):,}"
    return text.replace(",", ".") if language == "id" else text


def _usual_visits(norm: float, language: str) -> str:
    """What a service usually takes in visits: "cukup 1 kali" / "1", or, for a service done
    without coming in (online), "tanpa datang ke kantor" / "no visit"."""
    if norm < 0.5:
        return "tanpa datang ke kantor" if language == "id" else "no visit"
    return (
        f"cukup {days(norm, language)} kali" if language == "id" else _english_count(norm, "visit")
    )


def _english_count(value: float, noun: str) -> str:
    """ "1 visit", "3 visits" (English sentences; Bahasa Indonesia has no plural)."""
    number = days(value, "en")
    return f"{number} {noun}" if number == "1" else f"{number} {noun}s"


def _expected_share(share: float, language: str) -> str:
    """An expected share of files: "sekitar 10%" / "about 10%", or "kurang dari 1%"."""
    if share < 0.005:
        return "kurang dari 1%" if language == "id" else "less than 1%"
    return ("sekitar " if language == "id" else "about ") + f"{100 * share:.0f}%"


def days(value: float, language: str = "en") -> str:
    """Working days (or visits, or counts), whole where they are whole."""
    number = float(value)
    if abs(number - round(number)) < 0.05:
        return f"{number:.0f}"
    return _decimal(number, language)


@dataclass(frozen=True)
class ReasonTemplate:
    code: str
    message_id: str
    message_en: str


TEMPLATES: dict[str, ReasonTemplate] = {
    t.code: t
    for t in (
        ReasonTemplate(
            "FEE_ON_FREE_SERVICE",
            "Biaya {paid} untuk layanan gratis ({service})",
            "Paid {paid} for a service that is free by law ({service})",
        ),
        ReasonTemplate(
            "FEE_ABOVE_TARIFF",
            "Biaya {paid} melebihi tarif resmi {legal}",
            "Paid {paid}, above the legal fee of {legal}",
        ),
        ReasonTemplate(
            "REPORTED_ABOVE_RECEIPT",
            "Pemohon melaporkan membayar {reported}; kuitansi hanya {paid}",
            "Applicant reports paying {reported}; the receipt shows {paid}",
        ),
        ReasonTemplate(
            "HELD_PAST_STANDARD",
            "{done} {days} hari kerja; standar {sla} hari, rekan sekantor biasanya {peer} hari",
            "{done} {days} working days; standard {sla}, office peers usually {peer}",
        ),
        ReasonTemplate(
            "OPEN_PAST_STANDARD",
            "Belum selesai setelah {days} hari kerja; standar {sla} hari",
            "Still open after {days} working days; standard {sla}",
        ),
        ReasonTemplate(
            "RUSHED_VS_PEERS",
            "Selesai {days} hari kerja; rekan sekantor biasanya {peer} hari kerja",
            "Done in {days} working days; office peers usually take {peer}",
        ),
        ReasonTemplate(
            "COMPLETED_OFF_HOURS",
            "Diselesaikan di luar jam kerja ({when})",
            "Completed outside office hours ({when})",
        ),
        ReasonTemplate(
            "CASH_WHERE_NONCASH_NORM",
            "Dibayar tunai, padahal layanan ini biasanya non-tunai",
            "Paid in cash where this service is normally paid non-cash",
        ),
        ReasonTemplate(
            "EXTRA_VISITS",
            "{visits} kali datang; layanan ini biasanya {norm}",
            "{visits}; this service usually needs {norm}",
        ),
        ReasonTemplate(
            "MONEY_COMPLAINT",
            "Ada pengaduan yang menyebut uang atas permohonan ini",
            "A complaint about this application names money",
        ),
        # The sentence names the strongest part of the officer's record (``OFFICER_SENTENCES``).
        ReasonTemplate("OFFICER_PATTERN", "{pattern}", "{pattern}"),
        ReasonTemplate(
            "AGENT_TIED_TO_OFFICER",
            "Perantara ini mengajukan {share} berkasnya ke petugas yang sama; menurut pembagian "
            "kerja kantor untuk layanan yang diajukannya, wajarnya {expected}",
            "This intermediary files {share} of its applications with the same officer; the "
            "office's division of work for the services it files would give {expected}",
        ),
        ReasonTemplate(
            "AGENT_FEE_RECORD",
            "Berkas perantara ini lebih sering memuat biaya di luar tarif dibanding perantara "
            "lain di kantor ini (+{pp} poin persen)",
            "This intermediary's files carry fees beyond the tariff more often than other "
            "intermediaries' in this office (+{pp} percentage points)",
        ),
        ReasonTemplate(
            "CONFIRMED_BEFORE",
            "Pengawas telah mengonfirmasi {confirmed} kasus lain dari petugas/perantara ini",
            "Supervisors confirmed {confirmed} of this officer or intermediary",
        ),
        ReasonTemplate(
            "UNUSUAL_PATTERN",
            "Kombinasi waktu, biaya dan perilaku yang tidak lazim dibanding transaksi lain{driver}",
            "An unusual combination of timing, fees and behaviour compared with others{driver}",
        ),
        ReasonTemplate(
            "LEARNED_FROM_VERDICTS",
            "Mirip kasus yang telah dikonfirmasi pengawas",
            "Resembles cases confirmed by supervisors",
        ),
    )
}


Columns = Mapping[str, Any]  # a feature frame, or its columns as arrays/Series by name


class _Rows:
    """The shown rows' values of feature columns, as numpy arrays (each column read once)."""

    def __init__(
        self, features: pd.DataFrame | Columns, unusual_drivers: np.ndarray | None = None
    ) -> None:
        self.features = features
        self.unusual_drivers = unusual_drivers
        self._cache: dict[str, np.ndarray] = {}

    def column(self, name: str) -> np.ndarray:
        if name not in self._cache:
            values = self.features[name]
            self._cache[name] = (
                values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
            )
        return self._cache[name]

    def floats(self, name: str, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.column(name)[rows], dtype=float)

    def moments(self, name: str, rows: np.ndarray) -> pd.Series:
        values = self.features[name]
        if isinstance(values, pd.Series):
            return values.iloc[rows]
        return pd.Series(np.asarray(values)[rows])


# The officer's record behind OFFICER_PATTERN: (feature, weight, cap), summed as
# ``weight * min(feature, cap)`` by ``model.detect.RedFlagRules`` (one list for both).
OFFICER_RECORD: tuple[tuple[str, float, float], ...] = (
    ("officer_fee_signal_excess", 3.0, np.inf),
    ("officer_fee_evidence", 0.5, 1.0),
    ("officer_spread_excess", 1.0, 2.0),
    ("officer_fast_excess", 3.0, np.inf),
    ("officer_slow_excess", 3.0, np.inf),
    ("officer_money_complaints", 0.3, 3.0),
)
# The sentence for the strongest part of that record (Bahasa Indonesia, English); {pp} =
# percentage points above the office's typical share of such files, {rate} = the officer's
# money-naming complaints per 100 files.
OFFICER_SENTENCES: dict[str, tuple[str, str]] = {
    "officer_fee_signal_excess": (
        "Berkas petugas ini lebih sering memuat biaya di luar tarif dibanding rekan sekantor "
        "(+{pp} poin persen)",
        "This officer's files carry fees beyond the tariff more often than office "
        "colleagues' (+{pp} percentage points)",
    ),
    # How sure the count of the officer's fee-signal files is beyond colleagues' rates on
    # the same services; {hits} = that count, {expected} = the count those rates give
    # ("sekitar 0,5", or "hampir nol" below 0,05).
    "officer_fee_evidence": (
        "Petugas ini punya {hits} berkas dengan biaya di luar tarif; dengan laju rekan "
        "sekantor pada layanan yang sama, wajarnya {expected}",
        "This officer has {hits} files with fees beyond the tariff; at office colleagues' "
        "rates on the same services, {expected} would be expected",
    ),
    # The fee record on the file's own service, where it is stronger than the overall one.
    "officer_service_fee_excess": (
        "Pada layanan ini, berkas petugas ini lebih sering memuat biaya di luar tarif "
        "dibanding rekan sekantor (+{pp} poin persen)",
        "On this service, this officer's files carry fees beyond the tariff more often than "
        "office colleagues' (+{pp} percentage points)",
    ),
    "officer_spread_excess": (
        "Waktu proses petugas ini jauh lebih tidak menentu dibanding rekan sekantor "
        "(sebagian sangat cepat, sebagian tertahan)",
        "This officer's processing times are far more erratic than office colleagues' "
        "(some very fast, some held)",
    ),
    "officer_fast_excess": (
        "Petugas ini lebih sering menyelesaikan berkas jauh lebih cepat dari rekan sekantor "
        "(+{pp} poin persen)",
        "This officer more often finishes files far faster than office colleagues "
        "(+{pp} percentage points)",
    ),
    "officer_slow_excess": (
        "Petugas ini lebih sering menahan berkas jauh lebih lama dari rekan sekantor "
        "(+{pp} poin persen)",
        "This officer more often holds files far longer than office colleagues "
        "(+{pp} percentage points)",
    ),
    "officer_money_complaints": (
        "Petugas ini disebut dalam pengaduan soal uang (sekitar {rate} per 100 berkas)",
        "This officer is named in complaints about money (about {rate} per 100 files)",
    ),
}


# What the outlier engine found most extreme (one of its features per row, passed to
# ``build_reasons`` as ``unusual_drivers``), as the end of the UNUSUAL_PATTERN sentence.
ENGINE_FEATURE_LABELS: dict[str, tuple[str, str]] = {
    "fee_excess_ratio": ("biaya di atas tarif", "the fee above the tariff"),
    "fee_on_free_service": ("biaya untuk layanan gratis", "a fee for a free service"),
    "reported_gap_levy": (
        "laporan pemohon yang melebihi kuitansi",
        "the applicant reporting more than the receipt",
    ),
    "cash_unusual": ("pembayaran tunai", "the cash payment"),
    "visits_excess": ("jumlah kedatangan pemohon", "the number of visits"),
    "completed_off_hours_unusual": ("waktu penyelesaian", "the time of completion"),
    "speed_z": ("kecepatan dibanding rekan sekantor", "the speed against office peers"),
    "officer_relative_delay_z": (
        "lamanya dibanding kebiasaan petugas",
        "the delay against the officer's own pace",
    ),
    "officer_fee_signal_excess": ("catatan biaya petugas", "the officer's record on fees"),
    "officer_spread_excess": (
        "ketidakteraturan waktu petugas",
        "the officer's erratic processing times",
    ),
    "officer_fast_excess": ("berkas kilat petugas", "the officer's rushed files"),
    "officer_slow_excess": ("berkas tertahan petugas", "the officer's held files"),
    "agent_pair_lift": (
        "keterikatan perantara dengan petugas",
        "the intermediary's ties to the officer",
    ),
    "agent_median_z": ("kecepatan berkas perantara", "the intermediary's speed"),
    "money_complaint_on_transaction": ("pengaduan soal uang", "a complaint about money"),
}


def _unusual_driver(data: _Rows, rows: np.ndarray, language: str) -> list[str]:
    """``, terutama <feature>`` (``, above all <feature>``) where the driver is known."""
    if data.unusual_drivers is None:
        return [""] * len(rows)
    lead = _in(language, (", terutama ", ", above all "))
    out = []
    for name in data.unusual_drivers[rows]:
        labels = ENGINE_FEATURE_LABELS.get(name) if isinstance(name, str) else None
        out.append("" if labels is None else lead + _in(language, labels))
    return out


def _officer_pattern(data: _Rows, rows: np.ndarray, language: str) -> list[str]:
    """For each row, the sentence of the strongest weighted part of the officer's record."""
    names = [name for name, _, _ in OFFICER_RECORD]
    values = np.column_stack([data.floats(name, rows) for name in names])
    # The fee record counts on the file's service where the officer's fees concentrate.
    fee = names.index("officer_fee_signal_excess")
    on_service = data.floats("officer_service_fee_excess", rows)
    service_stronger = on_service > values[:, fee]
    values[:, fee] = np.maximum(values[:, fee], on_service)
    weights = np.array([weight for _, weight, _ in OFFICER_RECORD])
    caps = np.array([cap for _, _, cap in OFFICER_RECORD])
    strongest = np.argmax(weights * np.minimum(values, caps), axis=1)
    hits = data.floats("officer_fee_hits", rows)
    expected = data.floats("officer_fee_expected", rows)
    chosen = values[np.arange(len(rows)), strongest]
    on_service_named = (strongest == fee) & service_stronger
    # An officer's files share one record: write each distinct sentence once.
    keys = np.column_stack([strongest, on_service_named, chosen, hits, expected])
    distinct, inverse = np.unique(keys, axis=0, return_inverse=True)
    sentences = []
    for which, by_service, value, hit, expect in distinct.tolist():
        name = "officer_service_fee_excess" if by_service else names[int(which)]
        sentences.append(
            _in(language, OFFICER_SENTENCES[name]).format(
                pp=f"{100 * value:.0f}",
                rate=_decimal(value, language),
                hits=count(hit, language),
                expected=_about(expect, language),
            )
        )
    return [sentences[i] for i in inverse.ravel().tolist()]


def _filled(values: np.ndarray, fill: np.ndarray | float) -> np.ndarray:
    return np.where(np.isnan(values), fill, values)


def _fields(data: _Rows, rows: np.ndarray, code: str, language: str) -> dict[str, list[str]]:
    """The figures a template needs, formatted, for the given rows (one list per field)."""

    def number(value: float) -> str:  # days, visits and counts, in the message's language
        return days(value, language)

    if code in ("FEE_ON_FREE_SERVICE", "FEE_ABOVE_TARIFF", "REPORTED_ABOVE_RECEIPT"):
        paid = data.floats("fee_paid_idr", rows)
        return {
            "paid": [rupiah(v) for v in paid],
            "legal": [rupiah(v) for v in _filled(data.floats("legal_fee_idr", rows), 0.0)],
            "reported": [rupiah(v) for v in paid + data.floats("reported_gap_idr", rows)],
            "service": [str(v) for v in data.column("service_code")[rows]],
        }
    if code in ("HELD_PAST_STANDARD", "OPEN_PAST_STANDARD", "RUSHED_VS_PEERS"):
        sla = data.floats("sla_working_days", rows)
        # A held file that ended in a rejection says so (it weighs a quarter of one served).
        ends = (("Selesai", "Took"), ("Ditolak setelah", "Rejected after"))
        return {
            "days": [number(v) for v in data.floats("processing_working_days", rows)],
            "sla": [number(v) for v in sla],
            "peer": [number(v) for v in _filled(data.floats("peer_days", rows), sla)],
            "done": [_in(language, ends[int(r)]) for r in data.floats("is_rejected", rows)],
        }
    if code == "COMPLETED_OFF_HOURS":
        return {"when": data.moments("completed_at", rows).dt.strftime("%d-%m-%Y %H:%M").tolist()}
    if code == "EXTRA_VISITS":
        visits = _filled(data.floats("visits", rows), 0.0)
        norm = visits - data.floats("visits_excess", rows)
        return {
            "visits": [
                number(v) if language == "id" else _english_count(v, "visit") + " in person"
                for v in visits
            ],
            "norm": [_usual_visits(v, language) for v in norm],
        }
    if code == "UNUSUAL_PATTERN":
        return {"driver": _unusual_driver(data, rows, language)}
    if code == "OFFICER_PATTERN":
        return {"pattern": _officer_pattern(data, rows, language)}
    if code == "AGENT_TIED_TO_OFFICER":
        # The share with this file's officer where that pair is the tie, else the share of
        # the intermediary's strongest tie (a fixer's file with another officer).
        pair = data.floats("agent_pair_share", rows)
        paired = tie_strength(data.floats("agent_pair_lift", rows), pair) > 0
        share = np.where(paired, pair, data.floats("agent_tie_share", rows))
        base = np.where(
            paired, data.floats("agent_pair_base", rows), data.floats("agent_tie_base", rows)
        )
        return {
            "share": [f"{v:.0f}%" for v in 100 * share],
            "expected": [_expected_share(v, language) for v in base],
        }
    if code == "AGENT_FEE_RECORD":
        return {"pp": [f"{v:.0f}" for v in 100 * data.floats("agent_fee_signal_excess", rows)]}
    if code == "CONFIRMED_BEFORE":
        paired = tie_strength(
            data.floats("agent_pair_lift", rows), data.floats("agent_pair_share", rows)
        )
        strongest = tie_strength(
            data.floats("agent_tie_lift", rows), data.floats("agent_tie_share", rows)
        )
        tied = (paired > 0) | (strongest > 0)
        total = data.floats("officer_confirmed", rows) + data.floats("agent_confirmed", rows) * tied
        if language == "id":
            return {"confirmed": [number(v) for v in total]}
        return {"confirmed": [_english_count(v, "other case") for v in total]}
    return {}


def build_reasons(
    features: pd.DataFrame | Columns,
    points: pd.DataFrame,
    language: str = "id",
    limit: int = 5,
    unusual_drivers: np.ndarray | None = None,
) -> list[list[dict[str, object]]]:
    """One list of reasons per row: {code, message, weight}, strongest first.

    ``features`` is the feature frame or its columns by name (row ``i`` of every column is
    row ``i`` of ``points``); ``points`` holds each signal's evidence per row (columns are
    reason codes); ``weight`` is the signal's share of the row's total evidence.
    ``unusual_drivers`` (per row, an engine feature name or None) ends the UNUSUAL_PATTERN
    sentence with what the outlier engine found most extreme.
    """
    n = len(points)
    every = points.to_numpy(dtype=float)  # one conversion; column j holds code j's values
    total = np.clip(every, 0.0, None).sum(axis=1)
    data = _Rows(features, unusual_drivers)
    rows, codes, weights, messages = [], [], [], []
    for j, code in enumerate(points.columns):
        values = every[:, j]
        shown = np.flatnonzero(values >= MIN_POINTS)
        if not len(shown):
            continue
        template = TEMPLATES[code]
        pattern = template.message_id if language == "id" else template.message_en
        fields = _fields(data, shown, code, language)
        if fields:
            names = list(fields)
            texts = [
                pattern.format(**dict(zip(names, row, strict=True)))
                for row in zip(*fields.values(), strict=True)
            ]
        else:
            texts = [pattern] * len(shown)
        rows.append(shown)
        codes.append(np.full(len(shown), code, dtype=object))
        weights.append(values[shown] / np.maximum(total[shown], 1e-9))
        messages.append(np.asarray(texts, dtype=object))
    if not rows:
        return [[] for _ in range(n)]
    row = np.concatenate(rows)
    weight = np.concatenate(weights)
    order = np.lexsort((-weight, row))
    # plain Python values, in the order the reasons are appended (no numpy scalar per item)
    owners = row[order].tolist()
    code_all = np.concatenate(codes)[order].tolist()
    message_all = np.concatenate(messages)[order].tolist()
    shown_weight = [round(value, 3) for value in weight[order].tolist()]
    with _collector_paused():
        result: list[list[dict[str, object]]] = [[] for _ in range(n)]
        for owner, code, message, share in zip(
            owners, code_all, message_all, shown_weight, strict=True
        ):
            bucket = result[owner]
            if len(bucket) < limit:
                bucket.append({"code": code, "message": message, "weight": share})
    return result


# Short names of the signals, for sentences about many files (an officer's or an office's).
REASON_LABELS: dict[str, tuple[str, str]] = {
    "FEE_ON_FREE_SERVICE": ("biaya untuk layanan gratis", "fees on free services"),
    "FEE_ABOVE_TARIFF": ("biaya di atas tarif", "fees above the tariff"),
    "REPORTED_ABOVE_RECEIPT": (
        "pembayaran melebihi kuitansi menurut pemohon",
        "applicants reporting more than the receipt",
    ),
    "HELD_PAST_STANDARD": ("berkas ditahan melewati standar", "files held past the standard"),
    "OPEN_PAST_STANDARD": (
        "berkas belum selesai melewati standar",
        "files still open past the standard",
    ),
    "RUSHED_VS_PEERS": ("berkas jauh lebih cepat dari rekan", "files far faster than peers"),
    "COMPLETED_OFF_HOURS": ("selesai di luar jam kerja", "work completed out of hours"),
    "CASH_WHERE_NONCASH_NORM": ("pembayaran tunai yang tidak lazim", "unusual cash payments"),
    "EXTRA_VISITS": ("kedatangan berulang", "repeated visits"),
    "MONEY_COMPLAINT": ("pengaduan soal uang", "complaints about money"),
    "OFFICER_PATTERN": ("pola petugas", "officers' patterns"),
    "AGENT_TIED_TO_OFFICER": (
        "perantara yang terikat pada satu petugas",
        "intermediaries tied to one officer",
    ),
    "AGENT_FEE_RECORD": (
        "perantara yang sering memungut di luar tarif",
        "intermediaries often charging beyond the tariff",
    ),
    "CONFIRMED_BEFORE": ("kasus yang telah dikonfirmasi", "previously confirmed cases"),
    "UNUSUAL_PATTERN": ("kombinasi yang tidak lazim", "unusual combinations"),
    "LEARNED_FROM_VERDICTS": (
        "kemiripan dengan kasus terkonfirmasi",
        "resemblance to confirmed cases",
    ),
}


def entity_evidence(
    n_files: int,
    n_high: int,
    n_flagged: int,
    signals: list[tuple[str, int]],
    language: str = "id",
    new_since: pd.Timestamp | None = None,
) -> str:
    """One sentence on an officer's or office's files: how many are high risk or worth a look,
    and the signals most of them carry (``(code, number of flagged files)``, most first);
    for an officer who joined during the training data, the date of their first file."""
    sentence = _entity_files(n_files, n_high, n_flagged, signals, language)
    if new_since is None or pd.isna(new_since):
        return sentence
    since = pd.Timestamp(new_since).strftime("%d-%m-%Y")
    if language != "id":
        return (
            f"{sentence}. New officer, first file {since}: delays are weighed against "
            "their own pace in each month since, and at half in this rank in their first "
            f"{LEARNING_DAYS} days"
        )
    return (
        f"{sentence}. Petugas baru, berkas pertama {since}: keterlambatan dibandingkan "
        "dengan kecepatannya sendiri di tiap bulan sejak itu, dan dalam peringkat ini "
        f"dihitung setengah selama {LEARNING_DAYS} hari pertama"
    )


def _entity_files(
    n_files: int, n_high: int, n_flagged: int, signals: list[tuple[str, int]], language: str
) -> str:
    english = language != "id"
    files, high = count(n_files, language), count(n_high, language)
    if not n_flagged:
        return (
            f"No file at risk among {files}"
            if english
            else (f"Tidak ada berkas berisiko dari {files} berkas")
        )
    medium = count(n_flagged - n_high, language)
    head = (
        f"{high} high-risk and {medium} medium-risk files of {files}"
        if english
        else f"{high} berkas berisiko tinggi dan {medium} sedang dari {files} berkas"
    )
    if not signals:
        return head
    named = ", ".join(
        f"{_in(language, REASON_LABELS[code])} ({count(files_with, language)})"
        for code, files_with in signals
    )
    return f"{head}; mostly {named}" if english else f"{head}; terutama {named}"
