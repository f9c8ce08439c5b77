"""What the operator's commands (``sla-plugin settings …``, ``sla-plugin tenants …``) share: the store
they work on, and how they fail — one line on stderr and an exit code, never a traceback."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from plugin.config import DEFAULT_DATABASE_URL, database_url_setting, redacted_url, setting

if TYPE_CHECKING:  # the store is imported when a subcommand runs, not for --help
    from plugin.store.unit_of_work import SqlUnitOfWork

BAD_INPUT, FAILED = 2, 1
CheckedSetting = Callable[[Callable[[], Any]], Any]


class CommandRefused(Exception):
    """A command's work found it cannot be done (an unknown account, …): the message says why."""


def fail(command: str, message: str, code: int) -> int:
    print(f"sla-plugin {command}: {message}", file=sys.stderr)
    return code


def with_store(command: str, checked_setting: CheckedSetting, work: Callable[[SqlUnitOfWork], int]) -> int:
    """Run ``work`` on a unit of work of ``SLA_DATABASE_URL``'s store; its exit code, or 1 and one line
    when it is refused or the store cannot be used."""
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    from plugin.store.db import create_db_engine  # noqa: PLC0415
    from plugin.store.repositories.settings_versions import ParsedSettings  # noqa: PLC0415
    from plugin.store.unit_of_work import SqlUnitOfWork  # noqa: PLC0415

    url = checked_setting(lambda: setting(os.environ, "SLA_DATABASE_URL", database_url_setting, DEFAULT_DATABASE_URL))
    engine = create_db_engine(url)
    try:
        return int(work(SqlUnitOfWork(engine, ParsedSettings())))
    except CommandRefused as error:
        return fail(command, str(error), FAILED)
    except SQLAlchemyError as error:
        reason = str(error).splitlines()[0]
        return fail(command, f"{redacted_url(url)}: {reason} (is the schema up to date? sla-plugin db upgrade)",
                    FAILED)
    finally:
        engine.dispose()
