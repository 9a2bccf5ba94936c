"""Plain text notes (.txt): read as they are; a line starting with # is a heading, as in Markdown."""

from __future__ import annotations

from corpus.readers import Reading


def read(data: bytes, name: str) -> Reading:
    return Reading(text=decode_text(data))


def decode_text(data: bytes) -> str:
    """UTF-8 text (a BOM dropped) with Unix line ends; the loader has already checked that it decodes."""
    return data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
