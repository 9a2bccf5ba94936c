"""The facts a chunk states in a shape a question can be made from: tables, lists, term–definition lines,
enumerations, definitions under a heading, and sentences that name a term of the notes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.chunking import Chunk, split_sentences
from corpus.text import KANJI, KATAKANA, LATIN_DIGITS, comparable, has_words, inline_plain, nfkc

_FENCE = re.compile(r"^\s*(```|~~~)")
_RULE = re.compile(r"\s*\|?[\s:|-]+\|?\s*")
_BULLET = re.compile(r"^\s*(?:[-*+・]|(\d+)[.)．])\s+(.*\S)\s*$")
_NOTE_LINE = re.compile(r"^\s*※\s*(.*\S)\s*$")
_TERM_DEF = re.compile(r"^(?P<term>[^:：=＝。、]{1,30}?)\s*[:：=＝]\s*(?P<definition>\S.*)$")
_ORDINAL = re.compile(r"^\s*(?:第\s*(\d+)\s*[^\s:：]{0,3}\s*[:：]\s*|(\d+)[.)．]\s+)(.+)$")
_NUMBER_UNIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%|％)\s*$")
_HEADING_MARK = re.compile(r"^[◼︎■□◆◇●○▼▶▸\s]+")
_TERM_CHARS = f"{KANJI}{KATAKANA}{LATIN_DIGITS}ー・\\-_/.+&"
_TRAILING_WORD = re.compile(f"[{_TERM_CHARS}]+$")
_LEADING_WORD = re.compile(f"^[{_TERM_CHARS}]+")
_WHOLE_WORD = re.compile(f"^[{_TERM_CHARS}]+$")
# Words that mark an enumeration as a sequence of steps rather than a set.
SEQUENCE_CUES = ("一連", "流れ", "手順", "順に", "順序", "プロセス", "パイプライン", "ライフサイクル", "ステップ", "段階")


def clean_term(text: str) -> str:
    """A table cell, list item or heading as a term: no inline Markdown, no line-break tags, no heading marks."""
    text = inline_plain(text).split("<br>")[0]
    return _HEADING_MARK.sub("", text).strip(" ・\t")


def clean_text(text: str) -> str:
    return inline_plain(text).replace("<br>", " ").strip()


def heading_term(heading: str) -> str:
    return re.sub(r"^\d+[.)．]\s*", "", clean_term(heading))


def is_term(text: str, max_chars: int = 30) -> bool:
    """Short, no sentence end, carries words: a name rather than a statement."""
    return 1 <= len(text) <= max_chars and has_words(text) and not re.search(r"[。！？!?]", text)


@dataclass(frozen=True)
class Table:
    chunk: Chunk
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    raw_rows: tuple[str, ...]
    lines: tuple[str, ...]


@dataclass(frozen=True)
class ListBlock:
    chunk: Chunk
    lead: str
    items: tuple[str, ...]
    tail: str
    ordered: bool
    lines: tuple[str, ...]  # lead, the items and tail, as in the chunk
    raw_items: tuple[str, ...]


@dataclass(frozen=True)
class TermDef:
    chunk: Chunk
    term: str
    definition: str
    line: str
    group: str


@dataclass(frozen=True)
class Enumeration:
    chunk: Chunk
    sentence: str
    items: tuple[str, ...]
    start: int  # where the first item starts in the sentence
    end: int  # where the last item ends
    sequence: bool


@dataclass(frozen=True)
class Definition:
    """The first sentence of a section that defines the section's heading without naming it."""

    chunk: Chunk
    term: str
    sentence: str
    heading_line: str


@dataclass(frozen=True)
class ChunkFacts:
    chunk: Chunk
    tables: tuple[Table, ...]
    lists: tuple[ListBlock, ...]
    term_defs: tuple[TermDef, ...]
    sentences: tuple[str, ...]
    enumerations: tuple[Enumeration, ...]
    definition: Definition | None


def _split_cells(line: str) -> tuple[str, ...]:
    inner = line.strip()
    if inner.startswith("|"):
        inner = inner[1:]
    if inner.endswith("|"):
        inner = inner[:-1]
    return tuple(cell.strip() for cell in inner.split("|"))


def _blocks(lines: list[str]) -> list[tuple[str, list[int]]]:
    """(kind, line numbers) blocks: "table", "list", "code", "text", "blank"."""
    blocks: list[tuple[str, list[int]]] = []
    in_fence = False
    for number, line in enumerate(lines):
        if in_fence or _FENCE.match(line):
            kind = "code"
            if _FENCE.match(line):
                in_fence = not in_fence
        elif line.lstrip().startswith("|"):
            kind = "table"
        elif _BULLET.match(line) or _NOTE_LINE.match(line):
            kind = "list"
        elif not line.strip():
            kind = "blank"
        else:
            kind = "text"
        if blocks and blocks[-1][0] == kind and kind != "text":
            blocks[-1][1].append(number)
        else:
            blocks.append((kind, [number]))
    return blocks


