"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from plugin.store.db import create_db_engine
from plugin.store.migrate import downgrade, upgrade
from plugin.store.models import Base


def test_upgraded_database_matches_the_models(database_url: str) -> None:
    engine = create_db_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_downgrade_to_empty_and_upgrade_again(database_url: str) -> None:
    downgrade(database_url, "base")
    engine = create_db_engine(database_url)
    with engine.connect() as connection:
        tables = set(engine.dialect.get_table_names(connection)) - {"alembic_version"}
    engine.dispose()
    assert tables == set()
    upgrade(database_url)
