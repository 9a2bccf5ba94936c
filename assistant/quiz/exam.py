"""A mock exam: N items in the exam's domain mix, timed, scored as a raw percentage per domain (never "scaled")."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from assistant.quiz.domains import DOMAIN_LABELS, DOMAIN_WEIGHTS
from assistant.quiz.items import Item, ItemType

# MLA-C01: 65 items in 90 minutes.
SECONDS_PER_ITEM = 90 * 60 / 65
EXAM_TYPES = (ItemType.SINGLE, ItemType.MULTIPLE, ItemType.ORDERING, ItemType.MATCHING)
OTHER = "other"


def domain_quota(n: int) -> dict[str, int]:
    """Largest-remainder split of n items by the domain weights."""
    raw = {d: n * w for d, w in DOMAIN_WEIGHTS.items()}
    quota = {d: int(v) for d, v in raw.items()}
    for d in sorted(raw, key=lambda d: (-(raw[d] - quota[d]), d))[: n - sum(quota.values())]:
        quota[d] += 1
    return quota


def pick_exam(items: list[Item], n: int, seed: int = 0) -> list[Item]:
    """N exam-type items in the domain mix; short domains are filled from the rest of the bank."""
    rng = random.Random(seed)
    pool = [i for i in items if i.type in EXAM_TYPES] or list(items)
    rng.shuffle(pool)
    chosen: list[Item] = []
    for domain, count in domain_quota(min(n, len(pool))).items():
        chosen.extend([i for i in pool if i.domain == domain][:count])
    rest = [i for i in pool if i not in chosen]
    chosen.extend(rest[: min(n, len(pool)) - len(chosen)])
    rng.shuffle(chosen)
    return chosen


def time_limit_seconds(n: int) -> int:
    return round(n * SECONDS_PER_ITEM)


@dataclass
class ExamResult:
    right: Counter = field(default_factory=Counter)
    total: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    timed_out: bool = False

    def add(self, item: Item, correct: bool) -> None:
        domain = item.domain or OTHER
        self.total[domain] += 1
        self.right[domain] += int(correct)

    @property
    def percent(self) -> float:
        n = sum(self.total.values())
        return 100.0 * sum(self.right.values()) / n if n else 0.0

    def lines(self) -> list[str]:
        n = sum(self.total.values())
        out = [f"raw score: {sum(self.right.values())}/{n} = {self.percent:.0f}% (a raw percentage, not the exam's scaled score)"]
        for domain in [*DOMAIN_WEIGHTS, OTHER]:
            if self.total.get(domain):
                label = DOMAIN_LABELS.get(domain, "その他 (other)")
                out.append(f"  {label}: {self.right[domain]}/{self.total[domain]} = "
                           f"{100.0 * self.right[domain] / self.total[domain]:.0f}%")
        out.append(f"time: {self.seconds / 60:.1f} min" + (" (time ran out: unanswered items count as wrong)" if self.timed_out else ""))
        return out
