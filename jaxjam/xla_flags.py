"""XLA compiler flags jaxjam adds by default: a faster cold start on NVIDIA GPUs.

A cold `jaxjam train` spends most of its first seconds in XLA:GPU compiling ~300 kernels,
about half of them autotuning candidates (measured in docs/benchmarks.md, "Cold start"):
the fusion autotuner compiles every fusion with two emitters to time them, and Triton GEMM
fusions are autotuned over tile configurations. For jaxjam's small MLPs and elementwise
physics neither pays back: turning both off cuts the compile by ~25 % and changes the
large run's throughput by −6 % (a net gain at every size we train). Explicit settings in
`XLA_FLAGS` win; `JAXJAM_XLA_DEFAULTS=off` disables the defaults. They must be applied
before JAX initialises its backend (the CLI, the training benchmark and the experiment
scripts do so first thing).

On machines with fewer than MIN_CPU_THREADS cores it also sets `NPROC` (XLA:CPU's thread
count) to MIN_CPU_THREADS, unless set. jaxlib 0.10's batched LAPACK kernels (QR in the
orthogonal initialisers, the CPU λ₂ solver's tridiagonalisation, eigh in the planner and the
credit) block a pool thread while their pieces run on the same pool. XLA:CPU runs independent
kernels concurrently, so as many concurrent LAPACK calls as pool threads deadlock at 0 % CPU:
M=40, N=100 evaluation on 2 threads, and a 2-seed attention init (7 QR pairs) on 4. The floor
stays above the LAPACK calls of any one program (`tests/test_xla_flags.py` counts them);
docs/architecture.md has the gdb evidence. On 2 cores 32 threads cost nothing measurable
(docs/benchmarks.md, Session 11). `import jaxjam` applies the floor too (`floor_on_import`), so
a notebook or script that uses the library directly gets it; when JAX's backend has already
started by then (NPROC is read once, at its start) it warns instead.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import MutableMapping

FAST_COMPILE_FLAGS = (
    "--xla_gpu_experimental_enable_fusion_autotuner=false",
    "--xla_gpu_enable_triton_gemm=false",
)
MIN_JAXLIB = (0, 10)  # the flags exist in (and were measured with) jaxlib 0.10.2 and 0.11
MIN_CPU_THREADS = 32  # > the LAPACK calls of any one program (16: a 2-seed attention init)
BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _jaxlib_version() -> tuple[int, ...]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return tuple(int(x) for x in version("jaxlib").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return (0, 0)


def apply_cpu_thread_floor(environ: MutableMapping[str, str] = os.environ,
                           cpu_count: int | None = None) -> list[str]:
    """Raise an unset `NPROC` to MIN_CPU_THREADS on a machine with fewer cores (the LAPACK
    deadlock above); returns what was set. Also used by the test suite's conftest."""
    cores = cpu_count if cpu_count is not None else (os.cpu_count() or 1)
    if "NPROC" in environ or cores >= MIN_CPU_THREADS:
        return []
    environ["NPROC"] = str(MIN_CPU_THREADS)
    return [f"NPROC={MIN_CPU_THREADS}"]


def apply_blas_thread_cap(environ: MutableMapping[str, str] = os.environ) -> list[str]:
    """One BLAS thread inside each LAPACK call; returns what was set.

    jaxlib's batched CPU LAPACK kernels (eigh in the CPU λ₂ solver, the planner and cut seek; QR
    in the orthogonal initialisers) already spread a batch's matrices over XLA:CPU's pool, and
    inside each call OpenBLAS (scipy's, which jaxlib calls) starts threads of its own that spin
    while they wait. With the pool at MIN_CPU_THREADS on a small machine, that oversubscription
    made batched eigensolves of [100, 100] Laplacians, i.e. every M=40, N=100 evaluation on a
    CPU, orders of magnitude slower (docs/benchmarks.md, Session 20). Sets
    `OPENBLAS_NUM_THREADS=1` unless the user set one of BLAS_THREAD_VARS; when `environ` is the
    process's own and scipy's OpenBLAS is already loaded (it reads the variable when it loads,
    at the first LAPACK call), applies the same limit through threadpoolctl. NumPy's own BLAS,
    if it loads after this, runs one thread too.
    """
    if any(v in environ for v in BLAS_THREAD_VARS):
        return []
    environ["OPENBLAS_NUM_THREADS"] = "1"
    if environ is os.environ and "scipy.linalg" in sys.modules:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1, user_api="blas")
    return ["OPENBLAS_NUM_THREADS=1"]


def backends_started() -> bool:
    """Whether JAX has created its backends (after which `NPROC` is no longer read)."""
    bridge = sys.modules.get("jax._src.xla_bridge")
    if bridge is None:
        return False
    started = getattr(bridge, "backends_are_initialized", None)
    return bool(started()) if started is not None else bool(getattr(bridge, "_backends", True))


def floor_on_import(environ: MutableMapping[str, str] = os.environ, cpu_count: int | None = None,
                    started: bool | None = None) -> list[str]:
    """`import jaxjam`'s guard: the CPU thread floor while JAX's backend has not started (returns
    what was set); a RuntimeWarning naming the fix when it has and the floor is missing.
    `JAXJAM_XLA_DEFAULTS=off` or an `NPROC` of the user's own turns both off. Either way (unless
    off) it caps BLAS threads (`apply_blas_thread_cap`)."""
    if environ.get("JAXJAM_XLA_DEFAULTS", "on").lower() == "off":
        return []
    capped = apply_blas_thread_cap(environ)
    if not (backends_started() if started is None else started):
        return apply_cpu_thread_floor(environ, cpu_count) + capped
    cores = cpu_count if cpu_count is not None else (os.cpu_count() or 1)
    if "NPROC" in environ or cores >= MIN_CPU_THREADS:
        return capped
    warnings.warn(
        f"JAX's backend started before jaxjam was imported, so XLA:CPU runs {cores} threads "
        f"(< {MIN_CPU_THREADS}): on CPU a multi-seed attention init or an M=40 evaluation can "
        f"deadlock in jaxlib's batched LAPACK. Import jaxjam first, or set NPROC={MIN_CPU_THREADS} "
        "before starting Python (see jaxjam/xla_flags.py).", RuntimeWarning, stacklevel=3)
    return capped


def apply_default_xla_flags(environ: MutableMapping[str, str] = os.environ,
                            cpu_count: int | None = None) -> list[str]:
    """Append FAST_COMPILE_FLAGS the user has not set to `XLA_FLAGS`, raise an unset `NPROC` to
    MIN_CPU_THREADS on a machine with fewer cores and cap BLAS threads
    (`apply_blas_thread_cap`); returns what was added.

    Nothing is added when `JAXJAM_XLA_DEFAULTS=off` or for a jaxlib older than MIN_JAXLIB
    (an XLA that does not know a flag aborts the process).
    """
    if environ.get("JAXJAM_XLA_DEFAULTS", "on").lower() == "off" or _jaxlib_version() < MIN_JAXLIB:
        return []
    added_env = apply_cpu_thread_floor(environ, cpu_count) + apply_blas_thread_cap(environ)
    current = environ.get("XLA_FLAGS", "")
    added = [f for f in FAST_COMPILE_FLAGS if f.split("=")[0] not in current]
    if added:
        environ["XLA_FLAGS"] = " ".join([current, *added]).strip()
    return added + added_env
