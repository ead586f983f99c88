"""The ``sidak`` command line: the verbs a data scientist types.

Each command is a thin wrapper: parse options, call the library, print a short result.
Errors the user can act on (``SidakError``, including contract violations) are printed
plainly with a non-zero exit code; never a traceback.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import ValidationError

from model.errors import SidakError
from model.settings import NO_THREADS, get_settings

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(
    name="sidak",
    help="Sidak: scores public-service transactions for extortion risk and explains why.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])


def settings_problems(error: ValidationError) -> str:
    """A refused setting as the variable to fix: ``SIDAK_SCORE_JOBS='abc': <why>``."""
    lines = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"])
        given = problem.get("input")
        shown = f"={given!r}" if isinstance(given, str | int | float) else ""
        lines.append(f"  SIDAK_{field.upper()}{shown}: {problem['msg']}")
    return "Refused setting(s) (environment or .env):\n" + "\n".join(lines)


def user_errors(func: F) -> F:
    """Turn SidakError, and settings the environment sets wrong, into a plain message and
    exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SidakError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(code=2) from None
        except ValidationError as error:
            if not error.title.endswith("Settings"):
                raise
            typer.echo(settings_problems(error), err=True)
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("alembic", "mlflow", "urllib3", "git"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


DataDir = Annotated[Path, typer.Argument(help="Data directory: one CSV or Parquet file per table.")]


@app.command()
@user_errors
def validate(data_dir: DataDir) -> None:
    """Check a data directory against the data contract; exit non-zero with a report if refused."""
    from model.contract import load_data_dir

    dataset = load_data_dir(data_dir, timezone=get_settings().timezone)
    tables = {
        "services": dataset.services,
        "transactions": dataset.transactions,
        "complaints": dataset.complaints,
        "holidays": dataset.holidays,
        "outcomes": dataset.outcomes,
    }
    typer.echo(f"{data_dir}: valid")
    for name, frame in tables.items():
        typer.echo(f"  {name:<13} {'absent' if frame is None else f'{len(frame):,} rows'}")


@app.command()
@user_errors
def simulate(
    out_dir: Annotated[Path, typer.Argument(help="Where to write the simulated world.")],
    seed: Annotated[
        int | None, typer.Option(help="Random seed (default: the config's, else 0).")
    ] = None,
    months: Annotated[int | None, typer.Option(help="Months simulated.")] = None,
    offices: Annotated[int | None, typer.Option(help="Number of service offices.")] = None,
    volume: Annotated[
        int | None, typer.Option(help="Transactions per office per month (about).")
    ] = None,
    outcomes: Annotated[
        int | None, typer.Option(help="Also write this many reviewed outcomes (labels).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="JSON file overriding simulation parameters.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
) -> None:
    """Write a simulated world in the data contract, with ground truth in OUT_DIR/truth/."""
    from model.simulate import SimulationConfig, simulate_world, write_world

    cfg = SimulationConfig.load(config).with_overrides(
        seed=seed,
        months=months,
        offices=offices,
        transactions_per_office_month=volume,
        n_outcomes=outcomes,
    )
    world = simulate_world(cfg, progress=True)
    written = write_world(world, out_dir, fmt=fmt)
    for name, path in written.items():
        typer.echo(f"  {name:<22} {path}")


ScoresOption = Annotated[
    Path | None, typer.Option(help="Scores CSV from `sidak score` (else score now).")
]

ModelRef = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="Model: registry version, alias (champion), model version, or bundle path. "
        "Default: the champion, else the newest local model.",
    ),
]


@app.command()
@user_errors
def train(
    data_dir: DataDir,
    truth: Annotated[
        Path | None, typer.Option(help="Ground-truth directory (default DATA_DIR/truth if any).")
    ] = None,
    register: Annotated[
        bool, typer.Option("--register/--no-register", help="Register the model in MLflow.")
    ] = True,
) -> None:
    """Validate DATA_DIR, fit the risk model, evaluate it, save the bundle, log + register."""
    from model.evaluate import format_metrics
    from model.train import train as train_model

    result = train_model(data_dir, truth_dir=truth, register=register)
    typer.echo(f"model {result.model_version}")
    typer.echo(f"  bundle      {result.bundle_path}")
    typer.echo(f"  MLflow run  {result.run_id}")
    if result.registered_version:
        typer.echo(
            f"  registered  version {result.registered_version} "
            f"(serve it: sidak promote {result.registered_version})"
        )
    typer.echo(format_metrics(result.metrics))


@app.command()
@user_errors
def promote(
    version: Annotated[str, typer.Argument(help="Registry version number or model version.")],
) -> None:
    """Make a registered model version the champion (the one scoring uses by default)."""
    from model.registry import CHAMPION, VERSION_TAG
    from model.registry import promote as promote_version

    found = promote_version(version)
    model_version = (found.tags or {}).get(VERSION_TAG, "?")
    typer.echo(f"version {found.version} ({model_version}) is now '{CHAMPION}'")


@app.command()
@user_errors
def score(
    data_dir: DataDir,
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV file to write.")],
    model: ModelRef = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            help="Threads for the outlier scoring (-1: every core; default SIDAK_SCORE_JOBS). "
            "The scores are the same for any value.",
        ),
    ] = None,
) -> None:
    """Score every transaction in DATA_DIR; write the contract's score records as CSV."""
    from model.predict import score_data_dir

    settings = get_settings()
    if jobs == 0:
        raise typer.BadParameter(NO_THREADS, param_hint="--jobs")
    if jobs is not None:  # 0 is the one count the setting refuses
        settings = settings.model_copy(update={"score_jobs": jobs})
    scores = score_data_dir(
        data_dir, model_ref=model, output=output, progress=progress, settings=settings
    )
    bands = scores["risk_band"].value_counts()
    version = scores["model_version"].iloc[0] if len(scores) else "?"
    typer.echo(f"{len(scores):,} transactions scored by {version} -> {output}")
    counts = (f"{band}: {int(bands.get(band, 0)):,}" for band in ("high", "medium", "low"))
    typer.echo("  " + "  ".join(counts))


