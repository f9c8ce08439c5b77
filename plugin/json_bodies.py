"""The one reader of JSON request bodies: every entry point answers a bad body the same way."""

from __future__ import annotations

import json
from typing import Any


class MalformedBody(ValueError):
    """The body is not JSON; the message says why."""


def read_json_body(raw: bytes) -> Any:
    if not raw.strip():
        raise MalformedBody("the body is empty; send a JSON document")
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise MalformedBody("the body is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise MalformedBody(f"body is not valid JSON: {error}") from None
    except RecursionError:
        raise MalformedBody("body is nested too deeply") from None
