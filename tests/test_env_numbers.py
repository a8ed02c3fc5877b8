"""Traced env/physics numbers (`jaxjam.config.traced`): a change reuses the compiled training
program and takes effect, the traced path equals the static one bit for bit, a grid of reward
weights × seeds trains in one program, bad values raise the config validator's errors, and
the sweep script takes env numbers."""

import re

import jax
import numpy as np
import pytest

from jaxjam.config import override, preset
from jaxjam.config.traced import TRACED_ENV, EnvNumbers, static_env
from jaxjam.env import random_actions, reset, step
from jaxjam.train import make_train

CFG = override(preset("default"), {"ppo.hidden": 8, "ppo.num_envs": 4, "ppo.rollout_steps": 8,
                                   "env.max_steps": 8, "run.updates_per_chunk": 2,
                                   "ppo.total_steps": 64, "ppo.num_minibatches": 2})
OTHER = {"env.reward_weights": (2.0, 0.0, 0.5, 0.0, 1.0), "env.dbscan_eps_m": 12.0,
         "physics.jam_range_m": 25.0}


@pytest.fixture(scope="module")
def trainer():
    return make_train(CFG)


def _leaves_equal(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))


def test_a_change_reuses_the_compiled_program_and_takes_effect(trainer):
    key = jax.random.PRNGKey(0)
    a, ma = trainer.train_chunk(trainer.init(key))
    b, mb = trainer.train_chunk(trainer.init(key, env_numbers=EnvNumbers.of(CFG, OTHER)))
    assert trainer.train_chunk._cache_size() == 1  # one compilation for both
    assert not np.allclose(ma["reward"], mb["reward"])  # other rewards, clusters, jamming
    nums = b.env_numbers
    assert np.asarray(nums.env["reward_weights"]).tolist() == [2.0, 0.0, 0.5, 0.0, 1.0]
    assert float(nums.env["dbscan_eps_m"]) == 12.0
    np.testing.assert_allclose(nums.jam_range_m, 25.0, rtol=1e-6)
    # the same bits as training a config that holds these numbers
    own_cfg = override(CFG, OTHER)
    tr2 = make_train(own_cfg)
    own, _ = tr2.train_chunk(tr2.init(key))
    assert _leaves_equal(b.train_state.actor_params, own.train_state.actor_params)
    assert _leaves_equal(b.obs, own.obs)
    # the program depends on the static part only: traced fields are canonical there
    assert static_env(own_cfg) == static_env(CFG) != CFG
    assert static_env(CFG) != static_env(override(CFG, {"env.max_steps": 9}))


def test_the_traced_path_equals_the_static_path():
    """Env steps with numbers traced give the bits of the static config, for each model."""
    for cfg in (preset("reference"), override(CFG, {"env.obs": "entity",
                                                    "env.motion": "coordinated_turn"})):
        def run(c, nums):
            @jax.jit
            def go(key, nums):
                o, s = reset(key, c, nums)
                o, s, r, _, info = step(key, s, random_actions(key, cfg), c, nums)
                return o, r, info.lambda2, info.agent_reward, s
            return jax.device_get(go(jax.random.PRNGKey(3), nums))
        assert _leaves_equal(run(cfg, None), run(static_env(cfg), EnvNumbers.of(cfg)))


def test_a_grid_of_reward_weights_trains_in_one_program(trainer):
    keys = jax.random.split(jax.random.PRNGKey(1), 4)  # 2 weight sets × 2 seeds
    w = np.array([[1.0, 0.3, 0.2, 0.1, 0.2]] * 2 + [[1.0, 0.0, 0.0, 0.0, 0.0]] * 2)
    nums = EnvNumbers.of(CFG, {"env.reward_weights": w})
    assert nums.env["reward_weights"].shape == (4, 5) and nums.env["dt_s"].shape == (4,)
    grid, m = trainer.train_chunk_seeds(trainer.init_seeds(keys, None, nums))
    assert trainer.train_chunk_seeds._cache_size() == 1
    for i in (1, 2):
        alone, ma = trainer.train_chunk(trainer.init(keys[i], env_numbers=EnvNumbers.of(
            CFG, reward_weights=w[i])))
        np.testing.assert_allclose(np.asarray(m["reward"])[i], np.asarray(ma["reward"]),
                                   rtol=2e-3, atol=2e-4)
        for x, y in zip(jax.tree.leaves(alone.train_state.actor_params),
                        jax.tree.leaves(grid.train_state.actor_params)):
            np.testing.assert_allclose(np.asarray(x), np.asarray(y)[i], rtol=2e-3, atol=2e-4)


def test_bad_values_raise_the_validators_errors():
    for key, bad in (("env.dbscan_eps_m", -1.0), ("env.reward_weights", (1, 2, 3, 4, -5)),
                     ("physics.jammer_power_dbm", 99.0), ("env.dt_s", float("nan"))):
        with pytest.raises(ValueError) as want:
            override(CFG, {key: bad})
        with pytest.raises(ValueError, match=f"^{re.escape(str(want.value))}$"):  # same message, before compiling
            EnvNumbers.of(CFG, {key: bad})
    with pytest.raises(ValueError, match="env.dbscan_eps_m must be in"):  # one bad grid member
        EnvNumbers.of(CFG, dbscan_eps_m=[15.0, 0.0])
    with pytest.raises(ValueError, match="not a traced env number: env.num_jammers"):
        EnvNumbers.of(CFG, {"env.num_jammers": 5})
    with pytest.raises(ValueError, match="must have 5 values"):
        EnvNumbers.of(CFG, reward_weights=[1.0, 2.0])
    with pytest.raises(ValueError, match="band_freqs_hz must have 4 values"):  # bands: a shape
        EnvNumbers.of(CFG, band_freqs_hz=(1e9, 2e9))
    att = override(CFG, {"env.obs": "entity", "ppo.network": "attention", "ppo.attention_heads": 2})
    with pytest.raises(ValueError, match="attention network"):
        EnvNumbers.of(att, v_max_m_s=3.0)
    EnvNumbers.of(att, dbscan_eps_m=[10.0, 20.0])  # other numbers are free there
    assert set(TRACED_ENV) >= {"reward_weights", "dbscan_eps_m", "dt_s", "arena_m"}
    assert "credit_weight" not in TRACED_ENV and "max_steps" not in TRACED_ENV
