"""Per-jammer observations `[M, D]` for the four variants (docs/model.md).

* `seed` (jaxjam default, the user's scalability document): offset to the target
  cluster centroid (÷ arena), own velocity (÷ v_max), enemy band one-hot.
* `local_graph`: `seed` plus the offset to the nearest other jammer (÷ arena; lets
  jammers that share a target spread out) and, for K live enemy links: midpoint offset
  (÷ arena), a valid flag, the jammed flag and whether the link crosses the unjammed
  graph's Fiedler cut (or, with `env.cut_graph = "jammed"`, the cut of the graph the jammers
  leave now; `jammer_env.cut_fiedler`) (its end nodes on opposite sides, `physics.fiedler_sides`: nodes
  with a near-zero component are on neither side, and an undefined cut crosses nothing). The first K − K_cut slots
  hold the nearest live links (by midpoint), the last K_cut the nearest links that cross
  the cut (`env.local_graph_cut_k`): near a dense cluster the K nearest links are all
  inside it, and the cut slots point at the bridges that carry the connectivity.
* `entity`: sets of nearby links, enemies and jammers in units of the radio range, for the
  attention policy (`jaxjam.env.entity_obs`).
* `reference`: the reference's five distance-only features (spec §7).
* `reference_band` (reference model, opt-in): `reference` followed by a one-hot of
  the jammer's own current band, so a memoryless policy can tell which band it is on
  and keep a matching one (docs/results.md, reference model).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxjam.config import Config
from jaxjam.env.entity_obs import entity_layout, entity_obs
from jaxjam.env.numerics import inverse
from jaxjam.env.reward import overlap_fraction
from jaxjam.env.state import EnvState
from jaxjam.env.targets import nearest_slot, target_centroids
from jaxjam.physics import crosses_fiedler_cut, link_midpoints, offsets, pairwise_dist, sq_norm

LINK_FEATURES = 5  # dx, dy, valid, jammed, crosses Fiedler cut
NEIGHBOUR_FEATURES = 2  # dx, dy to the nearest other jammer


def seed_obs(state: EnvState, config: Config):
    """`[M, 4 + B]`: Δ to target centroid ÷ A, velocity ÷ v_max, enemy band one-hot."""
    e = config.env
    targets = target_centroids(state.jammer_pos, state.assignment, state.centroids,
                               state.centroid_valid)
    delta = (targets - state.jammer_pos) * inverse(e.arena_m)
    vel = state.jammer_vel * inverse(e.v_max_m_s)
    band = jax.nn.one_hot(state.enemy_band, config.physics.num_bands)
    band = jnp.broadcast_to(band, (e.num_jammers, band.shape[-1]))
    return jnp.concatenate([delta, vel, band], axis=-1).astype(jnp.float32)


def neighbour_obs(state: EnvState, config: Config):
    """`[M, 2]`: offset (÷ arena) from each jammer to the nearest other jammer; 0 when M = 1."""
    pos, m = state.jammer_pos, config.env.num_jammers
    if m == 1:
        return jnp.zeros((1, NEIGHBOUR_FEATURES), jnp.float32)
    rel = offsets(pos, pos)  # [M, M, 2]: other − self
    d2 = jnp.where(jnp.eye(m, dtype=bool), jnp.inf, sq_norm(rel))
    nearest = jnp.argmin(d2, axis=1)
    return (rel[jnp.arange(m), nearest] * inverse(config.env.arena_m)).astype(jnp.float32)


def link_obs(state: EnvState, config: Config, adjacency, jammed, fiedler):
    """`[M, 5K]` features of each jammer's K − K_cut nearest live links, then its K_cut nearest
    live links across the Fiedler cut (zero-padded where fewer exist, valid flag)."""
    e = config.env
    n, k, k_cut = e.num_enemies, e.local_graph_k, e.local_graph_cut_k
    iu, ju = np.triu_indices(n, 1)
    pos = state.enemy_pos
    mid = link_midpoints(pos, iu, ju)  # [L, 2]
    live = adjacency[iu, ju]  # [L]
    cut = crosses_fiedler_cut(fiedler, iu, ju)
    rel = offsets(state.jammer_pos, mid)  # [M, L, 2]
    dist2 = sq_norm(rel)
    nearest = [(live, k - k_cut), (live & cut, k_cut)]
    picks = [jax.lax.top_k(-jnp.where(mask[None, :], dist2, jnp.inf), kk) for mask, kk in nearest if kk]
    neg = jnp.concatenate([p[0] for p in picks], axis=1)  # [M, K]
    idx = jnp.concatenate([p[1] for p in picks], axis=1)
    valid = jnp.isfinite(neg)
    sel = jnp.take_along_axis(rel, idx[..., None], axis=1) * inverse(e.arena_m)  # [M, K, 2]
    feats = jnp.concatenate([
        sel,
        valid[..., None],
        jammed[iu, ju][idx][..., None],
        cut[idx][..., None],
    ], axis=-1)
    feats = jnp.where(valid[..., None], feats, 0.0)
    return feats.reshape(e.num_jammers, LINK_FEATURES * k).astype(jnp.float32)


def reference_obs(state: EnvState, config: Config, jam_range_m):
    """`[M, 5]` spec §7: nearest-centroid distance, its density, mean jammer spacing, overlap, band match."""
    e = config.env
    m, a = e.num_jammers, e.arena_m
    slot, dist = nearest_slot(state.jammer_pos, state.centroids, state.centroid_valid)
    f0 = jnp.clip(dist * inverse(a), 0.0, 1.0)
    f1 = state.cluster_sizes[slot] / e.num_enemies
    if m > 1:
        d = pairwise_dist(state.jammer_pos, state.jammer_pos)
        f2 = jnp.clip(jnp.sum(d, axis=1) / (m - 1) * inverse(a), 0.0, 1.0)
    else:
        f2 = jnp.full((1,), 0.5)
    f3 = jnp.broadcast_to(overlap_fraction(state.jammer_pos, jam_range_m), (m,))
    f4 = (state.jammer_band == state.enemy_band).astype(jnp.float32)
    return jnp.stack([f0, f1, f2, f3, f4], axis=-1).astype(jnp.float32)


def own_band_obs(state: EnvState, config: Config):
    """`[M, B]` one-hot of each jammer's current band (all zeros for an out-of-range band)."""
    return jax.nn.one_hot(state.jammer_band, config.physics.num_bands, dtype=jnp.float32)


