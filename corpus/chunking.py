"""Split notes into chunks by heading, then paragraph, line and sentence, never cutting a sentence or table row."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass

from corpus.loading import Document
from corpus.text import has_words

HEADING_SEPARATOR = " > "
SENTENCE_ENDS = "。！？!?"
SENTENCE_CLOSERS = "」』）)]】"
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# A longer "heading" line is treated as text: every chunk below a heading carries its path, and a path of a
# megabyte would be copied into each chunk and each embedding.
MAX_HEADING_CHARS = 300
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class ChunkerSettings:
    """Chunk size in characters. 400 keeps a chunk well inside e5-small's 512-token limit."""

    max_chars: int = 400

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Chunk:
    """A piece of one note under one heading path; `id` is a stable hash of its content.

    `location` says where in the file the chunk is when the heading path can't (a PDF's "p. 3"); `tags` are the
    note's own (front matter). Neither enters the id, so a Markdown note's chunk ids are what they always were.
    """

    id: str
    source: str
    heading_path: str
    text: str
    location: str = ""
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.tags, tuple):  # read back from JSON as a list
            object.__setattr__(self, "tags", tuple(self.tags))

    def as_record(self) -> dict:
        """The chunk as stored in an index: the optional fields only when set."""
        record = {"id": self.id, "source": self.source, "heading_path": self.heading_path, "text": self.text}
        if self.location:
            record["location"] = self.location
        if self.tags:
            record["tags"] = list(self.tags)
        return record

    @property
    def place(self) -> str:
        """Where the chunk is in its file, for a citation: the page of a PDF, otherwise the heading path."""
        return self.location or self.heading_path

    def embedding_text(self) -> str:
        """What the embedder sees: the heading path gives the chunk its topic."""
        return f"{self.heading_path}\n{self.text}" if self.heading_path else self.text

    def bm25_text(self, named: bool = True) -> str:
        """What BM25 sees: the embedding text, `named` under the note's name (its file name without the extension:
        date.1), so that a question naming the note (「date コマンドの作者は？」) finds a short section that never
        repeats the name (「作者 David MacKenzie。」). A folder of one note leaves it out: there the name tells no
        chunk apart, and it would make the question's words it shares (MLA-C01) count for nothing."""
        return f"{note_name(self.source)}\n{self.embedding_text()}" if named else self.embedding_text()

    def sentence_texts(self) -> list[str]:
        """What the embedder sees of each sentence when answers are narrowed to one (see `sentence_text`)."""
        return [sentence_text(self.heading_path, s) for s in units(self.text)]


def sentence_text(heading_path: str, sentence: str) -> str:
    """A sentence with its heading path: short rows ("| 試験時間 | 90分 |") get the topic that they alone lack."""
    return f"{heading_path}: {sentence}" if heading_path else sentence


_TABLE_RULE = re.compile(r"\s*\|?[\s:|-]+\|?\s*")


def units(text: str) -> list[str]:
    """The sentences of a chunk: lines first (table rows, list items), then sentences within a line."""
    found = []
    for line in text.split("\n"):
        if not has_words(line) or _TABLE_RULE.fullmatch(line):
            continue
        found.extend(s.strip() for s in split_sentences(line.strip()) if has_words(s))
    return found


@dataclass(frozen=True)
class Section:
    headings: tuple[str, ...]
    body: str
    location: str = ""


@dataclass(frozen=True)
class _Piece:
    separator: str
    text: str


def split_sections(text: str, title: str) -> list[Section]:
    """Sections by Markdown heading. A single H1 is the document's title and is left out of paths."""
    lines = text.split("\n")
    in_fence = False
    headings: list[tuple[int, str, int]] = []
    for number, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and len(line) <= MAX_HEADING_CHARS and (match := _HEADING.match(line)):
            headings.append((len(match.group(1)), match.group(2).strip(), number))
    drop_h1 = sum(1 for level, _, _ in headings if level == 1) == 1
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    start = 0
    for level, name, number in [*headings, (0, "", len(lines))]:
        path = tuple(n for lvl, n in stack if not (drop_h1 and lvl == 1)) or (title,)
        body = "\n".join(lines[start:number]).strip("\n")
        if body.strip():
            sections.append(Section(path, body))
        if level:
            stack = [(lvl, n) for lvl, n in stack if lvl < level] + [(level, name)]
        start = number + 1
    return sections


# Abbreviations whose full stop sits inside an English sentence ("e.g. 4096 bytes", "Dr. Smith").
ENGLISH_ABBREVIATIONS = frozenset("e.g i.e etc cf vs al approx esp resp fig no nos vol dr mr mrs ms st jr sr".split())
# What may close an English sentence after its full stop: quotes, brackets, emphasis marks ("Stop." **Done.**).
_ENGLISH_CLOSERS = "\"')]*_"
_LAST_WORD = re.compile(r"([A-Za-z][A-Za-z.]*)$")


def _ends_english_sentence(line: str, i: int) -> bool:
    """Does the full stop at `i` end an English sentence? Only before a space and a word that does not start in lower
    case (a sentence goes on after "e.g. fine"), and not after an abbreviation (e.g., Dr.); 2.6.11 and file.txt go on."""
    j = i + 1
    while j < len(line) and line[j] in _ENGLISH_CLOSERS:
        j += 1
    if j >= len(line) or line[j] != " ":
        return False
    rest = line[j:].lstrip(" ")
    if rest[:1].islower():
        return False
    word = _LAST_WORD.search(line[:i])
    return not (word and word.group(1).lower() in ENGLISH_ABBREVIATIONS)


