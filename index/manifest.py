"""The manifest that describes a built index, and the check that it still matches the notes."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from corpus.errors import InputError
from corpus.loading import NotesFolder

# 2: BM25 counts index terms (English words stemmed, without stop words).
FORMAT_VERSION = 2
MANIFEST_NAME = "manifest.json"
_FIELD_TYPES = {"int": int, "str": str, "dict": dict, "dict[str, str]": dict}
_GENERATION = re.compile(r"gen-[\w.-]+")


class StaleIndexError(InputError):
    """The index no longer matches its notes, embedder or format."""


@dataclass(frozen=True)
class Manifest:
    """What an index was built from; `generation` names the folder that holds its files."""

    format_version: int
    embedder: str
    dim: int
    chunker: dict
    notes_dir: str
    files: dict[str, str]
    generation: str
    checksums: dict[str, str]
    chunk_count: int
    index_kind: str
    skipped: dict[str, str] = field(default_factory=dict)
    created_at: str = ""
    # index.bm25.BM25_TERMS at build time; 1 for manifests written before the field.
    bm25_terms: int = 1

    def _checked(self) -> "Manifest":
        """Self, or TypeError/ValueError for a manifest that parses as JSON but is damaged or hand-edited."""
        for f in fields(self):
            value, kind = getattr(self, f.name), _FIELD_TYPES.get(f.type, object)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise TypeError(f"{f.name} is {type(value).__name__}, not {kind.__name__}")
            if kind is dict and f.name != "chunker" and not all(isinstance(v, str) for v in (*value, *value.values())):
                raise TypeError(f"{f.name} must map names to strings")
        # The generation names a folder inside the index; anything else could point reads anywhere on disk.
        if not _GENERATION.fullmatch(self.generation):
            raise ValueError(f"generation {self.generation!r} is not a folder of this index")
        return self

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True)

    @classmethod
    def from_path(cls, path: Path) -> "Manifest":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data)._checked()
        except (OSError, ValueError, TypeError) as exc:
            raise StaleIndexError(
                f"the index manifest {path} is unreadable ({exc.__class__.__name__}); "
                "run `python -m assistant index --rebuild`"
            ) from exc


def notes_changes(manifest: Manifest, notes: NotesFolder) -> list[str]:
    """Human-readable differences between the indexed notes and the notes on disk now."""
    now = {d.source: d.sha256 for d in notes.documents}
    changes = [f"{s} edited" for s in sorted(now) if s in manifest.files and manifest.files[s] != now[s]]
    changes += [f"{s} added" for s in sorted(set(now) - set(manifest.files))]
    changes += [f"{s} removed" for s in sorted(set(manifest.files) - set(now))]
    return changes


def check_compatible(manifest: Manifest, index_dir: Path) -> None:
    """StaleIndexError unless this code can read an index with this manifest."""
    if manifest.format_version != FORMAT_VERSION:
        raise StaleIndexError(
            f"the index in {index_dir} has format {manifest.format_version}, this version reads {FORMAT_VERSION}; "
            "run `python -m assistant index --rebuild`"
        )


def check_fresh(manifest: Manifest, notes: NotesFolder, index_dir: Path) -> None:
    """StaleIndexError naming the changed files if the notes changed since the index was built."""
    changes = notes_changes(manifest, notes)
    if changes:
        shown = ", ".join(changes[:5]) + (f" and {len(changes) - 5} more" if len(changes) > 5 else "")
        raise StaleIndexError(
            f"the index in {index_dir} is stale: {shown} since it was built; "
            f"run `python -m assistant index --notes {manifest.notes_dir} --index-dir {index_dir}` to update it"
        )
