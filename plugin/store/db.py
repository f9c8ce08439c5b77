"""Database engines: SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

# A JSON escape of U+0000: a backslash that an even number of backslashes precede (or none), then u0000.
_NUL_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")
# The escape of half a UTF-16 pair without its other half (json.dumps writes lowercase hex).
_LONE_SURROGATE_ESCAPE = re.compile(
    r"(?<!\\)((?:\\\\)*)(\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f][0-9a-f]{2})|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2})")


def json_text(document: Any) -> str:
    """A document as the stores keep it: JSON with every NUL character, and every lone surrogate, as
    U+FFFD (PostgreSQL refuses both in JSON, and an event must not be lost for one stray character
    in a message body)."""
    try:
        text = orjson.dumps(document).decode()
    except TypeError:  # integers beyond 64 bits (JSON has no limit), keys that are not text, lone surrogates
        text = _LONE_SURROGATE_ESCAPE.sub(r"\1\\ufffd", json.dumps(document))
    return _NUL_ESCAPE.sub(r"\1\\ufffd", text) if "\\u0000" in text else text


def create_db_engine(url: str) -> sa.Engine:
    """An engine tuned for its backend: SQLite gets WAL, a busy timeout and immediate write transactions."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    # No pre-ping: it costs a round trip on every request; stale connections are recycled instead.
    return sa.create_engine(parsed, pool_size=5, max_overflow=5, pool_recycle=300, json_serializer=json_text)


def _sqlite_engine(url: sa.URL) -> sa.Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30, "isolation_level": None},
                              json_serializer=json_text)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # Take the write lock up front: two writers never deadlock upgrading a read lock. (On the
        # driver's connection: it is no statement of data, and every transaction runs it.)
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]

    return engine
