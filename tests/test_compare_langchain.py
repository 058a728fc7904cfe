"""The LangChain baseline of benchmarks/compare_langchain.py: the tutorial's splitter settings,
our embedder behind LangChain's Embeddings, a Chroma store that is reused, on one small corpus
file with the hash embedder (no model, a second or so)."""
from __future__ import annotations

import importlib.util
import os
import sys

import pytest

from tests.conftest import ROOT
from tests.fakes import HashEmbedder

pytestmark = pytest.mark.integration
try:
    import langchain_chroma  # noqa: F401
    import langchain_text_splitters  # noqa: F401
except ImportError as exc:  # CI installs the dev extra: there a missing package is a failure, not a skip
    if os.environ.get("CI"):
        raise
    pytest.skip(f"the LangChain baseline needs the dev extra ({exc})", allow_module_level=True)

SMALL = ROOT / "corpus" / "chuong-trinh-hanh-dong-nq20-tinh-uy.md"   # ~20 KB, about 20 chunks


@pytest.fixture(scope="module")
def compare():
    name = "compare_langchain_under_test"
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "compare_langchain.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module          # dataclasses look their module up while the file executes
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(name, None)


def test_recipe_on_one_file(compare, tmp_path):
    embedder = HashEmbedder()
    recipe = compare.build_recipe([SMALL], embedder, tmp_path / "recipe")
    chunks = recipe.chunks
    assert not recipe.reused and len(chunks) > 5
    assert embedder.passages == len(chunks)              # every chunk embedded once, by our embedder

    # the tutorial's splitter: chunk_size 1000, chunk_overlap 200
    splitter = compare.make_splitter()
    assert (splitter._chunk_size, splitter._chunk_overlap) == (1000, 200)
    assert all(0 < len(c.page_content) <= 1000 for c in chunks)
    assert max(len(c.page_content) for c in chunks) > 800      # filled up to the size, not per paragraph

    # front matter stripped, as our loader does; every chunk is a slice of the text at its start_index
    text = compare.load_plain(SMALL).page_content
    assert not text.startswith("---") and "\nsource:" not in text[:2000]
    assert "CHƯƠNG TRÌNH HÀNH ĐỘNG" in chunks[0].page_content
    for c in chunks:
        start = c.metadata["start_index"]
        assert text[start:start + len(c.page_content)] == c.page_content

    # consecutive chunks overlap: the next one starts inside the previous one, repeating its
    # tail (at most 200 characters). The splitter carries over whole pieces (paragraphs, then
    # lines, words), so a pair split at a paragraph longer than 200 characters has none.
    overlaps = []
    for a, b in zip(chunks, chunks[1:]):
        end_a, start_b = a.metadata["start_index"] + len(a.page_content), b.metadata["start_index"]
        if start_b < end_a:
            n = end_a - start_b
            assert n <= 200
            assert b.page_content.startswith(a.page_content[-n:])
            overlaps.append(n)
    assert len(overlaps) >= len(chunks) // 3, (len(overlaps), len(chunks))

    # on text of short lines every consecutive pair overlaps
    lines = "\n".join(f"Dòng {i}: hợp tác xã, tổ hợp tác và liên hiệp hợp tác xã." for i in range(200))
    parts = splitter.split_text(lines)
    assert len(parts) > 5 and all(len(p) <= 1000 for p in parts)
    for a, b in zip(parts, parts[1:]):
        assert b.split("\n", 1)[0] in a.split("\n")   # the next chunk begins with a line of the previous one

    # similarity_search: k=4 documents, the query embedded by our embedder, not by Chroma
    calls = embedder.calls
    docs = recipe.search("mục tiêu đến năm 2030 về hợp tác xã")
    assert len(docs) == 4 and embedder.calls == calls + 1
    assert all(d.metadata["source"] == SMALL.name for d in docs)

    # a second run reuses the stored vectors: nothing embedded again
    again = compare.build_recipe([SMALL], embedder, tmp_path / "recipe")
    assert again.reused and again.persist_dir == recipe.persist_dir
    assert embedder.passages == len(chunks)
    assert [d.page_content for d in again.search("mục tiêu đến năm 2030 về hợp tác xã")] == \
           [d.page_content for d in docs]
