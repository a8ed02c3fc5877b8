"""`ppo.teacher_shortlist`: what a planner shortlist of 1 places (against a float64 Fiedler
vector), and that the training teacher uses the configured shortlist."""

import jax
import numpy as np
import pytest

import jaxjam.train
from jaxjam.config import override, preset
from jaxjam.env import reset
from jaxjam.physics import link_adjacency
from jaxjam.policies import greedy_targets, planner_policy
from jaxjam.train import make_train

CFG = preset("default")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shortlist_one_targets_the_midpoint_of_the_most_fiedler_sensitive_link(seed):
    _, state = reset(jax.random.PRNGKey(seed), CFG)
    pos = np.asarray(state.enemy_pos, np.float64)
    adj = np.asarray(link_adjacency(state.enemy_pos, state.enemy_band, CFG.physics))
    lap = np.diag(adj.sum(1)) - adj.astype(np.float64)
    w, v = np.linalg.eigh(lap)
    assert w[1] > 1e-6 and w[2] - w[1] > 1e-3, "a connected layout with a simple λ₂ (unique Fiedler vector)"
    i, j = np.nonzero(np.triu(adj, 1))
    sens = (v[i, 1] - v[j, 1]) ** 2
    order = np.argsort(-sens)
    assert sens[order[0]] - sens[order[1]] > 1e-6, "no tie for the most sensitive link"
    k = order[0]
    want = (pos[i[k]] + pos[j[k]]) / 2
    got = np.asarray(greedy_targets(state.enemy_pos, state.enemy_band, 1, CFG.physics, shortlist=1))
    np.testing.assert_allclose(got[0], want, atol=1e-3)


def test_the_training_teacher_uses_ppo_teacher_shortlist(monkeypatch):
    seen = []

    def spy(config, shortlist=8):
        seen.append(shortlist)
        return planner_policy(config, shortlist)

    monkeypatch.setattr(jaxjam.train, "planner_policy", spy)
    cfg = override(CFG, {"ppo.imitation_coef": 1.0, "ppo.teacher_shortlist": 3, "ppo.num_envs": 4,
                         "ppo.rollout_steps": 4, "ppo.num_minibatches": 1, "ppo.hidden": 8,
                         "run.updates_per_chunk": 1})
    trainer = make_train(cfg)
    runner = jax.eval_shape(trainer.init, jax.random.PRNGKey(0))  # tracing only: nothing compiles
    jax.eval_shape(trainer.train_chunk, runner)
    assert seen and set(seen) == {3}
    with pytest.raises(ValueError, match="ppo.teacher_shortlist"):
        override(CFG, {"ppo.teacher_shortlist": -1})


@pytest.mark.parametrize("teacher, graph", [("cut_seek", ("unjammed", 4, 0.0)), ("cut_seek_others", ("others", 4, 0.0)),
                                            ("cut_seek_checked", ("checked", 4, 0.0)),
                                            ("cut_seek_predicted", ("checked", 16, 3.0))])
def test_ppo_teacher_cut_seek_teaches_instead_of_the_planner(monkeypatch, teacher, graph):
    """ppo.teacher = cut_seek / cut_seek_others / cut_seek_checked / cut_seek_predicted: the
    training teacher is the scripted cut-seek policy on the unjammed graph / on what the other
    jammers leave / that checked by λ₂ / checked with 16 candidates 3 steps ahead (the baseline
    "cut seek (predicted)"); the planner is never built; an unknown teacher is refused by name."""
    from jaxjam.policies import cut_seek_policy

    seen = []

    def spy(config, mode="unjammed", checks=4, ahead_steps=0.0):
        seen.append((config.env.num_jammers, (mode, checks, ahead_steps)))
        return cut_seek_policy(config, mode, checks, ahead_steps)

    def no_planner(*a, **k):
        raise AssertionError("the planner must not teach when ppo.teacher = cut_seek")

    monkeypatch.setattr(jaxjam.train, "cut_seek_policy", spy)
    monkeypatch.setattr(jaxjam.train, "planner_policy", no_planner)
    cfg = override(CFG, {"ppo.imitation_coef": 1.0, "ppo.teacher": teacher, "ppo.num_envs": 4,
                         "ppo.rollout_steps": 4, "ppo.num_minibatches": 1, "ppo.hidden": 8,
                         "run.updates_per_chunk": 1})
    trainer = make_train(cfg)
    runner = jax.eval_shape(trainer.init, jax.random.PRNGKey(0))
    jax.eval_shape(trainer.train_chunk, runner)
    assert seen and set(seen) == {(CFG.env.num_jammers, graph)}
    with pytest.raises(ValueError, match="ppo.teacher"):
        override(CFG, {"ppo.teacher": "oracle", "ppo.imitation_coef": 1.0})