def _neighbour_text(lines: list[str], blocks, at: int, step: int) -> int | None:
    """The line number of the text line next to block `at` (skipping one blank block), or None."""
    j = at + step
    if 0 <= j < len(blocks) and blocks[j][0] == "blank":
        j += step
    if 0 <= j < len(blocks) and blocks[j][0] == "text":
        numbers = blocks[j][1]
        return numbers[-1] if step < 0 else numbers[0]
    return None


def _table(chunk: Chunk, lines: list[str], numbers: list[int]) -> Table | None:
    raw = [lines[n] for n in numbers]
    if len(raw) < 3 or not _RULE.fullmatch(raw[1]):
        return None
    header = tuple(clean_text(c) for c in _split_cells(raw[0]))
    rows, raw_rows = [], []
    for line in raw[2:]:
        cells = _split_cells(line)
        if len(cells) != len(header):
            return None
        rows.append(cells)
        raw_rows.append(line)
    return Table(chunk, header, tuple(rows), tuple(raw_rows), tuple(raw))


def _list_block(chunk: Chunk, lines: list[str], blocks, at: int) -> tuple[ListBlock | None, list[TermDef]]:
    numbers = blocks[at][1]
    items, raw_items, ordered, term_defs = [], [], [], []
    group = f"{chunk.id}:{numbers[0]}"
    for n in numbers:
        line = lines[n]
        match = _BULLET.match(line)
        note = _NOTE_LINE.match(line) if not match else None
        text = clean_text(match.group(2) if match else note.group(1))
        ordered.append(bool(match and match.group(1)))
        pair = _TERM_DEF.match(text)
        if pair and is_term(pair.group("term").strip(), 25) and len(pair.group("definition")) >= 4:
            term_defs.append(TermDef(chunk, clean_term(pair.group("term")), pair.group("definition").strip(), line, group))
        items.append(text)
        raw_items.append(line)
    if term_defs and len(term_defs) == len(items):
        return None, term_defs
    lead_at = _neighbour_text(lines, blocks, at, -1)
    tail_at = _neighbour_text(lines, blocks, at, +1)
    lead = lines[lead_at].strip() if lead_at is not None else ""
    tail = lines[tail_at].strip() if tail_at is not None else ""
    # A lead that ends a sentence belongs to the paragraph before, not to this list.
    if lead.endswith("。"):
        lead, lead_at = "", None
    if tail and not re.match(r"^[ぁ-ゖ]", tail):  # 「…がある。」「…の3つに分けられる。」 continue the lead's sentence
        tail, tail_at = "", None
    first = lead_at if lead_at is not None else numbers[0]
    last = tail_at if tail_at is not None else numbers[-1]
    block_lines = tuple(lines[first : last + 1])
    return ListBlock(chunk, lead, tuple(items), tail, all(ordered), block_lines, tuple(raw_items)), term_defs


def enumerations(chunk: Chunk, sentence: str) -> list[Enumeration]:
    """Runs of three to five words joined by 、 inside one sentence."""
    found = []
    parts = sentence.split("、")
    if len(parts) < 3:
        return found
    i = 0
    while i < len(parts) - 2:
        first = _TRAILING_WORD.search(parts[i])
        if not first:
            i += 1
            continue
        j = i + 1
        while j < len(parts) - 1 and _WHOLE_WORD.match(parts[j]) and len(parts[j]) <= 12:
            j += 1
        last = _LEADING_WORD.match(parts[j])
        count = j - i + 1
        if last and 3 <= count <= 5:
            items = [first.group(0), *parts[i + 1 : j], last.group(0)]
            if all(1 < len(x) <= 15 for x in items) and len({comparable(x) for x in items}) == len(items):
                start = len("、".join(parts[:i])) + (1 if i else 0) + first.start()
                end = len("、".join(parts[:j])) + 1 + last.end()
                seq = any(cue in sentence for cue in SEQUENCE_CUES)
                found.append(Enumeration(chunk, sentence, tuple(items), start, end, seq))
            i = j + 1
        else:
            i += 1
    return found


