import os
import subprocess
import sys
import tempfile

# Tests compile many small programs and run them briefly: XLA:CPU's LLVM optimisation costs
# more than it saves here (a training-chunk test 106 s -> 32 s on 2 cores). Both sides of every
# equality test are compiled alike, so no result the tests compare depends on it.
BASE_TEST_COMPILE = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
# XLA:CPU's older elemental emitters, codegen in one piece: a third of the compile CPU time
# (training chunk 7.1 -> 2.1 s, evaluation episode 3.6 -> 1.0 s; jaxlib 0.10.2, 2 cores), the
# same numbers (tests/test_golden.py stays bit-identical). Used only where this jaxlib knows both
# flags (XLA aborts on an unknown one): asked once per session in a subprocess.
LEGACY_EMITTERS = "--xla_cpu_use_fusion_emitters=false --xla_cpu_parallel_codegen_split_count=1"


def _test_compile_flags() -> str:
    """The suite's XLA:CPU compile flags, decided once per session (xdist workers and the
    processes tests start inherit JAXJAM_TEST_XLA_FLAGS)."""
    if "JAXJAM_TEST_XLA_FLAGS" not in os.environ:
        try:
            known = subprocess.run([sys.executable, "-c", "import jax; jax.devices()"],
                                   env={**os.environ, "JAX_PLATFORMS": "cpu",
                                        "XLA_FLAGS": BASE_TEST_COMPILE + " " + LEGACY_EMITTERS},
                                   capture_output=True, timeout=120).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            known = False
        os.environ["JAXJAM_TEST_XLA_FLAGS"] = BASE_TEST_COMPILE + (" " + LEGACY_EMITTERS if known else "")
    return os.environ["JAXJAM_TEST_XLA_FLAGS"]


FAST_TEST_COMPILE = _test_compile_flags()
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=1")
if "xla_backend_optimization_level" not in os.environ["XLA_FLAGS"]:
    os.environ["XLA_FLAGS"] += " " + FAST_TEST_COMPILE

# One persistent XLA cache per test session, shared by the xdist workers and the CLI runs they
# start: tests that build the same program (the same config) compile it once. Fresh per session
# (keyed by xdist's run id), so a run never reuses another run's compiled code.
_CACHE = os.path.join(tempfile.gettempdir(), "jaxjam-test-xla-" + os.environ.get(
    "PYTEST_XDIST_TESTRUNUID", str(os.getpid())))
os.environ.setdefault("JAXJAM_CACHE_DIR", _CACHE)

from jaxjam.xla_flags import apply_blas_thread_cap, apply_cpu_thread_floor  # noqa: E402  (before JAX starts)

apply_cpu_thread_floor()  # the M=40, N=100 tests would hit jaxlib's CPU LAPACK deadlock on < 4 cores
apply_blas_thread_cap()  # and without it their batched eigensolves spin in OpenBLAS threads

import jax
import pytest

jax.config.update("jax_compilation_cache_dir", os.environ["JAXJAM_CACHE_DIR"])
jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)


def pytest_collection_modifyitems(config, items):
    has_gpu = any(d.platform == "gpu" for d in jax.devices())
    skip = pytest.mark.skip(reason="needs a GPU")
    for item in items:
        if "gpu" in item.keywords and not has_gpu:
            item.add_marker(skip)
    # Files with a `slow` test first, each file's tests together and in their order: xdist
    # (`--dist loadfile --no-loadscope-reorder`, pyproject) hands out files in this order, so the
    # long ones start early and the many short files fill the end instead of one worker idling
    # behind a long file handed out last.
    slow_files = {item.path for item in items if "slow" in item.keywords}
    items.sort(key=lambda item: item.path not in slow_files)  # stable: the rest keep their order
