"""The standalone HTML report: content, self-containment, and how it renders in a browser."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from model.cli import app
from model.errors import SidakError
from model.predict import write_scores
from model.report import FIGURES, TOP_CASES, Report, build_report, render_html, write_report
from model.settings import Settings
from model.train import train

TRUTH_FIGURES = {"pr_curve", "precision_at_k", "score_by_truth", "scheme_recall", "score_by_band"}
EXTERNAL = re.compile(
    r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:|ftp:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""",
    re.IGNORECASE,
)


@dataclass
class Trained:
    settings: Settings
    bundle_path: Path
    scores_path: Path


@pytest.fixture(scope="module")
def trained(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Trained:
    """A model trained on the small world (no MLflow) and its scores CSV."""
    root = tmp_path_factory.mktemp("report-model")
    settings = Settings(
        models_dir=root / "models",
        reports_dir=root / "reports",
        mlflow_tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
        mlflow_artifact_root=root / "artifacts",
    )
    result = train(small_world, settings=settings, track=False)
    scores_path = write_scores(result.scores, root / "scores.csv")
    return Trained(settings, result.bundle_path, scores_path)


@pytest.fixture(scope="module")
def world_without_truth(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small world's contract tables only: no truth directory beside them."""
    target = tmp_path_factory.mktemp("no-truth")
    for path in small_world.iterdir():
        if path.is_file():
            shutil.copy(path, target / path.name)
    return target


REQUIRED_COLUMNS = {
    "services": ["service_code", "service_name", "official_fee_idr", "sla_working_days"],
    "transactions": ["transaction_id", "office_id", "service_code", "submitted_at", "fee_paid_idr"],
}


@pytest.fixture(scope="module")
def required_only_world(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small world cut to the contract's required columns (no officer_id), with truth."""
    target = tmp_path_factory.mktemp("required-only")
    for table, columns in REQUIRED_COLUMNS.items():
        frame = pd.read_csv(small_world / f"{table}.csv", dtype=str, keep_default_na=False)
        frame[columns].to_csv(target / f"{table}.csv", index=False)
    shutil.copytree(small_world / "truth", target / "truth")
    return target


def _figure_ids(html: str) -> set[str]:
    return set(re.findall(r'<figure id="fig-([a-z_]+)"', html))


def test_report_with_truth_has_every_plot_and_table(
    small_world: Path, trained: Trained, tmp_path: Path
) -> None:
    output = tmp_path / "out" / "report.html"
    report = write_report(
        small_world, output, scores_path=trained.scores_path, settings=trained.settings
    )
    html = output.read_text(encoding="utf-8")
    assert _figure_ids(html) == TRUTH_FIGURES == set(FIGURES)
    images = re.findall(r"<img [^>]*src=\"([^\"]+)\"", html)
    assert len(images) == len(TRUTH_FIGURES)
    assert all(src.startswith("data:image/png;base64,") for src in images)
    for section in ("summary", "metrics", "bands", "plots", "officers", "cases", "model"):
        assert f'<section id="{section}">' in html
    assert html.count('<tr class="case">') == TOP_CASES
    assert report.metrics is not None and report.metrics["n_transactions"] > 0
    assert "average precision" in html and "ground truth: " in html
    assert report.model_version and report.model_version in html
    assert "extorter" in html  # the officer table shows the truth profile


def test_report_is_self_contained(small_world: Path, trained: Trained) -> None:
    report = build_report(small_world, scores_path=trained.scores_path, settings=trained.settings)
    html = render_html(report)
    assert not EXTERNAL.findall(html)
    assert "<script" not in html and "<link" not in html
    assert "http://" not in html and "https://" not in html


def test_report_without_truth(world_without_truth: Path, trained: Trained, tmp_path: Path) -> None:
    output = tmp_path / "report.html"
    report = write_report(
        world_without_truth, output, model_ref=str(trained.bundle_path), settings=trained.settings
    )
    html = output.read_text(encoding="utf-8")
    assert report.truth_dir is None and report.metrics is None
    assert _figure_ids(html) == {"score_by_band"}
    assert '<section id="metrics">' not in html
    for section in ("bands", "officers", "cases", "model"):
        assert f'<section id="{section}">' in html
    assert html.count('<tr class="case">') == TOP_CASES
    assert "ground truth: " not in html
    # Reasons come from the model, with their figures, not just codes.
    first_reasons = report.top_cases["reasons"].iloc[0]
    assert first_reasons and "(" in first_reasons[0]


def test_report_reasons_in_english(small_world: Path, trained: Trained) -> None:
    report = build_report(
        small_world, model_ref=str(trained.bundle_path), settings=trained.settings, language="en"
    )
    lines = [line for reasons in report.top_cases["reasons"] for line in reasons]
    assert any(word in " ".join(lines) for word in ("Paid", "Took", "officer", "Applicant"))


def test_report_refuses_scores_and_model_together(small_world: Path, trained: Trained) -> None:
    with pytest.raises(SidakError, match="either"):
        build_report(
            small_world,
            scores_path=trained.scores_path,
            model_ref=str(trained.bundle_path),
            settings=trained.settings,
        )


def test_report_command(small_world: Path, trained: Trained, tmp_path: Path) -> None:
    output = tmp_path / "cli" / "report.html"
    result = CliRunner().invoke(
        app,
        ["report", str(small_world), "--model", str(trained.bundle_path), "--output", str(output)],
    )
    assert result.exit_code == 0, result.output
    assert output.exists() and str(output) in result.output
    missing = CliRunner().invoke(
        app, ["report", str(small_world), "--scores", str(tmp_path / "nope.csv")]
    )
    assert missing.exit_code == 2
    assert "No scores file" in missing.output


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.mark.skipif(_chromium() is None, reason="chromium not installed (make browser)")
def test_report_renders_in_headless_chromium(
    small_world: Path, trained: Trained, tmp_path: Path
) -> None:
    from matplotlib.image import imread

    page = tmp_path / "report.html"
    write_report(small_world, page, scores_path=trained.scores_path, settings=trained.settings)
    shot = tmp_path / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        command = [
            str(_chromium()),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--window-size=1280,4000",
            f"--screenshot={shot}",
            page.resolve().as_uri(),
        ]
        subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert shot.exists(), "chromium wrote no screenshot"
    pixels = imread(shot)
    assert pixels.shape[0] >= 4000 and pixels.shape[1] >= 1280
    # A rendered page, not a blank or error page: many distinct colours (plots) and the dark
    # header band at the top.
    colours = np.unique((pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 200
    assert pixels[20, 20, :3].mean() < 0.3


def test_report_from_scores_alone(small_world: Path, trained: Trained, tmp_path: Path) -> None:
    """Scores whose model cannot be found: reasons stay codes, officers ranked by scores."""
    scores = pd.read_csv(trained.scores_path).drop(columns="model_version")
    scores_path = tmp_path / "scores.csv"
    scores.to_csv(scores_path, index=False)
    report = build_report(small_world, scores_path=scores_path, settings=trained.settings)
    assert report.model_version is None and report.metadata == {}
    assert report.metrics is not None and "officer_precision_at_k" in report.metrics
    assert "officer_score" in report.officers
    codes = [line for lines in report.top_cases["reasons"] for line in lines]
    assert codes and all(re.fullmatch(r"[A-Z_]+", code) for code in codes)
    html = render_html(report)
    assert "(unknown)" in html and _figure_ids(html) == TRUTH_FIGURES


def _assert_no_officer_section(report: Report, html: str) -> None:
    assert report.summary["officers"] == "none (no officer ids in this export)"
    assert report.officers.empty
    assert '<section id="officers">' in html
    assert "No officers ranked: no officer ids in this export." in html
    assert html.count('<tr class="case">') == TOP_CASES
    assert report.metrics is not None and report.metrics["n_transactions"] > 0
    assert not any(key.startswith("officer_") for key in report.metrics)
    assert report.officers_note == "no officer ids in this export"


def test_report_without_officer_ids_by_model(
    required_only_world: Path, trained: Trained, tmp_path: Path
) -> None:
    output = tmp_path / "report.html"
    report = write_report(
        required_only_world, output, model_ref=str(trained.bundle_path), settings=trained.settings
    )
    _assert_no_officer_section(report, output.read_text(encoding="utf-8"))
    assert report.metadata  # the model explained the cases
    assert any("(" in line for lines in report.top_cases["reasons"] for line in lines)


@pytest.mark.parametrize("model_known", [True, False])
def test_report_without_officer_ids_from_scores(
    required_only_world: Path, trained: Trained, tmp_path: Path, model_known: bool
) -> None:
    """From a scores CSV (its officer_id column empty), with and without the model."""
    scored = build_report(
        required_only_world, model_ref=str(trained.bundle_path), settings=trained.settings
    )
    scores_path = write_scores(scored.scores, tmp_path / "scores.csv")
    written = pd.read_csv(scores_path, dtype=str, keep_default_na=False)
    assert "officer_id" in written and (written["officer_id"] == "").all()
    if not model_known:
        written.drop(columns="model_version").to_csv(scores_path, index=False)
    output = tmp_path / "report.html"
    report = write_report(
        required_only_world, output, scores_path=scores_path, settings=trained.settings
    )
    assert (report.model_version is not None) == model_known
    _assert_no_officer_section(report, output.read_text(encoding="utf-8"))


def test_report_command_without_officer_ids(
    required_only_world: Path, trained: Trained, tmp_path: Path
) -> None:
    output = tmp_path / "report.html"
    args = ["report", str(required_only_world), "--model", str(trained.bundle_path)]
    result = CliRunner().invoke(app, [*args, "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "No officers ranked: no officer ids in this export." in output.read_text("utf-8")


def test_report_counts_outcomes_reviewed_twice(
    world_without_truth: Path, trained: Trained, tmp_path: Path
) -> None:
    """The contract names no key for outcomes: the summary counts rows and transactions."""
    root = tmp_path / "data"
    shutil.copytree(world_without_truth, root)
    ids = pd.read_csv(root / "transactions.csv", dtype=str)["transaction_id"].head(3).tolist()
    pd.DataFrame(
        {
            "transaction_id": [ids[0], ids[1], ids[0], ids[2]],
            "outcome": ["dismissed", "confirmed", "confirmed", "dismissed"],
            "reviewed_at": ["2025-03-01", "", "2025-03-05", ""],
        }
    ).to_csv(root / "outcomes.csv", index=False)
    report = build_report(root, scores_path=trained.scores_path, settings=trained.settings)
    summary = "4 (3 transactions, the latest review counts)"
    assert report.summary["outcomes (labels)"] == summary
    assert summary in render_html(report)
    assert report.summary["officers"].replace(",", "").isdigit()
