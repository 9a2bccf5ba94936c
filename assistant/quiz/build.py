"""Build an item bank from an index: five item types made from the facts of each chunk, then the quality gates.

Keys are always copied from the notes (a table cell, a list item, a heading, a term in a sentence); no model
chooses them. The same index and seed give a byte-identical bank.
"""

from __future__ import annotations

import math
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from corpus.chunking import Chunk, units
from corpus.text import comparable, evidence_form, inline_plain, tag
from index.storage import StoredIndex

from assistant.quiz.domains import guess_domain
from assistant.quiz.facts import (ChunkFacts, Definition, Enumeration, ListBlock, Span, Table, TermDef, chunk_facts,
                                  NOTES_HEADING, clean_term, clean_text, heading_term, identifiers, is_log_heading, is_log_section,
                                  is_narration, is_term, marked_names, number_of, ordinal_of, prose_weight, quantities)
from assistant.quiz.gates import GATES, LENGTH_SLACK, MAX_LENGTH_RATIO, NotesText, first_failure, leans_on_previous, stem_words
from assistant.quiz.glossary import MIN_NEARNESS, Glossary
from assistant.quiz.items import BLANK, Item, ItemType, Source, item_id, write_bank

DEFAULT_SEED = 0
GAP = "（　）"
MAX_MATCHING = 7
MAX_ORDERING = 5


@dataclass
class BuildSummary:
    candidates: Counter = field(default_factory=Counter)
    kept: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    output: Path | None = None

    @property
    def total(self) -> int:
        return sum(self.kept.values())

    def lines(self) -> list[str]:
        per_type = ", ".join(f"{t.value} {self.kept.get(t.value, 0)}" for t in ItemType)
        drops = ", ".join(f"{gate} {self.dropped[gate]}" for gate in GATES if self.dropped.get(gate)) or "none"
        return [
            f"built {self.total} items ({per_type}) from {sum(self.candidates.values())} candidates in {self.seconds:.1f} s"
            + (f" -> {self.output}" if self.output else ""),
            f"dropped by the gates: {sum(self.dropped.values())} ({drops})",
        ]

    def as_dict(self) -> dict:
        return {"items": self.total, "per_type": dict(self.kept), "candidates": dict(self.candidates),
                "dropped": dict(self.dropped), "seconds": round(self.seconds, 2)}


def _parent(heading_path: str) -> str:
    return " > ".join(heading_path.split(" > ")[:-1])


def _heading_parts(chunk: Chunk) -> list[str]:
    return [heading_term(h) for h in chunk.heading_path.split(" > ")] if chunk.heading_path else []


def context_label(chunk: Chunk, avoid: list[str] | tuple[str, ...] = (), skip_last: bool = False) -> str:
    """The deepest heading of the chunk that names none of `avoid` (the keys): the stem's topic tag."""
    parts = _heading_parts(chunk)
    if skip_last:
        parts = parts[:-1]
    forms = [comparable(a) for a in avoid if comparable(a)]
    for heading in reversed(parts):
        if NOTES_HEADING.search(heading) or is_log_heading(heading):  # 「勉強になったことメモ」 tells no topic
            continue
        h = comparable(heading)
        if h and not any(f in h or h in f for f in forms):
            return heading
    return ""


def _tagged(stem: str, label: str) -> str:
    return f"【{label}】{stem}" if label else stem


def _shown(cell: str) -> str:
    """A table cell as a name in a stem, its <br> gloss kept: 「RWK (Real World Knowledge)」."""
    return re.sub(r"\s+", " ", clean_text(cell)).strip(" ・")


# Column labels that only say "its description": the stem then asks 「X」とは何か。
_DESCRIPTION_LABELS = {"概要", "説明", "意味", "定義", "description", "meaning"}


def _what_is(term: str, label: str = "説明") -> str:
    """A term → description stem that names the term and nothing else: the term alone tells the topic (no tag), and
    the question reads as one (「X」とは何か。), which is also how the assistant finds the description."""
    label = label.strip()
    if label.lower() in _DESCRIPTION_LABELS:
        return f"「{term}」とは何か。"
    if not label or label == "内容":  # a table of facts with no column name: 「試験時間」として正しいものはどれか。
        return f"「{term}」として正しいものはどれか。"
    return f"「{term}」の{label}として正しいものはどれか。"


# Polite endings mark a diary line of the notes (「…しました。」), not a statement of fact to be tested.
_NARRATIVE = re.compile(r"(ます|ました|ません|です|でした|でしょう|ください)[。!！?？]?$|思います|思いました")
# A line that ends on a particle continues in the list below it (「SageMakerによる学習は」).
_OPEN_END = re.compile(r"[はをにがとでのもへや]$")
# How often one term may be the key of a sentence item, so that one frequent word does not fill the bank.
MAX_KEY_USES = 2


