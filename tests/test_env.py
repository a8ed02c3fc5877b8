"""The environment: determinism, vmap vs loop, invariances, spec rules (API, shapes and
auto-reset, jitted and op by op: tests/test_env_api.py)."""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxjam.config import override, preset
from jaxjam.env import Action, random_actions, reset, step, step_batch, step_no_reset
from float64_reference import fiedler_cut

SHORT = override(preset("default"), {"env.max_steps": 3})
REF = override(preset("reference"), {"env.max_steps": 3})
LOCAL = override(preset("default"), {"env.obs": "local_graph", "env.local_graph_k": 6})
C = 3.0e8


def rollout(cfg, key, steps):
    k0, key = jax.random.split(key)
    obs, state = reset(k0, cfg)
    out = []
    for _ in range(steps):
        key, ka, ks = jax.random.split(key, 3)
        obs, state, r, d, info = step(ks, state, random_actions(ka, cfg), cfg)
        out.append((obs, r, d, info.lambda2))
    return out


def test_same_key_same_trajectory_and_different_keys_differ():
    a = rollout(SHORT, jax.random.PRNGKey(7), 5)
    b = rollout(SHORT, jax.random.PRNGKey(7), 5)
    c = rollout(SHORT, jax.random.PRNGKey(8), 5)
    for x, y in zip(a, b):
        for u, v in zip(x, y):
            np.testing.assert_array_equal(np.asarray(u), np.asarray(v))
    assert not np.allclose(np.asarray(a[-1][0]), np.asarray(c[-1][0]))


def _batch(cfg, b, seed=0):
    keys = jax.random.split(jax.random.PRNGKey(seed), 3 * b).reshape(3, b, 2)
    obs, states = jax.vmap(partial(reset, config=cfg))(keys[0])
    acts = jax.vmap(partial(random_actions, config=cfg))(keys[1])
    return keys[2], obs, states, acts


def test_vmap_over_64_envs_equals_python_loop():
    cfg = SHORT
    keys, obs, states, acts = _batch(cfg, 64)
    for _ in range(3):  # includes the auto-reset step
        out_v = jax.vmap(partial(step, config=cfg))(keys, states, acts)
        for i in range(64):
            s_i = jax.tree.map(lambda x: x[i], states)
            a_i = jax.tree.map(lambda x: x[i], acts)
            out_i = step(keys[i], s_i, a_i, cfg)
            for u, v in zip(jax.tree.leaves(out_i), jax.tree.leaves(out_v)):
                np.testing.assert_allclose(np.asarray(u), np.asarray(v)[i], rtol=1e-5, atol=1e-5)
        states = out_v[1]
        keys = jax.vmap(lambda k: jax.random.split(k)[0])(keys)


def test_step_batch_equals_vmapped_step():
    cfg = SHORT
    keys, obs, states, acts = _batch(cfg, 16, seed=3)
    s1 = s2 = states
    for _ in range(4):
        o1, s1, r1, d1, i1 = jax.vmap(partial(step, config=cfg))(keys, s1, acts)
        o2, s2, r2, d2, i2 = step_batch(keys, s2, acts, cfg)
        for u, v in zip(jax.tree.leaves((o1, s1, r1, d1, i1)), jax.tree.leaves((o2, s2, r2, d2, i2))):
            np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=1e-6, atol=1e-6)
        keys = jax.vmap(lambda k: jax.random.split(k)[1])(keys)


@pytest.mark.parametrize("cfg", [SHORT, REF], ids=["default", "reference"])
def test_permuting_enemies_leaves_lambda2_and_reward_unchanged(cfg):
    _, state = reset(jax.random.PRNGKey(5), cfg)
    act = random_actions(jax.random.PRNGKey(6), cfg)
    # jammers on the enemy band near the swarm so that jamming really happens
    act = act.replace(band=jnp.full_like(act.band, state.enemy_band))
    perm = np.random.default_rng(0).permutation(cfg.env.num_enemies)
    pstate = state.replace(enemy_pos=state.enemy_pos[perm], enemy_vel=state.enemy_vel[perm],
                           enemy_turn_rate=state.enemy_turn_rate[perm], labels=state.labels[perm])
    # zero enemy noise so both orders see the same motion
    cfgz = override(cfg, {"env.walk_sigma_m_s": 0.0})
    _, s1, r1, _, i1 = step_no_reset(jax.random.PRNGKey(9), state, act, cfgz)
    _, s2, r2, _, i2 = step_no_reset(jax.random.PRNGKey(9), pstate, act, cfgz)
    assert float(r1) == pytest.approx(float(r2), abs=1e-5)
    for f in ("lambda2", "lambda2_unjammed", "lambda2_reduction", "jammed_links", "num_components"):
        assert float(getattr(i1, f)) == pytest.approx(float(getattr(i2, f)), abs=1e-4)
    np.testing.assert_allclose(np.asarray(i1.reward_terms), np.asarray(i2.reward_terms), atol=1e-5)


