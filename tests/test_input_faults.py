"""Fault injection on inputs (issue 16): non-finite training values, the broadcast planner's
size limits, and fuzzed config values and broadcast arguments — each a valid result or one
clear line, never a traceback or a hang. Nothing here compiles a training program."""

import time
from types import SimpleNamespace

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jaxjam.broadcast import decpomdp_optimal_value, make_params, optimal_table, turn_based_throughput
from jaxjam.config import Config, override, preset, to_dict
from jaxjam.resume import NonFiniteError, check_finite, params_finite

# --------------------------------------------------------------------------- finite values

def test_non_finite_metrics_or_parameters_stop_naming_the_update():
    rows = [{"actor_loss": 0.1, "env_steps": 16.0}, {"actor_loss": float("nan"), "env_steps": 32.0}]
    with pytest.raises(NonFiniteError, match=r"diverged at update 8 \(env step 32\): non-finite "
                                             r"actor_loss; this chunk was not saved"):
        check_finite(rows, first_update=7)
    with pytest.raises(NonFiniteError, match="by update 8: non-finite parameters"):
        check_finite(rows[:1] * 2, first_update=7, finite_params=False)
    good = SimpleNamespace(actor_params={"w": jnp.ones(3)}, critic_params={"b": jnp.zeros(2)})
    bad = SimpleNamespace(actor_params={"w": jnp.ones(3)}, critic_params={"b": jnp.array([0.0, jnp.inf])})
    assert params_finite(good) and not params_finite(bad)


# --------------------------------------------------------------------------- broadcast limits

def test_broadcast_sizes_are_refused_fast_with_the_reason():
    t = time.perf_counter()
    with pytest.raises(ValueError, match=r"n_agents = 12 needs .* GiB .*memory limit"):
        turn_based_throughput(0.5, 12, 10)
    with pytest.raises(ValueError, match="memory limit"):
        turn_based_throughput(0.5, 30, 10)
    with pytest.raises(ValueError, match=r"horizon must be <= 100000 \(time and memory"):
        decpomdp_optimal_value(10**9)
    assert time.perf_counter() - t < 1.0


@pytest.mark.parametrize("bad", [2.7, 2.5, float("nan"), "3", True, None])  # None: make_params default
def test_broadcast_counts_must_be_integers(bad):
    for call, name in [(lambda: turn_based_throughput(0.5, bad, 4), "n_agents"),
                       (lambda: turn_based_throughput(0.5, 3, bad), "turns"),
                       (lambda: decpomdp_optimal_value(bad), "horizon"),
                       (lambda: optimal_table([0.5, 0.5], bad), "horizon"),
                       (lambda: make_params(0.5, bad), "n_agents")][:4 if bad is None else 5]:
        with pytest.raises(ValueError, match=f"^{name} must be an integer"):
            call()
    assert turn_based_throughput(0.5, 3.0, 4) == turn_based_throughput(0.5, 3, 4)


# --------------------------------------------------------------------------- fuzzing

KEYS = sorted(f"{part}.{name}" for part, sub in to_dict(Config()).items() for name in sub)
VALUES = st.one_of(st.text(max_size=12), st.sampled_from(["nan", "inf", "-1", "0", "1e400", "2.5",
                                                          "true", "", "1,2", "   ", "\x00"]),
                   st.integers(-10**6, 10**6).map(str), st.floats().map(str))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(key=st.sampled_from(KEYS + ["physics.comm_range_m", "physics.jam_range_m", "nope.x"]),
       value=VALUES)
def test_fuzz_set_values_give_a_valid_config_or_one_line_error(key, value):
    base = preset("default")
    try:
        cfg = override(base, {key: value})
    except ValueError as err:
        msg = str(err)
        assert "\n" not in msg and (key in msg or "physics." in msg or "ppo." in msg
                                    or "env." in msg or "run." in msg), msg
        return
    assert isinstance(cfg, Config)


@settings(max_examples=100, deadline=None)
@given(p=st.one_of(st.floats(), st.text(max_size=3)),
       n=st.one_of(st.integers(-2, 5), st.sampled_from([12, 30, 10**9]), st.floats(), st.text(max_size=2)),
       turns=st.one_of(st.integers(-3, 50), st.floats(), st.sampled_from([10**6, 2**60])))
def test_fuzz_turn_based_throughput_is_a_number_or_one_line_error(p, n, turns):
    t = time.perf_counter()
    try:
        value = turn_based_throughput(p, n, turns)
    except ValueError as err:
        assert "\n" not in str(err)
    else:
        assert np.isfinite(value) and value >= 0
    assert time.perf_counter() - t < 5.0
