"""Complaint text: which complaints name money, and how they attach to entities.

Citizens rarely write "suap" (bribe). They write *minta uang*, *uang rokok*, *biaya
tambahan*, *tanpa kuitansi*, *calo*, *pelicin* — with the spelling of a phone keyboard
(*duit*, *rokoq*, *kwitansi*, *gk ada kuitansi*). ``money_signal`` normalises the text and
scores how strongly it names money; complaints about queues, rudeness or a broken website
score 0. One complaint is a signal, never a verdict: the risk model weighs these with
everything else.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# Spelling variants and slang mapped to one canonical form before matching.
NORMALISE: tuple[tuple[str, str], ...] = (
    (r"\bkw[iu]tans[iy]\b|\bkuwitansi\b|\bkuitansi\b|\bkwintansi\b", "kuitansi"),
    (r"\bduit\b|\bdoku\b|\bfulus\b|\bhepeng\b", "uang"),
    (r"\brokoq\b|\brokok2\b|\brokoknya\b", "rokok"),
    (r"\bsogok\w*\b|\bnyogok\w*\b|\bdisogok\b|\bsuap\w*\b|\bdisuap\b", "suap"),
    (r"\bmint[ae]\b|\bmintak\b|\bdimint[ae]\b|\bdimintai\b|\bmemint[ae]\b", "minta"),
    (r"\bbyr\b|\bbayar\w*\b|\bdibayar\b", "bayar"),
    (r"\bbiaya\w*\b|\bongkos\b|\btarif\b", "biaya"),
    (r"\bgk\b|\bga\b|\bgak\b|\bnggak\b|\benggak\b|\btdk\b|\btak\b|\bngga\b", "tidak"),
    (r"\btnp\b", "tanpa"),
    (r"\bpercalo\w*\b|\bcalo2\b|\bcaloan\b", "calo"),
    (r"\bpelicin\w*\b|\bmelicin\w*\b", "pelicin"),
    (r"\bpungutan liar\b|\bpungli\w*\b", "pungli"),
    (r"\bdipungut\w*\b|\bmemungut\b|\bpungutan\b", "pungutan"),
    (r"\bdiperas\b|\bpemerasan\b|\bmemeras\b|\bdipalak\b|\bpalak\w*\b", "peras"),
    (r"\bkasih\b|\bngasih\b|\bdikasih\b|\bmemberi\b|\bdiberi\b|\bberi\b", "kasih"),
    # "kasih uang" is handing over money, but "terima kasih, uang ..." is a thank-you.
    (r"(?<!terima )\bkasih uang\b", "beri uang"),
    (r"\bsuruh\b|\bdisuruh\b", "disuruh"),
    (r"\bbawah meja\b|\bkolong meja\b", "bawah meja"),
    (r"\brp\.?\s*\d[\d.,]*\s*(?:rb|ribu|k|jt|juta)?\b|\b\d+\s*(?:rb|ribu|jt|juta)\b", "nominal"),
)

# Canonical phrase -> weight: how directly it names an illegal payment.
MONEY_TERMS: dict[str, float] = {
    "pungli": 1.0,
    "suap": 1.0,
    "pelicin": 1.0,
    "uang pelicin": 1.0,
    "uang rokok": 1.0,
    "uang terima kasih": 0.9,
    "uang lelah": 0.9,
    "uang kopi": 0.9,
    "uang jasa": 0.7,
    "imbalan": 0.9,
    "minta uang": 1.0,
    "minta imbalan": 1.0,
    "minta biaya": 0.9,
    "biaya tambahan": 0.9,
    "biaya di luar": 0.9,
    "tanpa kuitansi": 1.0,
    "tidak ada kuitansi": 1.0,
    "tidak kasih kuitansi": 1.0,
    "calo": 0.8,
    "amplop": 0.8,
    "setoran": 0.6,
    "bayar lebih": 0.8,
    "harus bayar": 0.7,
    "disuruh bayar": 0.8,
    "padahal gratis": 1.0,
    "katanya gratis": 0.9,
    "nominal": 0.5,
    "pungutan": 0.7,
    "peras": 1.0,
    "gratifikasi": 1.0,
    "salam tempel": 1.0,
    "bawah meja": 1.0,
    "uang damai": 1.0,
    "uang jalan": 0.8,
    "uang bensin": 0.8,
    "uang transport": 0.6,
    "uang administrasi": 0.6,
    "uang tips": 0.8,
    "beri uang": 0.9,
    "kasih tip": 0.8,
    "minta tip": 0.9,
    "jalur belakang": 0.8,
    "jalur khusus": 0.6,
    "orang dalam": 0.6,
    "nembak": 0.7,
    "rekening pribadi": 0.9,
    "transfer ke petugas": 0.9,
    "disuruh transfer": 0.8,
    "kickback": 1.0,
    "extortion": 1.0,
    "under the table": 1.0,
    "fixer": 0.8,
    "paid extra": 0.8,
    "without receipt": 1.0,
    "bribe": 1.0,
    "extra fee": 0.9,
    "no receipt": 1.0,
    "asked for money": 1.0,
}

_NORMALISERS = [(re.compile(pattern), canonical) for pattern, canonical in NORMALISE]
_TERMS = sorted(MONEY_TERMS, key=len, reverse=True)
_TERM_PATTERN = re.compile(r"\b(?:" + "|".join(re.escape(term) for term in _TERMS) + r")\b")


def normalise_text(text: str) -> str:
    """Lower-case, strip punctuation, squeeze repeated letters, map spelling variants."""
    lowered = text.lower()
    lowered = re.sub(r"([a-z])\1{2,}", r"\1", lowered)  # "uaaang" -> "uang"
    lowered = re.sub(r"[^\w\s.,]", " ", lowered)
    for pattern, canonical in _NORMALISERS:
        lowered = pattern.sub(canonical, lowered)
    lowered = re.sub(r"[.,]", " ", lowered)
    return re.sub(r"\s+", " ", lowered).strip()


def money_terms(text: str) -> list[str]:
    """The money phrases a complaint uses (canonical forms), in order of appearance."""
    return _TERM_PATTERN.findall(normalise_text(text))


def money_signal(texts: pd.Series) -> pd.Series:
    """How strongly each complaint names money, in [0, 1] (0 = a service complaint)."""
    values = [
        min(1.0, max((MONEY_TERMS[t] for t in found), default=0.0) + 0.15 * max(len(found) - 1, 0))
        for found in (money_terms(str(text)) for text in texts.fillna(""))
    ]
    return pd.Series(np.asarray(values, dtype=float), index=texts.index, name="money_signal")


def complaint_signals(complaints: pd.DataFrame | None) -> pd.DataFrame:
    """Complaints with a ``money_signal`` column, or an empty frame with the contract columns."""
    columns = ["complaint_id", "received_at", "office_id", "officer_id", "transaction_id"]
    if complaints is None or complaints.empty:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in columns}).assign(
            money_signal=pd.Series(dtype=float)
        )
    out = complaints.copy()
    for column in ("officer_id", "transaction_id", "service_code"):
        if column not in out:
            out[column] = pd.Series(pd.NA, index=out.index, dtype="string")
    out["money_signal"] = money_signal(out["text"])
    return out


def per_transaction(complaints: pd.DataFrame | None, transaction_ids: pd.Series) -> pd.DataFrame:
    """Complaints naming each transaction: count, and strongest money signal."""
    columns = per_transaction_columns(complaints, transaction_ids)
    return pd.DataFrame(columns, index=transaction_ids.index)


def per_transaction_columns(
    complaints: pd.DataFrame | None, transaction_ids: pd.Series
) -> dict[str, np.ndarray]:
    """``per_transaction``'s columns as arrays: count, and strongest money signal.

    Only complaints that name one of ``transaction_ids`` are read, so scoring one
    application does not re-read every complaint of the month.
    """
    count = np.zeros(len(transaction_ids))
    strongest = np.zeros(len(transaction_ids))
    if complaints is not None and not complaints.empty and "transaction_id" in complaints:
        ids = transaction_ids.astype(str)
        # Object arrays: pandas' hash-table isin (the Arrow string path loops in Python).
        named_ids = complaints["transaction_id"].to_numpy(dtype=object)
        named = complaints[pd.Index(named_ids, dtype=object).isin(ids.to_numpy(dtype=object))]
        if not named.empty:
            signal = money_signal(named["text"])
            grouped = signal.groupby(named["transaction_id"].astype(str)).agg(["size", "max"])
            aligned = grouped.reindex(ids.to_numpy())
            count = aligned["size"].fillna(0).to_numpy(dtype=float)
            strongest = aligned["max"].fillna(0.0).to_numpy(dtype=float)
    return {"complaints_on_transaction": count, "money_complaint_on_transaction": strongest}
