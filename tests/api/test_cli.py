"""``sidak keys create|list|revoke`` and ``sidak db upgrade``."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.db.session import make_engine, make_sessionmaker
from service.security import verify_token
from service.settings import get_settings


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SIDAK_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_keys_lifecycle(database: str) -> None:
    runner = CliRunner()
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0 and "revision 0001" in upgraded.output
    created = runner.invoke(app, ["keys", "create", "--role", "supervisor", "--name", "dashboard"])
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    assert token.startswith("sidak_")
    sessions = make_sessionmaker(make_engine(database))
    with sessions() as session:
        principal = verify_token(session, token)
    assert principal is not None and principal.role.value == "supervisor"

    listed = runner.invoke(app, ["keys", "list"])
    assert "dashboard" in listed.output and "supervisor" in listed.output
    assert token.split("_", 2)[2] not in listed.output  # the secret is never shown again

    revoked = runner.invoke(app, ["keys", "revoke", str(principal.key_id)])
    assert revoked.exit_code == 0
    with sessions() as session:
        assert verify_token(session, token) is None
    assert runner.invoke(app, ["keys", "revoke", "999"]).exit_code == 2
    assert runner.invoke(app, ["keys", "create", "--role", "root"]).exit_code != 0