def split_sentences(line: str) -> list[str]:
    """The line cut after 。！？!? (with any closing brackets), or at the end of an English sentence ('. ' before a
    word that does not start in lower case, past closing quotes; not after e.g. or Dr.)."""
    sentences: list[str] = []
    start = 0
    i = 0
    while i < len(line):
        char = line[i]
        ends = char in SENTENCE_ENDS or (char == "." and _ends_english_sentence(line, i))
        if ends:
            i += 1
            while i < len(line) and (line[i] in SENTENCE_ENDS or line[i] in SENTENCE_CLOSERS
                                     or (char == "." and line[i] in _ENGLISH_CLOSERS)):
                i += 1
            while i < len(line) and line[i] == " ":
                i += 1
            sentences.append(line[start:i])
            start = i
        else:
            i += 1
    if start < len(line):
        sentences.append(line[start:])
    return sentences


def _blocks(body: str) -> list[tuple[str, list[str]]]:
    """The body as ("table" | "code" | "text", lines) blocks; blank lines separate text blocks."""
    blocks: list[tuple[str, list[str]]] = []
    kind, current = "", []

    def flush() -> None:
        nonlocal kind, current
        if current:
            blocks.append((kind, current))
        kind, current = "", []

    in_fence = False
    for line in body.split("\n"):
        if in_fence:
            current.append(line)
            if _FENCE.match(line):
                in_fence = False
                flush()
            continue
        if _FENCE.match(line):
            flush()
            kind, current, in_fence = "code", [line], True
        elif line.lstrip().startswith("|"):
            if kind != "table":
                flush()
                kind = "table"
            current.append(line)
        elif not line.strip():
            flush()
        else:
            if kind != "text":
                flush()
                kind = "text"
            current.append(line)
    flush()
    return blocks


def _hard_split(text: str, max_chars: int) -> list[str]:
    return [text[i : i + max_chars] for i in range(0, len(text), max_chars)]


def _pack(units: list[_Piece], max_chars: int) -> list[str]:
    """Greedily join pieces, each with its separator, into texts of at most max_chars."""
    packed: list[str] = []
    current = ""
    for unit in units:
        candidate = current + unit.separator + unit.text if current else unit.text
        if len(candidate) <= max_chars or not current:
            current = candidate
        else:
            packed.append(current)
            current = unit.text
    if current:
        packed.append(current)
    return packed


def _table_pieces(lines: list[str], max_chars: int) -> list[str]:
    """A table as pieces of whole rows; every piece repeats the header and its separator row.

    The size limit wins over whole rows: a row too long to fit beside the header is split like a text line, and a
    header longer than half the limit is not repeated at all (the table is then split like text).
    """
    has_separator = len(lines) > 1 and re.fullmatch(r"\s*\|?[\s:|-]+\|?\s*", lines[1]) is not None
    header = lines[:2] if has_separator else lines[:1]
    rows = lines[len(header) :]
    head = "\n".join(header)
    room = max_chars - len(head) - 1
    if room < max_chars // 2 or not rows:
        return _pack([p for line in lines for p in _line_pieces(line, max_chars)], max_chars)
    groups = _pack([p for row in rows for p in _line_pieces(row, room)], room)
    return [f"{head}\n{group}" for group in groups]


def _line_pieces(line: str, max_chars: int) -> list[_Piece]:
    if len(line) <= max_chars:
        return [_Piece("\n", line)]
    pieces: list[_Piece] = []
    for n, sentence in enumerate(split_sentences(line)):
        separator = "\n" if n == 0 else ""
        for m, part in enumerate(_hard_split(sentence, max_chars) if len(sentence) > max_chars else [sentence]):
            pieces.append(_Piece(separator if m == 0 else "", part))
    return pieces


def _section_pieces(body: str, max_chars: int) -> list[_Piece]:
    pieces: list[_Piece] = []
    for kind, lines in _blocks(body):
        text = "\n".join(lines)
        if len(text) <= max_chars:
            pieces.append(_Piece("\n\n", text))
        elif kind == "table":
            pieces.extend(_Piece("\n\n", t) for t in _table_pieces(lines, max_chars))
        else:
            block = [p for line in lines for p in _line_pieces(line, max_chars)]
            block[0] = _Piece("\n\n", block[0].text)
            pieces.extend(block)
    return pieces


def chunk_id(source: str, heading_path: str, text: str, occurrence: int = 0) -> str:
    """A stable content hash; `occurrence` tells apart identical chunks in one file."""
    digest = hashlib.sha256(f"{source}\x1f{heading_path}\x1f{text}\x1f{occurrence}".encode()).hexdigest()
    return digest[:16]


def note_name(source: str) -> str:
    """A note's file name without folder and extension (date.1 of man/date.1.md): its title when it has none."""
    return source.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def chunk_document(document: Document, settings: ChunkerSettings = ChunkerSettings()) -> list[Chunk]:
    """The document's chunks in reading order."""
    title = document.title or note_name(document.source)
    chunks: list[Chunk] = []
    seen: dict[tuple[str, str], int] = {}
    sections = ([Section(p.headings or (title,), p.body, p.location) for p in document.parts] if document.parts
                else split_sections(document.text, title))
    for section in sections:
        heading_path = HEADING_SEPARATOR.join(section.headings)
        for text in _pack(_section_pieces(section.body, settings.max_chars), settings.max_chars):
            text = text.strip("\n")
            if not text.strip():
                continue
            key = (heading_path, text)
            occurrence = seen.get(key, 0)
            seen[key] = occurrence + 1
            chunks.append(Chunk(chunk_id(document.source, heading_path, text, occurrence), document.source, heading_path, text,
                                section.location, document.tags))
    return chunks
