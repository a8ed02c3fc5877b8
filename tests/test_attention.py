"""The `entity` observation and the attention actor/critic: contents against float64 NumPy,
invariance to token and jammer order, padding that never matters, one set of parameters at
two scales, and clear errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxjam.agents import init_train_state, make_networks
from jaxjam.config import override, preset
from jaxjam.env import obs_dim, reset
from jaxjam.env.entity_obs import EntityLayout, entity_layout, network_spec
from jaxjam.physics import lambda2_and_fiedler, link_adjacency

ENT = override(preset("default"), {"env.obs": "entity", "ppo.network": "attention",
                                   "ppo.hidden": 16, "ppo.attention_heads": 2})
BIG = override(ENT, {"env.num_jammers": 10, "env.num_enemies": 25, "env.arena_m": 320.0})
QUERY = {"ppo.attention_mode": "query"}  # only the jammer's own token attends (cost ∝ tokens)
MODES = pytest.mark.parametrize("mode", [{}, QUERY], ids=["self", "query"])


def _state(cfg, seed=3):
    obs, state = reset(jax.random.PRNGKey(seed), cfg)
    return np.asarray(obs), state


def _nets(cfg, seed=0):
    ts = init_train_state(jax.random.PRNGKey(seed), cfg.ppo, obs_dim(cfg), 4, 10,
                          **network_spec(cfg))
    return ts


def _join(lay: EntityLayout, own, links, enemies, jammers):
    lead = own.shape[:-1]
    return jnp.concatenate([own, links.reshape(lead + (-1,)), enemies.reshape(lead + (-1,)),
                            jammers.reshape(lead + (-1,))], axis=-1)


def test_entity_obs_against_float64_numpy():
    obs, state = _state(ENT)
    lay = entity_layout(ENT)
    assert obs.shape == (4, lay.dim) and obs_dim(ENT) == lay.dim
    own, links, enemies, jammers = (np.asarray(x) for x in lay.split(jnp.asarray(obs)))
    e = ENT.env
    pos = np.asarray(state.enemy_pos, np.float64)
    jpos = np.asarray(state.jammer_pos, np.float64)
    r = ENT.physics.comm_range_m()[int(state.enemy_band)]
    d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    adj = (d <= r) & ~np.eye(e.num_enemies, dtype=bool)
    np.testing.assert_array_equal(adj, np.asarray(link_adjacency(state.enemy_pos, state.enemy_band,
                                                                 ENT.physics)))
    iu, ju = np.triu_indices(e.num_enemies, 1)
    live = adj[iu, ju]
    mids = 0.5 * (pos[iu] + pos[ju])[live]
    for m in range(e.num_jammers):
        dist = np.linalg.norm(mids - jpos[m], axis=-1)
        want = (mids[np.argsort(dist)[:e.entity_links]] - jpos[m]) / r
        np.testing.assert_allclose(links[m, :e.entity_links, :2], want, atol=2e-5)
        assert np.all(links[m, :, 2] == 1.0)  # the default layout has more live links than slots
        dj = np.linalg.norm(jpos - jpos[m], axis=-1)
        dj[m] = np.inf
        order = np.argsort(dj)[:e.num_jammers - 1]
        np.testing.assert_allclose(jammers[m, :3, :2], (jpos[order] - jpos[m]) / r, atol=2e-5)
        np.testing.assert_array_equal(jammers[m, 3], 0.0)  # M − 1 = 3 < 4 slots: padded
        de = np.linalg.norm(pos - jpos[m], axis=-1)
        np.testing.assert_allclose(enemies[m, :, :2], (pos[np.argsort(de)[:8]] - jpos[m]) / r,
                                   atol=2e-5)
    # the top-sensitivity slots: the same swarm-wide links for every jammer, the largest is 1
    _, f = lambda2_and_fiedler(jnp.asarray(adj))
    f = np.asarray(f, np.float64)
    sens = ((f[iu] - f[ju]) ** 2)[live]
    top = np.sort(sens / sens.max())[::-1][:e.entity_top_links]
    np.testing.assert_allclose(links[:, e.entity_links:, 5], np.broadcast_to(top, (4, len(top))),
                               atol=1e-4)
    assert np.all(links[:, :, 5] <= 1.0 + 1e-6) and np.all(links[:, :, 6] <= 1.0 + 1e-6)


@MODES
def test_actor_ignores_token_order_and_padding(mode):
    obs, _ = _state(ENT)
    lay = entity_layout(ENT)
    ts = _nets(override(ENT, mode))
    act = lambda o: ts.actor.apply(ts.actor_params, o)
    base = act(jnp.asarray(obs))
    own, links, enemies, jammers = lay.split(jnp.asarray(obs))
    rng = np.random.default_rng(0)
    permuted = _join(lay, own, links[:, rng.permutation(lay.links)],
                     enemies[:, rng.permutation(lay.enemies)], jammers[:, rng.permutation(lay.jammers)])
    garbage = jammers.at[:, 3].set(jnp.array([9.0, -7.0, 0.0, 5.0]))  # slot 3 is padding (valid 0)
    padded = _join(lay, own, links, enemies, garbage)
    for other in (act(permuted), act(padded)):
        np.testing.assert_allclose(other.mode().velocity, base.mode().velocity, atol=1e-5)
        np.testing.assert_allclose(other.distributions.band.logits,
                                   base.distributions.band.logits, atol=1e-5)
    changed = act(_join(lay, own, links, enemies, jammers.at[:, 0, :2].add(0.5)))  # a real one
    assert not np.allclose(changed.distributions.band.logits, base.distributions.band.logits)


@MODES
def test_critic_is_invariant_to_jammer_order_and_actor_equivariant(mode):
    obs, _ = _state(ENT)
    ts = _nets(override(ENT, mode))
    perm = np.array([2, 0, 3, 1])
    v = ts.critic.apply(ts.critic_params, jnp.asarray(obs))
    v_perm = ts.critic.apply(ts.critic_params, jnp.asarray(obs[perm]))
    np.testing.assert_allclose(v_perm, v, atol=1e-5)
    loc = ts.actor.apply(ts.actor_params, jnp.asarray(obs)).mode().velocity
    loc_perm = ts.actor.apply(ts.actor_params, jnp.asarray(obs[perm])).mode().velocity
    np.testing.assert_allclose(loc_perm, loc[perm], atol=1e-5)


@MODES
def test_one_set_of_parameters_runs_at_two_scales(mode):
    assert entity_layout(ENT) == entity_layout(BIG) and obs_dim(ENT) == obs_dim(BIG)
    ts = _nets(override(ENT, mode))
    small, _ = _state(ENT)
    big, _ = _state(BIG)
    assert big.shape == (10, obs_dim(ENT))
    for obs in (small, big):
        dist = ts.actor.apply(ts.actor_params, jnp.asarray(obs))
        v = ts.critic.apply(ts.critic_params, jnp.asarray(obs))
        assert dist.mode().velocity.shape == (obs.shape[0], 2) and v.shape == (obs.shape[0],)
        assert np.all(np.isfinite(dist.mode().velocity)) and np.all(np.isfinite(v))


def test_pointer_head_flies_to_the_chosen_candidate():
    """With the residual and the scores zeroed except one link's, μ is that link's fly-to velocity."""
    obs, _ = _state(ENT)
    ts = _nets(ENT)
    params = jax.tree.map(lambda x: x, ts.actor_params)
    p = params["params"]
    heads = sorted(k for k in p if k.startswith("Dense"))
    # Dense_0: trunk, Dense_1/2: score MLP, Dense_3: loc residual, Dense_4: log σ, Dense_5: logits
    p[heads[3]] = jax.tree.map(jnp.zeros_like, p[heads[3]])
    p[heads[2]] = {"kernel": jnp.zeros_like(p[heads[2]]["kernel"]), "bias": jnp.zeros_like(p[heads[2]]["bias"])}
    loc = np.asarray(ts.actor.apply(params, jnp.asarray(obs)).mode().velocity)
    lay = entity_layout(ENT)
    own, links, _, _ = (np.asarray(x) for x in lay.split(jnp.asarray(obs)))
    scale = ENT.physics.comm_range_m()[0] / (ENT.env.dt_s * ENT.env.v_max_m_s)
    cands = np.concatenate([own[:, None, :2], links[:, :, :2]], axis=1)
    want = np.clip(cands * scale, -1, 1).mean(axis=1)  # equal scores: the mean of the fly-tos
    np.testing.assert_allclose(loc, want, atol=1e-5)


def test_query_mode_is_cheaper_and_bfloat16_stays_close_to_float32():
    """"query" compiles to fewer FLOPs than "self" (no token-to-token attention: link tokens
    are context-free), by XLA's own cost analysis, and bfloat16 computes the same function up
    to its rounding, with float32 outputs."""
    obs, _ = _state(ENT)
    flops = {}
    for name, mode in (("self", {}), ("query", QUERY)):
        ts = _nets(override(ENT, mode))
        cost = jax.jit(lambda p, o, ts=ts: ts.actor.apply(p, o).mode().velocity).lower(
            ts.actor_params, jnp.asarray(obs)).compile().cost_analysis()
        flops[name] = (cost[0] if isinstance(cost, list) else cost)["flops"]
    assert 0 < flops["query"] < 0.5 * flops["self"], flops
    for mode in ({}, QUERY):
        cfg = override(ENT, mode)
        ts = _nets(cfg)
        ts16 = _nets(override(cfg, {"ppo.compute_dtype": "bfloat16"}))
        chex_equal = jax.tree.map(lambda a, b: a.shape == b.shape and a.dtype == b.dtype == jnp.float32,
                                  ts.actor_params, ts16.actor_params)
        assert all(jax.tree.leaves(chex_equal))  # parameters are float32 in both
        d32 = ts.actor.apply(ts.actor_params, jnp.asarray(obs))
        d16 = ts16.actor.apply(ts.actor_params, jnp.asarray(obs))  # the same parameters
        assert d16.mode().velocity.dtype == jnp.float32
        np.testing.assert_allclose(d16.mode().velocity, d32.mode().velocity, atol=0.05)
        v32 = ts.critic.apply(ts.critic_params, jnp.asarray(obs))
        v16 = ts16.critic.apply(ts.critic_params, jnp.asarray(obs))
        np.testing.assert_allclose(v16, v32, atol=0.05)
        assert not np.array_equal(np.asarray(v16), np.asarray(v32))  # it did compute in bfloat16
    with pytest.raises(ValueError, match="ppo.attention_mode"):
        override(ENT, {"ppo.attention_mode": "cross"})
    with pytest.raises(ValueError, match="ppo.compute_dtype"):
        override(ENT, {"ppo.compute_dtype": "float16"})


def test_bad_settings_are_refused_by_name():
    with pytest.raises(ValueError, match="ppo.network 'attention' needs env.obs 'entity'"):
        override(preset("default"), {"ppo.network": "attention"})
    with pytest.raises(ValueError, match="ppo.attention_heads must divide ppo.hidden"):
        override(ENT, {"ppo.attention_heads": 3})
    with pytest.raises(ValueError, match="env.entity_links"):
        override(ENT, {"env.entity_links": 0, "env.entity_top_links": 0})
    with pytest.raises(ValueError, match="env.entity_enemies must be"):
        override(ENT, {"env.entity_enemies": -1})
    with pytest.raises(ValueError, match="needs the entity layout"):
        make_networks(ENT.ppo, 4)


@pytest.mark.slow
def test_tiny_cpu_run_of_the_attention_policy_beats_random():
    """A few updates of the attention policy (entity obs, planner teacher) on a tiny case:
    its deterministic policy beats random on the same episodes, CIs apart."""
    from jaxjam.evaluate import actor_policy, compare_policies
    from jaxjam.policies import random_policy
    from jaxjam.train import make_train

    cfg = override(ENT, {"ppo.attention_layers": 1, "ppo.imitation_coef": 1.0, "ppo.lr_actor": 1e-3,
                         "ppo.num_envs": 16, "ppo.rollout_steps": 16, "ppo.total_steps": 16 * 16 * 12,
                         "ppo.update_epochs": 2, "ppo.num_minibatches": 2, "env.max_steps": 32,
                         "run.updates_per_chunk": 12, "env.entity_links": 6, "env.entity_top_links": 2,
                         "env.entity_enemies": 4, "env.entity_jammers": 2})
    tr = make_train(cfg)
    runner, m = tr.train_chunk(tr.init(jax.random.PRNGKey(0)))
    ts = runner.train_state
    res = compare_policies(cfg, {"trained": actor_policy(cfg, ts.actor, ts.actor_params),
                                 "random": random_policy(cfg)}, jax.random.PRNGKey(7), 24)
    trained, rand = res["trained"]["mean_reduction"], res["random"]["mean_reduction"]
    assert trained[0] - trained[1] > rand[0] + rand[1], (trained, rand)
    assert float(np.asarray(m["imitation_loss"])[-1]) < float(np.asarray(m["imitation_loss"])[0])