@app.command()
@user_errors
def evaluate(
    data_dir: DataDir,
    scores: ScoresOption = None,
    model: ModelRef = None,
    truth: Annotated[
        Path | None, typer.Option(help="Ground-truth directory (default DATA_DIR/truth).")
    ] = None,
    output_dir: Annotated[
        Path | None, typer.Option(help="Where to write metrics.json and plots (default reports/).")
    ] = None,
) -> None:
    """Detection metrics against ground truth: precision@k, AP, per-scheme recall, officers."""
    from model.evaluate import evaluate_data_dir, format_metrics

    result = evaluate_data_dir(
        data_dir, scores_path=scores, model_ref=model, truth_dir=truth, output_dir=output_dir
    )
    typer.echo(f"model {result.model_version or '(unknown)'} on {data_dir}")
    typer.echo(format_metrics(result.metrics))
    typer.echo(f"wrote {len(result.files)} files to {result.output_dir}")
    if result.run_id:
        typer.echo(f"logged to MLflow run {result.run_id}")


@app.command()
@user_errors
def compare(
    data_dir: DataDir,
    champion: Annotated[
        str | None,
        typer.Option(help="The model in service (default: the 'champion' alias)."),
    ] = None,
    challenger: Annotated[
        str | None,
        typer.Option(help="The candidate (default: the newest trained model but the champion)."),
    ] = None,
    truth: Annotated[
        Path | None,
        typer.Option(help="Ground-truth directory (default DATA_DIR/truth if any, else verdicts)."),
    ] = None,
    top: Annotated[
        int, typer.Option(min=1, help="Queue length for the top-k counts (inspection capacity).")
    ] = 100,
    output_dir: Annotated[
        Path | None,
        typer.Option(help="Where to write compare.json and compare.csv (default reports/)."),
    ] = None,
) -> None:
    """Champion against challenger on DATA_DIR: the truth, else verdicts neither was fitted on."""
    from model.compare import compare_models, format_comparison

    result = compare_models(
        data_dir,
        champion=champion,
        challenger=challenger,
        truth_dir=truth,
        top=top,
        output_dir=output_dir,
    )
    typer.echo(format_comparison(result))
    typer.echo(f"wrote {len(result.files)} files to {result.output_dir}")
    if result.run_id:
        typer.echo(f"logged to the challenger's MLflow run {result.run_id}")


@app.command("models")
@user_errors
def list_models_command() -> None:
    """List trained models: registry versions, aliases, local bundles, headline metrics."""
    from model.registry import list_models

    table = list_models()
    if table.empty:
        typer.echo("No models yet. Train one: sidak train DATA_DIR")
        return
    shown = table.drop(columns=["run_id"]).fillna("")
    for column in ("average_precision", "precision_at_100"):
        shown[column] = [f"{v:.3f}" if isinstance(v, float) else v for v in shown[column]]
    typer.echo(shown.to_string(index=False))


@app.command()
@user_errors
def report(
    data_dir: DataDir,
    scores: ScoresOption = None,
    model: ModelRef = None,
    truth: Annotated[
        Path | None,
        typer.Option(
            help="Ground-truth directory (default DATA_DIR/truth if any; else no metrics)."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="HTML file to write (default reports/report.html)."),
    ] = None,
    language: Annotated[
        str | None, typer.Option(help="Language of the reasons: id or en (default settings).")
    ] = None,
) -> None:
    """Write the evaluation as one standalone HTML file (plots embedded, no external assets)."""
    from model.report import write_report

    target = output or Path(get_settings().reports_dir) / "report.html"
    result = write_report(
        data_dir, target, scores_path=scores, model_ref=model, truth_dir=truth, language=language
    )
    truth_note = f"truth {result.truth_dir}" if result.truth_dir else "no truth: metrics skipped"
    typer.echo(f"report for model {result.model_version or '(unknown)'} ({truth_note}) -> {target}")


