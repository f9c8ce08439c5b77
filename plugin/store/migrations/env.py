"""Alembic environment: the URL comes from the caller (plugin.store.migrate), never from a file."""

from __future__ import annotations

from alembic import context

from plugin.store.db import create_db_engine
from plugin.store.models import Base

config = context.config


def run_migrations_online() -> None:
    engine = create_db_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
