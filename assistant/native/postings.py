"""The cut-postings BM25 sum at scale (search_at_scale.BoundedPostings) as one C loop.

At 100x the shipped corpus a question's three lexical lists read ~26,000 postings each; numpy
takes ~0.45 ms a list (a scatter per term, then gather, reset, partition, unique), postings.c
~0.05 ms. It is plain C (no instruction-set flags, no -ffast-math: the float64 sums keep
numpy's order, so scores and ranks are the same bit for bit), built by `python -m
assistant.native` beside the embedding engine and checked against the numpy path before it is
kept. Without a compiler the numpy path serves with the same results.
"""
from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import sys
from pathlib import Path

import numpy as np

from assistant.native import HERE, BuildError, build_library, run

log = logging.getLogger(__name__)

SOURCE = HERE / "postings.c"
# after $CC's own flags: a CC of "gcc -Ofast" must not reorder the sums
COMPILE_FLAGS = ["-O2", "-fno-fast-math", "-fPIC", "-shared"]


def library_path(directory: Path = HERE) -> Path:
    """Named by the source, the flags and $CC: another of any of them is another build."""
    h = hashlib.sha256(SOURCE.read_bytes())
    h.update(" ".join(COMPILE_FLAGS + [os.environ.get("CC", "")]).encode())
    return directory / f"_postings-{h.hexdigest()[:12]}.so"


class Kernel:
    """The loaded library's `top_postings`, called with numpy arrays."""

    def __init__(self, path: Path) -> None:
        self.path = path
        fn = ctypes.CDLL(str(path)).top_postings
        p = ctypes.c_void_p
        fn.argtypes = [ctypes.c_int, p, p, p, p, p, p, ctypes.c_int, p, p]
        fn.restype = ctypes.c_int
        self._fn = fn

    def top(self, parts: list[tuple[np.ndarray, np.ndarray]], n: int, acc: np.ndarray,
            seen: np.ndarray) -> list[tuple[int, float]]:
        """The n best rows of the summed postings (score descending, then row); `parts` are
        (int32 rows, float32 scores) per term; `acc` (float64) and `seen` (uint8), one entry
        per chunk, are all zero before and after."""
        offsets = np.zeros(len(parts) + 1, dtype=np.int64)
        np.cumsum([len(rows) for rows, _ in parts], out=offsets[1:])
        rows = np.concatenate([r for r, _ in parts])
        scores = np.concatenate([s for _, s in parts])
        if rows.dtype != np.int32 or scores.dtype != np.float32:
            raise TypeError("the kernel sums int32 rows and float32 scores")  # a cast would change the sums
        rows, scores = np.ascontiguousarray(rows), np.ascontiguousarray(scores)
        n = min(n, len(rows))  # no more rows than postings (and n stays a C int)
        touched = np.empty(len(rows), dtype=np.int32)
        out_rows, out_scores = np.empty(max(n, 1), dtype=np.int32), np.empty(max(n, 1), dtype=np.float64)
        k = self._fn(len(parts), offsets.ctypes.data, rows.ctypes.data, scores.ctypes.data,
                     acc.ctypes.data, seen.ctypes.data, touched.ctypes.data, n,
                     out_rows.ctypes.data, out_scores.ctypes.data)
        return list(zip(out_rows[:k].tolist(), out_scores[:k].tolist()))


def reference_top(parts: list[tuple[np.ndarray, np.ndarray]], n: int, num_docs: int) -> list[tuple[int, float]]:
    """What the kernel must return, the slow obvious way (for its check and the tests)."""
    acc = np.zeros(num_docs, dtype=np.float64)
    for rows, scores in parts:
        acc[rows] += scores
    touched = np.flatnonzero(acc > 0)
    order = np.lexsort((touched, -acc[touched]))[:n]
    return [(int(touched[i]), float(acc[touched[i]])) for i in order]


def _sample(seed: int = 7) -> tuple[list[tuple[np.ndarray, np.ndarray]], int]:
    """Postings with ties (scores on a coarse grid) and chunks shared by several terms."""
    rng = np.random.default_rng(seed)
    num_docs = 5_000
    parts = []
    for size in (1, 40, 900, 2_000, 2_000, 300, 0):
        rows = np.sort(rng.choice(num_docs, size, replace=False)).astype(np.int32)
        parts.append((rows, (rng.integers(1, 8, size) / 4).astype(np.float32)))
    return parts, num_docs


def self_check(path: Path) -> None:
    """Raise BuildError unless the library at `path` ranks the sample as reference_top does."""
    kernel = Kernel(path)
    parts, num_docs = _sample()
    acc, seen = np.zeros(num_docs), np.zeros(num_docs, dtype=np.uint8)
    for n in (0, 1, 40, 10_000):
        got, want = kernel.top(parts, n, acc, seen), reference_top(parts, n, num_docs)
        if got != want:
            raise BuildError(f"the postings kernel ranks a test sample unlike numpy (n={n})")
    if acc.any() or seen.any():
        raise BuildError("the postings kernel leaves its scratch arrays dirty")
    # loading it must leave the process's floating point as it was: a library linked with
    # gcc's fast-math startup code sets flush-to-zero for every thread of the server
    tiny = np.float32(1e-38)
    if not (1e-308 / 10 > 0 and float(tiny / np.float32(10)) > 0):
        raise BuildError("loading the postings kernel flushes tiny floats to zero (built with fast-math?)")


def build(directory: Path = HERE, cc: str | None = None) -> Path:
    def compile_into(work: Path, cc_cmd: list[str], built: Path) -> None:
        run([*cc_cmd, *COMPILE_FLAGS, str(SOURCE), "-o", str(built)], "compiling the postings kernel")

    def check(built: Path) -> None:  # in another process: a broken library can kill the one that loads it
        run([sys.executable, "-c", "import sys; from pathlib import Path; "
             "from assistant.native.postings import self_check; self_check(Path(sys.argv[1]))", str(built)],
            "checking the postings kernel", timeout=120, cwd=str(Path(__file__).resolve().parents[2]))

    return build_library(library_path(directory), cc, compile_into, check, "_postings-*.so")


_loaded: dict[Path, Kernel | None] = {}


def load(directory: Path = HERE) -> Kernel | None:
    """The kernel if it is built from this source, else None (numpy serves); loaded once."""
    try:
        path = library_path(directory)
    except OSError:
        return None
    if path not in _loaded:
        kernel = None
        if path.is_file():
            try:
                kernel = Kernel(path)
            except (OSError, AttributeError) as exc:
                log.warning("the postings kernel %s cannot be loaded (%s); numpy serves", path.name, exc)
        _loaded[path] = kernel
    return _loaded[path]
