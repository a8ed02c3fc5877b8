"""Tests for jaxjam.env.cluster after clustering: centroids vs NumPy, proportional assignment
vs a plain-Python transcription of the spec, and the drift test (DBSCAN: test_cluster.py)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxjam.env.cluster import cluster_centroids, dbscan, drift_exceeded, proportional_assignment

_dbscan_jit = jax.jit(dbscan)  # eps, min_samples traced


# ---------------------------------------------------------------- centroids

def test_cluster_centroids_vs_numpy():
    rng = np.random.default_rng(2)
    f = jax.jit(cluster_centroids)
    for t in range(30):
        n = 20
        p = rng.uniform(0, 500, (n, 2)).astype(np.float32)
        if t % 2:
            lab = rng.integers(-1, 6, n).astype(np.int32)  # may leave gaps
        else:
            lab = np.asarray(_dbscan_jit(p, 60.0, 2))
        c, s, v = (np.asarray(x) for x in f(p, jnp.asarray(lab)))
        assert c.shape == (n, 2) and s.shape == (n,) and v.shape == (n,)
        for k in range(n):
            members = p[lab == k]
            assert s[k] == len(members)
            assert v[k] == (len(members) > 0)
            if len(members):
                np.testing.assert_allclose(c[k], members.astype(np.float64).mean(0), rtol=1e-5, atol=1e-3)
            else:
                np.testing.assert_array_equal(c[k], [0.0, 0.0])


# ---------------------------------------------------------------- assignment

def _assign_ref(sizes, valid, m):
    """Plain-Python transcription of spec §6 proportional assignment."""
    clusters = [c for c in range(len(sizes)) if valid[c]]
    out = [-1] * m
    if not clusters:
        return out
    total = sum(int(sizes[c]) for c in clusters)
    remaining, nxt = m, 0
    for k, c in enumerate(clusters):
        if k == len(clusters) - 1:
            cnt = remaining
        else:
            cnt = min(max(1, math.floor(m * int(sizes[c]) / total)), remaining)
        for j in range(nxt, nxt + cnt):
            out[j] = c
        nxt += cnt
        remaining -= cnt
    return out


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5, 8, 16])
def test_proportional_assignment_vs_reference(m):
    rng = np.random.default_rng(m)
    c_slots = 12
    f = jax.jit(jax.vmap(lambda s, v: proportional_assignment(s, v, m)))
    sizes, valids = [], []
    for t in range(300):
        mode = t % 6
        if mode == 0:
            k = 0  # no clusters
        elif mode == 1:
            k = 1  # single cluster
        elif mode == 2:
            k = int(rng.integers(m + 1, c_slots + 1)) if m < c_slots else c_slots  # more clusters than jammers
        else:
            k = int(rng.integers(0, c_slots + 1))
        v = np.zeros(c_slots, bool)
        v[rng.choice(c_slots, k, replace=False)] = True
        if t % 3 == 0:  # dbscan-like: valid ones first, contiguous
            v = np.arange(c_slots) < k
        s = np.where(v, rng.integers(1, 60, c_slots), 0)
        if t % 5 == 0:
            s = np.where(v, rng.integers(1, 4, c_slots), 0)
        sizes.append(s)
        valids.append(v)
    sizes, valids = np.array(sizes, np.int32), np.array(valids)
    got = np.asarray(f(sizes, valids))
    for i in range(len(sizes)):
        assert got[i].tolist() == _assign_ref(sizes[i], valids[i], m), (sizes[i], valids[i])


def test_proportional_assignment_examples():
    sizes = np.array([6, 3, 1, 0], np.int32)
    valid = np.array([True, True, True, False])
    # M=4: floor(4*6/10)=2, floor(4*3/10)=1 -> max 1, last gets 1.
    assert proportional_assignment(sizes, valid, 4).tolist() == [0, 0, 1, 2]
    # M=2: cluster 0 gets 1, cluster 1 gets 1, cluster 2 gets 0.
    assert proportional_assignment(sizes, valid, 2).tolist() == [0, 1]
    assert proportional_assignment(sizes, valid * False, 3).tolist() == [-1, -1, -1]
    one = np.array([0, 0, 5], np.int32)
    assert proportional_assignment(one, one > 0, 3).tolist() == [2, 2, 2]


# ---------------------------------------------------------------- drift

def test_drift_exceeded_cases():
    f = jax.jit(drift_exceeded)
    c = np.array([[0.0, 0.0], [100.0, 100.0], [7.0, 7.0], [0.0, 0.0]], np.float32)
    v = np.array([True, True, False, False])
    assert not bool(f(c, v, c, v, 30.0))
    moved = c.copy()
    moved[1] += [18.0, 24.0]  # exactly 30 m: not exceeded (strict)
    assert not bool(f(c, v, moved, v, 30.0))
    moved[1] += [0.0, 0.1]
    assert bool(f(c, v, moved, v, 30.0))
    # Invalid slots are ignored even if their centroids jump.
    junk = c.copy()
    junk[2:] = 999.0
    assert not bool(f(c, v, junk, v, 30.0))
    # Count changed (cluster vanished).
    assert bool(f(c, v, c, np.array([True, False, False, False]), 30.0))
    # Count changed (cluster appeared).
    assert bool(f(c, v, c, np.array([True, True, True, False]), 30.0))
    # Same count, but a label that did not exist before -> infinite drift.
    assert bool(f(c, v, c, np.array([True, False, True, False]), 30.0))
    # From nothing to nothing.
    none = np.zeros(4, bool)
    assert not bool(f(c, none, c, none, 30.0))
    # Vmappable.
    b = jax.vmap(drift_exceeded, in_axes=(None, None, 0, None, None))(c, v, np.stack([c, moved]), v, 30.0)
    assert np.asarray(b).tolist() == [False, True]
