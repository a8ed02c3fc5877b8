"""The opt-in `reference_band` observation: reference obs + one-hot of the jammer's own band."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxjam.cli import build_config, _config_args
from jaxjam.config import override, preset
from jaxjam.env import Action, obs_dim, random_actions, reset, step, step_no_reset
from jaxjam.train import make_train

REF = override(preset("reference"), {"env.max_steps": 3})
BAND = override(REF, {"env.obs": "reference_band"})


def test_reference_preset_keeps_faithful_obs_by_default():
    assert preset("reference").env.obs == "reference"
    assert obs_dim(REF) == 5
    assert obs_dim(BAND) == 5 + BAND.physics.num_bands == 9


def test_config_validation():
    cfg = override(preset("reference"), {"env.obs": "reference_band"})
    assert cfg.env.model == "reference" and cfg.env.obs == "reference_band"
    with pytest.raises(ValueError, match="env.obs must be 'seed', 'local_graph' or 'entity'"):
        override(preset("default"), {"env.obs": "reference_band"})
    with pytest.raises(ValueError, match="env.obs"):
        override(preset("default"), {"env.obs": "reference"})
    with pytest.raises(ValueError, match="'reference' or 'reference_band'"):
        override(preset("reference"), {"env.obs": "local_graph"})
    with pytest.raises(ValueError, match="env.obs must be one of"):
        override(preset("reference"), {"env.obs": "reference_bands"})


def test_cli_flag_and_set_select_the_variant():
    import argparse
    ap = argparse.ArgumentParser()
    _config_args(ap)
    for argv in (["--preset", "reference", "--obs", "reference_band"],
                 ["--preset", "reference", "--set", "env.obs=reference_band"]):
        assert build_config(ap.parse_args(argv)).env.obs == "reference_band"


@pytest.mark.parametrize("seed", [0, 5])
def test_reset_and_step_obs_contents(seed):
    nb, m = BAND.physics.num_bands, BAND.env.num_jammers
    obs, state = reset(jax.random.PRNGKey(seed), BAND)
    ref_obs, ref_state = reset(jax.random.PRNGKey(seed), REF)  # obs does not change the dynamics
    for a, b in zip(jax.tree.leaves(state), jax.tree.leaves(ref_state)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    checks = [(obs, state, ref_obs)]
    # a step with chosen bands, including an out-of-range one (matches nothing: all-zero one-hot)
    act = Action(velocity=random_actions(jax.random.PRNGKey(1), BAND).velocity,
                 band=jnp.array([3, 0, 2, nb], jnp.int32)[:m])
    o2, s2, r, d, info = step_no_reset(jax.random.PRNGKey(2), state, act, BAND)
    r2, rs2, rr, _, rinfo = step_no_reset(jax.random.PRNGKey(2), ref_state, act, REF)
    assert float(r) == float(rr) and float(info.lambda2) == float(rinfo.lambda2)
    checks.append((o2, s2, r2))
    for o, s, ro in checks:
        o = np.asarray(o)
        assert o.shape == (m, 5 + nb) and o.dtype == np.float32
        np.testing.assert_array_equal(o[:, :5], np.asarray(ro))
        band = np.asarray(s.jammer_band)
        want = np.zeros((m, nb), np.float32)
        ok = band < nb
        want[np.arange(m)[ok], band[ok]] = 1.0
        np.testing.assert_array_equal(o[:, 5:], want)
    np.testing.assert_array_equal(np.asarray(s2.jammer_band), np.asarray(act.band))
    assert np.asarray(o2)[3, 5:].sum() == 0.0  # out-of-range band
    assert np.all(np.asarray(o2)[:3, 5:].sum(-1) == 1.0)
    # feature 4 (band match) agrees with the one-hot and the enemy band
    eb = int(s2.enemy_band)
    np.testing.assert_array_equal(np.asarray(o2)[:, 4], np.asarray(o2)[:, 5 + eb])


def test_auto_reset_step_with_reference_preset():
    obs, state = reset(jax.random.PRNGKey(0), BAND)
    for t in range(4):  # max_steps = 3: crosses an auto-reset
        obs, state, r, d, info = step(jax.random.PRNGKey(10 + t), state,
                                      random_actions(jax.random.PRNGKey(20 + t), BAND), BAND)
        assert obs.shape == info.final_obs.shape == (4, obs_dim(BAND))
        assert np.isfinite(float(r)) and 0.0 <= float(info.lambda2_reduction) <= 1.0
        np.testing.assert_array_equal(np.asarray(obs)[:, 5:].sum(-1), 1.0)


def test_training_smoke_accepts_obs_dim():
    cfg = override(BAND, {
        "ppo.num_envs": 8, "ppo.rollout_steps": 16, "ppo.total_steps": 8 * 16 * 2, "ppo.hidden": 16,
        "ppo.update_epochs": 1, "ppo.num_minibatches": 2, "env.max_steps": 16,
        "run.updates_per_chunk": 2})
    tr = make_train(cfg)
    runner, metrics = tr.train_chunk(tr.init(jax.random.PRNGKey(0)))
    m = jax.device_get(metrics)
    assert np.all(np.isfinite(m["actor_loss"])) and np.all(np.isfinite(m["critic_loss"]))
    assert runner.obs.shape == (8, 4, 9)
    first = jax.tree.leaves(runner.train_state.actor_params)
    assert any(x.ndim == 2 and x.shape[0] == 9 for x in first)  # first layer takes 5 + B inputs
