"""Default XLA flags: added once, never over the user's own settings, and switchable off."""

from jaxjam import xla_flags
from jaxjam.xla_flags import FAST_COMPILE_FLAGS, apply_default_xla_flags


def test_defaults_are_added_to_empty_flags_once():
    env = {}
    assert apply_default_xla_flags(env, cpu_count=16) == list(FAST_COMPILE_FLAGS)
    assert env["XLA_FLAGS"].split() == list(FAST_COMPILE_FLAGS) and "NPROC" not in env
    assert apply_default_xla_flags(env, cpu_count=16) == []  # idempotent
    assert env["XLA_FLAGS"].split() == list(FAST_COMPILE_FLAGS)


def test_user_settings_win_and_off_switch():
    env = {"XLA_FLAGS": "--xla_gpu_enable_triton_gemm=true --xla_dump_to=/tmp/x"}
    added = apply_default_xla_flags(env, cpu_count=16)
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
    assert apply_default_xla_flags(env, cpu_count=2)[-1] == f"NPROC={xla_flags.MIN_CPU_THREADS}"
    assert env["NPROC"] == str(xla_flags.MIN_CPU_THREADS)
    mine = {"NPROC": "2"}
    apply_default_xla_flags(mine, cpu_count=2)
    assert mine["NPROC"] == "2"


def test_thread_floor_alone_leaves_xla_flags_and_big_machines_alone():
    env = {}
    assert xla_flags.apply_cpu_thread_floor(env, cpu_count=2) == [f"NPROC={xla_flags.MIN_CPU_THREADS}"]
    assert set(env) == {"NPROC"}
    big = {}
    assert xla_flags.apply_cpu_thread_floor(big, cpu_count=8) == [] and big == {}
