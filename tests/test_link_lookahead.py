"""`env.link_lookahead`: the entity observation's 8th link feature, the λ₂ the graph the other
jammers leave would keep with the jammer at the link's midpoint (÷ the unjammed λ₂), against
float64 NumPy; the default layout unchanged; the attention policy runs on it; clear errors.
`env.link_lookahead_steps` (that feature on the enemies' layout S steps ahead, the check of the
teacher "cut seek (predicted)") and `env.entity_velocity` (velocities on link and enemy tokens):
against float64 NumPy, invariant to the enemies' order, the policy runs on them, clear errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxjam.agents import init_train_state
from jaxjam.config import override, preset
from jaxjam.env import obs_dim, reset, step_no_reset
from jaxjam.env.entity_obs import ENEMY_TOKEN, LINK_TOKEN, entity_layout, entity_obs, network_spec
from jaxjam.physics import band_ranges_m, jammed_links, lambda2_and_fiedler, link_adjacency
from jaxjam.policies import cut_seek_policy

ENT = override(preset("default"), {"env.obs": "entity", "ppo.network": "attention", "ppo.hidden": 16,
                                   "ppo.attention_heads": 2, "physics.eigensolver": "eigh"})
LOOK = override(ENT, {"env.link_lookahead": True})


def _lambda2_of(links_, iu, ju, n):
    """λ₂ (float64) of the graph on n nodes with the links `links_ [L]` (bool, over iu, ju)."""
    g = np.zeros((n, n))
    g[iu[links_], ju[links_]] = g[ju[links_], iu[links_]] = 1.0
    return np.linalg.eigvalsh(np.diag(g.sum(1)) - g)[1]


def _check_kept(links, jpos, r, mid_now, mid, live, jams, r_jam, dmin):
    """Hold every valid link token's look-ahead feature (`links [M, K, D]`) to float64: find
    its link by its offset from the jammer (`jpos [M, 2]` m, `r` m per unit) among the midpoints
    now (`mid_now [L, 2]`); λ₂ of the `live [L]` links less what the other jammers jam (`jams
    [M, L]`) less what a jammer at that link's midpoint in the checked layout (`mid [L, 2]`)
    jams, ÷ λ₂ of the live links; padding tokens all zero. Returns the tokens checked."""
    n = int(round((1 + np.sqrt(1 + 8 * len(live))) / 2))
    iu, ju = np.triu_indices(n, 1)
    l2_0, checked = _lambda2_of(live, iu, ju, n), 0
    for m in range(len(jpos)):
        others = live & ~np.delete(jams, m, axis=0).any(axis=0)
        for tok in links[m]:
            if tok[2] < 0.5:
                np.testing.assert_array_equal(tok, 0.0)
                continue
            c = np.argmin(np.linalg.norm(mid_now - (jpos[m] + tok[:2] * r), axis=-1))  # the token's link
            cover = np.maximum(np.linalg.norm(mid - mid[c], axis=-1), dmin) <= r_jam
            l2 = _lambda2_of(others & ~cover, iu, ju, n)
            assert tok[LINK_TOKEN] == pytest.approx((l2 if l2 > 1e-9 else 0.0) / l2_0, abs=2e-4), (m, c)
            assert 0.0 <= tok[LINK_TOKEN] <= 1.0 + 1e-6
            checked += 1
    return checked


def _jammers_on_links(cfg, key=5, off_band=False):
    """A reset state with three jammers on live links now (first, middle, last) on the enemy
    band and a fourth at (100, 100) m, off the band with `off_band` (it then jams nothing)."""
    _, state = reset(jax.random.PRNGKey(key), cfg)
    ep = np.asarray(state.enemy_pos, np.float64)
    adj = np.asarray(link_adjacency(state.enemy_pos, state.enemy_band, cfg.physics))
    iu, ju = np.triu_indices(len(ep), 1)
    live, mid = adj[iu, ju], (ep[iu] + ep[ju]) / 2
    on = np.flatnonzero(live)[[0, live.sum() // 2, -1]]
    jpos = np.concatenate([mid[on], [[100.0, 100.0]]]).astype(np.float32)
    band = np.full(4, int(state.enemy_band), np.int32)
    if off_band:
        band[3] = (band[3] + 1) % cfg.physics.num_bands
    return state.replace(jammer_pos=jnp.asarray(jpos), jammer_band=jnp.asarray(band))


def test_lookahead_is_the_lambda2_the_others_graph_keeps_against_float64_numpy():
    """Three jammers on live links (on the enemy band), one off the band: each valid token's 8th
    feature is λ₂(graph the other jammers leave, less what a jammer at the token's midpoint
    jams) ÷ λ₂(unjammed), computed in float64 from positions alone; the first 7 features are
    the default layout's, bit for bit; padding slots stay zero."""
    cfg = override(LOOK, {"env.num_jammers": 4})
    state = _jammers_on_links(cfg, off_band=True)
    ep = np.asarray(state.enemy_pos, np.float64)
    adj = np.asarray(link_adjacency(state.enemy_pos, state.enemy_band, cfg.physics))
    iu, ju = np.triu_indices(len(ep), 1)
    live, mid = adj[iu, ju], (ep[iu] + ep[ju]) / 2
    jpos, band = np.asarray(state.jammer_pos), np.asarray(state.jammer_band)
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
    checked = _check_kept(links, jpos, r, mid, mid, live, jams, r_jam, dmin)
    assert checked == 4 * lay.links  # the default swarm has more live links than slots
    assert np.ptp(links[:3, :, LINK_TOKEN]) > 0.05  # the feature tells candidates apart


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


