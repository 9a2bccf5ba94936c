"""Read a notes folder (Markdown, text, HTML, PDF, Word) safely: skip what can't be read, never leave the folder."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from corpus import readers
from corpus.errors import InputError
from corpus.readers import Part, UnreadableFile

NOTE_SUFFIXES = readers.SUFFIXES
MAX_FILE_BYTES = 5 * 1024 * 1024  # for Markdown and text; each other format has its own limit (corpus.readers.FORMATS)


@dataclass(frozen=True)
class Document:
    """One notes file: its path relative to the notes folder, its text and the sha256 of its bytes.

    `text` is Markdown-like whatever the file's format. `title` and `tags` are what the file declares (front matter,
    a page's title); `parts`, when a reader gives them, are the sections with their locations (PDF pages).
    """

    source: str
    text: str
    sha256: str
    title: str = ""
    tags: tuple[str, ...] = ()
    parts: tuple[Part, ...] = ()


@dataclass(frozen=True)
class Skipped:
    """A notes file that was not indexed, and why."""

    source: str
    reason: str


@dataclass(frozen=True)
class NotesFolder:
    """What a notes folder yielded: the readable documents and the skipped files."""

    root: Path
    documents: tuple[Document, ...]
    skipped: tuple[Skipped, ...]


def note_paths(root: Path) -> list[Path]:
    """Note files under `root`, sorted, without following symlinks out of it or into loops."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or readers.format_for(name) is None:
                continue
            found.append(Path(dirpath) / name)
    return found


def read_document(root: Path, path: Path, max_bytes: int | None = None, reuse: Mapping[str, str] | None = None) -> Document | Skipped:
    """The file as a Document, or Skipped with the reason it can't be used.

    `max_bytes` overrides the format's size limit. A converted file (HTML, PDF, Word) whose bytes still hash to
    `reuse[source]` is not converted again: its Document has the hash and no text, which is all a freshness check needs.
    """
    source = path.relative_to(root).as_posix()
    kind = readers.format_for(path.name)
    if kind is None:
        return Skipped(source, "is not a notes format this assistant reads")
    max_bytes = kind.max_bytes if max_bytes is None else max_bytes
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        # The name came from undecodable bytes; it could not be stored in the index or printed as UTF-8.
        shown = source.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return Skipped(shown, "has a file name that is not valid UTF-8; rename it")
    try:
        real = path.resolve(strict=True)
    except FileNotFoundError:
        return Skipped(source, "is a broken symlink or was deleted while indexing")
    except (OSError, RuntimeError) as exc:  # Python 3.11 reports a symlink loop as RuntimeError
        return Skipped(source, f"cannot be resolved ({exc.strerror if isinstance(exc, OSError) else 'a symlink loop'})")
    if not real.is_relative_to(root.resolve()):
        return Skipped(source, "is a symlink that points outside the notes folder; not followed")
    try:
        # O_NONBLOCK: opening a named pipe must not hang; fstat then tells what was actually opened.
        with open(os.open(real, os.O_RDONLY | os.O_NONBLOCK), "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                return Skipped(source, "is not a regular file (a pipe, socket or device); not read")
            if info.st_size > max_bytes:
                return Skipped(source, f"is {info.st_size / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB per file")
            data = handle.read()
    except OSError as exc:
        return Skipped(source, f"cannot be read ({exc.strerror or exc.__class__.__name__})")
    if kind.text or kind.name == "HTML":
        if b"\x00" in data:
            return Skipped(source, "looks binary (contains NUL bytes)")
    if kind.text:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return Skipped(source, f"is not UTF-8 (byte {exc.start}); save it as UTF-8")
        if not text.strip():
            return Skipped(source, "is empty")
    elif not data.strip():
        return Skipped(source, "is empty")
    sha256 = hashlib.sha256(data).hexdigest()
    if not kind.text and reuse is not None and reuse.get(source) == sha256:
        return Document(source=source, text="", sha256=sha256)
    try:
        reading = readers.read(data, path.name)
    except UnreadableFile as exc:
        return Skipped(source, str(exc))
    return Document(source=source, text=reading.text, sha256=sha256, title=reading.title, tags=reading.tags,
                    parts=reading.parts)


def load_notes(root: Path | str, reuse: Mapping[str, str] | None = None) -> NotesFolder:
    """Every usable note under `root`; InputError if the folder is missing or holds no usable note.

    With `reuse` (source -> sha256, e.g. an index manifest's files), converted files that did not change are only
    hashed, not read again (see `read_document`): for checking an index's freshness, not for indexing.
    """
    root = Path(root)
    if not root.exists():
        raise InputError(f"notes folder not found: {root}")
    if not root.is_dir():
        raise InputError(f"notes path is not a folder: {root}")
    paths = note_paths(root)
    if not paths:
        raise InputError(f"notes folder {root} has no notes files ({', '.join(NOTE_SUFFIXES)})")
    documents: list[Document] = []
    skipped: list[Skipped] = []
    for path in paths:
        result = read_document(root, path, reuse=reuse)
        (documents if isinstance(result, Document) else skipped).append(result)
    if not documents:
        reasons = "; ".join(f"{s.source} {s.reason}" for s in skipped[:3])
        raise InputError(f"notes folder {root} has no readable notes: {reasons}")
    return NotesFolder(root=root, documents=tuple(documents), skipped=tuple(skipped))
