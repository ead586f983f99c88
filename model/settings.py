"""One place for configuration: typed settings read from the environment (prefix ``SIDAK_``).

Nothing else in the project reads ``os.environ``; paths derive from the project root so a
fresh checkout works with embedded defaults (SQLite, a local MLflow store, ./models).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REFERENCE_SERVICES = PROJECT_ROOT / "data" / "reference" / "services.csv"
NO_THREADS = "0 threads cannot score: use a count, or -1 for every core"


class Settings(BaseSettings):
    """Settings shared by the library and the service (the service subclasses this)."""

    model_config = SettingsConfigDict(env_prefix="SIDAK_", env_file=".env", extra="ignore")

    home: Path = PROJECT_ROOT
    data_dir: Path = PROJECT_ROOT / "data" / "raw" / "sim"
    models_dir: Path = PROJECT_ROOT / "models"
    reports_dir: Path = PROJECT_ROOT / "reports"
    # MLflow: embedded SQLite-backed store under the project unless a server URI is given.
    mlflow_tracking_uri: str = f"sqlite:///{PROJECT_ROOT / 'mlruns' / 'mlflow.db'}"
    mlflow_artifact_root: Path = PROJECT_ROOT / "mlruns" / "artifacts"
    mlflow_experiment: str = "sidak-risk"
    registered_model_name: str = "sidak-risk"
    # Local time of naive datetimes in the inputs (data contract: WIB by default).
    timezone: str = "Asia/Jakarta"
    # Language of the reasons shown to supervisors.
    language: Literal["id", "en"] = "id"
    # Inspection capacity: how many cases a month supervisors can look at ("high" band)
    # and how many more are worth a desk review ("medium" band).
    capacity_high_per_month: int = 50
    capacity_medium_per_month: int = 250
    random_seed: int = 20161020
    # Threads for batch scoring (``sidak score``; -1: every core). The service scores a
    # request's rows in one thread, beside its other workers.
    score_jobs: int = -1

    @field_validator("score_jobs")
    @classmethod
    def _jobs_mean_something(cls, value: int) -> int:
        if value == 0:
            raise ValueError(NO_THREADS)
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
