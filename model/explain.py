"""Reasons a supervisor can read: for each score, the signals behind it, strongest first.

Each signal has a code (stable, for machines and CSV), a message template in Bahasa
Indonesia and English filled with the transaction's own figures, and a weight (its share
of the evidence behind the score). Messages never contain personal identifiers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_POINTS = 0.25  # evidence below this is not worth showing as a reason


def rupiah(value: float) -> str:
    """Rp 50.000 — Indonesian thousands separator."""
    return "Rp " + f"{round(float(value)):,}".replace(",", ".")


def days(value: float) -> str:
    number = float(value)
    return f"{number:.0f}" if abs(number - round(number)) < 0.05 else f"{number:.1f}"


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
            "Selesai {days} hari kerja; standar {sla} hari, rekan sekantor biasanya {peer} hari",
            "Took {days} working days; standard {sla}, office peers usually {peer}",
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
            "{visits} kali datang; layanan ini biasanya cukup {norm} kali",
            "{visits} in-person visits; this service usually needs {norm}",
        ),
        ReasonTemplate(
            "MONEY_COMPLAINT",
            "Ada pengaduan yang menyebut uang atas permohonan ini",
            "A complaint about this application names money",
        ),
        ReasonTemplate(
            "OFFICER_PATTERN",
            "Petugas ini lebih sering menunjukkan sinyal serupa dibanding rekan sekantor",
            "This officer shows such signals more often than office colleagues",
        ),
        ReasonTemplate(
            "AGENT_TIED_TO_OFFICER",
            "Perantara ini mengajukan {share} berkasnya ke petugas yang sama",
            "This intermediary files {share} of its applications with the same officer",
        ),
        ReasonTemplate(
            "CONFIRMED_BEFORE",
            "Pengawas telah mengonfirmasi {confirmed} kasus lain dari petugas/perantara ini",
            "Supervisors confirmed {confirmed} other cases of this officer or intermediary",
        ),
        ReasonTemplate(
            "UNUSUAL_PATTERN",
            "Kombinasi waktu, biaya dan perilaku yang tidak lazim dibanding transaksi lain",
            "An unusual combination of timing, fees and behaviour compared with others",
        ),
        ReasonTemplate(
            "LEARNED_FROM_VERDICTS",
            "Mirip kasus yang telah dikonfirmasi pengawas",
            "Resembles cases confirmed by supervisors",
        ),
    )
}


Formatter = Callable[[pd.DataFrame], pd.DataFrame]


def _fields(features: pd.DataFrame, code: str) -> pd.DataFrame:
    """The figures a template needs, formatted, for the given rows."""
    f = features
    if code in ("FEE_ON_FREE_SERVICE", "FEE_ABOVE_TARIFF", "REPORTED_ABOVE_RECEIPT"):
        return pd.DataFrame(
            {
                "paid": f["fee_paid_idr"].map(rupiah),
                "legal": f["legal_fee_idr"].fillna(0).map(rupiah),
                "reported": (f["fee_paid_idr"] + f["reported_gap_idr"]).map(rupiah),
                "service": f["service_code"].astype(str),
            }
        )
    if code in ("HELD_PAST_STANDARD", "OPEN_PAST_STANDARD", "RUSHED_VS_PEERS"):
        return pd.DataFrame(
            {
                "days": f["processing_working_days"].map(days),
                "sla": f["sla_working_days"].map(days),
                "peer": f["peer_days"].fillna(f["sla_working_days"]).map(days),
            }
        )
    if code == "COMPLETED_OFF_HOURS":
        return pd.DataFrame({"when": f["completed_at"].dt.strftime("%d-%m-%Y %H:%M")})
    if code == "EXTRA_VISITS":
        visits = f["visits"].fillna(0)
        return pd.DataFrame(
            {"visits": visits.map(days), "norm": (visits - f["visits_excess"]).map(days)}
        )
    if code == "AGENT_TIED_TO_OFFICER":
        return pd.DataFrame({"share": (100 * f["agent_pair_share"]).map(lambda v: f"{v:.0f}%")})
    if code == "CONFIRMED_BEFORE":
        total = f["officer_confirmed"] + f["agent_confirmed"] * (f["agent_pair_lift"] > 2)
        return pd.DataFrame({"confirmed": total.map(days)})
    return pd.DataFrame(index=f.index)


def build_reasons(
    features: pd.DataFrame, points: pd.DataFrame, language: str = "id", limit: int = 5
) -> list[list[dict[str, object]]]:
    """One list of reasons per row: {code, message, weight}, strongest first.

    ``points`` holds each signal's evidence per row (columns are reason codes); ``weight``
    is the signal's share of the row's total evidence.
    """
    n = len(features)
    total = points.clip(lower=0).sum(axis=1).to_numpy()
    rows, codes, weights, messages = [], [], [], []
    every = points.to_numpy(dtype=float)  # one conversion; column j holds code j's values
    for j, code in enumerate(points.columns):
        values = every[:, j]
        shown = np.flatnonzero(values >= MIN_POINTS)
        if not len(shown):
            continue
        template = TEMPLATES[code]
        pattern = template.message_id if language == "id" else template.message_en
        subset = features.iloc[shown]
        fields = _fields(subset, code)
        if fields.shape[1]:
            records = fields.to_dict("records")
            texts = [pattern.format(**record) for record in records]
        else:
            texts = [pattern] * len(shown)
        rows.append(shown)
        codes.append(np.full(len(shown), code, dtype=object))
        weights.append(values[shown] / np.maximum(total[shown], 1e-9))
        messages.append(np.asarray(texts, dtype=object))
    result: list[list[dict[str, object]]] = [[] for _ in range(n)]
    if not rows:
        return result
    row = np.concatenate(rows)
    weight = np.concatenate(weights)
    code_all = np.concatenate(codes)
    message_all = np.concatenate(messages)
    for i in np.lexsort((-weight, row)):
        bucket = result[row[i]]
        if len(bucket) < limit:
            bucket.append(
                {
                    "code": code_all[i],
                    "message": message_all[i],
                    "weight": round(float(weight[i]), 3),
                }
            )
    return result
