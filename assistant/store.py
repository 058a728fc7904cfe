"""Answers given and feedback on them, in SQLite under the data dir."""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path


class UnknownMessage(KeyError):
    pass


PRUNE_EVERY_S = 600.0  # how often old turns are removed (at most; on the next message after that)


class ConversationStore:
    """`keep_s`: how long a turn is kept once its session can no longer use it (the session TTL);
    a turn someone gave feedback on is kept for the review. None keeps everything."""

    def __init__(self, path: Path, keep_s: float | None = None, prune_every_s: float = PRUNE_EVERY_S) -> None:
        self.keep_s, self.prune_every_s, self._pruned_at = keep_s, prune_every_s, 0.0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._lock = threading.Lock()
        with self._lock:
            self._db.executescript("""
                CREATE TABLE IF NOT EXISTS messages (
                    id TEXT PRIMARY KEY, session_id TEXT, created REAL, question TEXT, answer TEXT,
                    found INTEGER, citations TEXT);
                CREATE INDEX IF NOT EXISTS messages_session ON messages(session_id, created);
                CREATE TABLE IF NOT EXISTS feedback (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT, rating INTEGER,
                    comment TEXT, created REAL);
            """)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(messages)")}
            if "resolved" not in columns:  # databases from before follow-ups were resolved
                self._db.execute("ALTER TABLE messages ADD COLUMN resolved TEXT")

    def add_message(self, message_id: str, session_id: str, question: str, answer: str, found: bool,
                    citations: list[dict], resolved: str | None = None) -> None:
        with self._lock:
            self._db.execute("INSERT INTO messages (id, session_id, created, question, answer, found, citations, "
                             "resolved) VALUES (?,?,?,?,?,?,?,?)",
                             (message_id, session_id, time.time(), question, answer, int(found),
                              json.dumps(citations, ensure_ascii=False), resolved or question))
            now = time.time()
            if self.keep_s is not None and now - self._pruned_at >= self.prune_every_s:
                self._pruned_at = now
                self._db.execute("DELETE FROM messages WHERE created < ? AND id NOT IN "
                                 "(SELECT message_id FROM feedback)", (now - self.keep_s,))

    def history(self, session_id: str, max_age_s: float, limit: int) -> list[dict]:
        """The session's recent turns, newest first; turns older than max_age_s have expired."""
        with self._lock:
            rows = self._db.execute(
                "SELECT question, resolved, found, created, answer FROM messages WHERE session_id=? AND created>=? "
                "ORDER BY created DESC LIMIT ?", (session_id, time.time() - max_age_s, limit)).fetchall()
        return [{"question": q, "resolved": r or q, "found": bool(f), "created": c, "answer": a}
                for q, r, f, c, a in rows]

    def add_feedback(self, message_id: str, rating: int, comment: str | None) -> int:
        with self._lock:
            row = self._db.execute("SELECT 1 FROM messages WHERE id=?", (message_id,)).fetchone()
            if row is None:
                raise UnknownMessage(message_id)
            cur = self._db.execute("INSERT INTO feedback (message_id, rating, comment, created) VALUES (?,?,?,?)",
                                   (message_id, rating, comment, time.time()))
            return int(cur.lastrowid)

    def feedback(self, rating: int | None = None, limit: int = 100) -> list[dict]:
        sql = ("SELECT f.id, f.message_id, f.rating, f.comment, f.created, m.question, m.answer "
               "FROM feedback f JOIN messages m ON m.id = f.message_id")
        args: tuple = ()
        if rating is not None:
            sql += " WHERE f.rating = ?"
            args = (rating,)
        sql += " ORDER BY f.id DESC LIMIT ?"
        with self._lock:
            rows = self._db.execute(sql, (*args, limit)).fetchall()
        keys = ("id", "message_id", "rating", "comment", "created", "question", "answer")
        return [dict(zip(keys, r)) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
