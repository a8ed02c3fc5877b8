"""Shared timing helpers for the benchmark scripts."""

from __future__ import annotations

import platform
import subprocess
import time

import jax


def device_name() -> str:
    d = jax.devices()[0]
    if d.platform == "cpu":
        return f"cpu ({platform.processor() or platform.machine()}, {jax.local_device_count()} device)"
    return f"{d.platform}: {getattr(d, 'device_kind', d)}"


def commit() -> str:
    try:
        return subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], text=True).strip()
    except Exception:
        return "unknown"


def compile_and_time(fn, *args, repeats: int = 3):
    """`(compile_s, best_run_s, output)` for a jitted `fn(*args)`; best of `repeats` runs."""
    t0 = time.perf_counter()
    compiled = jax.jit(fn).lower(*args).compile()
    compile_s = time.perf_counter() - t0
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = jax.block_until_ready(compiled(*args))
        best = min(best, time.perf_counter() - t0)
    return compile_s, best, out


def header(title: str) -> str:
    return (f"## {title}\n\ndevice: {device_name()} · jax {jax.__version__} · commit {commit()} · "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
