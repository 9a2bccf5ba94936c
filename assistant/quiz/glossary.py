"""The terms of the notes (headings, table keys, list items, defined terms) and distractors chosen among them."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

import numpy as np

from corpus.text import KATAKANA, comparable, evidence_form

from assistant.quiz.facts import ChunkFacts, clean_term, heading_term, is_log_section, is_term

# Numbers, amounts and phrases with kana endings are values or headings, not names of things.
_NOT_A_NAME = re.compile(r"^[\d¥$€£+\-.]|[ぁ-ゖ]")
_LATIN = re.compile(r"^[A-Za-z0-9 .\-_/()&+:]+$")
_ONLY_GLOSS = re.compile(r"^[(（].*[)）]$")  # 「(Temperature)」: the gloss of a cell, not a name of its own
_KATAKANA = re.compile(f"^[{KATAKANA}・ー\\s()（）]+$")


def term_kind(text: str) -> str:
    """A coarse kind, so that a Latin name is not offered among Japanese phrases."""
    if _LATIN.match(text):
        return "latin"
    if _KATAKANA.match(text):
        return "katakana"
    return "mixed"


@dataclass(frozen=True)
class Term:
    text: str
    group: str  # terms of one list, table column or heading level share a group
    chunk_row: int
    kind: str
    section: str = ""  # the heading path of the chunk the term comes from


def parent_path(heading_path: str) -> str:
    return " > ".join(heading_path.split(" > ")[:-1]) if heading_path else ""


def in_family(section: str, family: str) -> bool:
    """True when `section` lies under the heading path `family` (every section lies under the empty path)."""
    return not family or section == family or section.startswith(family + " > ")


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


# Two names this close are spellings of one word, which a learner cannot tell apart as answers: Latin names of at
# least MIN_VARIANT_LETTERS letters within NEAR_VARIANT edits per letter (at least one) and with the same digits
# (TensorBoard / TensorBoad, but not L1 / L2 or Top-K / Top-P), and katakana names equal but for ー and ・
# (サーバレス / サーバーレス). Descriptions and mixed phrases that differ in a word (テキスト生成 / テキスト要約) differ in meaning.
NEAR_VARIANT = 0.15
# How near (in standard deviations of the key chunk's cosines to all chunks) a distractor's chunk must be.
MIN_NEARNESS = 0.5
MIN_VARIANT_LETTERS = 6
_DIGITS = re.compile(r"\d+")


def near_variant(a: str, b: str) -> bool:
    fa, fb = comparable(a), comparable(b)
    if not fa or not fb or fa == fb:
        return bool(fa) and fa == fb
    kinds = {term_kind(a), term_kind(b)}
    if kinds == {"katakana"}:
        return re.sub("[ー・]", "", fa) == re.sub("[ー・]", "", fb)
    if kinds != {"latin"} or min(len(fa), len(fb)) < MIN_VARIANT_LETTERS or _DIGITS.findall(fa) != _DIGITS.findall(fb):
        return False
    return edit_distance(fa, fb) <= max(1, int(NEAR_VARIANT * max(len(fa), len(fb))))


class Glossary:
    """All terms of the notes, and the chunk similarity used to prefer distractors from related chunks."""

    def __init__(self, facts: list[ChunkFacts], vectors: np.ndarray | None) -> None:
        self.row_of = {f.chunk.id: row for row, f in enumerate(facts)}
        # A heading found in several files (NAME, SEE ALSO, 名前) names a part of a document, not a thing.
        sources: dict[str, set[str]] = {}
        for f in facts:
            for heading in f.chunk.heading_path.split(" > ") if f.chunk.heading_path else []:
                sources.setdefault(comparable(heading_term(heading)), set()).add(f.chunk.source)
        self.structural = {h for h, found in sources.items() if len(found) > 1}
        # Headings that have subsections are section titles (機械学習基礎, Amazon SageMaker), not concepts: never terms.
        self.parents: set[str] = set()
        for f in facts:
            parts = f.chunk.heading_path.split(" > ") if f.chunk.heading_path else []
            self.parents.update(" > ".join(parts[:n]) for n in range(1, len(parts)))
        seen: dict[str, Term] = {}

        def add(text: str, group: str, row: int, max_chars: int = 24) -> None:
            text = text.strip()
            key = comparable(text)
            if not key or key in seen or not is_term(text, max_chars) or len(key) < 2 or _NOT_A_NAME.search(text) \
                    or _ONLY_GLOSS.match(text):
                return
            seen[key] = Term(text, group, row, term_kind(text), facts[row].chunk.heading_path)

        for row, f in enumerate(facts):
            if is_log_section(f.chunk.heading_path):  # the author's materials and plans are not things to choose from
                continue
            path = f.chunk.heading_path.split(" > ") if f.chunk.heading_path else []
            if path and comparable(heading_term(path[-1])) not in self.structural \
                    and " > ".join(path) not in self.parents:
                add(heading_term(path[-1]), "heading:" + " > ".join(path[:-1]), row)
            for table in f.tables:
                for col in range(min(2, len(table.header))):
                    for cells in table.rows:
                        for part in cells[col].split("<br>"):
                            add(clean_term(part), f"table:{f.chunk.id}:{table.raw_rows[0]}:{col}", row, 16)
            for block in f.lists:
                for item in block.items:
                    add(item, f"list:{f.chunk.id}:{block.lines[0]}", row, 16)
            for pair in f.term_defs:
                add(pair.term, f"defs:{pair.group}", row)
            for enum in f.enumerations:
                for item in enum.items:
                    add(item, f"enum:{f.chunk.id}:{enum.sentence}", row, 16)
        self.terms = sorted(seen.values(), key=lambda t: (t.chunk_row, t.text))
        self.by_form = {comparable(t.text): t for t in self.terms}
        if vectors is not None and len(vectors) == len(facts):
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            unit = vectors / np.maximum(norms, 1e-9)
            raw = unit @ unit.T
            # Standardised per row: raw cosines of e5 are all high, only their spread says "nearer".
            spread = raw.std(axis=1, keepdims=True)
            self.similarity = (raw - raw.mean(axis=1, keepdims=True)) / np.maximum(spread, 1e-6)
            self.ranked = True
        else:
            self.similarity = np.eye(len(facts))
            self.ranked = False
        self.chunk_forms = [evidence_form(f.chunk.text) for f in facts]
        self.sections = [f.chunk.heading_path for f in facts]

    def terms_in(self, sentence: str) -> list[Term]:
        """Glossary terms that occur in the sentence, longest first, skipping those inside a longer one found."""
        form = comparable(sentence)
        found = sorted((t for t in self.terms if comparable(t.text) in form), key=lambda t: (-len(t.text), t.text))
        kept: list[Term] = []
        for term in found:
            if not any(comparable(term.text) in comparable(k.text) for k in kept):
                kept.append(term)
        return kept

    def is_wide(self, family: str) -> bool:
        """A family that holds section titles below it (the whole notes, a top-level memo section): its terms are of
        every kind, so a distractor chosen by heading alone can be ruled out by its kind."""
        return any(p != family and in_family(p, family) for p in self.parents)

    def group_kind(self, keys: list[str], group: str | None) -> str | None:
        """The kind of group the keys come from: a heading level (the group itself: sibling headings), a table column,
        or a list, a term–definition list, an enumeration."""
        groups = {group} if group else {self.by_form[comparable(k)].group for k in keys if comparable(k) in self.by_form}
        kinds = {_group_kind(g) for g in groups}
        return kinds.pop() if len(kinds) == 1 else None

    def distractors(self, keys: list[str], chunk_id: str, count: int, rng: random.Random,
                    exclude: tuple[str, ...] = (), group: str | None = None) -> list[str]:
        """`count` terms of the keys' kind from the same part of the notes, nearest chunks first.

        Only terms under the key chunk's parent heading are offered (the sibling sections: the same kind of thing,
        so that no option is ruled out by its topic alone). Terms of the keys' own group, terms written in the keys'
        chunk, terms overlapping a key and near-spellings of a key are never offered: the notes might state them as
        right too, or they read as the key itself. Sibling headings are the exception to the own-group rule: they
        name other sections. In a wide family (see is_wide) only terms of the keys' own group kind and
        script kind are offered.
        """
        row = self.row_of.get(chunk_id, 0)
        family = parent_path(self.sections[row]) if row < len(self.sections) else ""
        key_forms = [comparable(k) for k in keys]
        banned = set(key_forms) | {comparable(e) for e in exclude}
        kinds = {term_kind(k) for k in keys}
        mean_len = sum(len(k) for k in keys) / max(1, len(keys))
        chunk_form = self.chunk_forms[row] if row < len(self.chunk_forms) else ""
        wide = self.is_wide(family)
        wanted = self.group_kind(keys, group) if wide else None
        scored = []
        for term in self.terms:
            form = comparable(term.text)
            own_group = group and term.group == group and not group.startswith("heading:")
            if form in banned or own_group or term.chunk_row == row:
                continue
            if wide and (wanted is None or _group_kind(term.group) != wanted or term.kind not in kinds):
                continue
            if not in_family(term.section, family) or any(near_variant(term.text, k) for k in keys):
                continue
            if any(form in k or k in form for k in key_forms) or evidence_form(term.text) in chunk_form:
                continue
            if not all(_lengths_fit(term.text, k) for k in keys):  # the option-length gate would drop the item
                continue
            # A term from a chunk no nearer than the average chunk is of another topic (スカラー for ヘッドルーム, MLflow
            # for S3 as storage): a learner rules it out by its topic alone.
            if self.ranked and float(self.similarity[row, term.chunk_row]) < MIN_NEARNESS:
                continue
            score = (2.0 if term.kind in kinds else 0.0)
            score += 0.8 * float(self.similarity[row, term.chunk_row])
            score -= 0.6 * abs(math.log(max(1, len(term.text)) / max(1.0, mean_len)))
            score += 0.4 * _suffix_share(term.text, keys)
            score += rng.random() * 0.3
            scored.append((-score, term.text))
        scored.sort()
        chosen: list[str] = []
        for _, text in scored:
            if len(chosen) == count:
                break
            if all(comparable(text) not in comparable(c) and comparable(c) not in comparable(text) for c in chosen):
                chosen.append(text)
        return chosen


def _lengths_fit(a: str, b: str) -> bool:
    """The option-length gate's rule (gates.MAX_LENGTH_RATIO, LENGTH_SLACK) for two options."""
    short, long_ = sorted((len(a), len(b)))
    return long_ <= max(3.0 * short, short + 8)


def _group_kind(group: str) -> str:
    """「heading:<parent>」 stays whole (siblings only); 「table:…:<column>」 keeps its column; others keep their kind."""
    kind = group.split(":", 1)[0]
    if kind == "heading":
        return group
    if kind == "table":
        return "table:" + group.rsplit(":", 1)[-1]
    return kind


def _suffix_share(text: str, keys: list[str]) -> float:
    """1 when the term ends like a key (…推論, …モード, …検索): the same kind of thing."""
    return 1.0 if any(len(k) >= 2 and text[-2:] == k[-2:] for k in keys) else 0.0
