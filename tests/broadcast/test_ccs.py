"""Convex coverage set (jaxjam.broadcast.ccs): fast DP kernels, corner updates, CCS vs brute force."""

import numpy as np
import pytest

from jaxjam.broadcast.ccs import (_add_vectors, _envelope, convex_coverage_set, corner_weights,
                                  scalar_values, value_vectors)
from jaxjam.broadcast.planner import solve_pareto
from jaxjam.broadcast.scalarised import scalarised_dp


def weights_for(n, k, seed):
    """Dirichlet weights plus simplex vertices, edge midpoints, the centre and some with zeros."""
    rng = np.random.default_rng(seed)
    w = rng.dirichlet(np.ones(n), k)
    w[: k // 4] *= rng.random((k // 4, n)) > 0.4  # zero components
    w = w[w.sum(axis=1) > 0]
    eye = np.eye(n)
    extra = [eye, (eye[:, None] + eye[None]).reshape(-1, n) / 2, np.full((1, n), 1.0 / n)]
    w = np.concatenate([w] + extra)
    return w / w.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("p,horizon", [((0.1, 0.3, 0.5, 0.7, 0.9), 12), ((0.0, 1.0, 0.4), 5),
                                       ((0.5, 0.5, 0.5, 0.5), 3), ((0.3,), 4)])
def test_kernels_match_scalarised_dp(p, horizon):
    w = weights_for(len(p), 64, 0)
    _, v = scalarised_dp(p, w, horizon, np.float64)
    for s in range(2 ** len(p)):
        best = np.einsum("bn,bn->b", v[:, s], w)
        np.testing.assert_allclose(scalar_values(p, w, horizon, s), best, rtol=0, atol=1e-12)
        mine = value_vectors(p, w, horizon, s)
        # same optimum and, with ties broken to the largest total, the same total throughput
        np.testing.assert_allclose(np.einsum("bn,bn->b", mine, w), best, rtol=0, atol=1e-11)
        np.testing.assert_allclose(mine.sum(axis=1), v[:, s].sum(axis=1), rtol=0, atol=1e-9)


@pytest.mark.parametrize("n,k,k_new", [(3, 60, 3), (4, 120, 5), (4, 120, 40)])
def test_local_corner_update_equals_full_hull(n, k, k_new):
    # points on a sphere octant: every point is a CCS vector
    x = np.abs(np.random.default_rng(n + k_new).normal(size=(k + k_new, n)))
    vs = x / np.linalg.norm(x, axis=1, keepdims=True)
    c0, ci0, vi0, _ = corner_weights(vs[:k])
    for local_max in (1.0, 0.0):  # local hull / full recomputation
        c, ci, vi, fresh, _ = _add_vectors(vs, k, c0, ci0, vi0, local_max=local_max)
        full, fci, fvi, _ = corner_weights(vs)
        assert {tuple(r) for r in np.round(c, 9)} == {tuple(r) for r in np.round(full, 9)}
        np.testing.assert_allclose(_envelope(c, ci, vi, vs), (c @ vs.T).max(axis=1), atol=1e-12)
        assert fresh.sum() < len(c)
        # corners not touching a new vector were corners before
        old = {tuple(r) for r in np.round(c0, 9)}
        assert all(tuple(r) in old for r in np.round(c[~fresh], 9))


def top2(V, w):
    """(best [B], second best [B], argmax [B]) of V @ w.T, in weight chunks (V may be large)."""
    out = []
    for i in range(0, len(w), max(1, 2_000_000 // len(V))):
        vals = V @ w[i:i + max(1, 2_000_000 // len(V))].T
        j = vals.argmax(axis=0)
        best = vals[j, np.arange(vals.shape[1])]
        vals[j, np.arange(vals.shape[1])] = -np.inf
        out.append((best, vals.max(axis=0), j))
    return [np.concatenate(x) for x in zip(*out)]


def check_ccs(p, horizon, s, V, tol=1e-9):
    vecs, wts, info = convex_coverage_set(p, horizon, s, tol=tol, return_info=True)
    assert info["max_gain"] <= tol
    # each vector is a Pareto vector of V(horizon, s) and optimal for its weight
    assert all(np.abs(V - v).max(axis=1).min() < 1e-9 for v in vecs)
    np.testing.assert_allclose(np.einsum("kn,kn->k", vecs, wts), top2(V, wts)[0], atol=1e-9)
    assert len(np.unique(np.round(vecs, 9), axis=0)) == len(vecs)
    # max over the CCS == max over the Pareto set for many weights (>= - tol for an approximation)
    w = weights_for(len(p), 3000, 1)
    best, second, j = top2(V, w)
    gap = best - (vecs @ w.T).max(axis=0)
    assert gap.max() <= tol + 1e-9 and gap.min() >= -1e-9
    if tol <= 1e-9:  # a weight with a unique maximiser in V needs that very vector in every CCS
        need = V[j[best - second > 1e-7]]
        assert np.abs(need[:, None] - vecs[None]).max(axis=2).min(axis=1).max() < 1e-9
    return vecs


@pytest.mark.parametrize("p,horizon,s", [((0.1, 0.3), 3, 0), ((0.1, 0.3), 3, 3), ((0.2, 0.6), 4, 1),
                                         ((0.2, 0.6, 0.5), 1, 0), ((0.2, 0.6, 0.5), 1, 5),
                                         ((0.5, 0.25, 0.75), 2, 0), ((0.5, 0.5, 0.5), 2, 0),
                                         ((0.25, 0.5, 0.75, 0.5), 1, 0)])
def test_ccs_vs_exact_pareto_set(p, horizon, s):
    V = solve_pareto(p, horizon).V(horizon, s)
    assert len(check_ccs(p, horizon, s, V)) < len(V)


@pytest.mark.parametrize("p,horizon,tol", [((0.1, 0.3, 0.5), 4, 0.01), ((0.1, 0.3, 0.5, 0.7, 0.9), 30, 0.02)])
def test_approximate_ccs_is_certified(p, horizon, tol):
    lines = []
    vecs, wts, info = convex_coverage_set(p, horizon, tol=tol, return_info=True, verbose=lines.append)
    assert len(lines) == info["rounds"] and lines[-1].startswith(f"OLS round {info['rounds']}: {len(vecs)} vectors")
    w = weights_for(len(p), 2000, 2)
    gap = scalar_values(p, w, horizon) - (vecs @ w.T).max(axis=0)
    assert gap.max() <= tol and gap.min() >= -1e-9
    np.testing.assert_allclose(np.einsum("kn,kn->k", vecs, wts), scalar_values(p, wts, horizon), atol=1e-9)
    assert info["rounds"] == len(info["corners"]) and info["added"][-1] == 0 and info["max_gain"] <= tol
    if len(p) == 3:
        exact = convex_coverage_set(p, horizon)[0]
        assert len(vecs) < len(exact) / 2
        assert (scalar_values(p, w, horizon) - (exact @ w.T).max(axis=0)).max() <= 1e-9


def test_ccs_input_checks():
    with pytest.raises(ValueError, match="tol must be > 0"):
        convex_coverage_set((0.5, 0.5), 2, tol=0)
    with pytest.raises(RuntimeError, match="max_corners"):
        convex_coverage_set((0.1, 0.3, 0.5), 6, max_corners=5)
    v, w = convex_coverage_set((0.4,), 3)
    assert v.shape == (1, 1) and np.isclose(v[0, 0], scalar_values((0.4,), [[1.0]], 3)[0])
