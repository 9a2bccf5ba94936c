"""Readers by file suffix: each turns a file's bytes into Markdown-like text (PDF: sections with their pages).

A reader is a module with `read(data: bytes, name: str) -> Reading` that raises UnreadableFile for a file it can't use.
Its library is imported only when a file of its kind is read, so start-up stays fast.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

MB = 2**20


@dataclass(frozen=True)
class Part:
    """A stretch of a document under one heading path at one place in the file, e.g. ("第1章", "1.1 概要") on p. 3."""

    headings: tuple[str, ...]
    body: str
    location: str


@dataclass(frozen=True)
class Reading:
    """What a reader made of a file: Markdown-like text, the title and tags it declares, and optional located parts.

    When `parts` is set the chunker uses them as the sections (each keeps its location); otherwise it splits `text`
    by its Markdown headings.
    """

    text: str
    title: str = ""
    tags: tuple[str, ...] = ()
    parts: tuple[Part, ...] = ()


class UnreadableFile(Exception):
    """The file can't be indexed; the message says why, as a phrase that follows the file's name."""


@dataclass(frozen=True)
class Format:
    """One kind of notes file: its reader module, the largest file it reads, and whether its bytes must be UTF-8 text."""

    name: str
    module: str
    max_bytes: int
    text: bool


_MARKDOWN = Format("Markdown", "corpus.readers.markdown", 5 * MB, True)
FORMATS: dict[str, Format] = {
    ".md": _MARKDOWN,
    ".markdown": _MARKDOWN,
    ".txt": Format("text", "corpus.readers.plain", 5 * MB, True),
    # Saved pages carry scripts and styles; the text itself is rarely over 1 MB.
    ".html": Format("HTML", "corpus.readers.html", 10 * MB, False),
    ".htm": Format("HTML", "corpus.readers.html", 10 * MB, False),
    ".pdf": Format("PDF", "corpus.readers.pdf", 50 * MB, False),
    ".docx": Format("Word", "corpus.readers.docx", 25 * MB, False),
}
SUFFIXES = tuple(FORMATS)


def format_for(name: str) -> Format | None:
    """The format of a file name by its suffix (any case), or None for a file that is not read."""
    dot = name.rfind(".")
    return FORMATS.get(name[dot:].lower()) if dot > 0 else None


def read(data: bytes, name: str) -> Reading:
    """The file's Reading; UnreadableFile if its reader can't use it."""
    kind = format_for(name)
    if kind is None:
        raise UnreadableFile("is not a notes format this assistant reads")
    reader = importlib.import_module(kind.module)
    try:
        reading = reader.read(data, name)
    except UnreadableFile:
        raise
    except RecursionError:
        raise UnreadableFile(f"is nested too deeply to be read as {kind.name}") from None
    except Exception as exc:  # noqa: BLE001 - parsers raise anything on damaged input; one bad file must not stop the rest
        detail = str(exc).strip().split("\n")[0][:120]
        raise UnreadableFile(f"cannot be read as {kind.name} ({exc.__class__.__name__}{': ' + detail if detail else ''})") from exc
    if not reading.text.strip():
        raise UnreadableFile(f"has no text once read as {kind.name}")
    return reading