_POLITE_PAST = re.compile(r"(ました|でした|ましょう)[。!！]?$|思います|思いました")


def is_diary(sentence: str) -> bool:
    """The author's own story: past narration, a plan or a wish (「…しました」「…覚え直しておく」「…したい」)."""
    s = sentence.strip()
    return bool(_POLITE_PAST.search(s)) or is_narration(s)


def is_statement(sentence: str) -> bool:
    """Not a diary line (polite or plain narration, a plan, a wish) and not a line that continues below."""
    s = sentence.strip()
    return not _NARRATIVE.search(s) and not is_narration(s) and not _OPEN_END.search(s)


def _ends_with_noun(sentence: str) -> bool:
    words = [w for w in tag(sentence.rstrip("。.")) if w.feature.pos1 not in ("補助記号", "空白")]
    return bool(words) and words[-1].feature.pos1 == "名詞"


def head_noun(text: str) -> str:
    """The noun a text ends on (「…を提供するサービス。」 → サービス, 「…できる機能。」 → 機能), or "" when it ends otherwise."""
    words = [w for w in tag(text.strip().rstrip("。.")) if w.feature.pos1 not in ("補助記号", "空白")]
    return words[-1].surface if words and words[-1].feature.pos1 == "名詞" else ""


_EXAMPLE_SLOT = re.compile(r"\s*[、,]\s*[^、。,]{1,24}?など")


def example_slot(sentence: str, start: int, end: int) -> bool:
    """True when the span is one example of an open list (「CSV、Parquetなど」): any example of the kind fills its blank."""
    before = sentence[:start].rstrip()
    return bool(_EXAMPLE_SLOT.match(sentence[end:])) or (before.endswith(("、", ",")) and sentence[end:].lstrip().startswith("など"))


def value_kind(text: str) -> str | None:
    """The unit of a text that is one amount and nothing else (「90分」 → 分, 「28%」 → %, 「¥20,000 (税別)」 → ¥), else None."""
    spans = quantities(text)
    if len(spans) != 1:
        return None
    unit = _unit_after(text, spans[0])
    rest = text.replace(spans[0].text, "", 1).replace(unit, "", 1)
    return unit if len(re.sub(r"[\s()（）]", "", rest)) <= 4 else None


def lengths_fit(options: list[str]) -> bool:
    """The option-length gate's rule for a whole set of options."""
    lengths = [len(o) for o in options]
    return not lengths or max(lengths) <= max(MAX_LENGTH_RATIO * min(lengths), min(lengths) + LENGTH_SLACK)


def fitting(key: str, candidates: list[str], count: int) -> list[str]:
    """The first `count` candidates, in their order, that keep the options' lengths comparable (the option-length
    gate): a description much shorter or longer than the rest is passed over for the next one, so that no option
    stands out by its length alone."""
    chosen: list[str] = []
    forms = {comparable(key)}
    for text in candidates:
        if len(chosen) == count:
            break
        if comparable(text) in forms or not lengths_fit([key, *chosen, text]):
            continue
        chosen.append(text)
        forms.add(comparable(text))
    return chosen


def _unit_after(text: str, span: Span) -> str:
    """The unit written after (or, for ¥ and $, before) a quantity's number: what kind of amount it is."""
    before = text[span.start - 1 : span.start] if span.start else ""
    if before in ("¥", "$"):
        return before
    match = re.match(r" ?([^\s\d、。,()（）]{1,4})", text[span.end :])
    return match.group(1) if match else ""


# Most items one sentence may give: each blanks a different term, name or amount, so each asks a different thing.
MAX_PER_SENTENCE = 3
# A code-like name written more often than this in the notes (SageMaker, AWS) is the subject, not a fact to recall.
MAX_NAME_FREQUENCY = 3
# A word is blanked only in a line of running prose (facts.prose_weight), not in a synopsis, a list of references,
# a configuration line or a table written as text.
MIN_PROSE = 12


