"""The evaluation as one standalone HTML file: what ``sidak report`` writes.

``build_report`` gathers everything a reader needs — scores (from a CSV or a model), the
model's metadata, the officer ranking, the top of the queue with its reasons and, when a
ground-truth directory exists, the detection metrics — and ``render_html`` turns it into a
single page whose plots are embedded as base64 PNG: no external files, fonts, scripts or
CDN, so the report can be mailed or opened offline. Plots come from ``model.plots`` plus
the per-scheme recall chart defined here; metrics from ``model.evaluate``.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from matplotlib.figure import Figure

from model.bundle import ModelBundle, load_bundle
from model.contract import Dataset, has_officer_ids, load_data_dir
from model.errors import SidakError
from model.evaluate import (
    evaluate_scores,
    load_truth,
    model_officer_ranking,
    officer_ranking_from_scores,
    precision_at,
    ranked_truth,
    scheme_recall,
)
from model.plots import (
    band_capacities,
    band_distribution_figure,
    figure_png,
    pr_curve_figure,
    precision_at_k_figure,
    score_distribution_figure,
)
from model.settings import Settings, get_settings

logger = logging.getLogger(__name__)

TOP_CASES = 25
TOP_OFFICERS = 15
TEMPLATE = "report.html.j2"

# Figure id -> (title, caption) in the order shown; ids are stable for tests and links.
FIGURES: dict[str, tuple[str, str]] = {
    "pr_curve": (
        "Precision-recall curve",
        "Precision against recall over every transaction; the dashed line is a random queue.",
    ),
    "precision_at_k": (
        "Precision@k against inspection capacity",
        "Of the first k cases in the queue, the share that were real irregularities; "
        "dotted lines mark the queue lengths the risk bands imply.",
    ),
    "score_by_truth": (
        "Score distribution by truth class",
        "Irregular transactions should sit to the right; benign look-alikes (outages, "
        "surges, slow new officers, licensed agencies...) should stay left with the rest.",
    ),
    "scheme_recall": (
        "Recall per extortion scheme",
        "Share of each planted scheme's transactions that reach the top of the queue.",
    ),
    "score_by_band": (
        "Score distribution by risk band",
        "Every transaction's risk score, coloured by its band (log scale).",
    ),
}

HEADERS = {
    "transaction_id": "transaction",
    "risk_score": "score",
    "risk_band": "band",
    "office_id": "office",
    "service_code": "service",
    "officer_id": "officer",
    "submitted_at": "submitted",
    "completed_at": "completed",
    "fee_paid_idr": "fee paid",
    "n_transactions": "files",
    "n_high": "high band",
    "entity_score": "officer score",
    "officer_score": "officer score",
    "mean_risk": "mean score",
    "top_reasons": "main signals in flagged files",
    "evidence": "evidence in flagged files",
}

HEADLINE_METRICS = (
    ("n_transactions", "transactions scored"),
    ("n_irregular", "irregular (truth)"),
    ("base_rate", "base rate"),
    ("average_precision", "average precision"),
    ("roc_auc", "ROC-AUC"),
    ("precision_at_100", "precision@100"),
    ("precision_at_500", "precision@500"),
    ("precision_at_1000", "precision@1000"),
    ("r_precision", "R-precision"),
    ("lookalike_share_at_500", "look-alikes in the first 500"),
    ("officer_precision_at_k", "extorting officers in the top k officers"),
    ("officer_k", "k officers (planted extorters)"),
)


def scheme_recall_figure(ranked: pd.DataFrame, capacities: dict[str, int]) -> Figure:
    """Grouped bars: per scheme, the share of its transactions within each capacity."""
    figure = Figure(figsize=(6.4, 4.2), dpi=100, layout="constrained")
    ax = figure.subplots()
    cutoffs = {name: k for name, k in capacities.items() if k > 0}
    recalls = {
        name: {key.split("/", 1)[1]: value for key, value in scheme_recall(ranked, k).items()}
        for name, k in cutoffs.items()
    }
    schemes = sorted({scheme for values in recalls.values() for scheme in values})
    if schemes:
        width = 0.8 / max(1, len(recalls))
        positions = np.arange(len(schemes))
        for index, (name, values) in enumerate(recalls.items()):
            heights = [values.get(scheme, 0.0) for scheme in schemes]
            ax.bar(positions + index * width, heights, width, label=f"first {cutoffs[name]:,}")
        ax.set_xticks(positions + width * (len(recalls) - 1) / 2, schemes, rotation=20)
        ax.legend(loc="upper right")
    ax.set(ylabel="recall", ylim=(0, 1.05))
    ax.set_title("Recall per scheme at inspection capacity")
    return figure


def report_figures(
    scores: pd.DataFrame, ranked: pd.DataFrame | None, capacities: dict[str, int]
) -> dict[str, Figure]:
    """The report's figures keyed by id (see ``FIGURES``); truth-based ones need ``ranked``."""
    figures: dict[str, Figure] = {}
    if ranked is not None:
        figures["pr_curve"] = pr_curve_figure(ranked)
        max_k = int(min(len(ranked), max(2000, 1.5 * max(capacities.values(), default=0))))
        figures["precision_at_k"] = precision_at_k_figure(ranked, capacities, max_k=max_k)
        figures["score_by_truth"] = score_distribution_figure(ranked)
        figures["scheme_recall"] = scheme_recall_figure(ranked, capacities)
    figures["score_by_band"] = band_distribution_figure(scores)
    return figures


