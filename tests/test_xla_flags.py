"""Default XLA flags: added once, never over the user's own settings, and switchable off; the
CPU thread floor stays above the LAPACK calls of any one program (jaxlib 0.10's deadlock)."""

import os
import re
import subprocess
import sys

import jax
import pytest

from jaxjam import xla_flags
from jaxjam.config import override, preset
from jaxjam.train import make_train
from jaxjam.xla_flags import FAST_COMPILE_FLAGS, apply_default_xla_flags


def test_defaults_are_added_to_empty_flags_once():
    env = {}
    assert apply_default_xla_flags(env, cpu_count=64) == [*FAST_COMPILE_FLAGS, "OPENBLAS_NUM_THREADS=1"]
    assert env["XLA_FLAGS"].split() == list(FAST_COMPILE_FLAGS) and "NPROC" not in env
    assert apply_default_xla_flags(env, cpu_count=64) == []  # idempotent
    assert env["XLA_FLAGS"].split() == list(FAST_COMPILE_FLAGS)


def test_user_settings_win_and_off_switch():
    env = {"XLA_FLAGS": "--xla_gpu_enable_triton_gemm=true --xla_dump_to=/tmp/x", "OMP_NUM_THREADS": "2"}
    added = apply_default_xla_flags(env, cpu_count=64)
    assert added == [FAST_COMPILE_FLAGS[0]]
    assert "--xla_gpu_enable_triton_gemm=true" in env["XLA_FLAGS"]
    assert "--xla_gpu_enable_triton_gemm=false" not in env["XLA_FLAGS"]
    off = {"JAXJAM_XLA_DEFAULTS": "off"}
    assert apply_default_xla_flags(off) == [] and "XLA_FLAGS" not in off


def test_old_jaxlib_gets_no_flags(monkeypatch):
    monkeypatch.setattr(xla_flags, "_jaxlib_version", lambda: (0, 9))
    env = {}
    assert apply_default_xla_flags(env) == [] and "XLA_FLAGS" not in env


def test_few_cores_get_a_thread_floor_unless_nproc_is_set():
    env = {}
    assert apply_default_xla_flags(env, cpu_count=2)[-2:] == [f"NPROC={xla_flags.MIN_CPU_THREADS}",
                                                             "OPENBLAS_NUM_THREADS=1"]
    assert env["NPROC"] == str(xla_flags.MIN_CPU_THREADS) and env["OPENBLAS_NUM_THREADS"] == "1"
    mine = {"NPROC": "2"}
    apply_default_xla_flags(mine, cpu_count=2)
    assert mine["NPROC"] == "2"


def test_thread_floor_alone_leaves_xla_flags_and_big_machines_alone():
    env = {}
    assert xla_flags.apply_cpu_thread_floor(env, cpu_count=2) == [f"NPROC={xla_flags.MIN_CPU_THREADS}"]
    assert set(env) == {"NPROC"}
    big = {}
    assert xla_flags.apply_cpu_thread_floor(big, cpu_count=64) == [] and big == {}


# 16 independent batched QRs in one program: XLA:CPU runs them concurrently, and jaxlib 0.10's
# LAPACK kernel blocks a pool thread per call while its pieces wait on the same pool.
CONCURRENT_QR = """
import jax, jax.numpy as jnp
f = jax.jit(lambda x: sum(jnp.linalg.qr(x * (i + 1.0))[0].sum() for i in range(16)))
x = jax.random.normal(jax.random.PRNGKey(0), (256, 64, 64))
for _ in range(5):
    f(x).block_until_ready()
print("ran")
"""


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="XLA:CPU's thread pool")
def test_concurrent_lapack_calls_run_at_the_thread_floor():
    """At the floor the 16 concurrent QRs run (with NPROC=4 on jaxlib 0.10.2 they hang at 0 % CPU,
    all pool threads in ParallelBatchMap's BlockingCounter::Wait)."""
    env = {k: v for k, v in os.environ.items() if k != "NPROC"}
    xla_flags.apply_cpu_thread_floor(env, cpu_count=2)
    out = subprocess.run([sys.executable, "-c", CONCURRENT_QR], env=env, capture_output=True,
                         text=True, timeout=240)
    assert out.returncode == 0 and out.stdout.strip() == "ran", out.stderr[-2000:]


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="counts the CPU backend's LAPACK calls")
def test_thread_floor_exceeds_the_lapack_calls_of_the_largest_programs():
    """No program jaxjam builds holds as many LAPACK calls as the floor has threads, so they can
    never all wait at once: a 2-seed attention + teacher + per-jammer credit init and chunk, the
    largest on CPU (orthogonal-init QRs, the λ₂ tridiagonalisation, the planner's eigh)."""
    cfg = override(preset("default"), {
        "env.obs": "entity", "ppo.network": "attention", "ppo.hidden": 16, "ppo.attention_mode": "query",
        "ppo.imitation_coef": 1.0, "env.credit_weight": 1.0, "ppo.num_envs": 4, "ppo.rollout_steps": 4,
        "ppo.num_minibatches": 2, "env.max_steps": 8})
    trainer = make_train(cfg)
    keys = jax.random.split(jax.random.PRNGKey(0), 2)
    for fn, arg in ((trainer.init_seeds, keys),
                    (trainer.train_chunk_seeds, jax.eval_shape(trainer.init_seeds, keys))):
        text = fn.lower(arg).as_text()
        calls = re.findall(r"lapack_\w+_ffi", text)
        # Two fake CPU devices double them; all threads must wait at once to deadlock, and each
        # orgqr waits for its geqrf, so fewer than half of them can run together.
        assert 0 < len(calls) <= xla_flags.MIN_CPU_THREADS // 2, calls


