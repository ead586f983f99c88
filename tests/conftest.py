"""Shared fixtures: a small simulated world, and an isolated MLflow store per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from model.settings import Settings, get_settings

SMALL_WORLD = {"seed": 7, "offices": 2, "months": 2, "transactions_per_office_month": 300}


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated world (2 offices, 2 months, ~1.2k transactions) with truth/ beside it.

    Session-scoped and shared: copy it before changing any file in it.
    """
    from model.simulate import SimulationConfig, simulate_world, write_world

    out = tmp_path_factory.mktemp("small-world")
    write_world(simulate_world(SimulationConfig(**SMALL_WORLD)), out)
    return out


def _store_settings(root: Path) -> dict[str, str]:
    return {
        "SIDAK_MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlruns' / 'mlflow.db'}",
        "SIDAK_MLFLOW_ARTIFACT_ROOT": str(root / "mlruns" / "artifacts"),
        "SIDAK_MODELS_DIR": str(root / "models"),
        "SIDAK_REPORTS_DIR": str(root / "reports"),
    }


@pytest.fixture(scope="session")
def _empty_mlflow_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty MLflow SQLite store; copying it spares each test the migrations."""
    from model.registry import client

    root = tmp_path_factory.mktemp("mlflow-template")
    env = _store_settings(root)
    settings = Settings(
        mlflow_tracking_uri=env["SIDAK_MLFLOW_TRACKING_URI"],
        mlflow_artifact_root=Path(env["SIDAK_MLFLOW_ARTIFACT_ROOT"]),
    )
    client(settings).search_experiments()
    return root / "mlruns" / "mlflow.db"


@pytest.fixture
def mlflow_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _empty_mlflow_db: Path
) -> Iterator[Settings]:
    """Settings whose MLflow store, artifacts, models and reports all live under tmp_path.

    Also exported as SIDAK_* variables, so the CLI and ``get_settings()`` see them too.
    """
    (tmp_path / "mlruns").mkdir()
    shutil.copy(_empty_mlflow_db, tmp_path / "mlruns" / "mlflow.db")
    for name, value in _store_settings(tmp_path).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
