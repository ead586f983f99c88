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
from typing import Annotated, Any, TypeVar

import typer

from model.errors import SidakError
from model.settings import get_settings

app = typer.Typer(
    name="sidak",
    help="Sidak: scores public-service transactions for extortion risk and explains why.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])


def user_errors(func: F) -> F:
    """Turn SidakError into a plain message and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SidakError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False) -> None:
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
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
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
