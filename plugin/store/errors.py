"""Errors of the stores that say nothing about the data: the database was unreachable or busy."""

from __future__ import annotations

import sqlalchemy as sa


def is_transient(error: BaseException) -> bool:
    """The database failed (unreachable, restarted, locked past the busy timeout), not the statement:
    the same work may succeed when tried again."""
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError)


class Conflict(RuntimeError):
    """A concurrent writer took the key this write needed (e.g. the next settings version number)."""