class Builder:
    def __init__(self, stored: StoredIndex, seed: int) -> None:
        self.stored = stored
        self.seed = seed
        self.facts = [chunk_facts(c) for c in stored.chunks]
        try:
            vectors = stored.dense.vectors()
        except Exception:  # an index whose store cannot give its vectors back still gets distractors, unranked
            vectors = None
        self.glossary = Glossary(self.facts, vectors)
        firsts = {}
        for f in self.facts:
            firsts.setdefault((f.chunk.source, f.chunk.heading_path), f)
        # A section title's first sentence (「勉強になったことメモ」: 試験のために…まとめたノート) introduces its subsections; it
        # defines no concept, so it is neither asked nor offered as a description.
        self.definitions = [f.definition for f in firsts.values() if f.definition and not is_log_section(f.chunk.heading_path)
                            and f.chunk.heading_path not in self.glossary.parents
                            and _ends_with_noun(f.definition.sentence) and is_statement(f.definition.sentence)]
        self.descriptions = self._description_pool()
        self.key_uses: Counter = Counter()
        # In how many sections each term of the notes is written: a term of many (学習, トレーニング) is a general word;
        # a name is written in its own section and a few others (Parquet).
        forms = {comparable(term.text) for term in self.glossary.terms}
        sections: dict[str, set[str]] = {}
        for f in self.facts:
            text = comparable(" ".join(f.sentences))
            for t in forms:
                if t in text:
                    sections.setdefault(t, set()).add(f"{f.chunk.source}#{f.chunk.heading_path}")
        self.sentence_counts: Counter = Counter({t: len(found) for t, found in sections.items()})
        # How often each code-like name is written in the notes' sentences, table rows and lines.
        self.name_counts: Counter = Counter()
        for f in self.facts:
            for line in f.chunk.text.split("\n"):
                self.name_counts.update(comparable(n.text) for n in identifiers(inline_plain(line)))

    def rng(self, *parts: object) -> random.Random:
        return random.Random(f"{self.seed}\x1f" + "\x1f".join(map(str, parts)))

    # --- shared ----------------------------------------------------------------------------------------------------

    def _description_pool(self) -> list[tuple[str, int]]:
        pool = []
        for row, f in enumerate(self.facts):
            if is_log_section(f.chunk.heading_path):
                continue
            if f.definition in self.definitions:
                pool.append((f.definition.sentence, row))
            for table in f.tables:
                if len(table.header) >= 2:
                    pool.extend((clean_text(cells[1]), row) for cells in table.rows if "<br>" not in cells[1])
            pool.extend((p.definition, row) for p in f.term_defs)
        return [(t, r) for t, r in pool if t]

    def other_descriptions(self, key: str, chunk: Chunk, count: int, rng: random.Random, exclude: list[str]) -> list[str]:
        row = self.glossary.row_of[chunk.id]
        banned = {comparable(key), *(comparable(e) for e in exclude)}
        scored = []
        for text, other in self.descriptions:
            if comparable(text) in banned or other == row:
                continue
            # as for terms (glossary.MIN_NEARNESS): a description from a chunk of another topic is ruled out by its topic
            if self.glossary.ranked and float(self.glossary.similarity[row, other]) < MIN_NEARNESS:
                continue
            closeness = -abs(math.log(max(1, len(text)) / max(1, len(key))))
            scored.append((-(closeness + float(self.glossary.similarity[row, other]) + rng.random() * 0.2), text))
        scored.sort()
        chosen: list[str] = []
        for _, text in scored:
            if len(chosen) < count and comparable(text) not in {comparable(c) for c in chosen}:
                chosen.append(text)
        return chosen

    def make(self, kind: ItemType, chunk: Chunk, stem: str, options: list[str], answer: list[int], evidence: str,
             prompts: list[str] | None = None, clue: str = "", siblings: tuple[str, ...] = (),
             answer_text: list[str] | None = None) -> Item:
        # What the learner reads carries no inline Markdown (**read**(2), \\-x, `code`): stem, options, prompts, keys
        # and evidence all in inline_plain form, which the evidence gate finds in the notes read the same way.
        stem, evidence = inline_plain(stem), inline_plain(evidence)
        options = [inline_plain(o) for o in options]
        prompts = [inline_plain(p) for p in prompts] if prompts else None
        texts = tuple(inline_plain(t) for t in answer_text) if answer_text is not None else tuple(options[i] for i in answer)
        return Item(
            id=item_id(kind, chunk.id, stem, texts + tuple(prompts or ())),
            type=kind,
            stem=stem,
            options=tuple(options),
            answer=tuple(answer),
            answer_text=texts,
            source=Source(chunk.id, chunk.source, chunk.heading_path),
            evidence=evidence,
            prompts=tuple(prompts or ()),
            domain=guess_domain(chunk.heading_path, evidence),
            clue=clue,
            siblings=siblings,
        )

    def choice(self, chunk: Chunk, stem: str, key: str, distractors: list[str], evidence: str, rng: random.Random,
               clue: str = "") -> Item | None:
        # An amount is offered only among amounts of the same unit (90分 among 分, not 3年), a name never among amounts.
        kind = value_kind(key)
        distractors = [d for d in distractors if value_kind(d) == kind]
        # Lures first: when the key repeats a word of the stem (「S3 Express One Zone」 → …S3のストレージクラス), options
        # that repeat it too, so that the word does not single the key out.
        shared = [w for w in stem_words(stem) if w in comparable(key)]
        if shared:
            distractors = sorted(distractors, key=lambda d: -sum(w in comparable(d) for w in shared))
        distractors = fitting(key, distractors, 3)
        if len(distractors) < 3:
            return None
        options = [key, *distractors]
        rng.shuffle(options)
        return self.make(ItemType.SINGLE, chunk, stem, options, [options.index(key)], evidence, clue=clue)

    def multiple(self, chunk: Chunk, stem_for: Callable[[int], str], items: list[str], evidence: str, clue: str,
                 group: str | None, first_choices: list[str] = ()) -> Item | None:
        if not 2 <= len(items) <= 8 or not all(is_term(i, 20) for i in items):
            return None
        rng = self.rng("multiple", chunk.id, *items)
        k = len(items) if len(items) <= 3 else 3
        keys = rng.sample(items, k)
        need = max(5, k + 3) - k
        pool = [c for c in first_choices if comparable(c) not in {comparable(i) for i in items}]
        rng.shuffle(pool)
        distractors = pool[:need]
        distractors += self.glossary.distractors(keys, chunk.id, need - len(distractors), rng,
                                                 exclude=tuple(items) + tuple(distractors), group=group)
        if len(distractors) < need:
            return None
        options = keys + distractors
        rng.shuffle(options)
        answer = sorted(options.index(k) for k in keys)
        siblings = tuple(i for i in items if i not in keys)
        return self.make(ItemType.MULTIPLE, chunk, stem_for(k), options, answer, evidence, clue=clue, siblings=siblings)

    def pair_statements(self, chunk: Chunk, stem: str, pairs: list[tuple[str, str]], sep: str, evidence: str) -> Item | None:
        """Multiple response over the pairs of one table or term–definition list: which term–description pairings
        are right. Two keys are pairings the notes write; the distractors pair a term with another row's description,
        which the notes state of a different term (the descriptions are all different)."""
        if len(pairs) < 3 or len({comparable(d) for _, d in pairs}) != len(pairs):
            return None
        right = [f"{t}{sep}{d}" for t, d in pairs]
        if not all(evidence_form(r) in evidence_form(evidence) for r in right):
            return None
        wrong = [f"{t}{sep}{d}" for t, own in pairs for _, d in pairs if d != own]
        rng = self.rng("pairs", chunk.id, *right)
        for _ in range(20):
            keys = rng.sample(right, 2)
            rng.shuffle(wrong)
            chosen: list[str] = []
            for w in wrong:
                if len(chosen) < 3 and lengths_fit([*keys, *chosen, w]):
                    chosen.append(w)
            if len(chosen) == 3:
                options = keys + chosen
                rng.shuffle(options)
                answer = sorted(options.index(k) for k in keys)
                siblings = tuple(r for r in right if r not in keys)
                return self.make(ItemType.MULTIPLE, chunk, stem, options, answer, evidence, siblings=siblings)
        return None

    def ordering(self, chunk: Chunk, stem: str, steps: list[str], evidence: str) -> Item | None:
        if not 3 <= len(steps) <= MAX_ORDERING or len({comparable(s) for s in steps}) != len(steps):
            return None
        rng = self.rng("ordering", chunk.id, *steps)
        options = list(steps)
        for _ in range(10):
            rng.shuffle(options)
            if options != steps:
                break
        answer = [options.index(s) for s in steps]
        return self.make(ItemType.ORDERING, chunk, stem, options, answer, evidence, answer_text=list(steps))

    def matching(self, chunk: Chunk, stem: str, pairs: list[tuple[str, str]], evidence: str) -> Item | None:
        if not 3 <= len(pairs) <= MAX_MATCHING:
            return None
        rng = self.rng("matching", chunk.id, *(p for p, _ in pairs))
        prompts = [p for p, _ in pairs]
        responses = [r for _, r in pairs]
        options = list(responses)
        for _ in range(10):
            rng.shuffle(options)
            if options != responses:
                break
        answer = [options.index(r) for r in responses]
        return self.make(ItemType.MATCHING, chunk, stem, options, answer, evidence, prompts=prompts)

    # --- generators, one per shape of fact ---------------------------------------------------------------------------

    def from_table(self, table: Table) -> Iterator[Item | None]:
        chunk = table.chunk
        if len(table.header) < 2 or not table.rows:
            return
        label0 = table.header[0] or "項目"
        label1 = table.header[1] or "内容"
        list_cells = any("<br>・" in cells[1] or cells[1].startswith("・") for cells in table.rows)
        # The rows hold every key; the header line is left out because a table cut across chunks gets a header
        # line the notes do not have there (an empty or repeated one), and the evidence must be found in the notes.
        evidence_all = "\n".join(table.raw_rows)
        if list_cells:
            yield from self._cell_lists(table)
            return
        pairs = [(clean_term(c[0]), clean_text(c[1])) for c in table.rows]
        # The whole first cell names the row in a stem: 「RWK (Real World Knowledge)」, not only 「RWK」.
        shown = {clean_term(c[0]): _shown(c[0]) for c in table.rows}
        pairs = [(p, r) for p, r in pairs if p and r and "<br>" not in r]
        if len(pairs) != len(table.rows):
            return
        ctx = context_label(chunk, [p for p, _ in pairs])
        window = pairs[:MAX_MATCHING]
        yield self.matching(chunk, _tagged(f"各{label0}に当てはまる{label1}を選べ。", ctx), window,
                            "\n".join(table.raw_rows[: len(window)]))
        terms = [p for p, _ in pairs]
        for (term, desc), raw in zip(pairs, table.raw_rows):
            rng = self.rng("table", chunk.id, term)
            others = [t for t in terms if t != term]
            rng.shuffle(others)
            distractors = others + self.glossary.distractors([term], chunk.id, 6, rng, exclude=tuple(terms),
                                                             group=f"table:{chunk.id}:{table.raw_rows[0]}:0")
            tag_ = context_label(chunk, [term])
            # A short value ("90分", "28%") is asked the other way round only: from the term to its value.
            if len(desc) > 14:
                stem = f"次の説明に当てはまる{label0}はどれか。\n「{desc}」"
                yield self.choice(chunk, _tagged(stem, tag_), term, distractors, raw, rng, clue=desc)
            other_descs = [d for p, d in pairs if p != term]
            rng.shuffle(other_descs)
            distractors = list(other_descs)
            # Values of a column with no name (試験要項: 65問, 90分, なし) are of no one kind with other descriptions.
            if table.header[1].strip():
                distractors += self.other_descriptions(desc, chunk, 12, rng, exclude=other_descs)
            yield self.choice(chunk, _what_is(shown.get(term, term), table.header[1]), desc, distractors, raw, rng, clue="")
        # The amounts inside a description (最大60秒 of a row): a column of bare amounts (28%, 26% …) is asked above.
        kinds = {value_kind(d) for _, d in pairs}
        if not (len(kinds) == 1 and None not in kinds):
            for (term, desc), raw in zip(pairs, table.raw_rows):
                line = f"{shown.get(term, term)}: {desc}"
                for span in quantities(line)[:2]:
                    if span.start > len(line) - len(desc):
                        yield self.amount_cloze(chunk, line, span, raw)
        # Which pairings are right: only for a named description column (the values of 試験要項 are of no one kind, so a
        # wrong pairing such as 問題数 | 90分 would be ruled out by its kind) and plain names (no <br> gloss, which the
        # option could not quote as the notes write it).
        if table.header[1].strip() and all(clean_term(c[0]) == clean_text(c[0]) for c in table.rows):
            yield self.pair_statements(chunk, _tagged(f"次のうち、{label0}と{label1}の組み合わせとして正しいものを2つ選べ。", ctx),
                                       pairs, " | ", evidence_all)
        if 3 <= len(pairs) <= 8:
            yield self.multiple(chunk, lambda k: _tagged(f"次のうち、{label0}として挙げられているものを{k}つ選べ。", ctx),
                                terms, evidence_all, clue=f"{ctx} {label0}", group=None)
        if 3 <= len(pairs) <= MAX_ORDERING:
            numbers = [number_of(c[1]) for c in table.rows]
            if all(numbers) and len({n[1] for n in numbers}) == 1 and len({n[0] for n in numbers}) == len(numbers):
                ranked = [p for _, p in sorted(zip([-n[0] for n in numbers], terms))]
                yield self.ordering(chunk, _tagged(f"{label0}を{label1}の大きい順に並べよ。", ctx), ranked, evidence_all)
            ordinals = [ordinal_of(c[0]) for c in table.rows]
            if all(ordinals) and len({o[0] for o in ordinals}) == len(ordinals):
                steps = [rest for _, rest in sorted(ordinals)]
                yield self.ordering(chunk, _tagged(f"{label0}を番号の順に並べよ。", ctx), steps, evidence_all)

    def _cell_lists(self, table: Table) -> Iterator[Item | None]:
        chunk = table.chunk
        label1 = table.header[1] or "内容"
        cells = []
        for row, raw in zip(table.rows, table.raw_rows):
            parts = [clean_term(p) for p in row[1].split("<br>") if clean_term(p)]
            cells.append((clean_term(row[0]), parts, raw))
        for label, parts, raw in cells:
            others = [p for other_label, other_parts, _ in cells if other_label != label for p in other_parts]
            ctx = context_label(chunk, parts)
            yield self.multiple(chunk, lambda k, label=label, ctx=ctx: _tagged(
                f"次のうち、{label}の{label1}として挙げられているものを{k}つ選べ。", ctx),
                parts, raw, clue=f"{label} {label1}", group=None, first_choices=others)

    def from_list(self, block: ListBlock) -> Iterator[Item | None]:
        chunk = block.chunk
        items = list(block.items)
        ctx = context_label(chunk, items)
        evidence = "\n".join(block.lines)
        frame = f"{block.lead}{GAP}{block.tail}" if (block.lead or block.tail) else ""
        if frame and is_diary(frame.replace(GAP, "")):
            return
        if block.ordered:
            stem = f"{frame}\n{GAP}に入る項目を正しい順に並べよ。" if frame else "次の項目を正しい順に並べよ。"
            yield self.ordering(chunk, _tagged(stem, ctx), items, evidence)
            return
        if not frame and not ctx:
            return
        lead = f"{frame}\n{GAP}に挙げられているものを" if frame else "この一覧に挙げられているものを"
        yield self.multiple(chunk, lambda k: _tagged(f"{lead}{k}つ選べ。", ctx), items, evidence,
                            clue=f"{block.lead} {block.tail}", group=f"list:{chunk.id}:{block.lines[0]}")

    def from_enumeration(self, enum: Enumeration) -> Iterator[Item | None]:
        chunk = enum.chunk
        if is_diary(enum.sentence) or leans_on_previous(enum.sentence):
            return
        items = list(enum.items)
        ctx = context_label(chunk, items)
        frame = f"{enum.sentence[: enum.start]}{GAP}{enum.sentence[enum.end :]}"
        if enum.sequence:
            yield self.ordering(chunk, _tagged(f"{frame}\n{GAP}に入る項目を正しい順に並べよ。", ctx), items, enum.sentence)
        else:
            yield self.multiple(chunk, lambda k: _tagged(f"{frame}\n{GAP}に挙げられているものを{k}つ選べ。", ctx), items,
                                enum.sentence, clue=frame.replace(GAP, " "), group=f"enum:{chunk.id}:{enum.sentence}")

    def from_term_defs(self, pairs: list[TermDef]) -> Iterator[Item | None]:
        chunk = pairs[0].chunk
        terms = [p.term for p in pairs]
        ctx = context_label(chunk, terms)
        if len(pairs) >= 3:
            lines = [p.line for p in pairs]
            yield self.matching(chunk, _tagged("各用語に当てはまる説明を選べ。", ctx),
                                [(p.term, p.definition) for p in pairs][:MAX_MATCHING], "\n".join(lines[:MAX_MATCHING]))
            yield self.pair_statements(chunk, _tagged("次のうち、用語と説明の組み合わせとして正しいものを2つ選べ。", ctx),
                                       [(p.term, p.definition) for p in pairs][:MAX_MATCHING], ": ",
                                       "\n".join(lines[:MAX_MATCHING]))
        for pair in pairs:
            rng = self.rng("termdef", chunk.id, pair.term)
            others = [t for t in terms if t != pair.term]
            rng.shuffle(others)
            distractors = others + self.glossary.distractors([pair.term], chunk.id, 6, rng, exclude=tuple(terms),
                                                             group=f"defs:{pair.group}")
            tag_ = context_label(chunk, [pair.term])
            yield self.choice(chunk, _tagged(f"次の説明に当てはまるものはどれか。\n「{pair.definition}」", tag_), pair.term,
                              distractors, pair.line, rng, clue=pair.definition)
            defs = [p.definition for p in pairs if p is not pair]
            distractors = defs + self.other_descriptions(pair.definition, chunk, 12, rng, exclude=defs)
            yield self.choice(chunk, _what_is(pair.term), pair.definition, distractors, pair.line, rng)

    def from_definition(self, d: Definition) -> Iterator[Item | None]:
        """「X」とは何か。 with the section's defining first sentence as the key.

        Asked this way round only: the other way (the definition → its heading) has a key that no sentence of the
        notes holds, and the round trip showed the assistant cannot answer it (it copies part of the definition).
        Distractors are the defining sentences of the sibling sections (the same heading parent)."""
        if not _ends_with_noun(d.sentence) or not is_statement(d.sentence) or re.search("[ぁ-ゖ]", d.term):
            return
        if comparable(d.term) in self.glossary.structural:
            return
        chunk = d.chunk
        rng = self.rng("definition", chunk.id)
        parent = _parent(chunk.heading_path)
        siblings = [o.sentence for o in self.definitions if o is not d and _parent(o.chunk.heading_path) == parent
                    and comparable(o.term) not in comparable(o.sentence)]
        # nearest in length first, so that the odd one out does not give the key away
        siblings.sort(key=lambda o: abs(math.log(len(o) / len(d.sentence))) + rng.random() * 0.3)
        distractors = siblings + self.other_descriptions(d.sentence, chunk, 12, rng, exclude=siblings)
        # Descriptions of the key's kind first: 「…機能。」 among 機能, 「…サービス。」 among サービス. A key whose head noun no
        # other description has (the only 「サービス」 among formats and use cases) would stand out: no item.
        head = head_noun(d.sentence)
        same = [x for x in distractors if head_noun(x) == head]
        if not same:
            return
        distractors = same + [x for x in distractors if x not in same]
        evidence = f"{d.heading_line}\n{d.sentence}"
        yield self.choice(chunk, _what_is(d.term), d.sentence, distractors, evidence, rng)

    def _term_item(self, chunk: Chunk, sentence: str, start: int, text: str, group: str | None,
                   typed: bool = True) -> Item | None:
        """A term of the notes blanked in its sentence: typed (cloze) or chosen among terms of its kind (single).
        `typed` False: one item of an unordered enumeration, which any other item of it would fill as well when
        typed; it is asked only with options."""
        blanked = sentence[:start] + BLANK + sentence[start + len(text):]
        ctx = context_label(chunk, [text])
        rng = self.rng("sentence", chunk.id, sentence, text)
        if (group is None or rng.random() < 0.5) and typed:
            return self.make(ItemType.CLOZE, chunk, _tagged(f"空欄に入る語句を答えよ。\n{blanked}", ctx), [], [], sentence,
                             answer_text=[text])
        distractors = self.glossary.distractors([text], chunk.id, 6, rng, group=group)
        item = self.choice(chunk, _tagged(f"空欄に入る語句として正しいものはどれか。\n{blanked}", ctx), text,
                           distractors, sentence, rng, clue=blanked.replace(BLANK, " "))
        # With too few terms of its kind to choose from, the blank is still a question: typed.
        if item is not None or not typed:
            return item
        return self.make(ItemType.CLOZE, chunk, _tagged(f"空欄に入る語句を答えよ。\n{blanked}", ctx), [], [],
                                 sentence, answer_text=[text])

    def amount_cloze(self, chunk: Chunk, line: str, span: Span, evidence: str) -> Item:
        """The number of an amount blanked, its unit left in place: 「…最大____秒」 → 60."""
        blanked = line[: span.start] + BLANK + line[span.end :]
        ctx = context_label(chunk, [span.text])
        return self.make(ItemType.CLOZE, chunk, _tagged(f"空欄に入る数値を答えよ。\n{blanked}", ctx), [], [], evidence,
                         answer_text=[span.text])

    def from_sentences(self, f: ChunkFacts) -> Iterator[Item | None]:
        """Up to MAX_PER_SENTENCE items per sentence, each blanking a different span: a term of the notes (a second
        one only when it is a specific name, written in at most MAX_NAME_FREQUENCY sections), a code-like name
        (REFRESH, EnableNetworkIsolation, SIGTERM, a `code` span), and the amounts (60 of 最大60秒)."""
        chunk = f.chunk
        # Term–definition lines are asked as such already (their amounts still are not).
        defined = [(comparable(p.term), comparable(p.definition)[:8]) for p in f.term_defs]
        marked = marked_names(chunk.text)
        for sentence in f.sentences:
            form = comparable(sentence)
            # A line of references or a synopsis (「kill(1), clone(2), …」) is no statement to blank a word of.
            if not is_statement(sentence) or leans_on_previous(sentence) or prose_weight(sentence) < MIN_PROSE:
                continue
            taken: list[tuple[int, int]] = []

            def free(start: int, end: int) -> bool:
                return start >= 0 and all(end <= a or start >= b for a, b in taken)

            definition_line = any(t in form and d in form for t, d in defined)
            terms = [] if definition_line else sorted(self.glossary.terms_in(sentence),
                                                      key=lambda t: self.key_uses[comparable(t.text)])
            enumerated = {comparable(x) for e in f.enumerations if e.sentence == sentence for x in e.items}
            unordered = {comparable(x) for e in f.enumerations if e.sentence == sentence and not e.sequence for x in e.items}
            for term in terms:
                t = comparable(term.text)
                if form.count(t) != 1 or len(form) - len(t) < 10 or (len(t) < 3 and term.kind != "latin"):
                    continue
                if self.key_uses[t] >= MAX_KEY_USES:
                    continue
                # A second blank in the same sentence: a specific name, not one item of an enumeration (any of its
                # items would fill that blank), and typed, so that no distractor of another topic is offered.
                if taken and (self.sentence_counts[t] > MAX_NAME_FREQUENCY or t in enumerated):
                    continue
                start = sentence.find(term.text)
                if not free(start, start + len(term.text)):
                    continue
                # Typed only when the blank has one answer: a specific name (not a general word such as トレーニング,
                # for which 学習 would do as well), not one item of an unordered enumeration or an open list of examples.
                typed = (t not in unordered and self.sentence_counts[t] <= MAX_NAME_FREQUENCY
                         and not example_slot(sentence, start, start + len(term.text)))
                if taken and not typed:  # a second blank is always typed
                    continue
                item = self._term_item(chunk, sentence, start, term.text, term.group if not taken else None, typed=typed)
                if item is None:  # no options of its kind and not to be typed: the next term of the sentence
                    continue
                self.key_uses[t] += 1
                taken.append((start, start + len(term.text)))
                yield item
                if len(taken) == 2:
                    break
            for span in [] if definition_line else identifiers(sentence, marked):
                t = comparable(span.text)
                if len(taken) >= MAX_PER_SENTENCE or not t:
                    break
                if t in self.glossary.by_form or t in enumerated:
                    continue
                if self.name_counts[t] > MAX_NAME_FREQUENCY or self.key_uses[t] >= MAX_KEY_USES or form.count(t) != 1 \
                        or len(form) - len(t) < 10 or not free(span.start, span.end) \
                        or example_slot(sentence, span.start, span.end):
                    continue
                self.key_uses[t] += 1
                taken.append((span.start, span.end))
                yield self._term_item(chunk, sentence, span.start, span.text, None)
                break
            for span in quantities(sentence)[:2]:
                if len(taken) >= MAX_PER_SENTENCE:
                    break
                if free(span.start, span.end):
                    taken.append((span.start, span.end))
                    yield self.amount_cloze(chunk, sentence, span, sentence)

    def candidates(self) -> Iterator[Item]:
        opened: set[tuple[str, str]] = set()
        for f in self.facts:
            if is_log_section(f.chunk.heading_path):  # the author's study log, plans, impressions: not the subject
                continue
            produced: list[Item | None] = []
            for table in f.tables:
                produced.extend(self.from_table(table))
            for block in f.lists:
                produced.extend(self.from_list(block))
            groups: dict[str, list[TermDef]] = {}
            for pair in f.term_defs:
                groups.setdefault(pair.group, []).append(pair)
            for pairs in groups.values():
                produced.extend(self.from_term_defs(pairs))
            for enum in f.enumerations:
                produced.extend(self.from_enumeration(enum))
            # Only the chunk that opens its section starts with the section's defining sentence.
            section = (f.chunk.source, f.chunk.heading_path)
            if f.definition and section not in opened:
                produced.extend(self.from_definition(f.definition))
            opened.add(section)
            produced.extend(self.from_sentences(f))
            yield from (item for item in produced if item is not None)


