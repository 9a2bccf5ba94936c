"""Read a notes folder (*.md, *.txt) safely: skip what can't be read, never leave the folder."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from corpus.errors import InputError

NOTE_SUFFIXES = (".md", ".txt")
MAX_FILE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Document:
    """One notes file: its path relative to the notes folder, its text and the sha256 of its bytes."""

    source: str
    text: str
    sha256: str


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
            if name.startswith(".") or not name.lower().endswith(NOTE_SUFFIXES):
                continue
            found.append(Path(dirpath) / name)
    return found


def read_document(root: Path, path: Path, max_bytes: int = MAX_FILE_BYTES) -> Document | Skipped:
    """The file as a Document, or Skipped with the reason it can't be used."""
    source = path.relative_to(root).as_posix()
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
    if b"\x00" in data:
        return Skipped(source, "looks binary (contains NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Skipped(source, f"is not UTF-8 (byte {exc.start}); save it as UTF-8")
    if not text.strip():
        return Skipped(source, "is empty")
    return Document(source=source, text=text.replace("\r\n", "\n").replace("\r", "\n"), sha256=hashlib.sha256(data).hexdigest())


def load_notes(root: Path | str) -> NotesFolder:
    """Every usable note under `root`; InputError if the folder is missing or holds no usable note."""
    root = Path(root)
    if not root.exists():
        raise InputError(f"notes folder not found: {root}")
    if not root.is_dir():
        raise InputError(f"notes path is not a folder: {root}")
    paths = note_paths(root)
    if not paths:
        raise InputError(f"notes folder {root} has no .md or .txt files")
    documents: list[Document] = []
    skipped: list[Skipped] = []
    for path in paths:
        result = read_document(root, path)
        (documents if isinstance(result, Document) else skipped).append(result)
    if not documents:
        reasons = "; ".join(f"{s.source} {s.reason}" for s in skipped[:3])
        raise InputError(f"notes folder {root} has no readable notes: {reasons}")
    return NotesFolder(root=root, documents=tuple(documents), skipped=tuple(skipped))
