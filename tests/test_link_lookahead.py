"""`env.link_lookahead`: the entity observation's 8th link feature, the λ₂ the graph the other
jammers leave would keep with the jammer at the link's midpoint (÷ the unjammed λ₂), against
float64 NumPy; the default layout unchanged; the attention policy runs on it; clear errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxjam.agents import init_train_state
from jaxjam.config import override, preset
from jaxjam.env import obs_dim, reset, step_no_reset
from jaxjam.env.entity_obs import LINK_TOKEN, entity_layout, entity_obs, network_spec
from jaxjam.physics import band_ranges_m, jammed_links, lambda2_and_fiedler, link_adjacency
from jaxjam.policies import cut_seek_policy

ENT = override(preset("default"), {"env.obs": "entity", "ppo.network": "attention", "ppo.hidden": 16,
                                   "ppo.attention_heads": 2, "physics.eigensolver": "eigh"})
LOOK = override(ENT, {"env.link_lookahead": True})


def _lap(a):
    return np.diag(a.sum(1)) - a.astype(np.float64)


def test_lookahead_is_the_lambda2_the_others_graph_keeps_against_float64_numpy():
    """Three jammers on live links (on the enemy band), one off the band: each valid token's 8th
    feature is λ₂(graph the other jammers leave, less what a jammer at the token's midpoint
    jams) ÷ λ₂(unjammed), computed in float64 from positions alone; the first 7 features are
    the default layout's, bit for bit; padding slots stay zero."""
    cfg = override(LOOK, {"env.num_jammers": 4})
    _, state = reset(jax.random.PRNGKey(5), cfg)
    ep = np.asarray(state.enemy_pos, np.float64)
    adj = np.asarray(link_adjacency(state.enemy_pos, state.enemy_band, cfg.physics))
    iu, ju = np.triu_indices(len(ep), 1)
    live, mid = adj[iu, ju], (ep[iu] + ep[ju]) / 2
    on = np.flatnonzero(live)[[0, live.sum() // 2, -1]]
    jpos = np.concatenate([mid[on], [[100.0, 100.0]]]).astype(np.float32)
    band = np.full(4, int(state.enemy_band), np.int32)
    band[3] = (band[3] + 1) % cfg.physics.num_bands  # off the enemy band: jams nothing
    state = state.replace(jammer_pos=jnp.asarray(jpos), jammer_band=jnp.asarray(band))
    a = jnp.asarray(adj)
    jam = jammed_links(state.enemy_pos, state.jammer_pos, state.jammer_band, state.enemy_band, cfg.physics)
    _, f = lambda2_and_fiedler(a)
    obs = np.asarray(entity_obs(state, cfg, a, a & jam, f))
    base = np.asarray(entity_obs(state, ENT, a, a & jam, f))
    lay, lay0 = entity_layout(cfg), entity_layout(ENT)
    assert lay.link_dim == LINK_TOKEN + 1 and lay0.link_dim == LINK_TOKEN
    assert obs.shape == (4, lay.dim) and lay.dim == lay0.dim + lay.links and obs_dim(cfg) == lay.dim
    own, links, enemies, jammers = (np.asarray(x) for x in lay.split(jnp.asarray(obs)))
    own0, links0, enemies0, jammers0 = (np.asarray(x) for x in lay0.split(jnp.asarray(base)))
    np.testing.assert_array_equal(links[..., :LINK_TOKEN], links0)
    for x, y in ((own, own0), (enemies, enemies0), (jammers, jammers0)):
        np.testing.assert_array_equal(x, y)
    r = cfg.physics.comm_range_m()[int(state.enemy_band)]
    r_jam = band_ranges_m(cfg.physics)[1][int(state.enemy_band)]
    dmin = cfg.physics.min_distance_m
    jams = (np.maximum(np.linalg.norm(mid[None] - jpos[:, None].astype(np.float64), axis=-1), dmin) <= r_jam)
    jams &= (band == int(state.enemy_band))[:, None]  # [M, L]
    l2_0 = np.linalg.eigvalsh(_lap(adj))[1]
    graph = lambda links_: _lap(_adj(links_, iu, ju, len(ep)))  # [L] bool -> Laplacian
    checked = 0
    for m in range(4):
        others = live & ~np.delete(jams, m, axis=0).any(axis=0)
        for k in range(lay.links):
            tok = links[m, k]
            if tok[2] < 0.5:
                np.testing.assert_array_equal(tok, 0.0)
                continue
            c = np.argmin(np.linalg.norm(mid - (jpos[m] + tok[:2] * r), axis=-1))  # the token's link
            cover = np.maximum(np.linalg.norm(mid - mid[c], axis=-1), dmin) <= r_jam
            l2 = np.linalg.eigvalsh(graph(others & ~cover))[1]
            want = (l2 if l2 > 1e-9 else 0.0) / l2_0
            assert tok[LINK_TOKEN] == pytest.approx(want, abs=2e-4), (m, k)
            assert 0.0 <= tok[LINK_TOKEN] <= 1.0 + 1e-6
            checked += 1
    assert checked == 4 * lay.links  # the default swarm has more live links than slots
    assert np.ptp(links[:3, :, LINK_TOKEN]) > 0.05  # the feature tells candidates apart


def _adj(links_, iu, ju, n):
    g = np.zeros((n, n), bool)
    g[iu[links_], ju[links_]] = g[ju[links_], iu[links_]] = True
    return g


def test_lookahead_env_steps_and_the_attention_policy_runs_on_it():
    """reset and step hand out the wider row; the attention actor and critic initialise and
    act on it (network_spec carries the layout); the cut-seek teacher is unaffected."""
    obs, state = reset(jax.random.PRNGKey(0), LOOK)
    assert obs.shape == (4, obs_dim(LOOK))
    act = cut_seek_policy(LOOK)(None, obs, state)
    obs2, *_ = step_no_reset(jax.random.PRNGKey(1), state, act, LOOK)
    assert obs2.shape == obs.shape and bool(jnp.all(jnp.isfinite(obs2)))
    ts = init_train_state(jax.random.PRNGKey(0), LOOK.ppo, obs_dim(LOOK), 4, 10, **network_spec(LOOK))
    dist = ts.actor.apply(ts.actor_params, obs2)
    v = ts.critic.apply(ts.critic_params, obs2)
    assert dist.mode().velocity.shape == (4, 2) and v.shape == (4,)
    assert np.all(np.isfinite(dist.mode().velocity)) and np.all(np.isfinite(v))


def test_lookahead_needs_the_entity_observation():
    with pytest.raises(ValueError, match="env.link_lookahead needs env.obs 'entity'"):
        override(preset("default"), {"env.link_lookahead": True})
