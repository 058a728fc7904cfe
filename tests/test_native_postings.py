"""The BM25 postings kernel at scale (assistant/native/postings.c) and the numpy path it
replaces: the same rows in the same order with the same scores, ties broken by row."""
from __future__ import annotations

import os
import shutil
from types import SimpleNamespace

import numpy as np
import pytest

from assistant import native, search_at_scale
from assistant.native import postings

HAS_CC = bool(shutil.which("gcc") or shutil.which("cc") or os.environ.get("CC"))


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    if not HAS_CC:
        pytest.skip("no C compiler: the numpy path serves")
    try:
        return postings.Kernel(postings.build(tmp_path_factory.mktemp("postings")))
    except native.BuildError as exc:
        pytest.skip(f"the kernel cannot be built here ({exc}): the numpy path serves")


def _model(parts: list[tuple[np.ndarray, np.ndarray]], num_docs: int):
    """A bm25s model's CSR scores, one term per part."""
    indptr = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(r) for r, _ in parts], out=indptr[1:])
    return SimpleNamespace(vocab_dict={f"t{i}": i for i in range(len(parts))},
                           scores={"data": np.concatenate([s for _, s in parts]),
                                   "indices": np.concatenate([r for r, _ in parts]),
                                   "indptr": indptr, "num_docs": num_docs})


@pytest.mark.unit
@pytest.mark.parametrize("n", [1, 5, 40, 100_000])
def test_numpy_path_breaks_ties_by_row_as_the_reference_does(n):
    """Scores on a coarse grid tie often; the n-th place must go to the lowest row of a tie,
    not to whichever the partition happened to keep."""
    parts, num_docs = postings._sample()
    bounded = search_at_scale.BoundedPostings(_model(parts, num_docs), kernel=None)
    terms = [f"t{i}" for i in range(len(parts))] + ["not-a-term"]
    assert bounded.top(terms, n) == postings.reference_top(parts, n, num_docs)
    assert not bounded._scratch().any()


@pytest.mark.unit
def test_among_equal_scores_the_lowest_rows_come_first():
    """Variants of one passage score alike; which of them is listed must not be left to chance."""
    rng = np.random.default_rng(3)
    parts = [(rng.permutation(np.arange(i, 600, 2)).astype(np.int32), np.ones(300 - i // 2, dtype=np.float32))
             for i in (0, 1)]
    bounded = search_at_scale.BoundedPostings(_model(parts, 600), kernel=None)
    assert bounded.top(["t0", "t1"], 5) == [(r, 1.0) for r in range(5)]


@pytest.mark.unit
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n", [0, 1, 40, 100_000])
def test_the_kernel_ranks_as_numpy(kernel, seed, n):
    rng = np.random.default_rng(seed)
    num_docs = 3_000
    parts = []
    for _ in range(int(rng.integers(1, 30))):
        size = int(rng.integers(0, 800))
        rows = rng.choice(num_docs, size, replace=False).astype(np.int32)  # any order within a term
        parts.append((rows, (rng.integers(1, 6, size) / 3).astype(np.float32)))
    model = _model(parts, num_docs)
    fast = search_at_scale.BoundedPostings(model, kernel=kernel)
    slow = search_at_scale.BoundedPostings(model, kernel=None)
    terms = [f"t{i}" for i in range(len(parts))]
    got = fast.top(terms, n)
    assert got == slow.top(terms, n) == postings.reference_top(parts, n, num_docs)[:max(n, 0)]
    assert not fast._scratch().any() and not fast._seen().any()  # clean for the next question


@pytest.mark.integration
def test_kernel_and_numpy_agree_on_the_shipped_corpus_at_scale(kernel, service, both_paths):
    """The shipped index read at scale, every lexical list of the project's citizen questions."""
    from assistant.evaluation import load_questions
    from tests.conftest import ROOT

    exact, scaled = both_paths
    assert exact.postings_kernel is None  # ranked exactly: no cut postings to sum
    assert scaled.postings_kernel == ("c" if postings.load() else "numpy")
    retriever = service._retriever(exact)
    pairs = [(name, search_at_scale.BoundedPostings(model, kernel=kernel),
              search_at_scale.BoundedPostings(model, kernel=None))
             for name, model in (("words", scaled.bm25_words), ("folded", scaled.bm25_folded))]
    compared = 0
    for q in load_questions(ROOT / "tests" / "data" / "questions.citizen.jsonl"):
        terms = retriever.terms(q["q"], q["q"])
        for name, fast, slow in pairs:
            for asked in ((terms.words if name == "words" else terms.folded), terms.learned):
                got = fast.top(asked, 40)
                assert got == slow.top(asked, 40), (q["q"], name)
                compared += bool(got)
    assert compared > 100


@pytest.mark.unit
def test_a_terms_postings_are_cut_the_same_on_every_machine(monkeypatch):
    """Past MAX_POSTINGS a term keeps its best postings; of those tying with the last one kept,
    the lowest rows (a partition would keep whichever its CPU-specific code happened to)."""
    monkeypatch.setattr(search_at_scale, "MAX_POSTINGS", 10)
    rng = np.random.default_rng(5)
    rows = rng.permutation(200).astype(np.int32)
    scores = np.where(rows < 4, 3.0, np.where(rows % 2 == 0, 1.0, 0.5)).astype(np.float32)
    bounded = search_at_scale.BoundedPostings(_model([(rows, scores)], 200), kernel=None)
    kept_rows, kept_scores = bounded._postings(0)
    assert sorted(kept_rows.tolist()) == [0, 1, 2, 3, 4, 6, 8, 10, 12, 14]
    assert sorted(kept_scores.tolist()) == [1.0] * 6 + [3.0] * 4


@pytest.mark.unit
def test_postings_naming_chunks_the_build_lacks_are_refused_when_opened():
    parts = [(np.array([0, 7], dtype=np.int32), np.ones(2, dtype=np.float32))]
    with pytest.raises(ValueError, match="outside"):
        search_at_scale.BoundedPostings(_model(parts, 5), kernel=None)


@pytest.mark.unit
def test_scores_of_another_type_are_summed_by_numpy(kernel):
    parts = [(np.array([1, 2], dtype=np.int32), np.array([0.1, 0.2]))]  # float64 scores
    bounded = search_at_scale.BoundedPostings(_model(parts, 5), kernel=kernel)
    assert bounded.kernel is None
    assert bounded.top(["t0"], 2) == [(2, 0.2), (1, 0.1)]
    with pytest.raises(TypeError):
        kernel.top(parts, 2, np.zeros(5), np.zeros(5, dtype=np.uint8))


@pytest.mark.unit
def test_a_library_that_cannot_be_loaded_leaves_numpy_serving(tmp_path, caplog):
    bad = postings.library_path(tmp_path)
    bad.write_bytes(b"not a library")
    assert postings.load(tmp_path) is None
    assert "cannot be loaded" in caplog.text
    assert postings.load(tmp_path / "nothing-built") is None


@pytest.mark.unit
def test_a_compiler_that_fails_leaves_numpy_serving(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CC", "false")
    assert native.main(tmp_path) == 0
    assert "numpy will be used" in capsys.readouterr().out
    assert not list(tmp_path.glob("_postings*"))
