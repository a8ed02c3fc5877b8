"""Clusters as jammer targets: DBSCAN fit, centroid slots, assignment, target centroid.

Centroids live in N + 1 slots: 0..N−1 are DBSCAN clusters (by label), slot N is
the extra entry each model keeps beside them:
* `reference`: the noise pseudo-centroid (mean of noise points, when a real
  cluster exists and noise exists), or the arena centre when no cluster exists
  (spec §6);
* `jaxjam`: only when no cluster exists, the swarm's mean position (a physical
  fallback instead of the arena centre; docs/model.md).
"""

from __future__ import annotations

import jax.numpy as jnp

from jaxjam.config import EnvConfig
from jaxjam.env.cluster import cluster_centroids, dbscan, drift_exceeded, proportional_assignment
from jaxjam.env.rules import model_rules
from jaxjam.physics import pairwise_dist


def centroid_slots(pos, labels, cfg: EnvConfig):
    """`(centroids [N+1, 2] m, valid [N+1] bool, sizes [N+1] int32)` for given labels."""
    n = pos.shape[0]
    cent, sizes, valid = cluster_centroids(pos, labels)
    any_cluster = jnp.any(valid)
    noise = labels < 0
    n_noise = jnp.sum(noise)
    if model_rules(cfg).noise_slot:
        noise_mean = jnp.sum(jnp.where(noise[:, None], pos, 0.0), axis=0) / jnp.maximum(n_noise, 1)
        extra = jnp.where(any_cluster, noise_mean, jnp.full((2,), 0.5 * cfg.arena_m))
        extra_valid = jnp.where(any_cluster, n_noise > 0, True)
        extra_size = jnp.where(any_cluster, n_noise, n)
    else:
        extra = jnp.mean(pos, axis=0)
        extra_valid = ~any_cluster
        extra_size = jnp.where(any_cluster, 0, n)
    centroids = jnp.concatenate([cent, extra[None]], axis=0)
    valid = jnp.concatenate([valid, extra_valid[None]])
    sizes = jnp.concatenate([sizes.astype(jnp.int32), extra_size.astype(jnp.int32)[None]])
    return centroids, valid, sizes


def fit_clusters(pos, cfg: EnvConfig):
    """DBSCAN on enemy positions: `(labels [N], centroids [N+1, 2], valid [N+1], sizes [N+1])`."""
    labels = dbscan(pos, cfg.dbscan_eps_m, cfg.dbscan_min_samples)
    return (labels, *centroid_slots(pos, labels, cfg))


def assign(sizes, valid, num_jammers: int):
    """Proportional jammer→cluster-slot assignment `[M]` int32 over real clusters (−1 = none)."""
    n = sizes.shape[0] - 1
    return proportional_assignment(sizes[:n], valid[:n], num_jammers)


def needs_reassignment(old_centroids, old_valid, new_centroids, new_valid, cfg: EnvConfig):
    """Spec §6 drift rule over all slots: count changed, or a centroid moved > threshold."""
    return drift_exceeded(old_centroids, old_valid, new_centroids, new_valid, cfg.drift_threshold_m)


def nearest_slot(jammer_pos, centroids, valid):
    """Index `[M]` of the nearest valid centroid slot for each jammer, and its distance `[M]` m."""
    d = pairwise_dist(jammer_pos, centroids)
    d = jnp.where(valid[None, :], d, jnp.inf)
    idx = jnp.argmin(d, axis=1)
    return idx, jnp.take_along_axis(d, idx[:, None], axis=1)[:, 0]


def target_centroids(jammer_pos, assignment, centroids, valid):
    """Each jammer's target `[M, 2]` m: its assigned cluster if still valid, else the nearest slot."""
    near, _ = nearest_slot(jammer_pos, centroids, valid)
    safe = jnp.maximum(assignment, 0)
    use_assigned = (assignment >= 0) & valid[safe]
    slot = jnp.where(use_assigned, safe, near)
    return centroids[slot]