def _definition(chunk: Chunk, lines: list[str], blocks) -> Definition | None:
    term = heading_term(chunk.heading_path.split(" > ")[-1]) if chunk.heading_path else ""
    if not term or not is_term(term, 40) or not blocks or blocks[0][0] != "text":
        return None
    first_line = lines[blocks[0][1][0]].strip()
    sentence = split_sentences(first_line)[0].strip()
    if len(sentence) < 10 or comparable(term) in comparable(sentence):
        return None
    # 「The following calls …:」 introduces what comes next, 「(The latter …)」 continues the last: neither defines.
    if re.search(r"[:：]$", sentence) or not re.match(r"\w", inline_plain(sentence)):
        return None
    return Definition(chunk, term, sentence, chunk.heading_path.split(" > ")[-1])


def chunk_facts(chunk: Chunk) -> ChunkFacts:
    lines = chunk.text.split("\n")
    blocks = _blocks(lines)
    tables, lists, term_defs, sentences, enums = [], [], [], [], []
    for at, (kind, numbers) in enumerate(blocks):
        if kind == "table":
            table = _table(chunk, lines, numbers)
            if table:
                tables.append(table)
        elif kind == "list":
            block, pairs = _list_block(chunk, lines, blocks, at)
            term_defs.extend(pairs)
            if block:
                lists.append(block)
        if kind in ("text", "list"):
            for n in numbers:
                line = lines[n].strip()
                match = _BULLET.match(line) or _NOTE_LINE.match(line)
                body = match.groups()[-1] if match else line
                if line.startswith(">"):
                    body = line.lstrip("> ")
                for sentence in split_sentences(clean_text(body)):
                    sentence = sentence.strip()
                    if has_words(sentence):
                        sentences.append(sentence)
                        enums.extend(enumerations(chunk, sentence))
    return ChunkFacts(chunk, tuple(tables), tuple(lists), tuple(term_defs), tuple(sentences), tuple(enums),
                      _definition(chunk, lines, blocks))


def ordinal_of(cell: str) -> tuple[int, str] | None:
    """(number, rest) for cells such as "第 1 分野: データ準備" or "2. 学習"."""
    match = _ORDINAL.match(nfkc(cell))
    if not match:
        return None
    number = match.group(1) or match.group(2)
    rest = clean_text(match.group(3))
    # keep the rest as it is written in the cell, so that it is found in the evidence
    raw_rest = clean_text(cell)[-len(rest):] if rest and clean_text(cell).endswith(rest) else rest
    return int(number), raw_rest


def number_of(cell: str) -> tuple[float, str] | None:
    match = _NUMBER_UNIT.match(nfkc(clean_text(cell)))
    return (float(match.group(1)), match.group(2)) if match else None


# --- the author's own story: study log, plans, impressions ------------------------------------------------------------

# Headings of the parts of a write-up that tell the author's story rather than the subject: how they studied, what they
# used, how the exam went, what they felt. (Heading paths start below a document's title, so a title such as
# 「…受験時の記録」 is not judged.) Words that announce the notes themselves win: 「勉強になったことメモ」 holds the subject.
LOG_HEADING = re.compile(r"勉強|受験|試験準備|感想|所感|振り返り|反省|日記|使ったもの|使った教材|参考にした|前の状態|開始前"
                         r"|この記事|学習時間|学習記録|学習計画|スケジュール")
NOTES_HEADING = re.compile(r"メモ|ノート|まとめ|用語|勉強になった|学んだ")
# First-person plans, wishes and past narration in plain form (「…覚え直しておく」「…したい」「…予定」「…読み返した」);
# the polite forms (「…しました」) are caught by the builder's own check.
NARRATION = re.compile(r"(した|だった|かった|しまった|たい|たいと思う|ようと思う|と思う|予定|つもり|ておく|でおく|てみた|てみる)"
                       r"[。.!！]?$")


def is_log_heading(heading: str) -> bool:
    return bool(LOG_HEADING.search(heading)) and not NOTES_HEADING.search(heading)


def is_log_section(heading_path: str) -> bool:
    """True for a chunk under a heading of the author's study log, plans or impressions (see LOG_HEADING)."""
    parts = heading_path.split(" > ") if heading_path else []
    return any(is_log_heading(heading_term(h)) for h in parts)


def is_narration(sentence: str) -> bool:
    return bool(NARRATION.search(sentence.strip()))


# --- values and names inside a sentence: what a cloze can blank besides a glossary term -----------------------------

