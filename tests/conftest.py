import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=1")

from jaxjam.xla_flags import apply_cpu_thread_floor  # noqa: E402  (before JAX starts)

apply_cpu_thread_floor()  # the M=40, N=100 tests would hit jaxlib's CPU LAPACK deadlock on < 4 cores

import jax
import pytest


def pytest_collection_modifyitems(config, items):
    has_gpu = any(d.platform == "gpu" for d in jax.devices())
    skip = pytest.mark.skip(reason="needs a GPU")
    for item in items:
        if "gpu" in item.keywords and not has_gpu:
            item.add_marker(skip)
