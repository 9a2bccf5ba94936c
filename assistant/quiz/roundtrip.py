"""The round-trip check: ask the assistant each single and cloze stem as a question; how often is the key its answer?"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from corpus.text import comparable

from assistant.quiz.items import BLANK, Item, ItemType

_TAG = re.compile(r"^【([^】]*)】")
_GLOSS = re.compile(r"[(（][^)）]*[)）]")
# An answer inside the key counts when it covers this share of it ("Pruning" for "Pruning(枝刈り)").
COVER = 0.7


def _core(text: str) -> str:
    return comparable(text).rstrip("。.")


def key_found(key: str, answer: str) -> tuple[bool, bool]:
    """(strict, matching): the key inside the answer; or also the answer being most of the key (a final 。 or a
    bracketed gloss such as (枝刈り) left out)."""
    k, a = _core(key), _core(answer)
    strict = bool(a) and k in a
    bare = _core(_GLOSS.sub("", key))
    matching = strict or (bool(a) and (bare == a or (a in k and len(a) >= COVER * len(k))))
    return strict, matching


def question_for(item: Item) -> str:
    """The stem as a plain question, without the options: 「…____…」 → 「…何…？」, 「Xはどれか」 → 「Xは何か」."""
    stem = item.stem
    topic = ""
    match = _TAG.match(stem)
    if match:
        topic, stem = match.group(1), stem[match.end():]
    lines = [line.strip() for line in stem.split("\n") if line.strip()]
    blank = next((line for line in lines if BLANK in line), None)
    if blank is not None:
        question = blank.replace(BLANK, "何").rstrip("。") + "？"
    elif len(lines) > 1:  # 次の説明に当てはまる手法はどれか。「…」
        ask = re.sub(r"^次の説明に当てはまる", "", lines[0]).replace("はどれか。", "")
        question = f"{lines[1]}に当てはまる{ask}は何か？"
    elif lines[0].endswith("か。") and "どれか" not in lines[0]:  # 「X」とは何か。 is a question already
        question = lines[0][:-1] + "？"
    else:
        question = lines[0].replace("として正しいものはどれか。", "は何か？").replace("はどれか。", "は何か？")
    return f"{topic}: {question}" if topic and comparable(topic) not in comparable(question) else question


@dataclass
class RoundTripReport:
    results: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return sum(r["key_in_answer"] for r in self.results) / len(self.results) if self.results else 0.0

    @property
    def matching_rate(self) -> float:
        return sum(r["key_matches"] for r in self.results) / len(self.results) if self.results else 0.0

    def lines(self) -> list[str]:
        by_type = {}
        for r in self.results:
            hit, n = by_type.get(r["type"], (0, 0))
            by_type[r["type"]] = (hit + r["key_in_answer"], n + 1)
        per_type = ", ".join(f"{t} {h}/{n}" for t, (h, n) in sorted(by_type.items()))
        hits = sum(r["key_in_answer"] for r in self.results)
        matches = sum(r["key_matches"] for r in self.results)
        return [f"round trip: the assistant's answer holds the key for {hits}/{len(self.results)} stems "
                f"({100 * self.rate:.0f}%; {per_type}) in {self.seconds:.0f} s",
                f"            the answer is the key or most of it (final 。 or a bracketed gloss left out) for "
                f"{matches}/{len(self.results)} ({100 * self.matching_rate:.0f}%)"]

    def as_dict(self) -> dict:
        return {"rate": round(self.rate, 4), "matching_rate": round(self.matching_rate, 4), "n": len(self.results), "seconds": round(self.seconds, 1), "items": self.results}


def round_trip(items: list[Item], pipeline, limit: int | None = None) -> RoundTripReport:
    """Ask `pipeline.answer` each single and cloze stem; the key must appear in the answer text."""
    asked = [i for i in items if i.type in (ItemType.SINGLE, ItemType.CLOZE)][:limit]
    report = RoundTripReport()
    started = time.perf_counter()
    for item in asked:
        question = question_for(item)
        answer = pipeline.answer(question)
        text = answer.text or ""
        key = item.answer_text[0]
        strict, matching = key_found(key, text)
        report.results.append({
            "id": item.id, "type": item.type.value, "question": question, "key": key, "answer": text,
            "key_in_answer": strict, "key_matches": matching,
        })
    report.seconds = time.perf_counter() - started
    return report
