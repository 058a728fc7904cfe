"""Vectors cached by (model, content hash): an unchanged chunk is never embedded twice."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np


class EmbeddingCache:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path))
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT, hash TEXT, dim INT, vec BLOB, "
                         "PRIMARY KEY (model, hash))")

    def get_many(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(hashes), 500):
            part = hashes[i:i + 500]
            rows = self._db.execute(
                f"SELECT hash, vec FROM vectors WHERE model=? AND hash IN ({','.join('?' * len(part))})",
                [model, *part])
            for h, blob in rows:
                found[h] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, items: dict[str, np.ndarray]) -> None:
        self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?,?,?,?)",
                             [(model, h, int(v.shape[0]), np.asarray(v, np.float32).tobytes())
                              for h, v in items.items()])
        self._db.commit()

    def close(self) -> None:
        self._db.close()
