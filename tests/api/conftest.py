"""Fixtures for the API tests: a tiny trained bundle, a fresh database, a client, role keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from model.bundle import ModelBundle, save_bundle
from model.detect import RiskModel
from service.db.migrate import upgrade
from service.db.session import make_engine, make_sessionmaker
from service.main import create_app
from service.security import Role, create_key
from service.settings import Settings

SERVICES = pd.DataFrame(
    {
        "service_code": ["KTP", "AKTA", "PBG", "REKLAME"],
        "service_name": ["KTP-el", "Akta kelahiran", "Persetujuan Bangunan Gedung", "Reklame"],
        "official_fee_idr": [0, 0, 0, 250_000],
        "fee_is_variable": [False, False, True, False],
        "sla_working_days": [3.0, 3.0, 20.0, 5.0],
    }
)
MODEL_VERSION = "20250101T000000Z-0a1b2c3d"
MODEL_VERSION_2 = "20250201T000000Z-4e5f6a7b"


def make_transactions(n: int = 1200, seed: int = 0) -> pd.DataFrame:
    """Two offices, four officers each; officer OFF-1-0 charges for free documents."""
    rng = np.random.default_rng(seed)
    office = rng.choice(["DISDUKCAPIL-1", "DISDUKCAPIL-2"], n)
    officer = (
        pd.Series(office).str.replace("DISDUKCAPIL", "OFF")
        + "-"
        + rng.integers(0, 4, n).astype(str)
    )
    service = rng.choice(SERVICES["service_code"], n, p=[0.4, 0.3, 0.15, 0.15])
    submitted = (
        pd.Timestamp("2025-02-03 08:00")
        + pd.to_timedelta(rng.integers(0, 60, n), unit="D")
        + pd.to_timedelta(rng.integers(0, 7 * 60, n), unit="min")
    )
    sla = SERVICES.set_index("service_code").loc[service, "sla_working_days"].to_numpy()
    duration = np.maximum(0, np.round(rng.gamma(4.0, sla / 8.0)))
    assessed = np.where(service == "PBG", rng.integers(5, 400, n) * 100_000, np.nan)
    fee = np.where(service == "REKLAME", 250_000, 0).astype(float)
    fee = np.where(service == "PBG", assessed, fee)
    surcharge = (officer == "OFF-1-0").to_numpy() & np.isin(service, ["KTP", "AKTA"])
    surcharge &= rng.random(n) < 0.3
    fee = np.where(surcharge, 50_000, fee)
    completed = submitted + pd.to_timedelta(np.ceil(duration * 7 / 5), unit="D")
    return pd.DataFrame(
        {
            "transaction_id": [f"T{seed}-{i:05d}" for i in range(n)],
            "office_id": office,
            "service_code": service,
            "submitted_at": submitted.astype("datetime64[ns]"),
            "completed_at": completed.astype("datetime64[ns]"),
            "fee_paid_idr": fee.astype("int64"),
            "officer_id": officer.to_numpy(),
            "assessed_fee_idr": pd.array(np.where(np.isnan(assessed), None, assessed), "Int64"),
            "payment_method": np.where(fee > 0, np.where(surcharge, "cash", "transfer"), "none"),
            "channel": rng.choice(["online", "counter"], n),
        }
    )


def to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as JSON-ready records (ISO datetimes, None for missing)."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column].dtype):
            out[column] = out[column].dt.strftime("%Y-%m-%dT%H:%M:%S")
    out = out.astype(object).where(out.notna(), None)
    return out.to_dict(orient="records")


def train_bundle(directory: Path, version: str, seed: int = 0) -> Path:
    transactions = make_transactions(seed=seed)
    model = RiskModel(capacity_high_per_month=10, capacity_medium_per_month=40, random_state=seed)
    model.fit(transactions, services=SERVICES)
    model.model_version_ = version
    metadata = {
        "model_version": version,
        "data_fingerprint": f"{seed:064x}",
        "metrics": {"precision_at_10": 0.5},
        "thresholds": dict(model.thresholds_),
    }
    return save_bundle(ModelBundle(model, metadata), directory / version)


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("models")
    train_bundle(root, MODEL_VERSION, seed=0)
    return root


@pytest.fixture(scope="session")
def second_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another model, outside models_dir, to hot-swap to."""
    return train_bundle(tmp_path_factory.mktemp("other"), MODEL_VERSION_2, seed=1)


@pytest.fixture(scope="session")
def transactions() -> pd.DataFrame:
    return make_transactions(n=300, seed=7)


@pytest.fixture
def settings(tmp_path: Path, models_dir: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'sidak.db'}",
        models_dir=models_dir,
        mlflow_tracking_uri=f"sqlite:///{tmp_path / 'no-mlflow' / 'mlflow.db'}",
        model_poll_seconds=0,
        max_batch=500,
        max_request_bytes=2_000_000,
    )


def _keys(database_url: str) -> dict[str, dict[str, str]]:
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    headers = {}
    with sessions() as session:
        for role in Role:
            _, token = create_key(session, role, f"test {role.value}")
            headers[role.value] = {"Authorization": f"Bearer {token}"}
    engine.dispose()
    return headers


@pytest.fixture
def headers(settings: Settings) -> dict[str, dict[str, str]]:
    """Authorization headers per role: headers['scorer'], ['supervisor'], ['admin']."""
    return _keys(settings.database_url)


@pytest.fixture
def db(settings: Settings, headers: dict[str, dict[str, str]]) -> Iterator[Session]:
    """A session on the test's service database (migrated, keys created)."""
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture
def client(settings: Settings, headers: dict[str, dict[str, str]]) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def empty_settings(tmp_path: Path) -> Settings:
    """Settings with no model anywhere."""
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'empty.db'}",
        models_dir=tmp_path / "no-models",
        mlflow_tracking_uri=f"sqlite:///{tmp_path / 'no-mlflow' / 'mlflow.db'}",
        model_poll_seconds=0,
    )
