"""The experiment scripts' own logic: scripted baselines, the seed-sweep entry point, the CCS bound."""

import json
import os

import jax
import jax.numpy as jnp
import numpy as np

from experiments.scripted_baselines import diffuse_policy, disperse_policy, scripted_policies
from experiments.seed_sweep import main as seed_sweep_main
from jaxjam.config import override, preset
from jaxjam.env import reset, step_no_reset

CFG = override(preset("default"), {"env.num_jammers": 6, "env.max_steps": 20})


def _nearest(pos):
    d = np.linalg.norm(pos[:, None] - pos[None], axis=-1) + np.diag([np.inf] * len(pos))
    return d.min(axis=1)


def test_disperse_moves_crowded_jammers_apart_at_full_speed_and_leaves_others():
    _, state = reset(jax.random.PRNGKey(0), CFG)
    pos = np.array([[100, 100], [104, 100], [100, 150], [170, 40], [40, 170], [20, 20]], np.float32)
    state = state.replace(jammer_pos=jnp.asarray(pos))
    act = disperse_policy(CFG, 30.0)(jax.random.PRNGKey(1), None, state)
    vel = np.asarray(act.velocity)
    np.testing.assert_allclose(vel[0], [-CFG.env.v_max_m_s, 0], atol=1e-5)  # away from jammer 1
    np.testing.assert_allclose(vel[1], [CFG.env.v_max_m_s, 0], atol=1e-5)
    np.testing.assert_array_equal(vel[2:], 0.0)  # nearest other jammer ≥ 30 m away: stay
    np.testing.assert_array_equal(np.asarray(act.band), int(state.enemy_band))
    _, moved, *_ = step_no_reset(jax.random.PRNGKey(2), state, act, CFG)
    assert _nearest(np.asarray(moved.jammer_pos))[0] > _nearest(pos)[0]


def test_diffuse_is_a_gaussian_walk_and_sigma_zero_stays():
    _, state = reset(jax.random.PRNGKey(3), CFG)
    stay = diffuse_policy(CFG, 0.0)(jax.random.PRNGKey(4), None, state)
    np.testing.assert_array_equal(np.asarray(stay.velocity), 0.0)
    keys = jax.random.split(jax.random.PRNGKey(5), 4000)
    vel = np.asarray(jax.vmap(lambda k: diffuse_policy(CFG, 0.6)(k, None, state).velocity)(keys))
    np.testing.assert_allclose(vel.std(), 0.6 * CFG.env.v_max_m_s, rtol=0.03)
    assert abs(vel.mean()) < 0.05
    assert set(scripted_policies(CFG)) >= {"random", "heuristic", "stay", "disperse 30 m"}


def test_seed_sweep_trains_two_seeds_and_reports_both_policies(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JAXJAM_XLA_DEFAULTS", "off")  # keep this process's env as it is
    out = str(tmp_path / "sweep")
    seed_sweep_main(["--seeds", "2", "--total-steps", "2048", "--num-envs", "16", "--episodes", "4",
                     "--out", out, "--set", "ppo.rollout_steps=32", "ppo.hidden=16",
                     "run.updates_per_chunk=2", "ppo.band_entropy_scale=0.5"])
    text = capsys.readouterr().out
    assert "2 seeds, preset default" in text and "mode" in text and "sampled" in text
    res = json.load(open(os.path.join(out, "seed_sweep.json")))
    assert len(res["per_seed"]) == 2 and res["env_steps"] == 2 * 2048
    assert json.load(open(os.path.join(out, "config.json")))["ppo"]["band_entropy_scale"] == 0.5


def test_random_weights_lower_bound_never_exceeds_the_exact_ccs():
    from experiments.broadcast_ccs_size import random_weights_lower_bound
    from jaxjam.broadcast.ccs import convex_coverage_set

    p, horizon = (0.1, 0.3, 0.5), 6
    exact = convex_coverage_set(p, horizon)[0]
    rows = random_weights_lower_bound(p, horizon, 4096, chunk=1024)
    assert [n for n, _, _ in rows] == [1024, 2048, 4096]
    counts = [k for _, k, _ in rows]
    assert counts == sorted(counts) and len(exact) // 4 <= counts[-1] <= len(exact), (counts, len(exact))
