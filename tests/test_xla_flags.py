"""Default XLA flags: added once, never over the user's own settings, and switchable off."""

from jaxjam import xla_flags
from jaxjam.xla_flags import FAST_COMPILE_FLAGS, apply_default_xla_flags


def test_defaults_are_added_to_empty_flags_once():
    env = {}
    assert apply_default_xla_flags(env) == list(FAST_COMPILE_FLAGS)
    assert env["XLA_FLAGS"].split() == list(FAST_COMPILE_FLAGS)
    assert apply_default_xla_flags(env) == []  # idempotent
    assert env["XLA_FLAGS"].split() == list(FAST_COMPILE_FLAGS)


def test_user_settings_win_and_off_switch():
    env = {"XLA_FLAGS": "--xla_gpu_enable_triton_gemm=true --xla_dump_to=/tmp/x"}
    added = apply_default_xla_flags(env)
    assert added == [FAST_COMPILE_FLAGS[0]]
    assert "--xla_gpu_enable_triton_gemm=true" in env["XLA_FLAGS"]
    assert "--xla_gpu_enable_triton_gemm=false" not in env["XLA_FLAGS"]
    off = {"JAXJAM_XLA_DEFAULTS": "off"}
    assert apply_default_xla_flags(off) == [] and "XLA_FLAGS" not in off


def test_old_jaxlib_gets_no_flags(monkeypatch):
    monkeypatch.setattr(xla_flags, "_jaxlib_version", lambda: (0, 9))
    env = {}
    assert apply_default_xla_flags(env) == [] and "XLA_FLAGS" not in env
