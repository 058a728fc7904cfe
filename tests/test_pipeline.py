"""Ingest mechanics over real files, real Chroma and real BM25, with a hash embedder so each
test builds its own small index in seconds."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant import index as idx
from assistant.index import IndexHolder, IndexNotReady, OpenIndex
from assistant.service import AssistantService
from ingest import pipeline
from ingest.pipeline import run_ingest
from tests.conftest import FIXTURES, ROOT, make_settings
from tests.fakes import HashEmbedder

pytestmark = pytest.mark.integration

PROGRAM = ROOT / "corpus" / "chuong-trinh-hanh-dong-nq20-tinh-uy.md"


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(PROGRAM, corpus / PROGRAM.name)
    shutil.copy(FIXTURES / "luat-an-ninh-mang-24-2018-qh14.docx", corpus / "luat-an-ninh-mang.docx")
    (corpus / "manifest.yaml").write_text(
        "documents:\n"
        "  - id: chuong-trinh\n    file: chuong-trinh-hanh-dong-nq20-tinh-uy.md\n"
        "    title: Chương trình hành động\n    short: Chương trình hành động NQ20\n    status: in_force\n",
        encoding="utf-8")
    return corpus


def test_report_names_broken_files_and_indexes_the_rest(tmp_path):
    corpus = _corpus(tmp_path)
    (corpus / "hong.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (corpus / "hong.docx").write_bytes(b"PK\x03\x04 broken zip")
    (corpus / "bang-tinh.xlsx").write_bytes(b"whatever")
    with open(corpus / "manifest.yaml", "a", encoding="utf-8") as fh:
        fh.write("  - id: mat-tich\n    file: khong-co.md\n    title: Không có\n")
    settings = make_settings(tmp_path / "data", corpus_dir=corpus)
    report = run_ingest(settings, progress=False, embedder=HashEmbedder())
    failed = dict(report.failed)
    assert set(failed) == {"hong.pdf", "hong.docx", "khong-co.md"}
    assert "PDF" in failed["hong.pdf"] and "DOCX" in failed["hong.docx"]
    assert "missing" in failed["khong-co.md"]
    assert dict(report.skipped)["bang-tinh.xlsx"].startswith("unsupported")
    assert report.documents == 2 and report.build_id
    index = OpenIndex(settings, report.build_id)
    assert set(index.documents) == {"chuong-trinh", "luat-an-ninh-mang"}
    assert index.documents["chuong-trinh"].short == "Chương trình hành động NQ20"  # manifest wins
    text = report.render()
    assert "FAILED: hong.pdf" in text and "documents: 2" in text


def test_unchanged_corpus_is_not_rebuilt_and_one_changed_file_costs_one_file(tmp_path):
    corpus = _corpus(tmp_path)
    settings = make_settings(tmp_path / "data", corpus_dir=corpus)
    emb = HashEmbedder()
    first = run_ingest(settings, progress=False, embedder=emb)
    assert first.embedded == first.chunks > 0
    again = run_ingest(settings, progress=False, embedder=emb)
    assert again.up_to_date and again.build_id == first.build_id and again.embedded == 0
    # change one bullet of the program: only its chunk is embedded again
    text = (corpus / PROGRAM.name).read_text(encoding="utf-8")
    (corpus / PROGRAM.name).write_text(text.replace("khoảng 540 hợp tác xã", "khoảng 560 hợp tác xã"),
                                       encoding="utf-8")
    changed = run_ingest(settings, progress=False, embedder=emb)
    assert not changed.up_to_date and changed.build_id != first.build_id
    assert changed.embedded == 1
    assert changed.cached == changed.chunks - 1
    assert idx.current_build(settings.data_dir) == changed.build_id


def test_crash_mid_ingest_leaves_the_old_index_serving(tmp_path, monkeypatch):
    corpus = _corpus(tmp_path)
    settings = make_settings(tmp_path / "data", corpus_dir=corpus)
    emb = HashEmbedder()
    good = run_ingest(settings, progress=False, embedder=emb)
    service = AssistantService(settings, embedder=emb)
    question = "Đến năm 2030 toàn tỉnh có bao nhiêu hợp tác xã?"
    before, hits_before = service.answer(question), service.search(question, 3)
    assert "540 hợp tác xã" in hits_before[0].text

    (corpus / "moi.md").write_text("# Văn bản mới\n\nĐiều 1. Thử\n\n1. Nội dung mới.\n\nĐiều 2. Hai\n\n1. Hai.\n",
                                   encoding="utf-8")

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "count_syllables", boom)  # fails after Chroma and BM25 files began
    with pytest.raises(RuntimeError, match="disk full"):
        run_ingest(settings, progress=False, embedder=emb)
    assert idx.current_build(settings.data_dir) == good.build_id
    leftovers = [p.name for p in idx.indexes_dir(settings.data_dir).iterdir() if p.name.startswith(".tmp")]
    assert leftovers == []
    assert service.answer(question).answer == before.answer
    assert [h.text for h in service.search(question, 3)] == [h.text for h in hits_before]


def test_new_build_is_picked_up_without_restart(tmp_path):
    corpus = _corpus(tmp_path)
    settings = make_settings(tmp_path / "data", corpus_dir=corpus)
    emb = HashEmbedder()
    run_ingest(settings, progress=False, embedder=emb)
    holder = IndexHolder(settings)
    first = holder.get()
    assert "luat-an-ninh-mang" in first.documents
    (corpus / "luat-an-ninh-mang.docx").unlink()
    run_ingest(settings, progress=False, embedder=emb)
    second = holder.get()
    assert second.build_id != first.build_id and set(second.documents) == {"chuong-trinh"}


def test_corrupted_index_names_the_fix(tmp_path):
    corpus = _corpus(tmp_path)
    settings = make_settings(tmp_path / "data", corpus_dir=corpus)
    report = run_ingest(settings, progress=False, embedder=HashEmbedder())
    build = idx.indexes_dir(settings.data_dir) / report.build_id
    (build / "chunks.jsonl").write_text("{not json\n", encoding="utf-8")
    with pytest.raises(IndexNotReady, match="assistant ingest"):
        IndexHolder(settings).get()


def test_missing_index_names_the_fix(tmp_path):
    with pytest.raises(IndexNotReady, match="assistant ingest"):
        IndexHolder(make_settings(tmp_path / "empty")).get()


def test_index_built_with_another_embedder_is_refused(tmp_path):
    corpus = _corpus(tmp_path)
    settings = make_settings(tmp_path / "data", corpus_dir=corpus)
    run_ingest(settings, progress=False, embedder=HashEmbedder())
    other = make_settings(tmp_path / "data", corpus_dir=corpus, embeddings="sentence-transformers:/nowhere")
    with pytest.raises(IndexNotReady, match="EMBEDDINGS"):
        IndexHolder(other).get()


def test_pdf_pages_are_kept_on_chunks(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FIXTURES / "hop-dong-dai-ly-mau-word365.pdf", corpus / "hop-dong.pdf")
    settings = make_settings(tmp_path / "data", corpus_dir=corpus)
    report = run_ingest(settings, progress=False, embedder=HashEmbedder())
    index = OpenIndex(settings, report.build_id)
    pages = {p for c in index.chunks for p in c.pages}
    assert pages >= {1, 2, 3} and max(pages) <= 8
    meta = json.loads((idx.indexes_dir(settings.data_dir) / report.build_id / "meta.json").read_text())
    assert meta["chunks"] == len(index.chunks) and meta["chroma"] == "embedded"


def test_chroma_records_carry_document_metadata(tmp_path):
    corpus = _corpus(tmp_path)
    settings = make_settings(tmp_path / "data", corpus_dir=corpus)
    report = run_ingest(settings, progress=False, embedder=HashEmbedder())
    index = OpenIndex(settings, report.build_id)
    got = index.collection().get(where={"doc_id": "chuong-trinh"}, limit=50, include=["metadatas", "documents"])
    assert got["ids"]
    meta = dict(zip(got["ids"], got["metadatas"]))
    labels = {m["label"] for m in meta.values()}
    assert "Mục IV.5" in labels and "Mục II.2" in labels
    one = next(iter(meta.values()))
    assert one["doc_short"] == "Chương trình hành động NQ20" and one["status"] == "in_force"
    assert one["doc_title"] == "Chương trình hành động" and one["path"].startswith("Chương trình hành động NQ20")


def test_an_ingest_that_overlaps_another_cannot_remove_the_build_it_made_current(tmp_path, monkeypatch):
    """The first ingest is held between making its build current and removing old builds;
    a second one starts meanwhile. Before the lock, the second finished, and the first then
    removed the build the second had just made current: no index served."""
    import threading
    corpus = _corpus(tmp_path)
    settings = make_settings(tmp_path / "data", corpus_dir=corpus)
    emb = HashEmbedder()
    made_current, go_on = threading.Event(), threading.Event()
    real_set_current = idx.set_current

    def held_set_current(data_dir, build_id):
        real_set_current(data_dir, build_id)
        if threading.current_thread() is not first_thread:
            return
        made_current.set()
        go_on.wait(10)

    monkeypatch.setattr(idx, "set_current", held_set_current)
    first_thread = threading.Thread(target=run_ingest, args=(settings,), kwargs={"progress": False, "embedder": emb,
                                                                                  "force": True})
    first_thread.start()
    assert made_current.wait(30)
    second = threading.Thread(target=run_ingest, args=(settings,), kwargs={"progress": False, "embedder": emb,
                                                                            "force": True})
    second.start()
    second.join(3)        # with the lock it waits for the first; without, it would be done by now
    go_on.set()
    first_thread.join(30)
    second.join(60)
    current = idx.current_build(settings.data_dir)
    assert current and (idx.indexes_dir(settings.data_dir) / current / "meta.json").exists()
    service = AssistantService(settings, embedder=emb)
    assert "540 hợp tác xã" in service.search("Đến năm 2030 toàn tỉnh có bao nhiêu hợp tác xã?", 3)[0].text


def test_two_ingest_processes_at_once_leave_one_serving_index(tmp_path):
    """Two real `assistant ingest --force` processes on one data dir, as replicas starting together."""
    import os
    import subprocess
    import sys
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(PROGRAM, corpus / PROGRAM.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_DATA_DIR=str(tmp_path / "data"), ASSISTANT_CORPUS_DIR=str(corpus))
    cli = Path(sys.executable).parent / "assistant"
    procs = [subprocess.Popen([str(cli), "ingest", "--force", "--quiet"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert any("another ingest is running" in err for _, err in results)   # the second waited for the first
    settings = make_settings(tmp_path / "data", corpus_dir=corpus)
    holder = IndexHolder(settings)
    index = holder.get()
    assert len(index.chunks) > 10 and index.build_id == idx.current_build(settings.data_dir)
    builds = [p.name for p in idx.indexes_dir(settings.data_dir).iterdir() if not p.name.startswith(".")]
    assert index.build_id in builds


def test_a_lost_embedded_vector_store_is_rebuilt_not_called_up_to_date(tmp_path):
    corpus = _corpus(tmp_path)
    settings = make_settings(tmp_path / "data", corpus_dir=corpus)
    emb = HashEmbedder()
    first = run_ingest(settings, progress=False, embedder=emb)
    shutil.rmtree(idx.indexes_dir(settings.data_dir) / first.build_id / "chroma")
    again = run_ingest(settings, progress=False, embedder=emb)
    assert not again.up_to_date and again.build_id != first.build_id
    assert IndexHolder(settings).get().build_id == again.build_id


def test_twenty_rebuilds_in_one_process_keep_open_files_and_memory_flat(tmp_path):
    """Each build's embedded Chroma store is released once built and once replaced (before:
    about 17 more open descriptors and 5 MB per rebuild, for the life of the process)."""
    import os
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(PROGRAM, corpus / PROGRAM.name)
    settings = make_settings(tmp_path / "data", corpus_dir=corpus)
    emb, holder = HashEmbedder(), IndexHolder(settings)

    def fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    def rss_mb() -> float:
        return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    seen = {}
    for i in range(20):
        run_ingest(settings, progress=False, embedder=emb, force=True)
        assert holder.get().build_id == idx.current_build(settings.data_dir)
        if i in (4, 19):
            seen[i] = (fds(), rss_mb())
    assert seen[19][0] - seen[4][0] <= 3, seen
    assert seen[19][1] - seen[4][1] < 40, seen


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def test_a_replica_with_a_read_only_index_dir_serves_and_answers(tmp_path):
    """The documented scale-out: one ingest writes the index dir; replicas mount it read-only
    and write only to their own state dir (sessions, feedback)."""
    import stat

    import httpx

    from assistant.api.app import create_app
    from tests.conftest import LiveServer
    corpus = _corpus(tmp_path)
    index_dir, state_dir = tmp_path / "index", tmp_path / "state-replica-1"
    emb = HashEmbedder()
    builder = make_settings(tmp_path / "unused", corpus_dir=corpus, index_dir=index_dir)
    assert run_ingest(builder, progress=False, embedder=emb).build_id
    before = _tree(index_dir)
    for p in [index_dir, *index_dir.rglob("*")]:  # read-only for whoever is not root
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        replica = make_settings(tmp_path / "data-replica", corpus_dir=corpus, index_dir=index_dir,
                                state_dir=state_dir, ingest_on_start=False)
        with LiveServer(create_app(replica, AssistantService(replica, embedder=emb))) as live:
            assert httpx.get(live.url + "/readyz", timeout=30).status_code == 200
            question = "Đến năm 2030 toàn tỉnh có bao nhiêu hợp tác xã?"
            found = httpx.get(live.url + "/api/search", params={"q": question}, timeout=30).json()["results"]
            assert "540 hợp tác xã" in found[0]["text"]
            chat = httpx.post(live.url + "/api/chat", json={"message": question}, timeout=30).json()
            assert chat["answer"] and chat["message_id"]   # (the hash embedder's cosines make it a refusal)
            assert httpx.post(live.url + "/api/feedback", json={"message_id": chat["message_id"], "rating": 1},
                              timeout=30).status_code == 200
    finally:
        for p in [index_dir, *index_dir.rglob("*")]:
            p.chmod(p.stat().st_mode | stat.S_IWUSR)
    assert _tree(index_dir) == before                      # nothing written where the index is
    assert (state_dir / "conversations.sqlite").exists()   # the replica's own writes
    assert not (tmp_path / "data-replica" / "conversations.sqlite").exists()
