"""The migration creates exactly the ORM's tables, and goes down and up again."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from service.db.migrate import alembic_config, current, upgrade
from service.db.models import Base
from service.db.session import make_engine


def test_migration_matches_models_and_round_trips(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)
    upgrade(engine)  # idempotent
    assert current(engine) == "0001"
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    config = alembic_config(str(engine.url))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert not {"api_keys", "audit_events"} & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert {"api_keys", "audit_events"} <= set(inspect(engine).get_table_names())
    engine.dispose()
