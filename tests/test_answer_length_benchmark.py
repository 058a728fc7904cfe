"""benchmarks/answer_length.py: what quoting fewer passages would keep and cost (issue 12). The
full run is not part of make test; this smoke run checks that it runs and that its switch works."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.integration
def test_the_answer_length_benchmark_prints_a_row_per_passage_cap(built_data_dir, tmp_path):
    """The smoke run of benchmarks/answer_length.py on three questions (the full run is not part
    of make test): a row per passage cap, the shipped cap last, one passage shorter than the shipped four."""
    from assistant.answer import MAX_PARTS
    from assistant.evaluation import load_questions
    questions = load_questions(ROOT / "tests" / "data" / "questions.dev.jsonl")[:3]
    small = tmp_path / "three.jsonl"
    small.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    out = tmp_path / "length.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "answer_length.py"), "--data-dir", str(built_data_dir),
                           "--corpus-dir", str(ROOT / "corpus"), "--sets", "--extra", str(small), "--caps", "1",
                           "--json", str(out)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    figures = json.loads(out.read_text(encoding="utf-8"))
    rows = figures[f"{tmp_path.name}/three"]
    assert list(rows) == ["1", str(MAX_PARTS)] and figures["shipped_cap"] == MAX_PARTS
    assert rows["1"]["median"] < rows[str(MAX_PARTS)]["median"]  # the cap took effect
    assert rows["1"]["accuracy"] <= rows[str(MAX_PARTS)]["accuracy"]
    assert "accuracy first-400" in proc.stdout
