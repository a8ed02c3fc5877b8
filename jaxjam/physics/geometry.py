"""Plane geometry shared by physics, env, observations and policies: offsets, pairwise
(squared) distances and link midpoints of 2-D positions in metres. Pure `jnp`, no state.

One formula each, so every caller rounds alike: a squared distance is always
`Σ (b − a)·(b − a)` over the last axis, a distance its `sqrt` (what `jnp.linalg.norm` computes
for real inputs), a midpoint `0.5 · (p + q)`.
"""

from __future__ import annotations

import jax.numpy as jnp


def offsets(a, b):
    """`b[q] − a[p]`, `[..., P, Q, 2]` (m): from each point of `a [..., P, 2]` to each point
    of `b [..., Q, 2]` (leading dims broadcast)."""
    return b[..., None, :, :] - a[..., :, None, :]


def sq_norm(v):
    """Squared Euclidean norm over the last axis, `[...]` (m² for offsets in m)."""
    return jnp.sum(v * v, axis=-1)


def distance(a, b):
    """Distances `[...]` (m) between matching points of `a [..., 2]` and `b [..., 2]`."""
    return jnp.sqrt(sq_norm(b - a))


def pairwise_sq_dist(a, b):
    """Squared distances `[..., P, Q]` (m²) between `a [..., P, 2]` and `b [..., Q, 2]`."""
    return sq_norm(offsets(a, b))


def pairwise_dist(a, b):
    """Distances `[..., P, Q]` (m) between `a [..., P, 2]` and `b [..., Q, 2]`."""
    return jnp.sqrt(pairwise_sq_dist(a, b))


def midpoints(pos):
    """Midpoints `[..., N, N, 2]` (m) of every pair of points of `pos [..., N, 2]`."""
    return 0.5 * (pos[..., :, None, :] + pos[..., None, :, :])


def link_midpoints(pos, i, j):
    """Midpoints `[L, 2]` (m) of the links `(i[l], j[l])` (index arrays) of `pos [N, 2]`."""
    return 0.5 * (pos[i] + pos[j])