def test_import_guard_sets_the_floor_before_the_backend_and_warns_after():
    cap = ["OPENBLAS_NUM_THREADS=1"]
    env = {}
    assert xla_flags.floor_on_import(env, cpu_count=2, started=False) == [f"NPROC={xla_flags.MIN_CPU_THREADS}", *cap]
    mine = {"NPROC": "3"}  # the user's NPROC stays; the BLAS cap still applies
    assert xla_flags.floor_on_import(mine, cpu_count=2, started=True) == cap
    assert mine == {"NPROC": "3", "OPENBLAS_NUM_THREADS": "1"}
    off = {"JAXJAM_XLA_DEFAULTS": "off"}
    assert xla_flags.floor_on_import(off, cpu_count=2, started=True) == [] and off == {"JAXJAM_XLA_DEFAULTS": "off"}
    assert xla_flags.floor_on_import({}, cpu_count=64, started=True) == cap
    late = {}
    with pytest.warns(RuntimeWarning, match=f"NPROC={xla_flags.MIN_CPU_THREADS}"):
        assert xla_flags.floor_on_import(late, cpu_count=2, started=True) == cap
    assert "NPROC" not in late  # too late to change: NPROC is read when the backend starts


def test_blas_cap_respects_the_users_thread_variables():
    for var in xla_flags.BLAS_THREAD_VARS:
        mine = {var: "4"}
        assert xla_flags.apply_blas_thread_cap(mine) == [] and mine == {var: "4"}
    env = {}
    assert xla_flags.apply_blas_thread_cap(env) == ["OPENBLAS_NUM_THREADS=1"] and env == {"OPENBLAS_NUM_THREADS": "1"}


# A batched eigh as in an M=40, N=100 evaluation, in a fresh interpreter after `import jaxjam`:
# scipy's OpenBLAS (which jaxlib's LAPACK calls) must run one thread, whether it loaded after the
# import (the variable) or before it (threadpoolctl).
BLAS_THREADS = """
import sys
if sys.argv[1] == "before":
    import scipy.linalg
import jaxjam, jax, jax.numpy as jnp
from threadpoolctl import threadpool_info
a = jax.random.normal(jax.random.PRNGKey(0), (8, 100, 100))
jnp.linalg.eigh(a + a.swapaxes(1, 2))[0].block_until_ready()
print(sorted({i["num_threads"] for i in threadpool_info() if "scipy" in i["filepath"] and i["user_api"] == "blas"}))
"""


@pytest.mark.parametrize("scipy_first", ["before", "after"])
def test_import_jaxjam_runs_scipys_openblas_on_one_thread(scipy_first):
    env = {k: v for k, v in os.environ.items() if k not in xla_flags.BLAS_THREAD_VARS + ("JAXJAM_XLA_DEFAULTS",)}
    out = subprocess.run([sys.executable, "-c", BLAS_THREADS, scipy_first], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.split("\n")[-2] == "[1]", out


# `import jaxjam` in a fresh interpreter: before JAX's backend starts it sets the floor (on a
# machine with fewer cores); after a computation has started it, it only warns.
IMPORT_ORDER = """
import os, sys, warnings
if sys.argv[1] == "late":
    import jax
    jax.numpy.zeros(1).block_until_ready()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import jaxjam
print(os.environ.get("NPROC"), sum(issubclass(w.category, RuntimeWarning) for w in caught))
"""


def test_import_jaxjam_applies_the_floor_or_warns():
    env = {k: v for k, v in os.environ.items() if k not in ("NPROC", "JAXJAM_XLA_DEFAULTS")}
    small = (os.cpu_count() or 1) < xla_flags.MIN_CPU_THREADS
    for order, expected in (("early", f"{xla_flags.MIN_CPU_THREADS} 0" if small else "None 0"),
                            ("late", "None 1" if small else "None 0")):
        out = subprocess.run([sys.executable, "-c", IMPORT_ORDER, order], env=env, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0 and out.stdout.split()[-2:] == expected.split(), (order, out)