@dataclass
class Report:
    """Everything the HTML page shows; tables are display-ready DataFrames."""

    data_dir: Path
    scores: pd.DataFrame
    figures: dict[str, Figure]
    top_cases: pd.DataFrame
    officers: pd.DataFrame
    bands: pd.DataFrame
    capacities: dict[str, int]
    model_version: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] | None = None
    ranked: pd.DataFrame | None = None
    truth_dir: Path | None = None
    summary: dict[str, str] = field(default_factory=dict)
    officers_note: str = ""  # why ``officers`` is empty, when it is


def _load_scores(
    dataset: Dataset, scores_path: Path | None, model_ref: str | None, settings: Settings
) -> tuple[pd.DataFrame, ModelBundle | None]:
    """Scores (from the CSV, or by scoring now) and the model behind them when loadable."""
    from model.predict import read_scores, score_dataset
    from model.registry import resolve_model

    if scores_path is not None and model_ref is not None:
        raise SidakError("Give either --scores or --model, not both.")
    if scores_path is None:
        bundle = load_bundle(resolve_model(model_ref, settings))
        scores = score_dataset(bundle, dataset, settings, progress=False)
        return scores, bundle
    if not Path(scores_path).exists():
        raise SidakError(f"No scores file at {scores_path}: run `sidak score` first.")
    scores = read_scores(scores_path)
    versions = scores["model_version"].dropna().unique() if "model_version" in scores else []
    if len(versions) != 1:
        return scores, None
    try:
        return scores, load_bundle(resolve_model(str(versions[0]), settings))
    except SidakError as error:
        logger.warning("model %s not available (%s): reasons shown as codes", versions[0], error)
        return scores, None


def _with_context(scores: pd.DataFrame, transactions: pd.DataFrame) -> pd.DataFrame:
    """Scores with office, service, officer, dates and fees from the transactions table."""
    wanted = ["transaction_id", "office_id", "service_code", "officer_id", "channel"]
    wanted += ["submitted_at", "completed_at", "fee_paid_idr"]
    context = transactions[[c for c in wanted if c in transactions]].copy()
    context["transaction_id"] = context["transaction_id"].astype(str)
    shared = [c for c in context.columns if c != "transaction_id" and c in scores]
    merged = scores.drop(columns=shared).merge(context, on="transaction_id", how="left")
    return merged.sort_values("risk_score", ascending=False, kind="stable")


def reason_lines(reasons: Any) -> list[str]:
    """Reasons as readable lines: "message (CODE, share)" when explained, else the codes."""
    if isinstance(reasons, list):
        return [f"{r['message']} ({r['code']}, {r['weight']:.0%})" for r in reasons]
    if isinstance(reasons, str):
        return [code for code in reasons.split(";") if code]
    return []


