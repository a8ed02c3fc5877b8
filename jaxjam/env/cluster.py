"""DBSCAN clustering and proportional jammer assignment in JAX (spec §6).

Everything here is written for ONE layout with a static number of points N
(fixed shapes, boolean masks, no data-dependent shapes); ``jax.vmap`` makes
batches and every function is ``jax.jit``-able.

Numbering matches scikit-learn's ``DBSCAN`` exactly: clusters are numbered
0, 1, ... in order of their lowest-index core point, and a border point joins
the adjacent cluster with the smallest label (which is what sklearn's
index-order scan produces).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxjam.physics import connected_components, distance, pairwise_sq_dist

__all__ = [
    "dbscan",
    "cluster_centroids",
    "proportional_assignment",
    "drift_exceeded",
]


def _neighbours(points: jax.Array, eps, mask) -> jax.Array:
    """``[N, N] bool``: distance(i, j) ≤ eps (inclusive), both points unmasked."""
    p = jnp.asarray(points, jnp.float32)
    d2 = pairwise_sq_dist(p, p)
    eps = jnp.asarray(eps, jnp.float32)
    adj = d2 <= eps * eps
    if mask is not None:
        adj = adj & mask[:, None] & mask[None, :]
    return adj


def _dbscan(points, eps, min_samples, mask):
    n = points.shape[0]
    adj = _neighbours(points, eps, mask)
    counts = jnp.sum(adj, axis=1, dtype=jnp.int32)
    core = counts >= jnp.asarray(min_samples, jnp.int32)
    if mask is not None:
        core = core & mask
    # components of the core points and the links between them; N for non-core points
    root, rounds = connected_components(adj, core, with_rounds=True)

    idx = jnp.arange(n, dtype=jnp.int32)
    is_root = core & (root == idx)
    # Cluster id of a root = number of roots before it (sklearn's numbering).
    root_id = jnp.cumsum(is_root.astype(jnp.int32)) - 1
    core_lab = jnp.where(core, root_id[jnp.clip(root, 0, n - 1)], n)
    # Border points: smallest cluster label among adjacent core points.
    border_lab = jnp.min(jnp.where(adj & core[None, :], core_lab[None, :], n), axis=1)
    lab = jnp.where(core, core_lab, border_lab)
    return jnp.where(lab < n, lab, -1).astype(jnp.int32), rounds


def dbscan(points, eps, min_samples, mask=None) -> jax.Array:
    """DBSCAN on 2-D points, identical to ``sklearn.cluster.DBSCAN``.

    Args:
      points: ``[N, 2] float32`` positions in metres.
      eps: neighbourhood radius in metres (inclusive: neighbour iff distance
        ≤ eps); Python number or traced scalar.
      min_samples: a point is core iff at least this many points, itself
        included, lie within eps; Python int or traced scalar.
      mask: optional ``[N] bool``; False marks padding (never core, never a
        neighbour, label −1).
    Returns:
      ``[N] int32`` labels: −1 for noise, clusters 0, 1, ... numbered in order
      of each cluster's lowest-index core point; border points take the
      smallest label among their adjacent core points.
    """
    return _dbscan(points, eps, min_samples, mask)[0]


def cluster_centroids(points, labels):
    """Per-label centroids, indexed by label id.

    Args:
      points: ``[N, 2] float32`` positions in metres.
      labels: ``[N] int32`` from :func:`dbscan` (−1 = noise, ignored).
    Returns:
      ``(centroids [N, 2] float32 metres, sizes [N] int32, valid [N] bool)``:
      slot c describes cluster c; unused slots have size 0, centroid (0, 0).
      (Computed with masked sums, not a matmul, so no TF32 rounding on GPU.)
    """
    n = points.shape[0]
    onehot = labels[None, :] == jnp.arange(n, dtype=labels.dtype)[:, None]  # [C, N]
    sizes = jnp.sum(onehot, axis=1, dtype=jnp.int32)
    sums = jnp.sum(jnp.where(onehot[:, :, None], points[None, :, :], 0.0), axis=1)
    valid = sizes > 0
    centroids = jnp.where(
        valid[:, None], sums / jnp.maximum(sizes, 1)[:, None].astype(sums.dtype), 0.0
    )
    return centroids.astype(jnp.float32), sizes, valid


def proportional_assignment(sizes, valid, num_jammers: int) -> jax.Array:
    """Spec §6 proportional rule: which cluster each jammer is assigned to.

    Valid clusters are visited in ascending label; each non-last one gets
    ``min(max(1, floor(M·size_c / Σ valid sizes)), remaining)`` jammers, the
    last valid one gets all that remain; jammer indices are handed out
    contiguously 0..M−1 (later clusters get 0 once jammers run out).

    Args:
      sizes: ``[C] int`` cluster sizes (points).
      valid: ``[C] bool`` which slots are real clusters.
      num_jammers: M, static Python int.
    Returns:
      ``[M] int32`` cluster label per jammer; all −1 if no cluster is valid.
    """
    m = int(num_jammers)
    sizes = jnp.where(valid, jnp.asarray(sizes, jnp.int32), 0)
    total = jnp.maximum(jnp.sum(sizes), 1)
    base = jnp.where(valid, jnp.maximum(1, (m * sizes) // total), 0)
    incl = jnp.cumsum(base)
    start = jnp.minimum(incl - base, m)
    end = jnp.minimum(incl, m)
    c = jnp.arange(sizes.shape[0], dtype=jnp.int32)
    last = jnp.max(jnp.where(valid, c, -1))
    end = jnp.where(c == last, m, end)
    j = jnp.arange(m, dtype=jnp.int32)[:, None]
    hit = valid[None, :] & (start[None, :] <= j) & (j < end[None, :])  # [M, C]
    return jnp.where(jnp.any(hit, axis=1), jnp.argmax(hit, axis=1), -1).astype(jnp.int32)


def drift_exceeded(old_centroids, old_valid, new_centroids, new_valid, threshold_m) -> jax.Array:
    """Spec §6 reassignment trigger, on label-indexed centroid tables.

    Args:
      old_centroids, new_centroids: ``[C, 2] float32`` metres (label-indexed).
      old_valid, new_valid: ``[C] bool``.
      threshold_m: drift threshold in metres (strict: drift > threshold).
    Returns:
      ``bool`` scalar: True iff the number of valid clusters changed, or some
      valid new label moved more than threshold_m from the old centroid of the
      same label id (a label that was not valid before counts as infinite).
    """
    count_changed = jnp.sum(old_valid) != jnp.sum(new_valid)
    dist = distance(old_centroids, new_centroids)
    moved = new_valid & (~old_valid | (dist > threshold_m))
    return count_changed | jnp.any(moved)
