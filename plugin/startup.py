"""What each long-running command (serve, worker, run) does before it starts: bring the schema up to
date, and make sure the configured key opens the secrets already stored. A failure is one line
naming the setting or the database, never a traceback."""

from __future__ import annotations

from plugin.config import Config, ConfigError, redacted_url


class StoreUnavailable(RuntimeError):
    """The database cannot be reached or upgraded."""


def prepare_store(config: Config, upgrade_schema: bool = True) -> None:
    """Raises ConfigError (a setting is wrong) or StoreUnavailable."""
    from alembic.util.exc import CommandError  # noqa: PLC0415
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    from plugin.security.secrets import SecretBox  # noqa: PLC0415
    from plugin.services.tenant_credentials import StoredSecretsUnreadable, check_stored_secrets_open  # noqa: PLC0415
    from plugin.store.db import create_db_engine  # noqa: PLC0415
    from plugin.store.migrate import upgrade  # noqa: PLC0415
    from plugin.store.repositories.settings_versions import ParsedSettings  # noqa: PLC0415
    from plugin.store.unit_of_work import SqlUnitOfWork  # noqa: PLC0415

    url = config.database_url
    try:
        if upgrade_schema:
            upgrade(url)
        engine = create_db_engine(url)
        try:
            check_stored_secrets_open(SqlUnitOfWork(engine, ParsedSettings()), SecretBox(config.encryption_key))
        finally:
            engine.dispose()
    except StoredSecretsUnreadable as error:
        raise ConfigError(str(error)) from None
    except (SQLAlchemyError, CommandError) as error:
        reason = str(error).splitlines()[0]
        raise StoreUnavailable(f"SLA_DATABASE_URL {redacted_url(url)}: {reason}") from None