def _np_lambda2(adj):
    lap = np.diag(adj.sum(1)) - adj.astype(np.float64)
    return max(np.linalg.eigvalsh(lap)[1], 0.0)


@pytest.mark.parametrize("cfg", [REF, SHORT], ids=["reference", "default"])
def test_step_info_and_reward_follow_the_rules(cfg):
    """Recompute graph, jamming, λ₂, all reward terms in float64 numpy from the new state."""
    e, ph = cfg.env, cfg.physics
    obs, state = reset(jax.random.PRNGKey(11), cfg)
    checked = 0
    for t in range(2):
        act = random_actions(jax.random.PRNGKey(20 + t), cfg)
        act = act.replace(band=act.band.at[:2].set(state.enemy_band))
        _, new, r, _, info = step_no_reset(jax.random.PRNGKey(30 + t), state, act, cfg)
        ep, jp = np.asarray(new.enemy_pos, np.float64), np.asarray(new.jammer_pos, np.float64)
        jb, eb = np.asarray(new.jammer_band), int(new.enemy_band)
        f = ph.band_freqs_hz[eb]
        pw = lambda dbm, d: 10 ** ((dbm - 30) / 10) * (C / (4 * np.pi * f * np.maximum(d, 1e-10))) ** 2
        n = e.num_enemies
        d = np.linalg.norm(ep[:, None] - ep[None], axis=-1)
        adj = (pw(ph.tx_power_dbm, d) >= 10 ** ((ph.sensitivity_dbm[eb] - 30) / 10)) & ~np.eye(n, dtype=bool)
        mid = (ep[:, None] + ep[None]) / 2
        dj = np.linalg.norm(mid[None] - jp[:, None, None], axis=-1)
        jam = ((pw(ph.jammer_power_dbm, dj) >= 10 ** ((ph.jam_threshold_dbm[eb] - 30) / 10))
               & (jb == eb)[:, None, None]).any(0)
        adjj = adj & ~jam
        l2, l2u = _np_lambda2(adjj), _np_lambda2(adj)
        base = float(state.lambda2_reset) if e.model == "reference" else l2u
        if e.model == "reference":
            assert adj.sum() == n * (n - 1)  # complete graph (spec §2)
        assert float(info.lambda2) == pytest.approx(l2, abs=1e-4)
        assert float(info.lambda2_unjammed) == pytest.approx(base, abs=1e-4)
        assert int(info.jammed_links) == int((adj & jam).sum() // 2)
        red = np.clip(1 - l2 / base, 0, 1) if base > 1e-3 else 0.0
        v = np.clip(np.asarray(act.velocity, np.float64), -e.v_max_m_s, e.v_max_m_s)
        np.testing.assert_allclose(jp, np.clip(np.asarray(state.jammer_pos) + v * e.dt_s, 0, e.arena_m), atol=1e-4)
        r2 = np.mean(jb == eb)
        cent, valid = np.asarray(new.centroids, np.float64), np.asarray(new.centroid_valid)
        asg = np.asarray(new.assignment)
        tgt = []
        for k in range(e.num_jammers):
            if asg[k] >= 0 and valid[asg[k]]:
                tgt.append(cent[asg[k]])
            else:
                dd = np.where(valid, np.linalg.norm(cent - jp[k], axis=-1), np.inf)
                tgt.append(cent[np.argmin(dd)])
        r3 = np.mean(np.exp(-e.proximity_kappa_per_m * np.linalg.norm(jp - np.array(tgt), axis=-1)))
        r4 = np.mean((v ** 2).sum(-1)) / e.v_max_m_s ** 2 * (1.0 if e.model == "reference" else 0.5)
        rj = ph.jam_range_m()[eb]
        dm = np.linalg.norm(jp[:, None] - jp[None], axis=-1)
        m = e.num_jammers
        r5 = (np.triu(dm < 2 * rj, 1).sum()) / (m * (m - 1) / 2)
        terms = np.array([red, r2, r3, r4, r5])
        np.testing.assert_allclose(np.asarray(info.reward_terms), terms, atol=2e-4)
        w = np.array(e.reward_weights) * np.array([1, 1, 1, -1, -1])
        assert float(r) == pytest.approx(np.clip(w @ terms, -10, 10), abs=2e-4)
        checked += int((adj & jam).sum() > 0)
        state = new
    assert checked >= 1  # jamming really happened in at least one step


def test_recluster_interval_and_reference_stale_centroids():
    cfg = override(preset("reference"), {"env.recluster_every": 4})
    _, state = reset(jax.random.PRNGKey(2), cfg)
    act = random_actions(jax.random.PRNGKey(3), cfg)
    cents = [np.asarray(state.centroids)]
    for t in range(4):
        _, state, *_ = step_no_reset(jax.random.PRNGKey(40 + t), state, act, cfg)
        cents.append(np.asarray(state.centroids))
    for t in (1, 2, 3):
        np.testing.assert_array_equal(cents[t], cents[0])  # stale between fits
    assert not np.array_equal(cents[4], cents[0])  # refit at step 4
    # jaxjam: centroids follow the members every step
    cfgj = override(preset("default"), {"env.recluster_every": 4})
    _, sj = reset(jax.random.PRNGKey(2), cfgj)
    _, sj2, *_ = step_no_reset(jax.random.PRNGKey(40), sj, random_actions(jax.random.PRNGKey(3), cfgj), cfgj)
    assert not np.array_equal(np.asarray(sj2.centroids), np.asarray(sj.centroids))
    np.testing.assert_array_equal(np.asarray(sj2.labels), np.asarray(sj.labels))


def test_seed_observation_contents():
    cfg = SHORT
    obs, state = reset(jax.random.PRNGKey(4), cfg)
    o = np.asarray(obs)
    np.testing.assert_allclose(o[:, 2:4], 0.0)  # zero velocity at reset
    onehot = np.zeros(4)
    onehot[int(state.enemy_band)] = 1
    np.testing.assert_allclose(o[:, 4:], np.tile(onehot, (4, 1)))
    asg = np.asarray(state.assignment)
    cent = np.asarray(state.centroids)
    want = (cent[asg] - np.asarray(state.jammer_pos)) / cfg.env.arena_m
    np.testing.assert_allclose(o[:, :2], want, atol=1e-6)
    assert np.all(np.abs(o[:, :2]) * cfg.env.arena_m <= np.sqrt(2) * 10 + 1e-3)  # start within ±10 m


@pytest.mark.parametrize("cut_k", [0, 3])
def test_local_graph_observation_contents(cut_k):
    cfg = override(LOCAL, {"env.local_graph_cut_k": cut_k, "physics.eigensolver": "eigh"})
    obs, state = reset(jax.random.PRNGKey(8), cfg)
    o = np.asarray(obs)
    k = cfg.env.local_graph_k
    assert o.shape == (4, 8 + 2 + 5 * k)
    ep, jp = np.asarray(state.enemy_pos, np.float64), np.asarray(state.jammer_pos, np.float64)
    n = cfg.env.num_enemies
    d = np.linalg.norm(ep[:, None] - ep[None], axis=-1)
    iu, ju = np.triu_indices(n, 1)
    live = d[iu, ju] <= 86.0
    mids = (ep[iu] + ep[ju]) / 2
    dj = np.linalg.norm(jp[:, None] - jp[None], axis=-1) + np.diag([np.inf] * 4)
    np.testing.assert_allclose(o[:, 8:10], (jp[dj.argmin(1)] - jp) / cfg.env.arena_m, atol=1e-6)
    adj = (d <= 86.0) & ~np.eye(n, dtype=bool)
    cut = fiedler_cut(adj)[3][iu, ju]  # the documented rule, float64 (tests/float64_reference.py)
    assert 0 < (live & cut).sum() < live.sum()
    for j in range(4):
        dj_all = np.linalg.norm(mids - jp[j], axis=-1)
        dist = np.where(live, dj_all, np.inf)
        dist_cut = np.where(live & cut, dj_all, np.inf)
        order = np.concatenate([np.argsort(dist)[:k - cut_k], np.argsort(dist_cut)[:cut_k]])
        valid = np.concatenate([np.isfinite(np.sort(dist)[:k - cut_k]), np.isfinite(np.sort(dist_cut)[:cut_k])])
        feats = o[j, 10:].reshape(k, 5)
        want = np.where(valid[:, None], (mids[order] - jp[j]) / cfg.env.arena_m, 0.0)
        np.testing.assert_allclose(feats[:, :2], want, atol=1e-5)
        np.testing.assert_array_equal(feats[:, 2], valid.astype(np.float32))
        np.testing.assert_array_equal(feats[:, 4], (valid & cut[order]).astype(np.float32))
    assert set(np.unique(o[:, 10:].reshape(-1, 5)[:, 3:])) <= {0.0, 1.0}


def test_step_batch_reset_stays_a_branch_under_a_named_vmap():
    """Vmapped over seeds with the axis name, the reset is still a `cond` (scalar predicate
    reduced over the seed axis), not a select that would reset every env every step."""
    keys = jax.random.split(jax.random.PRNGKey(0), 6).reshape(2, 3, 2)
    _, states = jax.eval_shape(jax.vmap(jax.vmap(partial(reset, config=SHORT))), keys)
    acts = jax.eval_shape(jax.vmap(jax.vmap(partial(random_actions, config=SHORT))), keys)

    def conds(axis_name):
        fn = jax.vmap(partial(step_batch, config=SHORT, axis_name=axis_name), axis_name="seed")
        return str(jax.make_jaxpr(fn)(keys, states, acts)).count(" cond[")

    assert conds("seed") == conds(None) + 1  # numerics: tests/test_train.py seed-vmap test


def test_per_jammer_credit_matches_numpy_and_bounds_lambda2():
    """info.credit = Σ over m's own jammed live links of (f_i − f_j)² / λ₂ (float64 numpy), and
    Courant–Fischer: jammer m alone leaves λ₂' ≤ λ₂ (1 − c_m). Zero when credit_weight = 0."""
    cfg = override(preset("default"), {"env.credit_weight": 1.0, "physics.eigensolver": "eigh",
                                       "env.walk_sigma_m_s": 0.0})
    ph, n = cfg.physics, cfg.env.num_enemies
    _, state = reset(jax.random.PRNGKey(3), cfg)
    ep = np.asarray(state.enemy_pos)
    pairs = [(0, 1), (2, 3), (4, 5), (6, 7)]  # park each jammer on a link midpoint
    jpos = np.array([(ep[i] + ep[j]) / 2 for i, j in pairs], np.float32)
    state = state.replace(jammer_pos=jnp.asarray(jpos))
    act = Action(velocity=jnp.zeros((4, 2)), band=jnp.full((4,), state.enemy_band, jnp.int32))
    _, new, _, _, info = step_no_reset(jax.random.PRNGKey(4), state, act, cfg)
    ep, jp = np.asarray(new.enemy_pos, np.float64), np.asarray(new.jammer_pos, np.float64)
    comm_r, jam_r = (np.asarray(x)[int(new.enemy_band)] for x in (ph.comm_range_m(), ph.jam_range_m()))
    adj = (np.linalg.norm(ep[:, None] - ep[None], axis=-1) <= comm_r) & ~np.eye(n, dtype=bool)
    mid = (ep[:, None] + ep[None]) / 2
    own = (np.linalg.norm(mid[None] - jp[:, None, None], axis=-1) <= jam_r) & ~np.eye(n, dtype=bool)
    lap = lambda a: np.diag(a.sum(1)) - a.astype(np.float64)
    w, v = np.linalg.eigh(lap(adj))
    l2, f = w[1], v[:, 1]
    want = np.array([np.sum(np.triu(adj & own[m], 1) * (f[:, None] - f[None]) ** 2) for m in range(4)]) / l2
    np.testing.assert_allclose(np.asarray(info.credit), want, atol=2e-4)
    assert want.max() > 0.01  # the jammers really cut weighted links
    for m in range(4):
        alone = np.linalg.eigvalsh(lap(adj & ~own[m]))[1]
        assert alone <= l2 * (1 - want[m]) + 1e-6
    off = override(cfg, {"env.credit_weight": 0.0})
    _, _, _, _, info0 = step_no_reset(jax.random.PRNGKey(4), state, act, off)
    np.testing.assert_array_equal(np.asarray(info0.credit), 0.0)


def test_unique_credit_counts_only_links_no_other_jammer_jams():
    """env.credit_mode = unique: c_m over the live links jammed by m and by no other jammer
    (float64 numpy). Two jammers parked on the same midpoint jam the same links: each gets 0,
    where "own" credit gives each the full share; the lone jammers keep what "own" gives them
    when nobody shares their links."""
    cfg = override(preset("default"), {"env.credit_weight": 1.0, "env.credit_mode": "unique",
                                       "physics.eigensolver": "eigh", "env.walk_sigma_m_s": 0.0})
    ph, n = cfg.physics, cfg.env.num_enemies
    _, state = reset(jax.random.PRNGKey(3), cfg)
    ep = np.asarray(state.enemy_pos)
    pairs = [(0, 1), (0, 1), (4, 5), (6, 7)]  # jammers 0 and 1 together
    state = state.replace(jammer_pos=jnp.asarray([(ep[i] + ep[j]) / 2 for i, j in pairs], jnp.float32))
    act = Action(velocity=jnp.zeros((4, 2)), band=jnp.full((4,), state.enemy_band, jnp.int32))
    _, new, _, _, info = step_no_reset(jax.random.PRNGKey(4), state, act, cfg)
    _, _, _, _, info_own = step_no_reset(jax.random.PRNGKey(4), state, act,
                                         override(cfg, {"env.credit_mode": "own"}))
    ep, jp = np.asarray(new.enemy_pos, np.float64), np.asarray(new.jammer_pos, np.float64)
    comm_r, jam_r = (np.asarray(x)[int(new.enemy_band)] for x in (ph.comm_range_m(), ph.jam_range_m()))
    adj = (np.linalg.norm(ep[:, None] - ep[None], axis=-1) <= comm_r) & ~np.eye(n, dtype=bool)
    mid = (ep[:, None] + ep[None]) / 2
    own = (np.linalg.norm(mid[None] - jp[:, None, None], axis=-1) <= jam_r) & ~np.eye(n, dtype=bool)
    only = own & (own.sum(0) == 1)[None]
    w, v = np.linalg.eigh(np.diag(adj.sum(1)) - adj.astype(np.float64))
    share = lambda mk: np.array([np.sum(np.triu(adj & mk[m], 1) * (v[:, 1][:, None] - v[:, 1][None]) ** 2)
                                 for m in range(4)]) / w[1]
    np.testing.assert_allclose(np.asarray(info.credit), share(only), atol=2e-4)
    np.testing.assert_allclose(np.asarray(info_own.credit), share(own), atol=2e-4)
    credit, credit_own = np.asarray(info.credit), np.asarray(info_own.credit)
    assert credit[0] == credit[1] == 0.0 and credit_own[0] == credit_own[1] > 0.01
    assert (credit <= credit_own + 1e-7).all() and credit[2:].max() > 0.0
    with pytest.raises(ValueError, match="env.credit_mode 'unique' needs env.credit_weight > 0"):
        override(cfg, {"env.credit_weight": 0.0})


def test_own_overlap_shares_the_team_penalty_by_jammer():
    """o_m = (# other jammers within 2·R_jam) / (M − 1) (float64 numpy); its mean is r5, so
    agent rewards = team reward + w5 (r5 − o_m) keep the team mean; off: the team reward each."""
    cfg = override(preset("default"), {"env.num_jammers": 5, "env.own_overlap": True})
    _, state = reset(jax.random.PRNGKey(7), cfg)
    jpos = np.array([[50, 50], [60, 50], [50, 75], [150, 150], [175, 150]], np.float32)
    state = state.replace(jammer_pos=jnp.asarray(jpos))
    act = Action(velocity=jnp.zeros((5, 2)), band=jnp.full((5,), state.enemy_band, jnp.int32))
    _, _, reward, _, info = step_no_reset(jax.random.PRNGKey(8), state, act, cfg)
    jam_r = np.asarray(cfg.physics.jam_range_m())[int(state.enemy_band)]
    d = np.linalg.norm(jpos[:, None].astype(np.float64) - jpos[None], axis=-1)
    own = ((d < 2 * jam_r) & ~np.eye(5, dtype=bool)).sum(1) / 4.0
    np.testing.assert_allclose(own, [0.5, 0.5, 0.5, 0.25, 0.25])  # R_jam = 15 m: pairs closer than 30 m
    r5 = float(info.reward_terms[4])
    np.testing.assert_allclose(own.mean(), r5, rtol=1e-6)
    w5 = cfg.env.reward_weights[4]
    np.testing.assert_allclose(np.asarray(info.agent_reward), float(reward) + w5 * (r5 - own), rtol=1e-5)
    np.testing.assert_allclose(float(np.mean(info.agent_reward)), float(reward), rtol=1e-5)
    _, _, reward0, _, info0 = step_no_reset(jax.random.PRNGKey(8), state, act,
                                            override(cfg, {"env.own_overlap": False}))
    np.testing.assert_array_equal(np.asarray(info0.agent_reward), float(reward0))
