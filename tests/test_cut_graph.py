"""`env.cut_graph = "jammed"`: the observation's cut and sensitivity features follow the graph the
jammers leave now (the planner's sequential view), checked against float64 NumPy; the step and
reset paths agree; the unjammed vector stands in where the jammed graph has none; bad settings
are refused by name."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxjam.config import override, preset
from jaxjam.env import Action, reset, step_no_reset
from jaxjam.env.entity_obs import entity_layout
from jaxjam.env.jammer_env import _observe_fresh, cut_fiedler
from tests.float64_reference import fiedler_cut

ENT = override(preset("default"), {"env.obs": "entity", "ppo.network": "attention",
                                   "physics.eigensolver": "eigh", "env.cut_graph": "jammed"})


def _jam_top_links(cfg, seed):
    """A reset state with every jammer on the enemy band at the midpoint of one of the unjammed
    graph's most Fiedler-sensitive links, so the jammed graph differs from the unjammed one."""
    _, state = reset(jax.random.PRNGKey(seed), cfg)
    pos = np.asarray(state.enemy_pos, np.float64)
    n, m = cfg.env.num_enemies, cfg.env.num_jammers
    r = cfg.physics.comm_range_m()[int(state.enemy_band)]
    adj = (np.linalg.norm(pos[:, None] - pos[None], axis=-1) <= r) & ~np.eye(n, dtype=bool)
    _, f, _, _ = fiedler_cut(adj)
    iu, ju = np.triu_indices(n, 1)
    sens = np.where(adj[iu, ju], (f[iu] - f[ju]) ** 2, -1.0)
    pick = np.argsort(sens)[::-1][:m]
    jpos = 0.5 * (pos[iu[pick]] + pos[ju[pick]])
    state = state.replace(jammer_pos=jnp.asarray(jpos, jnp.float32),
                          jammer_band=jnp.full((m,), state.enemy_band, jnp.int32))
    return state, pos, jpos, adj, iu, ju


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_top_links_follow_the_jammed_graphs_fiedler_vector(seed):
    state, pos, jpos, adj, iu, ju = _jam_top_links(ENT, seed)
    r_jam = ENT.physics.jam_range_m()[int(state.enemy_band)]
    mids = 0.5 * (pos[iu] + pos[ju])
    jam = (np.linalg.norm(mids[:, None] - jpos[None], axis=-1) <= r_jam).any(1)
    jammed = adj.copy()
    jammed[iu[jam], ju[jam]] = jammed[ju[jam], iu[jam]] = False
    assert (adj & ~jammed).any()  # the jammers cut something
    _, f_un, _, _ = fiedler_cut(adj)
    _, f_j, sides_j, crosses_j = fiedler_cut(jammed)
    f = f_j if np.any(f_j != 0) else f_un
    live = adj[iu, ju]
    sens = ((f[iu] - f[ju]) ** 2)[live]
    top = np.sort(sens / sens.max())[::-1][:ENT.env.entity_top_links]
    obs = _observe_fresh(state, ENT)
    k = ENT.env.entity_links
    links = np.asarray(entity_layout(ENT).split(obs)[1])
    np.testing.assert_allclose(links[:, k:, 5], np.broadcast_to(top, (4, len(top))), atol=1e-4)
    if np.any(f_j != 0):  # the top links by the jammed graph: do they cross its cut?
        order = np.argsort(np.where(live, (f[iu] - f[ju]) ** 2, -1.0))[::-1][:len(top)]
        np.testing.assert_array_equal(links[0, k:, 4], crosses_j[iu[order], ju[order]].astype(float))
    own_u, links_u, enemies_u, _ = entity_layout(ENT).split(
        _observe_fresh(state, override(ENT, {"env.cut_graph": "unjammed"})))
    own, _, enemies, _ = entity_layout(ENT).split(obs)
    np.testing.assert_array_equal(np.asarray(own_u), np.asarray(own))  # the rest is unchanged
    np.testing.assert_array_equal(np.asarray(enemies_u)[..., :3], np.asarray(enemies)[..., :3])
    # the sensitivities differ exactly when the jammed graph has a Fiedler vector (seed 2 here);
    # where it is disconnected (seeds 0, 1: the four jammers cut it) the unjammed one stands in
    assert np.allclose(np.asarray(links_u)[:, k:, 5], links[:, k:, 5]) == (not np.any(f_j != 0))
    assert np.any(f_j != 0) == (seed == 2)


def test_step_and_reset_give_the_same_observation():
    for cut_graph in ("unjammed", "jammed"):
        cfg = override(ENT, {"env.cut_graph": cut_graph})
        _, state = reset(jax.random.PRNGKey(5), cfg)
        act = Action(velocity=jnp.ones((4, 2)), band=jnp.full((4,), state.enemy_band, jnp.int32))
        obs, state2, *_ = step_no_reset(jax.random.PRNGKey(6), state, act, cfg)
        np.testing.assert_allclose(np.asarray(obs), np.asarray(_observe_fresh(state2, cfg)), atol=1e-5)


def test_the_unjammed_vector_stands_in_where_the_jammed_one_is_undefined():
    f_un, f_j = jnp.arange(5.0), jnp.array([0.5, -0.5, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(cut_fiedler(f_un, jnp.zeros(5)), f_un)
    np.testing.assert_array_equal(cut_fiedler(f_un, f_j), f_j)


def test_jammed_cut_graph_needs_a_graph_observation():
    with pytest.raises(ValueError, match="env.cut_graph 'jammed' needs a graph observation"):
        override(preset("default"), {"env.cut_graph": "jammed"})
    with pytest.raises(ValueError, match="cut_graph"):
        override(preset("default"), {"env.cut_graph": "both"})
