"""Files users hand to the command line: settings documents and events, named in every message."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

STDIN = Path("-")


class InputFileError(ValueError):
    """A settings or events file that cannot be used; the message names file, line and problem."""


def read_json_file(path: Path) -> Any:
    """One JSON document from a file, or from standard input when the path is ``-``."""
    name = "<stdin>" if path == STDIN else str(path)
    try:
        text = sys.stdin.read() if path == STDIN else path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputFileError(f"{name}: cannot be read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise InputFileError(f"{name}: not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputFileError(f"{name}:{error.lineno}: not valid JSON ({error.msg})") from None
