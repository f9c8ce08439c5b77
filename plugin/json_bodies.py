"""The one reader of JSON request bodies: every entry point answers a bad body the same way."""

from __future__ import annotations

import json
import math
import sys
from typing import Any


class MalformedBody(ValueError):
    """The body is not JSON; the message says why."""


def read_json_body(raw: bytes) -> Any:
    """The body as JSON, strictly: NaN and Infinity are not JSON (and no store can keep them)."""
    if not raw.strip():
        raise MalformedBody("the body is empty; send a JSON document")
    try:
        return json.loads(raw, parse_constant=_not_json, parse_float=_finite, parse_int=_whole)
    except UnicodeDecodeError:
        raise MalformedBody("the body is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise MalformedBody(f"body is not valid JSON: {error}") from None
    except RecursionError:
        raise MalformedBody("body is nested too deeply") from None


def _finite(text: str) -> float:
    number = float(text)
    if number in (math.inf, -math.inf):
        raise MalformedBody(f"body is not valid JSON: the number {text[:40]} is too large")
    return number


def _whole(text: str) -> int:
    """Python reads at most ``sys.get_int_max_str_digits()`` digits (4,300) of a number, and says so
    with a bare ValueError: a body that holds a longer one is refused here, by name."""
    if len(text.lstrip("-")) > sys.get_int_max_str_digits():
        raise MalformedBody(f"body is not valid JSON: the number {text[:20]}… has more than "
                            f"{sys.get_int_max_str_digits():,} digits")
    return int(text)


def _not_json(constant: str) -> Any:
    raise MalformedBody(f"body is not valid JSON: {constant} is not a JSON value")
