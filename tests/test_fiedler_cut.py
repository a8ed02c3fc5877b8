"""The Fiedler cut is defined, and the same for every solver and dtype (docs/model.md).

Rounding must never decide which side a node is on: a component that is zero by symmetry is on
neither side, and a graph whose λ₂ is repeated (or 0) has no cut at all. Each case runs with the
eigh and the Pallas-kernel solver, in float32 and float64, against tests/float64_reference.py.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from float64_reference import fiedler_cut
from jaxjam.config import override, preset
from jaxjam.env import reset
from jaxjam.env.reward import fiedler_credit
from jaxjam.physics import comm_graph, crosses_fiedler_cut, fiedler_sides, lambda2_and_fiedler

SOLVERS = [("eigh", jnp.float32), ("eigh", jnp.float64), ("kernel", jnp.float32),
           ("auto", jnp.float32), ("auto", jnp.float64)]
IDS = [f"{s}-{jnp.dtype(d).name}" for s, d in SOLVERS]


def graph(n, edges):
    a = np.zeros((n, n), bool)
    for i, j in edges:
        a[i, j] = a[j, i] = True
    return a


# path 0-1-2-3-4 plus the chord 1-3: the reflection i -> 4 - i maps it to itself, λ₂ is simple and
# its vector is odd under the reflection, so node 2's component is exactly 0
SYMMETRIC = graph(5, [(0, 1), (1, 2), (2, 3), (3, 4), (1, 3)])
REPEATED = {
    "cycle6": graph(6, [(i, (i + 1) % 6) for i in range(6)]),  # λ₂ = 1, twice
    "star6": graph(6, [(0, i) for i in range(1, 6)]),  # λ₂ = 1, four times
    "complete5": ~np.eye(5, dtype=bool),  # λ₂ = 5, four times
}
DISCONNECTED = graph(6, [(0, 1), (1, 2), (3, 4), (4, 5)])


def cut_of(adj, solver, dtype):
    with jax.enable_x64(jnp.dtype(dtype) == jnp.float64):
        l2, f = lambda2_and_fiedler(jnp.asarray(adj), dtype=dtype, solver=solver)
        n = adj.shape[0]
        i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        return (float(l2), np.asarray(f, np.float64), np.asarray(fiedler_sides(f)),
                np.asarray(crosses_fiedler_cut(f, i, j)))


@pytest.mark.parametrize("solver,dtype", SOLVERS, ids=IDS)
def test_zero_component_is_on_neither_side(solver, dtype):
    l2, f, sides, crosses = cut_of(SYMMETRIC, solver, dtype)
    want_l2, want_f, want_sides, want_crosses = fiedler_cut(SYMMETRIC)
    assert abs(want_f[2]) < 1e-12 and want_l2 > 0  # the case this test is about
    assert l2 == pytest.approx(want_l2, abs=1e-5)
    np.testing.assert_allclose(np.abs(f), np.abs(want_f), atol=1e-5)
    assert sides[2] == 0 and np.all(np.abs(sides[[0, 1, 3, 4]]) == 1)
    assert sides[0] == sides[1] == -sides[3] == -sides[4]
    np.testing.assert_array_equal(crosses, want_crosses)
    # exactly the chord 1-3 crosses; every link at node 2 is on the cut, not across it
    assert {(int(a), int(b)) for a, b in zip(*np.nonzero(np.triu(crosses & SYMMETRIC)))} == {(1, 3)}


@pytest.mark.parametrize("solver,dtype", SOLVERS, ids=IDS)
@pytest.mark.parametrize("name", list(REPEATED) + ["disconnected"])
def test_repeated_or_zero_lambda2_has_no_cut(name, solver, dtype):
    adj = DISCONNECTED if name == "disconnected" else REPEATED[name]
    l2, f, sides, crosses = cut_of(adj, solver, dtype)
    want_l2, want_f, _, _ = fiedler_cut(adj)
    assert l2 == pytest.approx(want_l2, abs=1e-5)
    assert not want_f.any() and not f.any() and not sides.any() and not crosses.any()
    # and the per-jammer credit, the other user of the vector, is 0 for every jammer
    masks = jnp.broadcast_to(jnp.asarray(adj), (3, *adj.shape))
    credit = fiedler_credit(jnp.asarray(adj), masks, jnp.asarray(f, jnp.float32), jnp.float32(l2))
    assert not np.asarray(credit).any()


@pytest.mark.parametrize("solver,dtype", SOLVERS, ids=IDS)
def test_original_layout_cut_matches_float64(solver, dtype):
    """The layout of issue 12 (local_graph test config, reset key 8): node 3's component is 0
    by symmetry, and the cut used to flip between float32 and float64 there."""
    cfg = override(preset("default"), {"env.obs": "local_graph", "env.local_graph_k": 6})
    _, state = reset(jax.random.PRNGKey(8), cfg)
    adj, _ = comm_graph(state.enemy_pos, state.jammer_pos, state.jammer_band, state.enemy_band,
                        cfg.physics)
    adj = np.asarray(adj)
    want_l2, want_f, want_sides, want_crosses = fiedler_cut(adj)
    assert abs(want_f[3]) < 1e-6 and want_sides[3] == 0
    l2, f, sides, crosses = cut_of(adj, solver, dtype)
    assert l2 == pytest.approx(want_l2, abs=1e-4)
    np.testing.assert_array_equal(np.abs(sides), np.abs(want_sides))
    np.testing.assert_array_equal(crosses, want_crosses)
    assert 0 < np.triu(crosses & adj).sum() < np.triu(adj).sum()


def test_cut_is_invariant_to_the_sign_and_to_node_order():
    rng = np.random.default_rng(5)
    pts = rng.uniform(0, 3, (12, 2))
    adj = (np.linalg.norm(pts[:, None] - pts[None], axis=-1) < 1.4) & ~np.eye(12, dtype=bool)
    _, f = lambda2_and_fiedler(jnp.asarray(adj), solver="eigh")
    i, j = np.meshgrid(np.arange(12), np.arange(12), indexing="ij")
    base = np.asarray(crosses_fiedler_cut(f, i, j))
    np.testing.assert_array_equal(np.asarray(crosses_fiedler_cut(-f, i, j)), base)
    perm = rng.permutation(12)
    _, fp = lambda2_and_fiedler(jnp.asarray(adj[perm][:, perm]), solver="eigh")
    np.testing.assert_array_equal(np.asarray(crosses_fiedler_cut(fp, i, j)), base[perm][:, perm])
