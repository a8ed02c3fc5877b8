import os
import tempfile

# Tests compile many small programs and run them briefly: XLA:CPU's LLVM optimisation costs
# more than it saves here (a training-chunk test 106 s -> 32 s on 2 cores). Both sides of every
# equality test are compiled alike, so no result the tests compare depends on it.
FAST_TEST_COMPILE = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=1")
if "xla_backend_optimization_level" not in os.environ["XLA_FLAGS"]:
    os.environ["XLA_FLAGS"] += " " + FAST_TEST_COMPILE

# One persistent XLA cache per test session, shared by the xdist workers and the CLI runs they
# start: tests that build the same program (the same config) compile it once. Fresh per session
# (keyed by xdist's run id), so a run never reuses another run's compiled code.
_CACHE = os.path.join(tempfile.gettempdir(), "jaxjam-test-xla-" + os.environ.get(
    "PYTEST_XDIST_TESTRUNUID", str(os.getpid())))
os.environ.setdefault("JAXJAM_CACHE_DIR", _CACHE)

from jaxjam.xla_flags import apply_cpu_thread_floor  # noqa: E402  (before JAX starts)

apply_cpu_thread_floor()  # the M=40, N=100 tests would hit jaxlib's CPU LAPACK deadlock on < 4 cores

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
