"""Traced PPO numbers: a numeric change reuses the compiled program, a grid trains in one
vmapped program and each lane equals its own single run, and the sweep script runs."""

import json

import jax
import numpy as np
import pytest

from jaxjam.agents.hparams import PPONumbers, static_ppo
from jaxjam.config import override, preset
from jaxjam.train import make_train

CFG = override(preset("default"), {"ppo.hidden": 8, "ppo.num_envs": 4, "ppo.rollout_steps": 8,
                                   "env.max_steps": 8, "run.updates_per_chunk": 2,
                                   "ppo.total_steps": 64, "ppo.num_minibatches": 2})


def test_a_numeric_change_reuses_the_compiled_program_and_takes_effect():
    tr = make_train(CFG)
    key = jax.random.PRNGKey(0)
    slow = PPONumbers.of(CFG.ppo, lr_actor=1e-5, entropy_coef=0.0)
    fast = PPONumbers.of(CFG.ppo, lr_actor=3e-2, entropy_coef=0.5, gamma=0.9)
    a, ma = tr.train_chunk(tr.init(key, slow))
    b, mb = tr.train_chunk(tr.init(key, fast))
    assert tr.train_chunk._cache_size() == 1  # one compilation for both
    np.testing.assert_allclose(np.asarray(ma["lr_actor"])[0], 1e-5, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(mb["lr_actor"])[0], 3e-2, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(mb["entropy_coef"])[0], 0.5, rtol=1e-6)
    moved = lambda r, r0: max(float(np.max(np.abs(x - y))) for x, y in zip(
        jax.tree.leaves(r.train_state.actor_params), jax.tree.leaves(r0.train_state.actor_params)))
    start = tr.init(key)
    assert moved(b, start) > 30 * moved(a, start)  # the big learning rate moved the actor more
    # the config's own numbers are the default, and static_ppo drops exactly the traced numbers
    assert float(tr.init(key).hparams.lr_actor) == pytest.approx(CFG.ppo.lr_actor)
    other = override(CFG, {"ppo.lr_actor": 0.01, "ppo.gamma": 0.5, "ppo.imitation_coef": 2.0})
    assert static_ppo(other.ppo) == static_ppo(override(CFG, {"ppo.imitation_coef": 0.3}).ppo)
    assert static_ppo(other.ppo) != static_ppo(CFG.ppo)  # the teacher on/off is structural
    with pytest.raises(ValueError, match="not a traced PPO number: hidden"):
        PPONumbers.of(CFG.ppo, hidden=3)


def test_a_grid_in_one_program_equals_each_run_alone():
    tr = make_train(CFG)
    keys = jax.random.split(jax.random.PRNGKey(1), 4)  # 2 learning rates × 2 seeds, as the sweep
    lrs = np.array([1e-4, 1e-4, 1e-2, 1e-2], np.float32)
    grid, _ = tr.train_chunk_seeds(tr.init_seeds(keys, PPONumbers.of(CFG.ppo, lr_actor=lrs)))
    for i in range(4):
        alone, _ = tr.train_chunk(tr.init(keys[i], PPONumbers.of(CFG.ppo, lr_actor=lrs[i])))
        for x, y in zip(jax.tree.leaves(alone.train_state.actor_params),
                        jax.tree.leaves(grid.train_state.actor_params)):
            np.testing.assert_allclose(np.asarray(x), np.asarray(y)[i], rtol=2e-3, atol=2e-4)


@pytest.mark.slow
def test_sweep_script_trains_the_grid_and_reports_each_point(tmp_path, monkeypatch, capsys):
    """PPO numbers × env numbers × seeds in one program; baselines per env grid point."""
    from experiments.hparam_sweep import main, parse_grid

    monkeypatch.setenv("JAXJAM_XLA_DEFAULTS", "off")
    out = main(["--smoke", "--grid", "ppo.lr_actor=1e-4,1e-2", "env.dbscan_eps_m=15,25",
                "env.reward_weights=1,0.3,0.2,0.1,0.2", "--out", str(tmp_path / "s.json")])
    text = capsys.readouterr().out
    assert "8 members (4 grid points × 2 seeds) trained in one program" in text
    rows = json.load(open(tmp_path / "s.json"))["rows"]
    points = sorted((r["lr_actor"], r["env.dbscan_eps_m"]) for r in rows)
    assert points == [(1e-4, 15.0), (1e-4, 25.0), (1e-2, 15.0), (1e-2, 25.0)]
    assert [r["lr_actor"] for r in rows] == [r["lr_actor"] for r in out["rows"]]
    assert all(0.0 <= r["trained (mode)"][0] <= 100.0 for r in rows)
    assert all(set(r["baselines"]) == {"random", "heuristic"} for r in rows)  # per grid point
    assert parse_grid(["env.reward_weights=1,0,0,0,0/1,0.3,0.2,0.1,0.2"]) == {
        "env.reward_weights": [(1.0, 0.0, 0.0, 0.0, 0.0), (1.0, 0.3, 0.2, 0.1, 0.2)]}
    with pytest.raises(ValueError, match="ppo.NAME=V1,V2"):
        parse_grid(["ppo.hidden=8,16"])
    with pytest.raises(ValueError, match="env.NAME"):
        parse_grid(["env.num_jammers=4,8"])
