"""Evaluation plots as matplotlib Figures (no pyplot state, no display needed).

Each function returns a ``Figure`` so the same plot can be saved as PNG, logged to MLflow,
or embedded in an HTML report; ``save_figures`` writes a set of them and closes nothing
global. ``scores`` is a frame of score records; ``ranked`` is ``evaluate.ranked_truth``'s
output (best first, with ``is_irregular`` and ``lookalike``).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve

logger = logging.getLogger(__name__)

BANDS = ("low", "medium", "high")
BAND_COLOURS = {"low": "#7f9fbf", "medium": "#e0a030", "high": "#c03030"}
CLASS_COLOURS = {"irregular": "#c03030", "benign look-alike": "#e0a030", "benign": "#7f9fbf"}


def _figure(width: float = 6.4, height: float = 4.2) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    ax: Axes = figure.subplots()
    return figure, ax


def pr_curve_figure(ranked: pd.DataFrame, label: str = "Sidak") -> Figure:
    """Precision-recall curve, with the base rate as the no-skill line."""
    figure, ax = _figure()
    labels = ranked["is_irregular"].to_numpy()
    if 0 < labels.sum() < len(labels):
        precision, recall, _ = precision_recall_curve(labels, ranked["risk_score"].to_numpy())
        ax.step(recall, precision, where="post", label=label, color="#c03030")
        ax.axhline(labels.mean(), linestyle="--", color="grey", label="no skill (base rate)")
        ax.legend(loc="upper right")
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02))
    ax.set_title("Precision-recall over all transactions")
    return figure


def score_distribution_figure(ranked: pd.DataFrame) -> Figure:
    """Histogram of risk scores by truth class (irregular / benign look-alike / benign)."""
    figure, ax = _figure()
    irregular = ranked["is_irregular"] == 1
    lookalike = ~irregular & (ranked["lookalike"] != "")
    classes = {
        "irregular": irregular,
        "benign look-alike": lookalike,
        "benign": ~irregular & ~lookalike,
    }
    bins = np.linspace(0, 1, 41).tolist()
    for name, mask in classes.items():
        if mask.any():
            ax.hist(
                ranked.loc[mask, "risk_score"],
                bins=bins,
                density=True,
                histtype="stepfilled",
                alpha=0.45,
                color=CLASS_COLOURS[name],
                label=f"{name} (n={int(mask.sum()):,})",
            )
    ax.set(xlabel="risk score", ylabel="density", xlim=(0, 1))
    ax.set_title("Risk score by truth class")
    ax.legend(loc="upper center")
    return figure


def band_distribution_figure(scores: pd.DataFrame) -> Figure:
    """Histogram of risk scores stacked by risk band (needs no truth)."""
    figure, ax = _figure()
    bins = np.linspace(0, 1, 41).tolist()
    present = [band for band in BANDS if (scores["risk_band"] == band).any()]
    ax.hist(
        [scores.loc[scores["risk_band"] == band, "risk_score"] for band in present],
        bins=bins,
        stacked=True,
        color=[BAND_COLOURS[band] for band in present],
        label=[f"{band} (n={int((scores['risk_band'] == band).sum()):,})" for band in present],
    )
    ax.set_yscale("log")
    ax.set(xlabel="risk score", ylabel="transactions (log scale)", xlim=(0, 1))
    ax.set_title("Risk score by band")
    ax.legend(loc="upper center")
    return figure


def precision_at_k_figure(
    ranked: pd.DataFrame,
    capacities: Mapping[str, int] | None = None,
    max_k: int = 2000,
    others: Mapping[str, pd.DataFrame] | None = None,
) -> Figure:
    """precision@k for k = 1..max_k, with vertical lines at inspection capacities.

    ``capacities`` maps a label (e.g. "high band") to a number of cases; ``others`` adds
    more ranked queues (e.g. baselines) as extra curves.
    """
    figure, ax = _figure()
    queues = {"Sidak": ranked, **(others or {})}
    for name, queue in queues.items():
        hits = queue["is_irregular"].to_numpy()[:max_k]
        if len(hits):
            k = np.arange(1, len(hits) + 1)
            ax.plot(k, np.cumsum(hits) / k, label=name)
    for index, (name, capacity) in enumerate((capacities or {}).items()):
        if 0 < capacity <= max_k:
            ax.axvline(
                capacity, linestyle=":", color=f"C{index + 3}", label=f"{name} ({capacity:,})"
            )
    ax.set(xlabel="k (cases inspected, best first)", ylabel="precision@k", ylim=(0, 1.02))
    ax.set_title("Precision at the top of the queue")
    ax.legend(loc="upper right")
    return figure


def evaluation_figures(
    ranked: pd.DataFrame | None,
    scores: pd.DataFrame,
    capacities: Mapping[str, int] | None = None,
) -> dict[str, Figure]:
    """The standard set: by-band distribution always; PR, by-class and precision@k with truth."""
    figures = {"score_by_band": band_distribution_figure(scores)}
    if ranked is not None:
        figures["pr_curve"] = pr_curve_figure(ranked)
        figures["score_by_truth"] = score_distribution_figure(ranked)
        figures["precision_at_k"] = precision_at_k_figure(ranked, capacities)
    return figures


def band_capacities(scores: pd.DataFrame) -> dict[str, int]:
    """Queue lengths the model's bands imply: the high band, and high + medium."""
    counts = scores["risk_band"].value_counts()
    high = int(counts.get("high", 0))
    return {"high band": high, "high + medium bands": high + int(counts.get("medium", 0))}


def figure_png(figure: Figure) -> bytes:
    """A figure as PNG bytes (for embedding in HTML)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def save_figures(figures: Mapping[str, Figure], directory: Path | str) -> dict[str, Path]:
    """Write each figure as ``<name>.png`` into ``directory``; returns the paths."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, figure in figures.items():
        path = target / f"{name}.png"
        figure.savefig(path, format="png")
        written[name] = path
    logger.info("saved %d plots to %s", len(written), target)
    return written