@app.command()
@user_errors
def entities(
    data_dir: DataDir,
    level: Annotated[str, typer.Option(help="officer or office.")] = "officer",
    start: Annotated[
        str | None,
        typer.Option(
            help="Start of the period (ISO date or datetime, inclusive; "
            "an offset is converted to local time)."
        ),
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="End of the period (ISO date or datetime, exclusive).")
    ] = None,
    top: Annotated[int, typer.Option(help="How many to print.")] = 20,
    model: ModelRef = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write the full ranking as CSV.")
    ] = None,
    language: Annotated[
        str | None, typer.Option(help="Evidence in 'id' (Bahasa Indonesia) or 'en'.")
    ] = None,
) -> None:
    """Rank officers or offices for a period, with the evidence behind each rank."""
    import pandas as pd

    from model.bundle import load_bundle
    from model.contract import has_officer_ids, load_data_dir
    from model.detect import in_period
    from model.registry import resolve_model

    if level not in ("officer", "office"):
        raise SidakError(f"--level must be 'officer' or 'office', not {level!r}")
    if language not in (None, "id", "en"):
        raise SidakError(f"--language must be 'id' or 'en', not {language!r}")
    timezone = get_settings().timezone
    first, stop = _period_bound("--start", start, timezone), _period_bound("--end", end, timezone)
    if first is not None and stop is not None and first >= stop:
        raise SidakError(
            f"--start {_day(first)} must be before --end {_day(stop)} (the end is exclusive)"
        )
    dataset = load_data_dir(data_dir, timezone=timezone)
    submitted = pd.to_datetime(dataset.transactions["submitted_at"])
    period = dataset.transactions[in_period(submitted, first, stop)]
    if period.empty:
        typer.echo(
            f"No transactions {_period_text(first, stop)} in {data_dir} (its transactions "
            f"were submitted from {submitted.min():%Y-%m-%d} to {submitted.max():%Y-%m-%d})."
        )
        return
    if level == "officer" and not has_officer_ids(period):
        if not has_officer_ids(dataset.transactions):
            raise SidakError(
                f"No officer ids in {data_dir} (officer_id is absent or empty): "
                "officers cannot be ranked; rank offices with --level office."
            )
        files = f"{len(period):,} transaction{'' if len(period) == 1 else 's'}"
        typer.echo(
            f"No officer ids among the {files} {_period_text(first, stop)} in {data_dir}: "
            "no officers to rank."
        )
        return
    bundle = load_bundle(resolve_model(model))
    ranking = bundle.model.rank_entities(
        dataset.transactions,
        dataset.complaints,
        level=level,
        start=first,
        end=stop,
        language=language,
    )
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        ranking.to_csv(output, index=False)
    if ranking.empty:  # never a bare "Empty DataFrame"
        typer.echo(f"No {level}s to rank {_period_text(first, stop)} in {data_dir}.")
        return
    shown = ranking.head(top).copy()
    for column in ("entity_score", "mean_risk", "max_risk", "flagged_weight"):
        shown[column] = shown[column].map(lambda v: f"{v:.3f}")
    if "new_officer_since" in shown:  # a date, blank for officers there from the start
        shown["new_officer_since"] = shown["new_officer_since"].dt.strftime("%Y-%m-%d").fillna("")
    typer.echo(f"{level}s ranked by {bundle.model_version} on {data_dir}")
    evidence = shown.pop("evidence") if "evidence" in shown else None
    typer.echo(shown.to_string(index=False))
    if evidence is not None:
        typer.echo("\nevidence:")
        key = "officer_id" if level == "officer" else "office_id"
        for rank, entity, text in zip(shown["rank"], shown[key], evidence, strict=True):
            typer.echo(f"{rank:>4}  {entity}: {text}")


def _period_bound(option: str, value: str | None, timezone: str) -> pd.Timestamp | None:
    """A --start/--end value as naive local time (offsets converted, as in the data)."""
    from model.contract import parse_datetime_value

    if value is None:
        return None
    try:
        return parse_datetime_value(value, timezone)
    except ValueError as error:
        rule = str(error).split(": ", 1)[-1]
        raise SidakError(f"{option} {value!r} is not a valid date: {rule}") from None


def _day(stamp: pd.Timestamp) -> str:
    """A date, with its time only when it has one."""
    return f"{stamp:%Y-%m-%d}" if stamp == stamp.normalize() else f"{stamp:%Y-%m-%d %H:%M:%S}"


def _period_text(start: pd.Timestamp | None, end: pd.Timestamp | None) -> str:
    if start is not None and end is not None:
        return f"between {_day(start)} and {_day(end)} (exclusive)"
    if start is not None:
        return f"from {_day(start)} on"
    if end is not None:
        return f"before {_day(end)}"
    return "at all"