def top_cases(
    scores: pd.DataFrame,
    dataset: Dataset,
    bundle: ModelBundle | None,
    truth: pd.DataFrame | None = None,
    n: int = TOP_CASES,
    language: str | None = None,
) -> pd.DataFrame:
    """The first ``n`` cases of the queue with their reasons (re-explained by the model)."""
    top = _with_context(scores, dataset.transactions).head(n).reset_index(drop=True)
    if bundle is not None and len(top):
        top["reasons"] = _explained(top, dataset, bundle, language)
    top["reasons"] = top["reasons"].map(reason_lines)
    if truth is not None:
        labels = truth.set_index(truth["transaction_id"].astype(str))
        irregular = top["transaction_id"].map(labels["is_irregular"]).fillna(0).astype(int)
        scheme = top["transaction_id"].map(labels.get("scheme")).fillna("")
        lookalike = top["transaction_id"].map(labels.get("lookalike")).fillna("")
        top["truth"] = np.where(
            irregular == 1,
            "irregular: " + scheme.astype(str),
            np.where(lookalike != "", "look-alike: " + lookalike.astype(str), "benign"),
        )
    top.insert(0, "rank", np.arange(1, len(top) + 1))
    return top


def _explained(
    top: pd.DataFrame, dataset: Dataset, bundle: ModelBundle, language: str | None
) -> pd.Series:
    """The top cases' reasons with messages, re-scored by the model; codes if it cannot."""
    rows = dataset.transactions["transaction_id"].astype(str).isin(top["transaction_id"])
    try:
        explained = bundle.score(
            dataset.transactions[rows.to_numpy()], dataset.complaints, language
        )
    except (KeyError, ValueError, AttributeError) as error:
        logger.warning("model %s could not explain the cases (%r)", bundle.model_version, error)
        return top["reasons"]
    messages = explained.set_index("transaction_id")["reasons"]
    return top["transaction_id"].map(messages).fillna(top["reasons"])


NO_OFFICER_IDS = "no officer ids in this export"


def _no_officers() -> pd.DataFrame:
    return pd.DataFrame({"rank": pd.Series(dtype="int64"), "officer_id": pd.Series(dtype=str)})