FAST = override(ENT, {"env.enemy_speed_m_s": 6.0})  # enemies fast enough that 4 steps change the answer
FAST_LOOK = override(FAST, {"env.link_lookahead": True})
AHEAD = override(FAST_LOOK, {"env.link_lookahead_steps": 4.0})
VEL = override(FAST, {"env.entity_velocity": True})

def _obs(cfg, state):
    a = link_adjacency(state.enemy_pos, state.enemy_band, cfg.physics)
    jam = jammed_links(state.enemy_pos, state.jammer_pos, state.jammer_band, state.enemy_band, cfg.physics)
    _, f = lambda2_and_fiedler(a)
    return np.asarray(entity_obs(state, cfg, a, a & jam, f))


def test_lookahead_steps_is_the_check_on_the_predicted_layout_against_float64_numpy():
    """Each valid link token's 8th feature with S = 4 steps ahead: the enemies moved to
    pos + 4·dt·vel in float64; λ₂ of the graph there, less what the other jammers (where they
    are) jam, less what a jammer at the token's link's predicted midpoint jams, ÷ that graph's
    λ₂. The other features are the default layout's bit for bit; the feature differs from
    S = 0's (the enemies move fast enough to change the answer)."""
    state = _jammers_on_links(AHEAD)
    obs, now, base = _obs(AHEAD, state), _obs(FAST_LOOK, state), _obs(FAST, state)
    lay = entity_layout(AHEAD)
    assert lay == entity_layout(FAST_LOOK) and obs_dim(AHEAD) == obs_dim(FAST_LOOK)
    links, links_now = lay.split(jnp.asarray(obs))[1], lay.split(jnp.asarray(now))[1]
    links0 = entity_layout(FAST).split(jnp.asarray(base))[1]
    links, links_now, links0 = (np.asarray(x) for x in (links, links_now, links0))
    np.testing.assert_array_equal(links[..., :LINK_TOKEN], links0)
    np.testing.assert_array_equal(np.delete(obs, np.s_[4 + 4:], 1), np.delete(now, np.s_[4 + 4:], 1))
    cfg = AHEAD
    ep = np.asarray(state.enemy_pos, np.float64)
    ahead = ep + 4 * cfg.env.dt_s * np.asarray(state.enemy_vel, np.float64)
    n = len(ep)
    iu, ju = np.triu_indices(n, 1)
    r = cfg.physics.comm_range_m()[int(state.enemy_band)]
    r_jam = band_ranges_m(cfg.physics)[1][int(state.enemy_band)]
    dmin = cfg.physics.min_distance_m
    d = np.linalg.norm(ahead[iu] - ahead[ju], axis=-1)
    live = np.maximum(d, dmin) <= r
    mid_now, mid = (ep[iu] + ep[ju]) / 2, (ahead[iu] + ahead[ju]) / 2
    jpos = np.asarray(state.jammer_pos, np.float64)
    jams = np.maximum(np.linalg.norm(mid[None] - jpos[:, None], axis=-1), dmin) <= r_jam  # [M, L]
    checked = _check_kept(links, jpos, r, mid_now, mid, live, jams, r_jam, dmin)
    assert checked == 4 * lay.links
    assert np.abs(links[..., LINK_TOKEN] - links_now[..., LINK_TOKEN]).max() > 0.05


