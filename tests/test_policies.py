"""Library baselines (`jaxjam.policies`): scripted motions and the centralised planner."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxjam.config import override, preset
from jaxjam.env import reset, step_no_reset
from jaxjam.evaluate import compare_policies
from jaxjam.physics import comm_graph, lambda2, link_adjacency
from jaxjam.policies import (
    SCRIPTED, baselines, by_name, diffuse_policy, disperse_policy, greedy_targets, match_targets,
    planner_policy,
)

CFG = override(preset("default"), {"env.num_jammers": 6, "env.max_steps": 20})
DEFAULT = preset("default")


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


def test_baselines_have_every_name_and_by_name_rejects_unknown():
    names = set(baselines(DEFAULT))
    assert names >= {"random", "heuristic", "planner", *SCRIPTED}
    with pytest.raises(ValueError, match="policy must be one of .*planner"):
        by_name(DEFAULT, "oracle")
    with pytest.raises(ValueError, match="shortlist"):
        planner_policy(DEFAULT, shortlist=-1)
    with pytest.raises(ValueError, match="radius_m"):
        disperse_policy(DEFAULT, 0.0)


def test_match_targets_is_a_permutation_and_keeps_jammers_on_their_own_targets():
    rng = np.random.default_rng(0)
    targets = jnp.asarray(rng.uniform(0, 200, (7, 2)), jnp.float32)
    perm = rng.permutation(7)
    got = np.asarray(match_targets(targets[perm] + 0.5, targets))
    np.testing.assert_allclose(got, np.asarray(targets)[perm])  # each jammer keeps the target beside it
    got = np.asarray(match_targets(jnp.asarray(rng.uniform(0, 200, (7, 2)), jnp.float32), targets))
    assert sorted(map(tuple, got)) == sorted(map(tuple, np.asarray(targets)))


def test_greedy_targets_sit_on_link_midpoints_and_cut_lambda2_below_random_placement():
    """Jammers teleported to the greedy targets vs uniformly random jammers, 16 reset layouts."""
    _, st = jax.vmap(lambda k: reset(k, DEFAULT))(jax.random.split(jax.random.PRNGKey(0), 16))
    m, ph = DEFAULT.env.num_jammers, DEFAULT.physics
    tg = jax.vmap(lambda p, b: greedy_targets(p, b, m, ph, 8))(st.enemy_pos, st.enemy_band)
    ep = np.asarray(st.enemy_pos, np.float64)
    mids = 0.5 * (ep[:, :, None] + ep[:, None, :])  # [16, N, N, 2]
    adj = np.asarray(jax.vmap(lambda p, b: link_adjacency(p, b, ph))(st.enemy_pos, st.enemy_band))
    for b in range(16):  # each target is the midpoint of a link of the unjammed graph
        d = np.linalg.norm(mids[b][None] - np.asarray(tg[b])[:, None, None], axis=-1)
        assert np.all(np.min(np.where(adj[b][None], d, np.inf), axis=(1, 2)) < 1e-3)

    def l2_with(jpos):
        band = jnp.broadcast_to(st.enemy_band[:, None], (16, m))
        _, adj_j = jax.vmap(lambda p, j, jb, b: comm_graph(p, j, jb, b, ph))(st.enemy_pos, jpos, band,
                                                                            st.enemy_band)
        return np.asarray(lambda2(adj_j))

    base = np.asarray(lambda2(jnp.asarray(adj)))
    rand = jax.random.uniform(jax.random.PRNGKey(1), (16, m, 2), minval=20.0, maxval=180.0)
    greedy_red, random_red = 1 - l2_with(tg) / base, 1 - l2_with(rand) / base
    assert greedy_red.mean() > 0.9 and greedy_red.mean() > random_red.mean() + 0.3


def test_planner_beats_random_and_heuristic_on_identical_episodes():
    cfg = override(DEFAULT, {"env.max_steps": 60})
    res = compare_policies(cfg, {k: baselines(cfg)[k] for k in ("random", "heuristic", "planner")},
                           jax.random.PRNGKey(7), 16)
    red = {k: v["mean_reduction"] for k, v in res.items()}
    assert red["planner"][0] - red["planner"][1] > red["heuristic"][0] + red["heuristic"][1]
    assert red["planner"][0] > red["random"][0] + 0.2
    assert res["planner"]["band_match"][0] == 1.0


def test_cut_seek_flies_each_jammer_to_the_most_sensitive_link_of_its_voronoi_cell():
    """cut seek against float64 NumPy on one layout: jammer m's goal is the live link of largest
    (f_i − f_j)² among the midpoints nearer to m than to any other jammer (else the swarm's
    most sensitive link); permuting the jammers permutes the actions."""
    from jaxjam.policies import cut_seek_policy

    cfg = override(DEFAULT, {"env.num_jammers": 5, "physics.eigensolver": "eigh"})
    _, state = reset(jax.random.PRNGKey(11), cfg)
    jpos = np.array([[30, 30], [170, 30], [100, 100], [30, 170], [100, 101]], np.float32)
    state = state.replace(jammer_pos=jnp.asarray(jpos))
    act = cut_seek_policy(cfg)(None, None, state)
    ep = np.asarray(state.enemy_pos, np.float64)
    adj = np.asarray(link_adjacency(state.enemy_pos, state.enemy_band, cfg.physics))
    w, v = np.linalg.eigh(np.diag(adj.sum(1)) - adj.astype(np.float64))
    f = v[:, 1]
    iu, ju = np.triu_indices(len(ep), 1)
    live, sens, mid = adj[iu, ju], (f[iu] - f[ju]) ** 2, (ep[iu] + ep[ju]) / 2
    owner = np.argmin(np.linalg.norm(mid[None] - jpos[:, None].astype(np.float64), axis=-1), axis=0)
    e = cfg.env
    for m in range(5):
        mine = live & (owner == m)
        goal = mid[np.argmax(np.where(mine, sens, -1))] if mine.any() else mid[np.argmax(np.where(live, sens, -1))]
        want = np.clip((goal - jpos[m]) / e.dt_s, -e.v_max_m_s, e.v_max_m_s)
        np.testing.assert_allclose(np.asarray(act.velocity)[m], want, atol=1e-3)
    assert (np.bincount(owner[live], minlength=5) > 0).sum() >= 2  # the cells really split the links
    np.testing.assert_array_equal(np.asarray(act.band), int(state.enemy_band))
    perm = np.array([3, 0, 4, 1, 2])
    permuted = cut_seek_policy(cfg)(None, None, state.replace(jammer_pos=jnp.asarray(jpos[perm])))
    np.testing.assert_allclose(np.asarray(permuted.velocity), np.asarray(act.velocity)[perm], atol=1e-5)


@pytest.mark.parametrize("checks", [1, 4])
def test_cut_seek_others_is_each_jammers_best_response_to_what_the_others_leave(checks):
    """cut_seek_policy(graph="others") against float64 NumPy: jammer m's sensitivities and live
    links are those of the graph the OTHER jammers leave (every jammer on the enemy band), its
    goal the best live link of its Voronoi cell there; graph="checked": the best of its top
    `checks` candidates there by the λ₂ they leave (checks = 1: "others"); jammers sitting on
    links make the modes differ; a bad mode is a ValueError."""
    from jaxjam.physics import band_ranges_m
    from jaxjam.policies import cut_seek_policy

    cfg = override(DEFAULT, {"env.num_jammers": 5, "physics.eigensolver": "eigh",
                             "env.v_max_m_s": 1000.0})  # any goal in one step: velocity = goal offset / dt
    _, state = reset(jax.random.PRNGKey(11), cfg)
    ep = np.asarray(state.enemy_pos, np.float64)
    adj = np.asarray(link_adjacency(state.enemy_pos, state.enemy_band, cfg.physics))
    iu, ju = np.triu_indices(len(ep), 1)
    live, mid = adj[iu, ju], (ep[iu] + ep[ju]) / 2
    on = np.flatnonzero(live)[[0, len(np.flatnonzero(live)) // 2, -1]]  # three jammers on live links
    jpos = np.concatenate([mid[on], [[5.0, 5.0], [195.0, 195.0]]]).astype(np.float32)
    state = state.replace(jammer_pos=jnp.asarray(jpos))
    act = cut_seek_policy(cfg, "others")(None, None, state)
    r_jam = band_ranges_m(cfg.physics)[1][int(state.enemy_band)]
    jams = np.linalg.norm(mid[None] - jpos[:, None].astype(np.float64), axis=-1) <= r_jam  # [M, L]
    assert jams[:3].any(axis=1).all()
    lap = lambda a: np.diag(a.sum(1)) - a.astype(np.float64)
    f0 = np.linalg.eigh(lap(adj))[1][:, 1]
    owner = np.argmin(np.linalg.norm(mid[None] - jpos[:, None].astype(np.float64), axis=-1), axis=0)
    e = cfg.env
    def graph(links):  # [L] bool -> [N, N] bool adjacency
        g = np.zeros_like(adj)
        g[iu[links], ju[links]] = g[ju[links], iu[links]] = True
        return g

    # "checked": the `checks` best candidates of the same ranking, each by the λ₂ that
    # jamming from its midpoint leaves of the same graph (ties: more links cut)
    chk = cut_seek_policy(cfg, "checked", checks=checks)(None, None, state)
    for m in range(5):
        left_l = live & ~np.delete(jams, m, axis=0).any(axis=0)
        w, v = np.linalg.eigh(lap(graph(left_l)))
        f = v[:, 1] if w[1] > 1e-6 and w[2] - w[1] > 1e-4 else f0
        sens, mine = np.where(left_l, (f[iu] - f[ju]) ** 2, -1), left_l & (owner == m)
        score = np.where(mine, sens, -1) if mine.any() else sens
        want = np.clip((mid[np.argmax(score)] - jpos[m]) / e.dt_s, -e.v_max_m_s, e.v_max_m_s)
        np.testing.assert_allclose(np.asarray(act.velocity)[m], want, atol=1e-3, err_msg=f"jammer {m}")
        best = None
        for c in np.argsort(-score, kind="stable")[:checks]:
            if score[c] < 0:
                continue
            cover = np.maximum(np.linalg.norm(mid - mid[c], axis=-1), cfg.physics.min_distance_m) <= r_jam  # [L]
            l2 = np.linalg.eigh(lap(graph(left_l & ~cover)))[0][1]
            val = (l2 if l2 > 1e-9 else 0.0) - 1e-6 * 2 * (left_l & cover).sum()  # a cut graph: λ₂ = 0
            best = (val, c) if best is None or val < best[0] else best
        want = np.clip((mid[best[1]] - jpos[m]) / e.dt_s, -e.v_max_m_s, e.v_max_m_s)
        np.testing.assert_allclose(np.asarray(chk.velocity)[m], want, atol=1e-3, err_msg=f"checked, jammer {m}")
    plain = cut_seek_policy(cfg)(None, None, state)
    assert not np.allclose(np.asarray(plain.velocity), np.asarray(act.velocity))
    with pytest.raises(ValueError, match="cut_seek graph must be one of unjammed, others, checked"):
        cut_seek_policy(cfg, "jammed")
    if checks == 1:  # one candidate: nothing to check, "others"
        np.testing.assert_array_equal(np.asarray(chk.velocity), np.asarray(act.velocity))
    else:
        assert not np.allclose(np.asarray(chk.velocity), np.asarray(act.velocity))  # the check changed a goal


def test_cut_seek_checks_is_validated_defaults_to_checked_links_and_sets_the_shapes():
    """cut_seek_policy(checks=K): a K that is not an int >= 1 is a ValueError naming `checks`
    (before anything compiles); the default is CHECKED_LINKS; K = 1 and K beyond the number
    of links (3 enemies: 3 links) both run, giving velocity [M, 2] and band [M]."""
    from jaxjam.policies import cut_seek_policy
    from jaxjam.policies.scripted import CHECKED_LINKS

    for bad in (0, -1, 1.5, "4", True, None):
        with pytest.raises(ValueError, match=r"checks must be an int >= 1"):
            cut_seek_policy(DEFAULT, "checked", checks=bad)
    cfg = override(DEFAULT, {"env.num_jammers": 3, "env.num_enemies": 8, "physics.eigensolver": "eigh"})
    _, state = reset(jax.random.PRNGKey(4), cfg)
    default = cut_seek_policy(cfg, "checked")(None, None, state)
    same = cut_seek_policy(cfg, "checked", checks=CHECKED_LINKS)(None, None, state)
    np.testing.assert_array_equal(np.asarray(same.velocity), np.asarray(default.velocity))
    np.testing.assert_array_equal(np.asarray(same.band), np.asarray(default.band))
    small = override(cfg, {"env.num_enemies": 3})
    _, few = reset(jax.random.PRNGKey(5), small)
    for c, s, k in ((cfg, state, 1), (cfg, state, 16), (small, few, 16)):
        act = jax.jit(cut_seek_policy(c, "checked", checks=k))(None, None, s)
        assert act.velocity.shape == (3, 2) and act.band.shape == (3,), k
        assert np.isfinite(np.asarray(act.velocity)).all()
        assert (np.abs(np.asarray(act.velocity)) <= c.env.v_max_m_s + 1e-4).all()


def test_cut_seek_beats_disperse_on_identical_episodes():
    cfg = override(DEFAULT, {"env.max_steps": 60})
    table = baselines(cfg, planner=False)
    res = compare_policies(cfg, {k: table[k] for k in ("disperse 30 m", "cut seek")},
                           jax.random.PRNGKey(7), 16)
    red = {k: v["mean_reduction"] for k, v in res.items()}
    assert red["cut seek"][0] - red["cut seek"][1] > red["disperse 30 m"][0] + red["disperse 30 m"][1]


def test_cut_seek_ahead_steps_is_the_rule_on_the_predicted_layout():
    """cut_seek_policy(ahead_steps=S) is the same rule on where the enemies will be S steps ahead
    (enemy_pos + S·dt·enemy_vel, the jammers where they are): S = 0 is the plain rule bit for
    bit in every mode; S = 5 equals the plain rule on a state whose enemies were moved there by
    hand and differs from S = 0; with the enemies at rest any S is S = 0. "cut seek (predicted)"
    is the check with PREDICTED_LINKS candidates, PREDICTED_STEPS ahead. A bad S is a
    ValueError naming ahead_steps and the range, before anything compiles."""
    from jaxjam.policies import PREDICTED_LINKS, PREDICTED_STEPS, cut_seek_policy

    cfg = override(DEFAULT, {"physics.eigensolver": "eigh", "env.enemy_speed_m_s": 6.0})
    _, state = reset(jax.random.PRNGKey(11), cfg)
    moved = state.replace(enemy_pos=jnp.asarray(np.asarray(state.enemy_pos, np.float64)
                                                 + 5 * cfg.env.dt_s * np.asarray(state.enemy_vel, np.float64),
                                                 jnp.float32))
    still = state.replace(enemy_vel=jnp.zeros_like(state.enemy_vel))
    vel = lambda pol, s: np.asarray(pol(None, None, s).velocity)
    for graph in ("unjammed", "others", "checked"):
        now = vel(cut_seek_policy(cfg, graph), state)
        np.testing.assert_array_equal(vel(cut_seek_policy(cfg, graph, ahead_steps=0), state), now)
        ahead = vel(cut_seek_policy(cfg, graph, ahead_steps=5), state)
        np.testing.assert_allclose(ahead, vel(cut_seek_policy(cfg, graph), moved), atol=1e-4)
        assert not np.allclose(ahead, now, atol=1e-3), graph
        np.testing.assert_array_equal(vel(cut_seek_policy(cfg, graph, ahead_steps=5), still),
                                      vel(cut_seek_policy(cfg, graph), still))
    pred = baselines(cfg)["cut seek (predicted)"]
    np.testing.assert_array_equal(vel(pred, state), vel(cut_seek_policy(cfg, "checked", PREDICTED_LINKS,
                                                                        PREDICTED_STEPS), state))
    for bad in (-1, True, "2", float("nan"), 1e4):
        with pytest.raises(ValueError, match=r"ahead_steps must be a number in \[0, 1000\]"):
            cut_seek_policy(cfg, "checked", ahead_steps=bad)