def officer_table(
    scores: pd.DataFrame,
    dataset: Dataset,
    bundle: ModelBundle | None,
    officer_truth: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The model's officer ranking (``rank_entities``), else officers by their top scores.

    Empty (columns ``rank, officer_id`` only) when the export holds no officer ids: the
    contract makes ``officer_id`` optional.
    """
    if not has_officer_ids(dataset.transactions):
        return _no_officers()
    ranking = None
    if bundle is not None:
        ranking = model_officer_ranking(bundle.model, dataset.transactions, dataset.complaints)
    if ranking is None:
        with_officer = _with_context(scores, dataset.transactions).dropna(subset=["officer_id"])
        if with_officer.empty:  # the scores name none of these transactions' officers
            return _no_officers()
        ranking = officer_ranking_from_scores(with_officer)
        ranking.insert(0, "rank", np.arange(1, len(ranking) + 1))
        context = with_officer.groupby("officer_id").agg(
            office_id=("office_id", "first"),
            n_transactions=("transaction_id", "size"),
            n_high=("risk_band", lambda bands: int((bands == "high").sum())),
            mean_risk=("risk_score", "mean"),
        )
        ranking = ranking.join(context, on="officer_id")
    ranking = ranking.copy()
    ranking["officer_id"] = ranking["officer_id"].astype(str)
    if officer_truth is not None:
        truth = officer_truth.assign(officer_id=officer_truth["officer_id"].astype(str))
        truth = truth.set_index("officer_id")
        ranking["truth"] = ranking["officer_id"].map(truth["profile"]).fillna("")
    return ranking


def band_table(scores: pd.DataFrame) -> pd.DataFrame:
    """Transactions per risk band, with their share and score range."""
    grouped = scores.groupby("risk_band")["risk_score"]
    table = pd.DataFrame(
        {"transactions": grouped.size(), "min score": grouped.min(), "max score": grouped.max()}
    ).reindex(["high", "medium", "low"])
    table = table.dropna(subset=["transactions"])
    table["share"] = table["transactions"] / max(1, len(scores))
    return table.rename_axis("band").reset_index()


def _summary(dataset: Dataset, scores: pd.DataFrame) -> dict[str, str]:
    submitted = pd.to_datetime(dataset.transactions["submitted_at"])
    return {
        "transactions": f"{len(dataset.transactions):,}",
        "scored": f"{len(scores):,}",
        "period": f"{submitted.min():%Y-%m-%d} to {submitted.max():%Y-%m-%d}",
        "offices": f"{dataset.transactions['office_id'].nunique():,}",
        "officers": (
            f"{dataset.transactions['officer_id'].nunique():,}"
            if has_officer_ids(dataset.transactions)
            else f"none ({NO_OFFICER_IDS})"
        ),
        "complaints": "none" if dataset.complaints is None else f"{len(dataset.complaints):,}",
        "outcomes (labels)": _outcomes_summary(dataset.outcomes),
    }


def _outcomes_summary(outcomes: pd.DataFrame | None) -> str:
    """Rows, and the transactions they name when some were reviewed more than once."""
    if outcomes is None:
        return "none"
    reviewed = outcomes["transaction_id"].nunique()
    if reviewed == len(outcomes):
        return f"{len(outcomes):,}"
    return f"{len(outcomes):,} ({reviewed:,} transactions, the latest review counts)"


def _truth_dir(data_dir: Path, truth_dir: Path | str | None) -> Path | None:
    if truth_dir is not None:
        return Path(truth_dir)
    candidate = data_dir / "truth"
    return candidate if (candidate / "transactions.csv").exists() else None


def build_report(
    data_dir: Path | str,
    *,
    scores_path: Path | str | None = None,
    model_ref: str | None = None,
    truth_dir: Path | str | None = None,
    settings: Settings | None = None,
    language: str | None = None,
    n_cases: int = TOP_CASES,
) -> Report:
    """Collect the report's content; truth (``truth_dir``, default DATA_DIR/truth) is optional.

    Without ``scores_path`` the data are scored now with ``model_ref`` (default: the
    champion, else the newest local model).
    """
    settings = settings or get_settings()
    root = Path(data_dir)
    dataset = load_data_dir(root, timezone=settings.timezone)
    path = Path(scores_path) if scores_path is not None else None
    scores, bundle = _load_scores(dataset, path, model_ref, settings)
    capacities = band_capacities(scores)
    found = _truth_dir(root, truth_dir)
    truth, officer_truth = load_truth(found) if found is not None else (None, None)
    officers = officer_table(scores, dataset, bundle, officer_truth)
    officers_note = ""
    if officers.empty:
        officer_truth = None  # no officers ranked: no officer metrics either
        officers_note = (
            "no officer among the scored transactions"
            if has_officer_ids(dataset.transactions)
            else NO_OFFICER_IDS
        )
    ranked = metrics = None
    if truth is not None:
        ranked = ranked_truth(scores, truth)
        metrics = evaluate_scores(
            scores, truth, officer_truth, dataset.transactions, officer_ranking=officers
        )
    version = str(bundle.model_version) if bundle is not None else _scores_version(scores)
    return Report(
        data_dir=root,
        scores=scores,
        figures=report_figures(scores, ranked, capacities),
        top_cases=top_cases(scores, dataset, bundle, truth, n_cases, language),
        officers=officers,
        bands=band_table(scores),
        capacities=capacities,
        model_version=version,
        metadata=dict(bundle.metadata) if bundle is not None else {},
        metrics=metrics,
        ranked=ranked,
        truth_dir=found,
        summary=_summary(dataset, scores),
        officers_note=officers_note,
    )


def _scores_version(scores: pd.DataFrame) -> str | None:
    if "model_version" not in scores:
        return None
    versions = scores["model_version"].dropna().unique()
    return ", ".join(sorted(map(str, versions))) or None


# --- rendering ----------------------------------------------------------------------------


def _number(value: Any, key: str = "") -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer) or key.startswith("n_") or key == "officer_k":
        return f"{float(value):,.0f}"
    if isinstance(value, float | np.floating):
        return f"{round(float(value), 3) + 0.0:,.3f}"  # + 0.0: no "-0.000"
    return str(value)


def _metric_rows(report: Report) -> list[tuple[str, str]]:
    if report.metrics is None or report.ranked is None:
        return []
    rows = [
        (label, _number(report.metrics[key], key))
        for key, label in HEADLINE_METRICS
        if key in report.metrics
    ]
    for name, k in report.capacities.items():
        if k > 0:
            precision = precision_at(report.ranked, k)
            rows.append((f"precision in the {name} ({k:,} cases)", _number(precision)))
    return rows


def _metadata_rows(report: Report) -> list[tuple[str, str]]:
    meta = report.metadata
    rows = [("model version", report.model_version or "(unknown)")]
    keys = (
        "created_at",
        "code_version",
        "git_commit",
        "data_source",
        "data_fingerprint",
        "n_transactions",
        "n_labels",
        "mlflow_run_id",
        "registered_version",
        "model_sha256",
    )
    rows += [(key.replace("_", " "), _number(meta[key])) for key in keys if meta.get(key)]
    for name, value in (meta.get("thresholds") or {}).items():
        rows.append((f"threshold {name}", _number(value)))
    for name, value in (meta.get("params") or {}).items():
        rows.append((f"param {name}", _number(value)))
    return rows


def _table(frame: pd.DataFrame, columns: list[str]) -> dict[str, Any]:
    """Columns (display names) and rows of formatted cells."""
    shown = frame[[c for c in columns if c in frame]]
    rows = [[_cell(value, column) for column, value in row.items()] for _, row in shown.iterrows()]
    return {"columns": [HEADERS.get(c, c) for c in shown.columns], "rows": rows}


def _case_rows(cases: pd.DataFrame, columns: list[str]) -> dict[str, Any]:
    """Top cases as table rows plus, per case, its reason lines (shown under the row)."""
    table = _table(cases, columns)
    table["reasons"] = [list(lines) for lines in cases["reasons"]]
    table["truth"] = list(cases["truth"]) if "truth" in cases else [""] * len(cases)
    return table


def _officer_rows(report: Report, columns: list[str]) -> dict[str, Any]:
    """The first officers as table rows; one row saying why when there are none."""
    if report.officers.empty:
        why = report.officers_note or "none found"
        return {"columns": [], "rows": [[f"No officers ranked: {why}."]]}
    return _table(report.officers.head(TOP_OFFICERS), columns)


def _cell(value: Any, column: str) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, float) and np.isnan(value):
        return ""
    if column in ("fee_paid_idr",):
        return f"Rp {int(value):,}".replace(",", ".")
    if column == "top_reasons":
        return str(value).replace(";", ", ")
    if column in ("share",):
        return f"{float(value):.1%}"
    if column in ("rank", "n_transactions", "n_high", "transactions"):
        return f"{int(value):,}"
    return _number(value)


def _png_data_uri(figure: Figure) -> str:
    return "data:image/png;base64," + base64.b64encode(figure_png(figure)).decode("ascii")


def render_html(report: Report) -> str:
    """The report as one self-contained HTML document."""
    environment = Environment(
        loader=PackageLoader("model", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    figures = [
        {"id": key, "title": FIGURES[key][0], "caption": FIGURES[key][1], "src": _png_data_uri(fig)}
        for key, fig in sorted(
            report.figures.items(), key=lambda item: list(FIGURES).index(item[0])
        )
    ]
    officer_columns = ["rank", "officer_id", "office_id", "n_transactions", "n_high"]
    officer_columns += ["entity_score", "officer_score", "mean_risk", "truth", "evidence"]
    case_columns = ["rank", "transaction_id", "risk_score", "risk_band", "office_id"]
    case_columns += ["service_code", "officer_id", "channel", "submitted_at", "completed_at"]
    case_columns += ["fee_paid_idr"]
    return environment.get_template(TEMPLATE).render(
        title="Sidak evaluation report",
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        data_dir=str(report.data_dir),
        truth_dir=str(report.truth_dir) if report.truth_dir else None,
        summary=report.summary,
        metrics=_metric_rows(report),
        bands=_table(report.bands, ["band", "transactions", "share", "min score", "max score"]),
        figures=figures,
        officers=_officer_rows(report, officer_columns),
        cases=_case_rows(report.top_cases, case_columns),
        metadata=_metadata_rows(report),
    )


def write_report(
    data_dir: Path | str,
    output: Path | str,
    *,
    scores_path: Path | str | None = None,
    model_ref: str | None = None,
    truth_dir: Path | str | None = None,
    settings: Settings | None = None,
    language: str | None = None,
) -> Report:
    """Build the report for ``data_dir`` and write it as one HTML file at ``output``."""
    report = build_report(
        data_dir,
        scores_path=scores_path,
        model_ref=model_ref,
        truth_dir=truth_dir,
        settings=settings,
        language=language,
    )
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")
    logger.info("wrote report to %s", path)
    return report