class Observation(NamedTuple):
    """One observation variant: its width D and its function (jammer-centred, `[M, D]`).

    `fn(state, config, jam_range_m, adjacency, jammed, fiedler)`; `needs_graph`: the graph
    arguments (unjammed adjacency `[N, N]`, jammed links `[N, N]`, Fiedler vector `[N]`) are
    computed and passed only when it is set (they are None otherwise)."""

    width: Callable[[Config], int]
    fn: Callable[..., jax.Array]
    needs_graph: bool = False


def _seed_width(config: Config) -> int:
    return 4 + config.physics.num_bands


def _local_graph(state, config, jam_range_m, adjacency, jammed, fiedler):
    return jnp.concatenate([seed_obs(state, config), neighbour_obs(state, config),
                            link_obs(state, config, adjacency, jammed, fiedler)], axis=-1)


def _reference_band(state, config, jam_range_m, *graph):
    return jnp.concatenate([reference_obs(state, config, jam_range_m),
                            own_band_obs(state, config)], axis=-1)


# Adding an observation: its function and one line here (and its name in the config schema).
OBSERVATIONS: dict[str, Observation] = {
    "seed": Observation(_seed_width, lambda state, config, *rest: seed_obs(state, config)),
    "local_graph": Observation(
        lambda c: _seed_width(c) + NEIGHBOUR_FEATURES + LINK_FEATURES * c.env.local_graph_k,
        _local_graph, needs_graph=True),
    "entity": Observation(lambda c: entity_layout(c).dim,
                          lambda state, config, jam_r, adj, jammed, fied:
                          entity_obs(state, config, adj, jammed, fied), needs_graph=True),
    "reference": Observation(lambda c: 5, lambda state, config, jam_r, *graph:
                             reference_obs(state, config, jam_r)),
    "reference_band": Observation(lambda c: 5 + c.physics.num_bands, _reference_band),
}


def obs_dim(config: Config) -> int:
    """Observation width D for the configured variant."""
    return OBSERVATIONS[config.env.obs].width(config)


def observe(state: EnvState, config: Config, jam_range_m, adjacency=None, jammed=None,
            fiedler=None):
    """Observation `[M, D]` for `config.env.obs`; the graph arguments are used by the variants
    with `needs_graph` (`local_graph`, `entity`)."""
    return OBSERVATIONS[config.env.obs].fn(state, config, jam_range_m, adjacency, jammed, fiedler)
