"""Pareto filtering, Minkowski fronts, the fixed-capacity JAX pruner and the metrics."""

import jax.numpy as jnp
import numpy as np
import pytest

from jaxjam.broadcast.pareto import (_pairwise, additive_epsilon, greedy_prune, hypervolume, minkowski_front,
                                     pareto_filter)


def brute_front(x):
    x = np.unique(np.asarray(x), axis=0)
    keep = [i for i in range(len(x)) if not any(j != i and np.all(x[j] >= x[i]) for j in range(len(x)))]
    return {tuple(r) for r in x[keep]}


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_filter_matches_brute_force(n):
    rng = np.random.default_rng(n)
    for _ in range(40):
        k = int(rng.integers(0, 80))
        x = rng.integers(0, 7, size=(k, n))
        got = pareto_filter(x)
        assert len(got) == len({tuple(r) for r in got})
        assert {tuple(r) for r in got} == (brute_front(x) if k else set())


def test_filter_float_and_order():
    rng = np.random.default_rng(0)
    x = rng.random((300, 3)).round(2)
    got = pareto_filter(x)
    assert {tuple(r) for r in got} == brute_front(x)
    assert np.all(np.diff(got[:, 0]) <= 0)  # lexicographically descending


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("prune", [True, False])
def test_minkowski_front(n, prune):
    rng = np.random.default_rng(10 + n)
    a, b = rng.integers(0, 50, (30, n)), rng.integers(0, 50, (25, n))
    sums = (a[:, None] + b[None]).reshape(-1, n)
    want = brute_front(sums) if prune else {tuple(r) for r in sums}
    assert {tuple(r) for r in minkowski_front(a, b, prune)} == want
    # front of the sum of fronts == front of the sum
    if prune:
        assert {tuple(r) for r in minkowski_front(pareto_filter(a), pareto_filter(b))} == want


def test_greedy_prune_capacity_and_gap():
    rng = np.random.default_rng(1)
    cand = rng.random((200, 3))
    mask = rng.random(200) < 0.8
    for cap in (1, 5, 20):
        kept, kmask, eps = greedy_prune(jnp.asarray(cand), jnp.asarray(mask), cap, 0.0)
        kept, kmask = np.asarray(kept)[np.asarray(kmask)], np.asarray(kmask)
        assert kmask.sum() <= cap
        assert additive_epsilon(cand[mask], kept) <= float(eps) + 1e-6
        front = np.array(sorted(brute_front(cand[mask])))
        assert all(any(np.allclose(k, f) for f in front) for k in kept)  # kept rows are non-dominated


def test_greedy_prune_exact_when_capacity_suffices():
    rng = np.random.default_rng(2)
    cand = rng.integers(0, 6, (100, 2)).astype(np.float32)
    kept, kmask, eps = greedy_prune(jnp.asarray(cand), jnp.ones(100, bool), 100, 1e-6)
    got = {tuple(r) for r in np.asarray(kept)[np.asarray(kmask)]}
    assert got == brute_front(cand) and float(eps) == 0.0


def test_hypervolume_and_epsilon():
    assert hypervolume(np.array([[1.0, 1.0]])) == 1.0
    assert hypervolume(np.array([[2.0, 1.0], [1.0, 2.0], [0.5, 0.5]])) == 3.0
    assert hypervolume(np.array([[2.0, 1.0, 1.0], [1.0, 2.0, 1.0]])) == 3.0
    assert np.isclose(hypervolume(np.array([[1.0, 1.0, 2.0], [2.0, 2.0, 1.0]])), 5.0)
    assert additive_epsilon(np.array([[1.0, 2.0]]), np.array([[1.5, 1.5]])) == 0.5
    assert additive_epsilon(np.array([[1.0, 1.0]]), np.array([[2.0, 2.0]])) == 0.0


@pytest.mark.parametrize("n", [2, 3])
def test_minkowski_lattice_path_matches_pairwise(n):
    # fronts on a few planes of constant total with dense lattice coordinates take the FFT path
    rng = np.random.default_rng(20 + n)

    def plane_set(k, total, step):
        free = rng.integers(0, 400 if n == 2 else 40, (k, n - 1)) * step
        return np.concatenate([free, total - free.sum(axis=1, keepdims=True)], axis=1)

    k = 300 if n == 2 else 1200
    a = pareto_filter(np.concatenate([plane_set(k, 4000, 3), plane_set(100, 3990, 3)]))
    b = pareto_filter(np.concatenate([plane_set(k, 6000, 6), plane_set(60, 5994, 6)]))
    assert len(a) * len(b) > 4096
    want = _pairwise(a, b, True)
    assert {tuple(r) for r in minkowski_front(a, b)} == {tuple(r) for r in want}
