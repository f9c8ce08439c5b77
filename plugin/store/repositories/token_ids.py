"""Ids (jti) of the host's settings-page tokens already exchanged: each may be used once."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..limits import identifier
from ..tables import TOKEN_IDS, insert_if_new


class SqlTokenIds:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def use_once(self, jti: str, expires_at: datetime, now: datetime) -> bool:
        """Record a token id; False if it was already used. Expired ids are forgotten."""
        identifier(jti, "token jti")
        self._connection.execute(sa.delete(TOKEN_IDS).where(TOKEN_IDS.c.expires_at < now))
        statement = insert_if_new(self._connection, TOKEN_IDS)
        return self._connection.execute(statement, {"jti": jti, "expires_at": expires_at}).first() is not None
