"""Physics against independent float64 numpy formulas (spec §1-§3)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from float64_reference import fiedler_cut
from scipy.sparse.csgraph import connected_components as sp_components

from jaxjam.config import PhysicsConfig, preset
from jaxjam.physics import (
    comm_graph, dbm_to_w, fspl_db, lambda2, lambda2_and_fiedler, num_components,
    received_power_w, w_to_dbm,
)

C = 3.0e8


def np_received_w(p_dbm, d, f):
    p_w = 10.0 ** ((p_dbm - 30.0) / 10.0)
    d = np.maximum(d, 1e-10)
    return p_w * (C / (4 * np.pi * f * d)) ** 2


def np_graphs(enemy, jammers, jbands, eband, phys: PhysicsConfig):
    """Spec §3 rules in the power domain, float64."""
    f = phys.band_freqs_hz[eband]
    sens_w = 10.0 ** ((phys.sensitivity_dbm[eband] - 30) / 10)
    thr_w = 10.0 ** ((phys.jam_threshold_dbm[eband] - 30) / 10)
    n = len(enemy)
    d = np.linalg.norm(enemy[:, None] - enemy[None], axis=-1)
    adj = (np_received_w(phys.tx_power_dbm, d, f) >= sens_w) & ~np.eye(n, dtype=bool)
    jam = np.zeros((n, n), bool)
    margin = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            mid = (enemy[i] + enemy[j]) / 2
            for k in range(len(jammers)):
                p = np_received_w(phys.jammer_power_dbm, np.linalg.norm(jammers[k] - mid), f)
                if jbands[k] == eband and p >= thr_w:
                    jam[i, j] = True
                if jbands[k] == eband and abs(p / thr_w - 1) < 1e-3:
                    margin[i, j] = 1  # too close to the threshold for a float32 verdict
    return adj, adj & ~jam, margin


def test_unit_conversions():
    assert float(dbm_to_w(20.0)) == pytest.approx(0.1)
    assert float(dbm_to_w(-90.0)) == pytest.approx(1e-12)
    assert float(w_to_dbm(1.0)) == pytest.approx(30.0)
    x = np.linspace(-100, 40, 15)
    np.testing.assert_allclose(np.asarray(w_to_dbm(dbm_to_w(jnp.asarray(x)))), x, atol=1e-4)


def test_fspl_and_received_power():
    assert float(fspl_db(1.0, 1.0)) == pytest.approx(20 * math.log10(4 * math.pi / C), abs=1e-3)
    assert 20 * math.log10(4 * math.pi / C) == pytest.approx(-147.558, abs=1e-3)
    d = np.array([1.0, 10.0, 86.0, 1000.0])
    for f in (433e6, 2.4e9):
        got = np.asarray(received_power_w(0.1, jnp.asarray(d), f))
        np.testing.assert_allclose(got, np_received_w(20.0, d, f), rtol=1e-5)
        # the dB and linear forms agree
        np.testing.assert_allclose(10 * np.log10(got / 0.1), -np.asarray(fspl_db(jnp.asarray(d), f)),
                                   atol=1e-3)


def test_reference_ranges_match_spec_table():
    ref = preset("reference").physics
    np.testing.assert_allclose(ref.comm_range_m(), [17435, 8251, 3146, 1302], rtol=5e-4)
    np.testing.assert_allclose(ref.jam_range_m(), [55.1, 26.1, 9.95, 4.12], rtol=3e-3)
    jj = preset("default").physics
    np.testing.assert_allclose(jj.comm_range_m(), 86.0, rtol=1e-9)
    np.testing.assert_allclose(jj.jam_range_m(), 15.0, rtol=1e-9)


@pytest.mark.parametrize("name", ["reference", "default"])
def test_comm_graph_matches_spec_rules(name):
    cfg = preset(name)
    rng = np.random.default_rng(0)
    a = cfg.env.arena_m
    fn = jax.jit(lambda e, j, jb, eb: comm_graph(e, j, jb, eb, cfg.physics))
    checked = 0
    for trial in range(40):
        n, m = rng.integers(2, 15), rng.integers(1, 6)
        enemy = rng.uniform(0, a, (n, 2))
        jam = rng.uniform(0, a, (m, 2))
        eband = int(rng.integers(0, 4))
        jbands = rng.integers(0, 4, m)
        jbands[0] = eband  # at least one matching jammer
        adj, adjj = fn(jnp.asarray(enemy, jnp.float32), jnp.asarray(jam, jnp.float32),
                       jnp.asarray(jbands), eband)
        ref_adj, ref_adjj, margin = np_graphs(enemy, jam, jbands, eband, cfg.physics)
        ok = margin == 0  # ignore pairs within 0.1% of the jamming threshold (float32)
        np.testing.assert_array_equal(np.asarray(adj), ref_adj)
        np.testing.assert_array_equal(np.asarray(adjj)[ok], ref_adjj[ok])
        assert np.array_equal(np.asarray(adj), np.asarray(adj).T)
        assert not np.asarray(adj).diagonal().any()
        checked += ok.sum()
    assert checked > 1000


def test_jamming_inclusive_threshold_and_band_matching():
    cfg = preset("default")
    r = cfg.physics.jam_range_m()[2]
    enemy = jnp.array([[0.0, 0.0], [40.0, 0.0]])
    # jammer exactly R_jam (minus float slack) from the midpoint (20, 0): jams; slightly outside: not
    for dist, expect in ((r * (1 - 1e-4), True), (r * (1 + 1e-3), False)):
        jam = jnp.array([[20.0, dist]])
        _, adjj = comm_graph(enemy, jam, jnp.array([2]), 2, cfg.physics)
        assert bool(~adjj[0, 1]) is expect
        _, adjj = comm_graph(enemy, jam, jnp.array([1]), 2, cfg.physics)  # wrong band: no effect
        assert bool(adjj[0, 1])


def random_graphs(rng, n, count):
    graphs = []
    for i in range(count):
        p = rng.uniform(0.02, 0.9)
        a = np.triu(rng.random((n, n)) < p, 1)
        if i % 4 == 0:  # force a disconnected graph: two blocks
            cut = rng.integers(1, n)
            a[:cut, cut:] = False
        if i % 5 == 0:  # isolated node
            k = rng.integers(0, n)
            a[k, :] = False
            a[:, k] = False
        graphs.append(a | a.T)
    return np.stack(graphs)


def test_lambda2_against_float64_eigvalsh_many_graphs():
    rng = np.random.default_rng(1)
    f = jax.jit(lambda2)
    total, disconnected = 0, 0
    for n, count in ((2, 50), (5, 200), (10, 300), (33, 200), (60, 150), (100, 150)):
        g = random_graphs(rng, n, count)
        got = np.asarray(f(jnp.asarray(g)))
        lap = np.eye(n) * g.sum(-1, keepdims=True) - g.astype(np.float64)
        want = np.linalg.eigvalsh(lap)[:, 1]
        np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)
        ncomp = np.array([sp_components(x, directed=False)[0] for x in g])
        assert np.all(got[ncomp > 1] == 0.0)
        np.testing.assert_array_equal(np.asarray(num_components(jnp.asarray(g))), ncomp)
        total += count
        disconnected += int((ncomp > 1).sum())
    assert total >= 1000 and disconnected >= 200
    assert got.dtype == np.float32


@pytest.mark.parametrize("solver", ["eigh", "kernel"])
def test_lambda2_solvers_agree_with_float64(solver):
    """Every explicit solver (the Pallas kernel runs interpreted on CPU) on graphs including
    disconnected ones and isolated nodes, over N that pad to tiles 16, 64 and 128."""
    rng = np.random.default_rng(7)
    f = jax.jit(lambda a: lambda2(a, solver=solver))
    for n, count in ((2, 10), (5, 20), (10, 30), (33, 20), (100, 20)):
        g = random_graphs(rng, n, count)
        got = np.asarray(f(jnp.asarray(g)))
        lap = np.eye(n) * g.sum(-1, keepdims=True) - g.astype(np.float64)
        np.testing.assert_allclose(got, np.linalg.eigvalsh(lap)[:, 1], atol=1e-4, rtol=0)
        ncomp = np.array([sp_components(x, directed=False)[0] for x in g])
        assert np.all(got[ncomp > 1] == 0.0) and np.all(got[ncomp == 1] > 0.0)


def test_fiedler_pair_kernel_against_float64_eigh():
    """λ₂ and the Fiedler vector of the Pallas kernel (interpreted): eigen-residual, unit
    norm, orthogonal to the constant vector, and ±the numpy vector where λ₂ is simple."""
    rng = np.random.default_rng(11)
    f = jax.jit(lambda a: lambda2_and_fiedler(a, solver="kernel"))
    for n, count in ((2, 6), (7, 20), (16, 20), (40, 12), (100, 8)):
        g = random_graphs(rng, n, count)
        l2, vec = map(np.asarray, f(jnp.asarray(g)))
        lap = np.eye(n) * g.sum(-1, keepdims=True) - g.astype(np.float64)
        w, v = np.linalg.eigh(lap)
        np.testing.assert_allclose(l2, np.where(w[:, 1] < 2 / n**2, 0, w[:, 1]), atol=1e-4, rtol=0)
        defined = np.array([fiedler_cut(x)[1].any() for x in g])
        assert not vec[~defined].any()  # disconnected or repeated λ₂: no vector (tests/test_fiedler_cut.py)
        vec, w, v, lap = vec[defined], w[defined], v[defined], lap[defined]
        residual = np.einsum("bij,bj->bi", lap, vec) - w[:, 1, None] * vec
        assert np.abs(residual).max() < 1e-3
        np.testing.assert_allclose(np.linalg.norm(vec, axis=1), 1.0, atol=1e-5)
        np.testing.assert_allclose(vec.sum(axis=1), 0.0, atol=1e-4)
        dots = np.abs(np.einsum("bn,bn->b", vec, v[:, :, 1]))
        np.testing.assert_allclose(dots, 1.0, atol=1e-4)


def test_lambda2_rejects_unknown_solver():
    with pytest.raises(ValueError, match="solver must be one of"):
        lambda2(jnp.ones((3, 3), bool), solver="lanczos")


def test_fiedler_kernel_needs_two_nodes():
    from jaxjam.physics.fiedler_kernel import second_eigenvalue
    with pytest.raises(ValueError, match="needs N >= 2"):
        second_eigenvalue(jnp.ones((2, 1, 1)), interpret=True)


def test_lambda2_known_graphs_and_fiedler():
    n = 10
    complete = ~np.eye(n, dtype=bool)
    assert float(lambda2(jnp.asarray(complete))) == pytest.approx(n, abs=1e-4)
    path = np.zeros((n, n), bool)
    path[np.arange(n - 1), np.arange(1, n)] = True
    path |= path.T
    assert float(lambda2(jnp.asarray(path))) == pytest.approx(2 * (1 - math.cos(math.pi / n)), abs=1e-5)
    l2, vec = lambda2_and_fiedler(jnp.asarray(path))
    v = np.asarray(vec)
    assert np.all(np.sign(v[: n // 2]) == np.sign(v[0])) and np.all(np.sign(v[n // 2:]) == -np.sign(v[0]))
    assert float(l2) == pytest.approx(2 * (1 - math.cos(math.pi / n)), abs=1e-5)


def test_lambda2_probe_times_the_solver_and_refuses_bad_sizes():
    from jaxjam.physics.probe import lambda2_batch_seconds
    assert 0.0 < lambda2_batch_seconds(preset("default"), 8, repeats=3) < 10.0
    with pytest.raises(ValueError, match="batch"):
        lambda2_batch_seconds(preset("default"), 0)
