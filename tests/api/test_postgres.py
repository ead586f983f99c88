"""The same service on PostgreSQL (skipped when 127.0.0.1:5432 is not reachable)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from service.db.session import make_engine
from service.main import create_app
from service.settings import Settings
from tests.api.conftest import _keys
from tests.api.test_audit import check_append_only, check_rows, exercise

pytestmark = pytest.mark.postgres
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_url() -> Iterator[str]:
    try:
        admin = make_engine(ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            name = f"sidak_api_{uuid.uuid4().hex[:10]}"
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # no server, no driver, no rights
        pytest.skip(f"PostgreSQL not reachable: {type(error).__name__}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_service_on_postgres(pg_url: str, settings: Settings, transactions: pd.DataFrame) -> None:
    pg_settings = settings.model_copy(update={"database_url": pg_url})
    headers = _keys(pg_url)
    with TestClient(create_app(pg_settings)) as client:
        exercise(client, headers, transactions)
    engine = make_engine(pg_url)
    with engine.connect() as connection:
        rows = [
            dict(r)
            for r in connection.execute(text("SELECT * FROM audit_events ORDER BY id")).mappings()
        ]
    check_rows(rows, transactions)
    check_append_only(pg_url)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text("TRUNCATE audit_events"))
    engine.dispose()
