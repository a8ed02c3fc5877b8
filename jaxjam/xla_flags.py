"""XLA compiler flags jaxjam adds by default: a faster cold start on NVIDIA GPUs.

A cold `jaxjam train` spends most of its first seconds in XLA:GPU compiling ~300 kernels,
about half of them autotuning candidates (measured in docs/benchmarks.md, "Cold start"):
the fusion autotuner compiles every fusion with two emitters to time them, and Triton GEMM
fusions are autotuned over tile configurations. For jaxjam's small MLPs and elementwise
physics neither pays back: turning both off cuts the compile by ~25 % and changes the
large run's throughput by −6 % (a net gain at every size we train). Explicit settings in
`XLA_FLAGS` win; `JAXJAM_XLA_DEFAULTS=off` disables the defaults. They must be applied
before JAX initialises its backend (the CLI and benchmarks do so first thing).
"""

from __future__ import annotations

import os
from typing import MutableMapping

FAST_COMPILE_FLAGS = (
    "--xla_gpu_experimental_enable_fusion_autotuner=false",
    "--xla_gpu_enable_triton_gemm=false",
)
MIN_JAXLIB = (0, 10)  # the flags exist in (and were measured with) jaxlib 0.10.2 and 0.11


def _jaxlib_version() -> tuple[int, ...]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return tuple(int(x) for x in version("jaxlib").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return (0, 0)


def apply_default_xla_flags(environ: MutableMapping[str, str] = os.environ) -> list[str]:
    """Append FAST_COMPILE_FLAGS the user has not set to `XLA_FLAGS`; returns those added.

    Nothing is added when `JAXJAM_XLA_DEFAULTS=off` or for a jaxlib older than MIN_JAXLIB
    (an XLA that does not know a flag aborts the process).
    """
    if environ.get("JAXJAM_XLA_DEFAULTS", "on").lower() == "off" or _jaxlib_version() < MIN_JAXLIB:
        return []
    current = environ.get("XLA_FLAGS", "")
    added = [f for f in FAST_COMPILE_FLAGS if f.split("=")[0] not in current]
    if added:
        environ["XLA_FLAGS"] = " ".join([current, *added]).strip()
    return added
