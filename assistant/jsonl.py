"""Reading JSONL files (batch input and output, gold sets): lines split on newlines only, each parsed or its error kept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.errors import InputError


@dataclass(frozen=True)
class JsonLine:
    """One non-blank line: its number (from 1), the parsed value, or why it is not JSON."""

    number: int
    value: Any = None
    error: str | None = None


def read_text(path: Path, what: str, folder_hint: str = "give a file") -> str:
    """The file's UTF-8 text (a BOM is dropped); InputError naming `what` if it is missing, a folder or not UTF-8."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"{what} {path} is a folder; {folder_hint}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} {path} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror}") from None


def text_lines(text: str) -> list[str]:
    # Only "\n" ends a line: str.splitlines() would also split inside a JSON string holding U+2028 or U+0085.
    return text.split("\n")


def json_lines(text: str) -> Iterator[JsonLine]:
    """Each non-blank line of `text` parsed as JSON."""
    for number, line in enumerate(text_lines(text), start=1):
        if not line.strip():
            continue
        try:
            yield JsonLine(number, json.loads(line))
        except json.JSONDecodeError as exc:
            yield JsonLine(number, error=f"not valid JSON ({exc.msg})")


def read_json_lines(path: Path, what: str, folder_hint: str = "give a .jsonl file") -> Iterator[JsonLine]:
    """The parsed lines of a JSONL file; InputError if the file cannot be read."""
    return json_lines(read_text(path, what, folder_hint))