def test_entity_velocity_tokens_against_float64_numpy():
    """env.entity_velocity: every link token ends with its link's midpoint velocity ÷ v_max (the
    mean of its two enemies'), every enemy token with the enemy's velocity ÷ v_max; all other
    features are the default layout's bit for bit; padding stays zero."""
    cfg = override(VEL, {"env.entity_enemies": 12})  # more slots than enemies: padding
    state = _jammers_on_links(cfg)
    obs, base = _obs(cfg, state), _obs(override(FAST, {"env.entity_enemies": 12}), state)
    lay, lay0 = entity_layout(cfg), entity_layout(override(FAST, {"env.entity_enemies": 12}))
    assert (lay.link_dim, lay.enemy_dim) == (LINK_TOKEN + 2, ENEMY_TOKEN + 2)
    assert lay.dim == lay0.dim + 2 * (lay.links + lay.enemies) == obs_dim(cfg)
    own, links, enemies, jammers = (np.asarray(x) for x in lay.split(jnp.asarray(obs)))
    own0, links0, enemies0, jammers0 = (np.asarray(x) for x in lay0.split(jnp.asarray(base)))
    np.testing.assert_array_equal(links[..., :LINK_TOKEN], links0)
    np.testing.assert_array_equal(enemies[..., :ENEMY_TOKEN], enemies0)
    np.testing.assert_array_equal(own, own0)
    np.testing.assert_array_equal(jammers, jammers0)
    ep = np.asarray(state.enemy_pos, np.float64)
    ev = np.asarray(state.enemy_vel, np.float64) / cfg.env.v_max_m_s
    jpos = np.asarray(state.jammer_pos, np.float64)
    r = cfg.physics.comm_range_m()[int(state.enemy_band)]
    iu, ju = np.triu_indices(len(ep), 1)
    mid = (ep[iu] + ep[ju]) / 2
    for m in range(4):
        for tok in links[m]:
            if tok[2] > 0.5:
                c = np.argmin(np.linalg.norm(mid - (jpos[m] + tok[:2] * r), axis=-1))
                np.testing.assert_allclose(tok[-2:], (ev[iu[c]] + ev[ju[c]]) / 2, atol=1e-6)
        for tok in enemies[m]:
            if tok[2] > 0.5:
                c = np.argmin(np.linalg.norm(ep - (jpos[m] + tok[:2] * r), axis=-1))
                np.testing.assert_allclose(tok[-2:], ev[c], atol=1e-6)
            else:
                np.testing.assert_array_equal(tok, 0.0)
    assert (enemies[..., 2] < 0.5).any() and np.abs(enemies[..., -2:]).max() > 0.1


@pytest.mark.parametrize("cfg", [AHEAD, override(AHEAD, {"env.entity_velocity": True})], ids=["ahead", "ahead+vel"])
def test_new_features_ignore_the_enemies_order(cfg):
    """Permuting the enemies (positions and velocities together) leaves every jammer's own
    features and its sets of link and enemy tokens the same: tokens are chosen by distance and
    sensitivity, never by index (only the order of equally sensitive links may change, and the
    Fiedler side's sign, which an eigensolver picks freely)."""
    state = _jammers_on_links(cfg, key=9)
    perm = np.random.default_rng(0).permutation(cfg.env.num_enemies)
    shuffled = state.replace(enemy_pos=state.enemy_pos[perm], enemy_vel=state.enemy_vel[perm])
    lay = entity_layout(cfg)
    got, want = (lay.split(jnp.asarray(_obs(cfg, s))) for s in (shuffled, state))
    for i, (a, b) in enumerate(zip(got, want)):
        a, b = np.round(np.asarray(a), 4), np.round(np.asarray(b), 4)
        if i == 2:  # enemy tokens: the side up to its sign
            a[..., 3], b[..., 3] = np.abs(a[..., 3]), np.abs(b[..., 3])
        if a.ndim == 3:  # tokens: compare each jammer's set
            a, b = (np.stack([x[m][np.lexsort(x[m].T[::-1])] for m in range(len(x))]) for x in (a, b))
        np.testing.assert_allclose(a, b, atol=2e-4)


def test_env_and_attention_policy_run_with_both_features():
    """reset and step hand out the wider row, finite; the attention actor and critic act on it."""
    cfg = override(AHEAD, {"env.entity_velocity": True})
    obs, state = reset(jax.random.PRNGKey(0), cfg)
    assert obs.shape == (4, obs_dim(cfg)) and obs_dim(cfg) == obs_dim(FAST_LOOK) + 2 * (
        entity_layout(cfg).links + entity_layout(cfg).enemies)
    ts = init_train_state(jax.random.PRNGKey(0), cfg.ppo, obs_dim(cfg), 4, 10, **network_spec(cfg))
    act = jax.tree.map(lambda x: x, ts.actor.apply(ts.actor_params, obs).mode())
    obs2, *_ = step_no_reset(jax.random.PRNGKey(1), state, act.replace(velocity=act.velocity * 5.0), cfg)
    assert obs2.shape == obs.shape and bool(jnp.all(jnp.isfinite(obs2)))
    assert np.isfinite(np.asarray(ts.critic.apply(ts.critic_params, obs2))).all()


def test_bad_settings_are_value_errors_naming_the_field():
    with pytest.raises(ValueError, match="env.link_lookahead_steps needs env.link_lookahead true"):
        override(FAST, {"env.link_lookahead_steps": 3.0})
    with pytest.raises(ValueError, match="env.entity_velocity needs env.obs 'entity'"):
        override(preset("default"), {"env.entity_velocity": True})
    for bad in (-1.0, 1e4):
        with pytest.raises(ValueError, match="env.link_lookahead_steps"):
            override(FAST_LOOK, {"env.link_lookahead_steps": bad})