# Counters and units a number is written with (60秒, 99.5%, 10倍, 100MB, 65536 bytes); ¥ and $ come before it.
_UNITS = ("ミリ秒", "秒", "分", "時間", "日", "週間", "か月", "ヶ月", "カ月", "年", "回", "問", "点", "人", "件", "個", "倍",
          "文字", "バイト", "行", "%", "％", "円", "ドル", "USD", "ms", "KB", "MB", "GB", "TB", "KiB", "MiB", "GiB",
          "bytes", "byte", "bits", "bit", "seconds", "second", "minutes", "minute", "hours", "hour", "days", "day",
          "characters", "character", "percent")
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
# Not inside a name or a date (EC2, MLA-C01, Ver.1.4, 2025/02/13): no letter, digit or . / : _ - right before it.
_QUANTITY = re.compile(
    rf"(?<![A-Za-z0-9.,/:_\-])(?:(?P<pre>[¥$])(?P<pnum>{_NUMBER})|(?P<num>{_NUMBER}) ?(?P<unit>"
    + "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
    + r"))(?![A-Za-z0-9/])")


_RANGE = ("~", "〜", "～", "–", "-")


@dataclass(frozen=True)
class Span:
    text: str
    start: int
    end: int


def quantities(text: str) -> list[Span]:
    """The numbers of amounts in a text (the 60 of 「最大60秒」, the 20,000 of 「¥20,000」), as spans of the number only:
    the unit stays in the stem, so the blank asks for the amount (「最大____秒」 → 60). Calendar years are dates."""
    found = []
    for match in _QUANTITY.finditer(text):
        group = "pnum" if match.group("pnum") else "num"
        number = match.group(group)
        if match.group("unit") == "年" and float(number.replace(",", "")) >= 1900:
            continue
        # A bound of a range (the 100 and 1000 of 「100~1000点」) sets the scale; the amount stated is what is asked.
        if text[match.end(): match.end() + 1] in _RANGE or text[max(0, match.start() - 1): match.start()] in _RANGE:
            continue
        found.append(Span(number, match.start(group), match.end(group)))
    return found


# Names written as code: CamelCase (TensorFlow, EnableNetworkIsolation), ALL CAPS of three letters or more (REFRESH,
# SIGTERM, PIPE_BUF), snake_case (max_depth), options (--all). Markdown code and bold spans are names too.
_IDENTIFIER = re.compile(
    r"(?<![A-Za-z0-9_\-])(?:"
    r"[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+"  # CamelCase
    r"|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*[A-Z0-9]"  # ALL CAPS, SNAKE_CAPS
    r"|[a-z][a-z0-9]*(?:_[a-z0-9]+)+"  # snake_case
    r"|--?[A-Za-z][A-Za-z0-9\-]*"  # command-line options
    r")(?![A-Za-z0-9_])")
_MARKED = re.compile(r"`([^`\n]{2,30})`|\*\*([^*\n]{2,30})\*\*")


def identifiers(text: str, marked: frozenset[str] = frozenset()) -> list[Span]:
    """Code-like names in a sentence (see _IDENTIFIER), and any of `marked` (the chunk's code and bold spans)."""
    spans = []
    for match in _IDENTIFIER.finditer(text):
        word = match.group(0)
        if word.isupper() and len(re.sub(r"[^A-Z]", "", word)) < 3:
            continue
        spans.append(Span(word, match.start(), match.end()))
    for name in sorted(marked, key=lambda n: (-len(n), n)):  # longest first (inetd.conf before inetd), in a fixed order
        match = re.search(rf"(?<![A-Za-z0-9_\-]){re.escape(name)}(?![A-Za-z0-9_])", text)  # a word, not part of one
        if match and not any(s.start <= match.start() < s.end for s in spans):
            spans.append(Span(name, match.start(), match.end()))
    # 「mount(8)」 points at another page: a reference, not a fact of this one.
    return sorted((s for s in spans if not re.match(r"\(\d", text[s.end:])), key=lambda s: s.start)


def prose_weight(text: str) -> int:
    """How much running prose a line holds: its kana and kanji, and three per plain lower-case English word. A
    synopsis or a configuration line (「-I[FMT], --iso-8601[=FMT]」「42 6 * * * root run-parts --report …」) has little."""
    japanese = len(re.findall(r"[ぁ-ゖァ-ヺ一-鿿]", text))
    english = sum(1 for w in text.split() if re.fullmatch(r"[a-z]{2,}[,.;:]?", w))
    return japanese + 3 * english


def marked_names(chunk_text: str) -> frozenset[str]:
    """The chunk's `code` and **bold** spans that are single names (no spaces inside)."""
    names = set()
    for match in _MARKED.finditer(chunk_text):
        name = (match.group(1) or match.group(2)).strip()
        if name and " " not in name and re.search(r"[A-Za-z]", name):
            names.add(name)
    return frozenset(names)
