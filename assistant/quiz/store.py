"""Cards and reviews in SQLite under the data folder, scheduled with FSRS; every review is one transaction (WAL)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

from fsrs import Card, Rating, Scheduler

from assistant.paths import data_home

STORE_NAME = "study.sqlite3"
# An answer slower than this (seconds) is rated Hard instead of Good: right, but recalled with effort.
SLOW_SECONDS = {"single": 30.0, "cloze": 30.0, "multiple": 60.0, "ordering": 60.0, "matching": 90.0}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cards (
    item_id TEXT PRIMARY KEY,
    card TEXT NOT NULL,
    due TEXT NOT NULL,
    reps INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT NOT NULL,
    rating INTEGER NOT NULL,
    correct INTEGER NOT NULL,
    seconds REAL,
    reviewed_at TEXT NOT NULL,
    response TEXT
);
CREATE INDEX IF NOT EXISTS cards_due ON cards(due);
CREATE INDEX IF NOT EXISTS reviews_item ON reviews(item_id);
"""


def default_store_path() -> Path:
    return data_home() / STORE_NAME


def rating_for(correct: bool, seconds: float | None, item_type: str, easy: bool = False) -> Rating:
    """Wrong → Again; right → Good, or Hard when slow; Easy only when the learner says so (and was right)."""
    if not correct:
        return Rating.Again
    if easy:
        return Rating.Easy
    if seconds is not None and seconds > SLOW_SECONDS.get(item_type, 60.0):
        return Rating.Hard
    return Rating.Good


@dataclass(frozen=True)
class Review:
    item_id: str
    rating: Rating
    due: datetime
    correct: bool


def _utc(moment: datetime | None) -> datetime:
    moment = moment or datetime.now(timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class StudyStore:
    """One learner's cards (FSRS state per item) and review log."""

    def __init__(self, path: Path | None = None, scheduler: Scheduler | None = None) -> None:
        self.path = Path(path) if path else default_store_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Fuzzing off: the same answers at the same times give the same due dates.
        self.scheduler = scheduler or Scheduler(enable_fuzzing=False)
        self._db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "StudyStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def card(self, item_id: str) -> Card | None:
        row = self._db.execute("SELECT card FROM cards WHERE item_id = ?", (item_id,)).fetchone()
        return Card.from_json(row[0]) if row else None

    def review(self, item_id: str, item_type: str, correct: bool, seconds: float | None = None, easy: bool = False,
               now: datetime | None = None, response: object = None) -> Review:
        """Grade one answer into the card and the log, both or neither."""
        now = _utc(now)
        rating = rating_for(correct, seconds, item_type, easy)
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT card, reps FROM cards WHERE item_id = ?", (item_id,)).fetchone()
            card = Card.from_json(row[0]) if row else Card(due=now)
            reps = row[1] if row else 0
            card, _ = self.scheduler.review_card(card, rating, review_datetime=now)
            db.execute(
                "INSERT INTO reviews (item_id, rating, correct, seconds, reviewed_at, response) VALUES (?, ?, ?, ?, ?, ?)",
                (item_id, int(rating), int(correct), seconds, now.isoformat(), json.dumps(response, ensure_ascii=False)),
            )
            db.execute(
                "INSERT INTO cards (item_id, card, due, reps) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(item_id) DO UPDATE SET card = excluded.card, due = excluded.due, reps = excluded.reps",
                (item_id, card.to_json(), card.due.astimezone(timezone.utc).isoformat(), reps + 1),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return Review(item_id, rating, card.due, correct)

    def due_ids(self, now: datetime | None = None, until_end_of_day: bool = True) -> list[str]:
        """Items whose review is due (by the end of today, local time, unless told otherwise), soonest first."""
        limit = _utc(now)
        if until_end_of_day:
            local = limit.astimezone()
            limit = datetime.combine(local.date(), time.max, tzinfo=local.tzinfo).astimezone(timezone.utc)
        rows = self._db.execute("SELECT item_id FROM cards WHERE due <= ? ORDER BY due, item_id", (limit.isoformat(),))
        return [r[0] for r in rows]

    def seen_ids(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT item_id FROM cards")}

    def review_count(self, item_id: str | None = None) -> int:
        if item_id is None:
            return self._db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
        return self._db.execute("SELECT COUNT(*) FROM reviews WHERE item_id = ?", (item_id,)).fetchone()[0]

    def consistent(self) -> bool:
        """Every card's review count equals its rows in the log, and SQLite finds no damage."""
        if self._db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            return False
        bad = self._db.execute(
            "SELECT COUNT(*) FROM cards c WHERE c.reps != (SELECT COUNT(*) FROM reviews r WHERE r.item_id = c.item_id)"
        ).fetchone()[0]
        orphans = self._db.execute(
            "SELECT COUNT(*) FROM reviews r WHERE NOT EXISTS (SELECT 1 FROM cards c WHERE c.item_id = r.item_id)"
        ).fetchone()[0]
        return bad == 0 and orphans == 0


def next_items(store: StudyStore, items: list, limit: int, now: datetime | None = None) -> list:
    """Due items first (soonest first), then items never seen, in bank order."""
    by_id = {item.id: item for item in items}
    due = [by_id[i] for i in store.due_ids(now) if i in by_id]
    seen = store.seen_ids()
    fresh = [item for item in items if item.id not in seen]
    return (due + fresh)[:limit]


def due_summary(store: StudyStore, items: list, now: datetime | None = None) -> tuple[int, int]:
    """(due today, never seen) among the bank's items."""
    ids = {item.id for item in items}
    due = sum(1 for i in store.due_ids(now) if i in ids)
    new = len(ids - store.seen_ids())
    return due, new


__all__ = ["StudyStore", "Rating", "rating_for", "next_items", "due_summary", "default_store_path", "timedelta"]