def notes_text(stored: StoredIndex) -> NotesText:
    from corpus.loading import load_notes

    notes_dir = Path(stored.manifest.notes_dir)
    texts = [d.text for d in load_notes(notes_dir).documents] if notes_dir.is_dir() else []
    texts = texts or [c.text for c in stored.chunks]
    return NotesText(texts, (u for c in stored.chunks for u in units(c.text)))


def build_items(stored: StoredIndex, seed: int = DEFAULT_SEED, summary: BuildSummary | None = None) -> list[Item]:
    """The gated items of an index, in chunk order; `summary` counts candidates, keeps and drops."""
    summary = summary if summary is not None else BuildSummary()
    builder = Builder(stored, seed)
    notes = notes_text(stored)
    kept: list[Item] = []
    seen_stems: set[str] = set()
    seen_ids: set[str] = set()
    for item in builder.candidates():
        summary.candidates[item.type.value] += 1
        failure = first_failure(item, notes, seen_stems)
        if failure is None and item.id in seen_ids:
            failure = "duplicate_stem"
        if failure:
            summary.dropped[failure] += 1
            continue
        seen_ids.add(item.id)
        summary.kept[item.type.value] += 1
        kept.append(item)
    return kept


def load_index(index_dir: Path | None, say=lambda m: print(m, file=sys.stderr)) -> StoredIndex:
    """The stored index (the default one is built from the bundled notes when missing)."""
    from index.builder import build_index
    from index.storage import index_exists, read_index

    from assistant.paths import DEFAULT_NOTES_DIR, default_index_dir

    index_dir = Path(index_dir) if index_dir else default_index_dir()
    if not index_exists(index_dir) and index_dir == default_index_dir():
        say(f"no index yet in {index_dir}; building it from {DEFAULT_NOTES_DIR} first")
        say(build_index(DEFAULT_NOTES_DIR, index_dir).line())
    return read_index(index_dir)


def build_bank(index_dir: Path | None, output: Path, seed: int = DEFAULT_SEED) -> BuildSummary:
    started = time.perf_counter()
    summary = BuildSummary(output=Path(output))
    items = build_items(load_index(index_dir), seed, summary)
    write_bank(Path(output), items)
    summary.seconds = time.perf_counter() - started
    return summary
