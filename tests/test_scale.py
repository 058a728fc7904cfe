"""Ranking at scale (assistant/search_at_scale.py): past EXACT_LIMIT chunks the index ranks
through a vector graph and cut postings; on the shipped corpus both paths must agree, the
graph must come out the same from the same vectors, and the scale benchmark must run."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT, make_settings


def _questions() -> list[str]:
    from assistant.evaluation import load_questions
    return [q["q"] for name in ("dev", "citizen") for q in load_questions(ROOT / "tests" / "data" / f"questions.{name}.jsonl")]


@pytest.mark.integration
def test_the_graph_finds_the_nearest_passages_on_the_shipped_corpus(service, both_paths):
    """Measured: over 419 questions the graph's top 40 holds 0.99 of the exact top 40 and its
    first passage is the exact first for all but one; the order of what it finds is exact."""
    exact, scaled = both_paths
    questions = _questions()
    recall, same_first = [], 0
    for q in questions:
        v = service.embedder.embed_query(q)
        want, got = exact.dense(v, 40), scaled.dense(v, 40)
        recall.append(len({r for r, _ in want} & {r for r, _ in got}) / 40)
        same_first += got[0][0] == want[0][0]
        sims = [s for _, s in got]
        assert sims == sorted(sims, reverse=True)
        assert np.allclose(sims, [float(exact.vectors[r] @ v) for r, _ in got], atol=1e-5)
    assert np.mean(recall) >= 0.98 and min(recall) >= 0.85, (np.mean(recall), min(recall))
    assert same_first >= 0.98 * len(questions)


@pytest.mark.integration
def test_cut_postings_rank_as_full_bm25_on_the_shipped_corpus(service, both_paths):
    """Below MAX_POSTINGS nothing is cut: the same passages with the same scores (float64 sums
    instead of float32; the order may differ only between equal scores)."""
    exact, scaled = both_paths
    retriever = service._retriever(exact)
    for q in _questions():
        terms = retriever.terms(q, q)
        for field in ("lexical_words", "lexical_folded"):
            want = dict(getattr(exact, field)(terms.words if field == "lexical_words" else terms.folded, 40))
            got = dict(getattr(scaled, field)(terms.words if field == "lexical_words" else terms.folded, 40))
            # the 40th score may tie with the 41st: compare what lies strictly above the cut
            floor = min(want.values(), default=0.0)
            assert {r for r, s in want.items() if s > floor + 1e-4} <= set(got), (q, field)
            for r in set(want) & set(got):
                assert abs(want[r] - got[r]) < 1e-3 * max(1.0, want[r]), (q, field, r)


@pytest.mark.unit
def test_the_same_vectors_give_the_same_graph(tmp_path):
    from assistant import search_at_scale
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(3000, 64)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    search_at_scale.build_ann(vectors, tmp_path / "a.usearch")
    search_at_scale.build_ann(vectors, tmp_path / "b.usearch")
    assert (tmp_path / "a.usearch").read_bytes() == (tmp_path / "b.usearch").read_bytes()
    ann = search_at_scale.open_ann(tmp_path / "a.usearch")
    q = vectors[123]
    got = search_at_scale.dense_ann(ann, vectors, q, 10)
    want = np.argsort(-(vectors @ q), kind="stable")[:10]
    assert [r for r, _ in got][:5] == [int(r) for r in want[:5]]


@pytest.mark.integration
def test_the_scale_benchmark_runs_at_a_small_size(tmp_path):
    """The smoke run of benchmarks/scale.py (the full run is not part of make test)."""
    out = tmp_path / "scale.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "scale.py"), "--sizes", "1", "2",
                           "--fake-embedder", "--questions", "4", "--rounds", "1", "--work", str(tmp_path / "w"),
                           "--json", str(out)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
    assert [r["size"] for r in rows] == ["1x", "2x"]
    assert rows[1]["chunks"] > 1.9 * rows[0]["chunks"] and rows[1]["documents"] == 2 * rows[0]["documents"]
    assert all(r["chat_p50_ms"] > 0 and r["search_p50_ms"] > 0 and r["build_s"] > 0 for r in rows)
    assert "size | documents | chunks" in proc.stdout


@pytest.mark.unit
def test_the_compact_term_index_answers_as_the_sets_it_replaces(tmp_path):
    from assistant.term_index import TermIndex, build
    chunks = [["hop", "tac", "hop_tac", "xa"], [], ["xa", "vien", "xa_vien", "xa"], ["tac", "vien"]]
    build(chunks, tmp_path, "t")
    terms = TermIndex.load(tmp_path, "t")
    for row, held in enumerate(chunks):
        asked = ["xa", "vien", "hop_tac", "khong_co", "tac"]
        assert terms.present(row, asked) == frozenset(t for t in asked if t in held)
    assert terms.get("xa") == 2 and terms.get("tac") == 2 and terms.get("khong_co") == 0
    assert "xa_vien" in terms and "khong_co" not in terms
    again = TermIndex.from_lists(chunks)
    assert [again.present(r, ["xa", "tac"]) for r in range(4)] == [terms.present(r, ["xa", "tac"]) for r in range(4)]


@pytest.mark.integration
def test_a_build_missing_a_term_file_computes_its_terms_and_a_replaced_index_is_freed(service, built_data_dir, tmp_path):
    import gc
    import shutil
    import weakref

    from assistant import answer, answerability, duties, topic
    from assistant.index import OpenIndex, indexes_dir
    build = service.index().build_id
    data = tmp_path / "data"
    shutil.copytree(indexes_dir(built_data_dir) / build, indexes_dir(data) / build)
    (indexes_dir(data) / build / "terms_folded.vocab.json").unlink()
    index = OpenIndex(make_settings(data), build)
    # before: the chunks' text was dropped because the .npz files existed, and every chunk had no terms
    assert index.terms.get("hop_tac") == service.index().terms.get("hop_tac") > 100
    assert index.terms.present(0, ["hop", "tac"]) == service.index().terms.present(0, ["hop", "tac"])
    answer.office_definitions(index), answerability.known_act(index)("Luật Hợp tác xã")
    duties.answer_duties(index, "Ủy ban nhân dân tỉnh có nhiệm vụ gì?"), topic.names_topic(index, "hợp tác xã")
    gone = weakref.ref(index)
    del index
    gc.collect()
    assert gone() is None  # nothing derived from it keeps it (or its memory) alive
