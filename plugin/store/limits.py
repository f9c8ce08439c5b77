"""What the stores can hold: the one guard between outside input and a column.

PostgreSQL refuses NUL characters in text and JSON, and both stores keep identifiers in columns
of 200 characters (SQLite would silently keep a longer one; PostgreSQL would fail). Values are
checked here, before any statement runs, so both stores behave alike and input that does not fit
is refused with a message naming it, never stored halfway. (JSON documents are the one exception:
their NUL characters are stored as U+FFFD, by ``plugin.store.db.json_text``.)
"""

from __future__ import annotations

from typing import Any

IDENTIFIER_LENGTH = 200
# JSON can write half of a UTF-16 pair ("\ud800") where a character should be; no store can keep it.
LONE_SURROGATE = "must be Unicode text: a lone surrogate (\\ud800–\\udfff) is no character"


class NotStorable(ValueError):
    """A value cannot be stored; the message names the field."""


def identifier(value: str, field: str) -> str:
    """An id (account, ticket, event, webhook): at most 200 characters, no NUL."""
    return text(value, field, IDENTIFIER_LENGTH)


def text(value: str, field: str, length: int) -> str:
    """Text for a column of ``length`` characters: no NUL, no lone surrogate."""
    if "\x00" in value:
        raise NotStorable(f"{field}: must not contain NUL characters")
    if len(value) > length:
        raise NotStorable(f"{field}: must be at most {length} characters")
    if _lone_surrogate(value):
        raise NotStorable(f"{field}: {LONE_SURROGATE}")
    return value


def _lone_surrogate(value: str) -> bool:
    try:
        value.encode()
    except UnicodeEncodeError:
        return True
    return False


def findable(key: str) -> bool:
    """Whether a stored row could have this key: a lookup by one that could not (a NUL, too long, a
    lone surrogate) finds nothing, without asking the database (PostgreSQL would refuse the NUL)."""
    return "\x00" not in key and len(key) <= IDENTIFIER_LENGTH and not _lone_surrogate(key)


def unstorable_characters(value: Any, path: str = "") -> list[str]:
    """Where a document holds NUL characters (or lone surrogates, which no store keeps either), as
    ``path: message`` lines in the settings schema's wording (``sla_policies[0].name: …``), for
    documents that are refused rather than cleaned."""
    if isinstance(value, str):
        where = path or "settings"
        return ([f"{where}: must not contain NUL characters"] if "\x00" in value else []) + (
            [f"{where}: {LONE_SURROGATE}"] if _lone_surrogate(value) else [])
    if isinstance(value, dict):
        return [line for key, item in value.items()
                for line in unstorable_characters(key, path)
                + unstorable_characters(item, f"{path}.{key}" if path else str(key))]
    if isinstance(value, list):
        return [line for index, item in enumerate(value) for line in unstorable_characters(item, f"{path}[{index}]")]
    return []
