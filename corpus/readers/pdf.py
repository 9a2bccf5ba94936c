"""PDF notes: the text layer read with pdfminer.six, as sections under their headings, each with its page.

Headings come from the PDF's outline (bookmarks) when it has one, otherwise from font sizes larger than the body's.
Lines the page wrapped are joined back into sentences (without a space between Japanese characters); a line that
stops short of the margin where the next line's first word would have fitted ended where its author broke it, and
stays a line, as in the Markdown it may have come from. Text placed side by side on one line becomes a Markdown table
row, with the columns that a bordered table's rules give; running headers, footers and page numbers are dropped.
A sentence cut by a page break is finished on the page where it started. Multi-column layouts are read row by row.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from corpus.readers import Part, Reading, UnreadableFile

_LIST_MARK = re.compile(r"^\s*([・•●○■□◆◇▪▶►\-–*※]|\d{1,3}[.)．）]|[（(]\d{1,3}[)）]|[①-⑳])")
# A list item's bullet glyph, written as Markdown's list marker (the answer step reads "- " as one).
_BULLET = re.compile(r"^[•●○◦▪‣⁃]\s*")
_PAGE_NUMBER = re.compile(r"^\s*(p\.?|page|ページ)?\s*[-–—]?\s*\d{1,4}\s*([-–—/]\s*\d{0,4})?\s*(ページ)?\s*$", re.I)
_SENTENCE_END = "。．.!?！？」』)）:："
_MAX_HEADING_CHARS = 150
_FIRST_SENTENCE_END = re.compile(r"[。．！？!?]|\.(?=\s|$)")


@dataclass
class _Row:
    """One visual line of a page: its fragments left to right, its font size and where it sits."""

    top: float
    bottom: float
    size: float
    cells: list[tuple[float, str]] = field(default_factory=list)  # (left edge, text)
    band: tuple[float, float] | None = None  # the horizontal rules above and below, in a bordered table
    right: float = 0.0  # where its text ends
    first_word: float = 0.0  # the width of its first word, and of its first piece where Japanese may wrap
    first_piece: float = 0.0
    edge: float = 0.0  # where a full line of its paragraph would end, when narrower than the page's text (a quote)

    @property
    def texts(self) -> list[str]:
        return [text for _, text in self.cells]  # type: ignore[misc]

    @property
    def text(self) -> str:
        return " ".join(self.texts)


@dataclass
class _Block:
    kind: str  # "heading", "text", "table"
    text: str
    level: int = 0
    page: int = 0
    cells: list[tuple[float, str]] = field(default_factory=list)  # a table row's cells, by left edge
    first_row: _Row | None = None  # a paragraph's first and last lines
    last_row: _Row | None = None
    right_edge: float = 0.0  # where the document's full lines end


def _table_row(cells: list[tuple[float, str]]) -> str:
    return "| " + " | ".join(text.replace("|", "\\|") for _, text in cells) + " |"


def read(data: bytes, name: str) -> Reading:
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFNoOutlines, PDFPasswordIncorrect
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)), password="")
    except PDFPasswordIncorrect:
        raise UnreadableFile("is a password-protected PDF; save a copy without the password") from None
    except PDFEncryptionError as exc:
        raise UnreadableFile(f"is an encrypted PDF this reader can't open ({exc})") from None
    outline: list[tuple[int, str]] = []
    try:
        outline = [(level, title) for level, title, *_ in document.get_outlines() if isinstance(title, str)]
    except PDFNoOutlines:
        pass
    except Exception:  # noqa: BLE001 - a damaged outline only costs the headings it would have given
        outline = []
    resources = PDFResourceManager(caching=True)
    device = PDFPageAggregator(resources, laparams=LAParams())
    interpreter = PDFPageInterpreter(resources, device)
    pages: list[list[_Row]] = []
    heights: list[float] = []
    for page in PDFPage.create_pages(document):
        interpreter.process_page(page)
        layout = device.get_result()
        pages.append(_rows(layout))
        heights.append(layout.height)
    if not pages:
        raise UnreadableFile("is a PDF with no pages")
    if sum(len(row.text.strip()) for rows in pages for row in rows) < 10:
        raise UnreadableFile("has no text layer (scanned pages?); run OCR on it first, e.g. with ocrmypdf")
    _drop_running_lines(pages, heights)
    blocks = _blocks(pages, outline)
    _finish_sentences_across_pages(blocks)
    title = _metadata_title(document)
    return _reading(blocks, title, name)


@dataclass
class _Line:
    """One piece of text on one baseline, as pdfminer found it, with the width of its first word."""

    top: float
    bottom: float
    x0: float
    x1: float
    size: float
    text: str
    first_word: float
    first_piece: float
    band: tuple[float, float] | None = None


def _line(item) -> _Line | None:
    from pdfminer.layout import LTChar

    text = item.get_text().strip()
    if not text:
        return None
    chars = [c for c in item if isinstance(c, LTChar)]
    sizes = [c.size for c in chars]
    size = Counter(round(s * 2) / 2 for s in sizes).most_common(1)[0][0] if sizes else 0.0
    return _Line(item.y1, item.y0, item.x0, item.x1, size, text, *_first_word_widths(item))


def _first_word_widths(item) -> tuple[float, float]:
    """How wide the line's first word is, up to a space, and its first piece where Japanese may wrap: one Japanese
    character, or the Latin letters before one ("AWS" of "AWS認定")."""
    from pdfminer.layout import LTChar

    word = piece = None
    for child in item:
        text = child.get_text()
        if not text.strip():
            if word is not None:
                break
            continue
        if isinstance(child, LTChar):
            if piece is None and _wide(text[0]):
                piece = child.x1 if word is None else word
            word = child.x1
    word = word if word is not None else item.x1
    return max(word - item.x0, 0.0), max((piece if piece is not None else word) - item.x0, 0.0)


def _rows(layout) -> list[_Row]:
    """The page's text as visual rows, top to bottom; a row's cells are its columns, left to right.

    Pieces of one line with a small gap are one cell. Lines between the same two horizontal rules (a bordered table's
    row), or whose boxes overlap vertically (a cell centred beside a cell of two lines), are one row, and the lines of
    one column within a row are joined: one table row. Where the rules are drawn cell by cell, their ends are the
    column edges: pieces of one cell (a justified line spaced out word by word) are one text, text never runs from one
    cell into the next, and the last row, which may have no rule under it, runs from the rule above it down to the
    first clear gap.
    """
    from pdfminer.layout import LTCurve, LTTextLine

    lines: list[_Line] = []
    segments: dict[float, set[tuple[float, float]]] = {}

    def collect(item) -> None:
        if isinstance(item, LTCurve):  # LTLine and LTRect too: a horizontal rule is a thin, wide one
            if item.height < 2 and item.width > 20:
                segments.setdefault(round((item.y0 + item.y1) / 2, 1), set()).add((round(item.x0, 1), round(item.x1, 1)))
        elif isinstance(item, LTTextLine):
            if (line := _line(item)) is not None:
                lines.append(line)
        elif hasattr(item, "__iter__"):
            for child in item:
                collect(child)

    collect(layout)
    levels = sorted(segments)
    edges = {y: _column_edges(spans) for y, spans in segments.items()}

    def band(top: float, bottom: float) -> tuple[float, float] | None:
        """The two rules around a line, when they are close enough to be a table row's borders."""
        middle = (top + bottom) / 2
        below = next((y for y in reversed(levels) if y <= middle), None)
        above = next((y for y in levels if y >= middle), None)
        if below is None or above is None or above - below > 8 * max(top - bottom, 1.0):
            return None
        return below, above

    def inside_one_cell(line: _Line, rule: float) -> bool:
        return bool(edges[rule]) and not any(line.x0 + 1 < x < line.x1 - 1 for x in edges[rule])

    lines.sort(key=lambda line: (-line.top, line.x0))
    def columns_filled(line: _Line, rule: float) -> int | None:
        """How many columns under the rule the line's baseline has text in; None when some text crosses a column edge
        (then it is not a table row)."""
        others = [other for other in lines if abs(other.top - line.top) < 1.5]
        if not all(inside_one_cell(other, rule) for other in others):
            return None
        return len({sum(1 for x in edges[rule] if x <= other.x0 + 1) for other in others})

    reach: dict[float, float] = {}  # an open last row's rule above -> the bottom of its lowest line so far
    full_rows: dict[float, float] = {}  # that rule -> the top of the row's one baseline with text side by side
    closed: set[float] = set()
    for line in lines:
        line.band = band(line.top, line.bottom)
        if line.band is None:
            above = next((y for y in levels if y >= (line.top + line.bottom) / 2), None)
            if (above is not None and above not in closed and inside_one_cell(line, above)
                    and reach.get(above, above) - line.top < 0.5 * max(line.size, 1.0)):
                # A last row has text side by side on one baseline at most; a second such baseline is the next row
                # of a table ruled only under its header (booktabs), which is not one row.
                filled = columns_filled(line, above)
                if filled is None:
                    closed.add(above)
                    continue
                if filled > 1 and abs(full_rows.setdefault(above, line.top) - line.top) >= 1.5:
                    closed.add(above)
                    continue
                line.band = (float("-inf"), above)
                reach[above] = min(reach.get(above, above), line.bottom)
    # The header row may have no rule above it either: a line that sits on a rule the way the rows' last lines sit on
    # theirs is that table's first row.
    pads = sorted(min(l.bottom for l in lines if l.band == b) - b[0] for b in {l.band for l in lines if l.band} if b[0] > float("-inf"))
    pad = pads[len(pads) // 2] if pads else None
    row_tops = {l.band[1] for l in lines if l.band}  # rules that have a table row under them
    for line in lines:
        if line.band is None and pad is not None:
            below = next((y for y in reversed(levels) if y <= (line.top + line.bottom) / 2), None)
            if (below is not None and below in row_tops and abs(line.bottom - below - pad) < 1.0
                    and inside_one_cell(line, below)):
                line.band = (below, float("inf"))

    def cell_of(line: _Line) -> int | None:
        """The column a line sits in, when its row's rules give the columns."""
        if line.band is None or not edges[_rule_of(line.band)]:
            return None
        return sum(1 for x in edges[_rule_of(line.band)] if x <= line.x0 + 1)

    merged: list[_Line] = []
    for line in lines:
        cell = cell_of(line)
        left = None
        for m in reversed(merged[-4:]):
            if abs(m.top - line.top) >= 1.5 or line.x0 < m.x1 - 1:
                continue
            if (m.band == line.band and cell_of(m) == cell) if cell is not None else line.x0 - m.x1 < 1.5 * max(line.size, 1):
                left = m
                break
        if left is None:
            merged.append(line)
            continue
        gap = line.x0 - left.x1
        joined = f"{left.text} {line.text}" if cell is not None and gap > 0.25 * max(line.size, 1) else _join_words(left.text, line.text)
        left.x1, left.size, left.text = line.x1, max(left.size, line.size), joined

    def same_row(row: _Row, line: _Line) -> bool:
        if line.band is not None or row.band is not None:
            return line.band == row.band
        return (min(row.top, line.top) - max(row.bottom, line.bottom)
                >= 0.3 * min(max(line.top - line.bottom, 1.0), row.top - row.bottom))

    rows: list[_Row] = []
    for line in merged:
        row = next((r for r in rows[-3:] if same_row(r, line)), None)
        if row is None:
            rows.append(_Row(line.top, line.bottom, line.size, [(line.x0, line.text)], line.band, line.x1, line.first_word,
                             line.first_piece))
        else:
            row.cells.append((line.x0, line.text))
            row.top, row.bottom, row.size = max(row.top, line.top), min(row.bottom, line.bottom), max(row.size, line.size)
            row.right = max(row.right, line.x1)
    for row in rows:
        column_edges = edges[_rule_of(row.band)] if row.band is not None else []
        if column_edges:  # every column the rules give, an empty cell where the row has no text
            slots = [[edge, ""] for edge in [min(x0 for x0, _ in row.cells), *column_edges]]
            for x0, text in sorted(row.cells, key=lambda cell: cell[0]):
                slot = slots[sum(1 for x in column_edges if x <= x0 + 1)]
                if not slot[1]:
                    slot[0] = x0
                slot[1] = join_lines(slot[1], text)
            row.cells = [(x0, text) for x0, text in slots]
            continue
        columns: list[list] = []
        for x0, text in sorted(row.cells, key=lambda cell: cell[0]):  # stable: each column's lines stay top to bottom
            if columns and abs(columns[-1][0] - x0) < 3:
                columns[-1][1] = join_lines(columns[-1][1], text)
            else:
                columns.append([x0, text])
        row.cells = [(x0, text) for x0, text in columns]
    return rows


def _rule_of(band: tuple[float, float]) -> float:
    """The rule whose segments give a row's columns: the one above it, or below a header row that has none above."""
    return band[1] if band[1] != float("inf") else band[0]


def _column_edges(spans: set[tuple[float, float]]) -> list[float]:
    """Where one rule segment ends and the next begins at the same height: the inner column edges of a bordered
    table whose rules are drawn cell by cell; none for a rule drawn in one piece (its columns are not known)."""
    ordered = sorted(spans)
    return sorted({round(b[0], 1) for a, b in zip(ordered, ordered[1:]) if abs(a[1] - b[0]) < 1.5 and b[0] - a[0] > 5})


def _join_words(left: str, right: str) -> str:
    return left + right if _cjk_join(left, right) else f"{left} {right}"


def _drop_running_lines(pages: list[list[_Row]], heights: list[float]) -> None:
    """Remove page numbers and headers/footers repeated on most pages (digits ignored), in place."""
    def band(row: _Row, height: float) -> bool:
        return row.top > height * 0.92 or row.bottom < height * 0.08

    def shape(row: _Row) -> str:
        return re.sub(r"\d+", "#", row.text.strip())

    counts = Counter(shape(r) for rows, h in zip(pages, heights) for r in {shape(r): r for r in rows if band(r, h)}.values())
    repeated = {s for s, n in counts.items() if len(pages) >= 3 and n >= max(3, len(pages) // 2)}
    for rows, height in zip(pages, heights):
        rows[:] = [r for r in rows if not (band(r, height) and (_PAGE_NUMBER.match(r.text) or shape(r) in repeated))]


def _key(text: str) -> str:
    """A heading's letters and digits: outline titles and page text differ in spaces and symbols (◼, ★) a font lacks."""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c)[0] in "LN").lower()


def _blocks(pages: list[list[_Row]], outline: list[tuple[int, str]]) -> list[_Block]:
    """Headings, paragraphs and table rows in reading order, each with its page number (from 1)."""
    sizes = Counter()
    for rows in pages:
        for row in rows:
            sizes[row.size] += len(row.text)
    body = sizes.most_common(1)[0][0] if sizes else 0.0
    titles = {key: level for level, title in outline if (key := _key(title))}
    big = sorted({r.size for rows in pages for r in rows if r.size >= body * 1.15 and len(r.cells) == 1}, reverse=True)
    size_level = {size: min(n + 1, 6) for n, size in enumerate(big)}
    # The usual gap between lines: a paragraph break is a clearly larger one (double-spaced text has large gaps too).
    gaps = sorted(a.bottom - b.top for rows in pages for a, b in zip(rows, rows[1:]) if a.size == b.size and a.bottom > b.top)
    leading = gaps[len(gaps) // 2] if gaps else 0.0
    # Line breaks are told from wraps on pages of one column only: side by side columns are read row by row, and where
    # a line ends says nothing there.
    one_column = [not _columns_side_by_side(rows, body) for rows in pages]
    right_edge = _right_edge([r.right for rows, one in zip(pages, one_column) if one for r in rows
                              if len(r.cells) == 1 and r.size == body], body)
    blocks: list[_Block] = []
    for rows in pages:
        _mark_narrow_blocks(rows, right_edge)
    for number, rows in enumerate(pages, start=1):
        previous: _Row | None = None
        for row in rows:
            text = row.text.strip()
            level = 0
            if len(text) <= _MAX_HEADING_CHARS and len(row.cells) == 1:
                level = titles.get(_key(text) or "\0", 0) if titles else size_level.get(row.size, 0)
            last = blocks[-1] if blocks and blocks[-1].page == number else None
            if level:
                if (not titles and last and last.kind == "heading" and last.level == level and previous
                        and previous.bottom - row.top < row.size):
                    last.text += ("" if _cjk_join(last.text, text) else " ") + text  # a heading wrapped onto two lines
                else:
                    blocks.append(_Block("heading", text, level, number))
            elif (last and last.kind == "table" and previous is not None and previous.bottom - row.top < row.size * 0.5
                  and all(any(abs(x - c) < 3 for c, _ in last.cells[1:]) for x, _ in row.cells)):
                # A cell's text carried on below the row it started in. Rows and wrapped lines are as close together,
                # but a new row has a cell in the first column (a table's labels are there).
                for x, cell_text in row.cells:
                    column = next(i for i, (c, _) in enumerate(last.cells) if abs(x - c) < 3)
                    last.cells[column] = (last.cells[column][0], join_lines(last.cells[column][1], cell_text))
                last.text = _table_row(last.cells)
            elif len(row.cells) > 1:
                blocks.append(_Block("table", _table_row(row.cells), 0, number, list(row.cells)))
            elif (last and last.kind == "text" and previous is not None and row.size == previous.size
                  and previous.bottom - row.top < max(row.size * 0.8, leading + row.size * 0.5) and not _LIST_MARK.match(text)):
                broken = one_column[number - 1] and _line_break(previous, row, right_edge)
                last.text = f"{last.text}\n{text}" if broken else join_lines(last.text, text)
                last.last_row = row
            else:
                blocks.append(_Block("text", _BULLET.sub("- ", text, count=1), 0, number, first_row=row, last_row=row))
            previous = row
    for block in blocks:
        block.right_edge = right_edge if one_column[block.page - 1] else 0.0
    return blocks


def _mark_narrow_blocks(rows: list[_Row], right_edge: float) -> None:
    """Give the lines of an indented block that is set narrower than the page (a quotation) its own right edge, in
    place: two or more of its lines, one after another at one left edge, end together clearly short of the page's."""
    run: list[_Row] = []

    def close() -> None:
        if len(run) >= 2:
            furthest = max(r.right for r in run)
            if sum(1 for r in run if r.right >= furthest - 1.0) >= 2 and furthest < right_edge - run[0].size:
                for r in run:
                    r.edge = furthest
        run.clear()

    for n, row in enumerate(rows):
        left = run[0].cells[0][0] if run else 0.0
        following = rows[n + 1].cells[0][0] if n + 1 < len(rows) else None
        if (run and len(row.cells) == 1 and row.size == run[-1].size and run[-1].bottom - row.top < 2.5 * row.size
                # at the block's left edge, or a first line indented from it (the next line comes back to it)
                and (abs(row.cells[0][0] - left) <= 2.0
                     or (row.cells[0][0] > left and following is not None and abs(following - left) <= 2.0))):
            run.append(row)
            continue
        close()
        if len(row.cells) == 1:
            run.append(row)
    close()


def _columns_side_by_side(rows: list[_Row], size: float) -> bool:
    """Whether a page sets its text in columns side by side: many rows of pieces side by side outside any bordered
    table (the columns' lines on one baseline), or lines of body text starting at two left edges far apart."""
    side_by_side = sum(1 for r in rows if len(r.cells) > 1 and r.band is None)
    if side_by_side >= 5 and side_by_side >= 0.3 * len(rows):
        return True
    starts = Counter(round(r.cells[0][0] / 2) * 2 for r in rows if len(r.cells) == 1 and r.size == size)
    lefts = sorted(x for x, n in starts.items() if n >= 3)
    width = max((r.right for r in rows), default=0.0) - (lefts[0] if lefts else 0.0)
    return len(lefts) > 1 and lefts[-1] - lefts[0] > 0.3 * width


def _right_edge(ends: list[float], size: float) -> float:
    """Where full lines of body text end: the furthest point that at least three lines reach to within a character
    (one line running past the margin, a long URL, does not move it). A line that stops clearly short of it may end
    where its author broke it."""
    ends = sorted(ends)
    for end in reversed(ends):
        if sum(1 for other in ends if abs(other - end) <= max(size, 1.0)) >= 3:
            return end
    return ends[-1] if ends else 0.0


def _line_break(line: _Row, row: _Row, right_edge: float) -> bool:
    """Whether a line ended where its author broke it rather than where the page's width wrapped it.

    A wrap moves down only what does not fit: when the next line's first word would have fitted in the room left, the
    line was broken. Japanese may wrap between any two characters, but some writers (fpdf2) wrap it only at spaces,
    so room for one Japanese character counts only between two Japanese characters (Japanese puts no space there)
    or after a full stop.
    """
    room = (line.edge or right_edge) - line.right - 0.5 * max(row.size, 1.0)
    if room >= row.first_word:
        return True
    left, right = line.text.strip(), row.text.strip()
    if not left or not right or room < row.first_piece:
        return False
    return (_wide(left[-1]) and _wide(right[0])) or left[-1] in "。．！？"


def _cjk_join(left: str, right: str) -> bool:
    """Whether two pieces of a line break meet without a space: either side is Japanese or full-width."""
    return _wide(left[-1]) or _wide(right[0])


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def join_lines(left: str, right: str) -> str:
    """Two lines of one paragraph as one: no space around Japanese, a hyphenated English word made whole."""
    if not left or not right:
        return left + right
    if _cjk_join(left, right):
        return left + right
    if len(left) > 1 and left[-1] == "-" and left[-2].isalpha() and right[0].islower():
        return left[:-1] + right
    return f"{left} {right}"


def _finish_sentences_across_pages(blocks: list[_Block]) -> None:
    """A paragraph cut by a page break gets the rest of its sentence from the next page, in place."""
    for n in range(len(blocks) - 1):
        here, there = blocks[n], blocks[n + 1]
        if (here.kind == "text" and there.kind == "text" and there.page == here.page + 1
                and here.text and here.text[-1] not in _SENTENCE_END
                and not (here.last_row and there.first_row and _line_break(here.last_row, there.first_row, here.right_edge))):
            found = _FIRST_SENTENCE_END.search(there.text)
            end = found.end() if found else len(there.text)
            here.text = join_lines(here.text, there.text[:end])
            there.text = there.text[end:].lstrip()


def _metadata_title(document) -> str:
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text

    try:
        value = resolve1(document.info[0].get("Title")) if document.info else None
        title = decode_text(value) if isinstance(value, bytes) else ""
    except Exception:  # noqa: BLE001 - the title is optional
        return ""
    return " ".join(title.replace("\x00", "").split())[:300]


def _reading(blocks: list[_Block], title: str, name: str) -> Reading:
    """Located parts (heading path, page) and the whole as Markdown; a lone level-1 heading is the title."""
    level_one = [b for b in blocks if b.kind == "heading" and b.level == 1]
    lone_h1 = level_one[0].text if len(level_one) == 1 else ""
    title = lone_h1 or title
    parts: list[Part] = []
    lines: list[str] = []
    stack: list[tuple[int, str]] = []
    current: list[str] = []
    current_key: tuple[tuple[str, ...], int] | None = None

    def flush() -> None:
        if current_key is not None and any(s.strip() for s in current):
            parts.append(Part(current_key[0], _markdown_body(current), f"p. {current_key[1]}"))

    for block in blocks:
        if block.kind == "heading":
            stack = [(lvl, t) for lvl, t in stack if lvl < block.level] + [(block.level, block.text)]
            lines.append(f"{'#' * block.level} {block.text}")
            continue
        if not block.text.strip():
            continue
        headings = tuple(t for lvl, t in stack if not (lone_h1 and lvl == 1 and t == lone_h1))
        key = (headings, block.page)
        if key != current_key:
            flush()
            current, current_key = [], key
        current.append(block.text if block.kind == "table" else "\n" + block.text)
        lines.append(block.text)
    flush()
    return Reading(text="\n".join(lines), title=title, parts=tuple(parts))


def _markdown_body(pieces: list[str]) -> str:
    """Paragraphs one per line; consecutive table rows one table, with the separator row Markdown wants."""
    out: list[str] = []
    in_table = False
    for piece in pieces:
        if piece.startswith("|"):
            if not in_table:
                out.append("")
                out.append(piece)
                out.append("|" + "---|" * (piece.count(" | ") + 1))
                in_table = True
            else:
                out.append(piece)
        else:
            if in_table:
                out.append("")
            in_table = False
            out.append(piece.lstrip("\n"))
    return "\n".join(out).strip("\n")
