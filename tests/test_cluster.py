"""Tests for jaxjam.env.cluster: DBSCAN vs scikit-learn (centroids, assignment, drift:
test_assignment.py)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.cluster import DBSCAN

from jaxjam.env.cluster import _dbscan, dbscan

EPS_VALUES = (15.0, 20.0, 25.0, 40.0)
MIN_SAMPLES = (1, 2, 3, 5)
NS = (5, 10, 30, 100)

_dbscan_jit = jax.jit(dbscan)  # eps, min_samples traced
_dbscan_rounds = jax.jit(lambda p, e, m: _dbscan(p, e, m, None))


# ---------------------------------------------------------------- helpers

def _dist(p):
    p = p.astype(np.float64)
    return np.sqrt(((p[:, None, :] - p[None, :, :]) ** 2).sum(-1))


def _ambiguous(p, eps, tol=1e-3):
    """Some pair sits within tol metres of eps (float32 vs float64 could differ)."""
    return bool(np.any(np.abs(_dist(p) - eps) < tol))


def _random_layout(rng, n, eps):
    side = rng.uniform(100.0, 500.0)
    if rng.random() < 0.5:
        return rng.uniform(0.0, side, (n, 2))
    k = int(rng.integers(1, 6))
    centres = rng.uniform(0.0, side, (k, 2))
    sigma = eps * rng.uniform(0.2, 1.5)
    pts = centres[rng.integers(0, k, n)] + rng.normal(0.0, sigma, (n, 2))
    n_noise = int(rng.integers(0, max(1, n // 5)))
    pts[:n_noise] = rng.uniform(0.0, side, (n_noise, 2))
    return pts[rng.permutation(n)]


def _check_against_sklearn(p, eps, ms, labels):
    """All acceptance criteria versus sklearn; returns nothing, asserts."""
    labels = np.asarray(labels)
    sk = DBSCAN(eps=eps, min_samples=ms).fit(p.astype(np.float64))
    sk_lab = sk.labels_
    d = _dist(p)
    adj = d <= eps
    core = adj.sum(1) >= ms
    sk_core = np.zeros(len(p), bool)
    sk_core[sk.core_sample_indices_] = True
    np.testing.assert_array_equal(core, sk_core)
    # Same noise set.
    np.testing.assert_array_equal(labels == -1, sk_lab == -1)
    # Core points: same partition up to renaming ...
    ci = np.flatnonzero(core)
    pairs_ours = labels[ci][:, None] == labels[ci][None, :]
    pairs_sk = sk_lab[ci][:, None] == sk_lab[ci][None, :]
    np.testing.assert_array_equal(pairs_ours, pairs_sk)
    # ... and exactly sklearn's numbering.
    np.testing.assert_array_equal(labels[ci], sk_lab[ci])
    assert np.all(labels[core] >= 0)
    # Border points join some adjacent core point's cluster.
    for i in np.flatnonzero(~core & (labels >= 0)):
        nb_core = np.flatnonzero(adj[i] & core)
        assert labels[i] in set(labels[nb_core].tolist())
    # Our deterministic choice (smallest adjacent label) is sklearn's too.
    np.testing.assert_array_equal(labels, sk_lab)
    # Labels are 0..K-1 without gaps.
    k = labels.max() + 1
    assert set(labels[labels >= 0].tolist()) == set(range(k))


def _chain(rng, n, eps, order="perm", gap_at=None):
    """Points on a rotated line spaced just under eps (optionally one gap)."""
    steps = np.full(n, eps - 0.01)
    steps[0] = 0.0
    if gap_at is not None:
        steps[gap_at] = eps + 0.01
    s = np.cumsum(steps)
    if order == "reverse":
        s = s[::-1]
    elif order == "perm":
        s = s[rng.permutation(n)]
    elif order == "zigzag":
        o = np.empty(n)
        o[0::2] = s[: (n + 1) // 2]
        o[1::2] = s[(n + 1) // 2:][::-1]
        s = o
    th = rng.uniform(0, 2 * np.pi)
    origin = rng.uniform(-100.0, 100.0, 2)
    return (origin + s[:, None] * np.array([np.cos(th), np.sin(th)])).astype(np.float32)


# ---------------------------------------------------------------- dbscan

@pytest.mark.parametrize("n", NS)
def test_dbscan_matches_sklearn_random(n):
    rng = np.random.default_rng(1000 + n)
    done = 0
    while done < 84:  # 4 x 84 = 336 layouts in total
        eps = float(EPS_VALUES[done % 4])
        ms = int(MIN_SAMPLES[(done // 4) % 4])
        p = _random_layout(rng, n, eps).astype(np.float32)
        if _ambiguous(p, eps):
            continue
        _check_against_sklearn(p, eps, ms, _dbscan_jit(p, eps, ms))
        done += 1


@pytest.mark.parametrize("order", ["inorder", "reverse", "perm", "zigzag"])
@pytest.mark.parametrize("n", [5, 30, 100, 257])
def test_dbscan_chains(order, n):
    rng = np.random.default_rng(n * 7 + len(order))
    eps = 25.0
    for ms, gap in [(2, None), (3, None), (2, n // 2), (3, n // 3 + 1)]:
        p = _chain(rng, n, eps, order, gap)
        lab, rounds = _dbscan_rounds(p, eps, ms)
        _check_against_sklearn(p, eps, ms, lab)
        pieces = [n] if gap is None else [gap, n - gap]
        expected = sum(k >= ms for k in pieces)
        assert int(np.asarray(lab).max()) + 1 == expected
        # log-round behaviour: far fewer rounds than the chain length.
        assert int(rounds) <= 2 * math.ceil(math.log2(n)) + 2, int(rounds)


def test_dbscan_chain_of_chains_2d():
    """Snake path in 2-D plus interleaved separate chains, shuffled."""
    rng = np.random.default_rng(7)
    eps = 20.0
    pts = []
    for r in range(6):  # rows 19.99 m apart would merge; use 30 m and link ends
        xs = np.arange(15) * 19.99
        row = np.stack([xs if r % 2 == 0 else xs[::-1], np.full(15, r * 30.0)], 1)
        pts.append(row)
    snake = np.concatenate(pts)
    # Links between row ends so the rows form one path.
    links = []
    for r in range(5):
        x = 14 * 19.99 if r % 2 == 0 else 0.0
        links.append([x, r * 30.0 + 15.0])
    other = np.stack([np.arange(10) * 19.99, np.full(10, 500.0)], 1)
    p = np.concatenate([snake, np.array(links), other])[rng.permutation(90 + 5 + 10)]
    p = p.astype(np.float32)
    assert not _ambiguous(p, eps)
    lab = _dbscan_jit(p, eps, 2)
    _check_against_sklearn(p, eps, 2, lab)
    assert int(np.asarray(lab).max()) == 1


def test_dbscan_degenerate():
    p = np.zeros((6, 2), np.float32)  # all coincident
    np.testing.assert_array_equal(dbscan(p, 25.0, 2), np.zeros(6))
    np.testing.assert_array_equal(_dbscan_jit(p, 25.0, 7), -np.ones(6))
    far = (np.arange(6)[:, None] * np.array([100.0, 0.0])).astype(np.float32)
    np.testing.assert_array_equal(_dbscan_jit(far, 25.0, 2), -np.ones(6))
    np.testing.assert_array_equal(_dbscan_jit(far, 25.0, 1), np.arange(6))
    # eps is inclusive: exactly-representable distance 25.
    two = np.array([[0.0, 0.0], [15.0, 20.0]], np.float32)
    np.testing.assert_array_equal(_dbscan_jit(two, 25.0, 2), [0, 0])
    np.testing.assert_array_equal(_dbscan_jit(two, 24.999, 2), [-1, -1])


def test_dbscan_mask_padding():
    rng = np.random.default_rng(3)
    for t in range(20):
        eps, ms = 25.0, int(MIN_SAMPLES[t % 4])
        real = _random_layout(rng, 30, eps).astype(np.float32)
        if _ambiguous(real, eps):
            continue
        n_pad = 10
        pad = rng.uniform(0, 300, (n_pad, 2)).astype(np.float32)
        pad[:3] = real[:3]  # padding right on top of real points
        pos = np.sort(rng.choice(40, n_pad, replace=False))
        mask = np.ones(40, bool)
        mask[pos] = False
        p = np.zeros((40, 2), np.float32)
        p[mask] = real
        p[~mask] = pad
        lab = np.asarray(_dbscan_jit(p, eps, ms, jnp.asarray(mask)))
        assert np.all(lab[~mask] == -1)
        np.testing.assert_array_equal(lab[mask], np.asarray(_dbscan_jit(real, eps, ms)))
        _check_against_sklearn(real, eps, ms, lab[mask])


def test_dbscan_vmap_equals_loop():
    rng = np.random.default_rng(11)
    b, n = 16, 30
    eps = np.array([EPS_VALUES[i % 4] for i in range(b)], np.float32)
    ms = np.array([MIN_SAMPLES[(i // 4) % 4] for i in range(b)], np.int32)
    p = np.stack([_random_layout(rng, n, float(e)) for e in eps]).astype(np.float32)
    batched = np.asarray(jax.jit(jax.vmap(dbscan))(p, eps, ms))
    for i in range(b):
        np.testing.assert_array_equal(batched[i], np.asarray(_dbscan_jit(p[i], float(eps[i]), int(ms[i]))))
    # Shared scalar parameters, vmapped over points only.
    batched2 = np.asarray(jax.vmap(lambda x: dbscan(x, 25.0, 2))(p))
    for i in range(b):
        np.testing.assert_array_equal(batched2[i], np.asarray(_dbscan_jit(p[i], 25.0, 2)))


@pytest.mark.parametrize("ms", [2, 3])
def test_dbscan_permutation(ms):
    rng = np.random.default_rng(5 + ms)
    eps = 25.0
    for _ in range(25):
        p = _random_layout(rng, 40, eps).astype(np.float32)
        perm = rng.permutation(40)
        a = np.asarray(_dbscan_jit(p, eps, ms))
        b_perm = np.asarray(_dbscan_jit(p[perm], eps, ms))
        b = np.empty_like(b_perm)
        b[perm] = b_perm  # back to original point order
        core = (_dist(p) <= eps).sum(1) >= ms
        np.testing.assert_array_equal(a == -1, b == -1)
        sel = core if ms > 2 else (a >= 0)  # ms=2: no border points, compare all
        if ms == 2:
            assert np.all(core == (a >= 0))
        same_a = a[sel][:, None] == a[sel][None, :]
        same_b = b[sel][:, None] == b[sel][None, :]
        np.testing.assert_array_equal(same_a, same_b)
