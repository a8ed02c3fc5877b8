"""The `entity` observation: sets of nearby entities in physical units, for the attention policy.

Each jammer sees, flattened into one row of `[M, D]` (layout in `EntityLayout`):

* self `[4 + B]`: offset to its DBSCAN target centroid ÷ R, own velocity ÷ v_max, enemy band
  one-hot;
* link tokens `[K, 7]`: the `entity_links` nearest live enemy links (by midpoint), then the
  `entity_top_links` live links of largest Fiedler sensitivity (f_i − f_j)² anywhere in the
  swarm (the planner's candidates). Features: midpoint offset ÷ R (2), valid, jammed, crosses
  the Fiedler cut, sensitivity ÷ its swarm maximum (in [0, 1]), link length ÷ R; with
  `env.link_lookahead` an 8th, `[K, 8]`: the λ₂ that the graph the OTHER jammers leave would
  keep with this jammer at the link's midpoint on the enemy band, ÷ the unjammed graph's λ₂
  (in [0, 1]; 0 where the unjammed graph is cut): the planner's check of each candidate,
  M × K eigensolves per step; with `env.link_lookahead_steps` S > 0 that check is made on the
  layout S steps ahead (enemies moved on straight lines, `swarm.predicted_positions`; the
  candidate at the link's predicted midpoint; graphs, λ₂ and the other jammers' cuts there, the
  jammers where they are), the check of the teacher "cut seek (predicted)"; with
  `env.entity_velocity` two more, the midpoint's velocity ÷ v_max;
* enemy tokens `[E, 4]`: the nearest enemies: offset ÷ R (2), valid, Fiedler side (−1, 0, +1);
  with `env.entity_velocity` `[E, 6]`, plus the enemy's velocity ÷ v_max;
* jammer tokens `[J, 4]`: the nearest other jammers: offset ÷ R (2), valid, on the enemy band.

The Fiedler vector behind "crosses the Fiedler cut", the sensitivities and the enemies' sides is
the unjammed graph's, or with `env.cut_graph = "jammed"` the graph the jammers leave now
(`jammer_env.cut_fiedler`): then the top links are where the next cut lies.

R is the enemy band's communication range, so a number means the same distance at every
arena size, M and N: the same network parameters run at any scale (zero-shot transfer).
Slots beyond what exists (fewer links, enemies or jammers) are all zeros with valid = 0.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxjam.config import Config
from jaxjam.env.nearest import smallest_k
from jaxjam.env.numerics import inverse
from jaxjam.env.state import EnvState
from jaxjam.env.swarm import predicted_positions
from jaxjam.env.targets import target_centroids
from jaxjam.physics import (
    crosses_fiedler_cut, distance, fiedler_sides, jamming_masks, lambda2, lambda2_if_jammed_from,
    link_adjacency, link_midpoints, offsets, others_leave, sq_norm,
)

LINK_TOKEN = 7  # dx, dy, valid, jammed, crosses cut, relative sensitivity, length (+ λ₂ kept: link_lookahead)
ENEMY_TOKEN = 4  # dx, dy, valid, Fiedler side (+ vx, vy: entity_velocity)
VELOCITY = 2  # vx, vy ÷ v_max: env.entity_velocity's features on link and enemy tokens
JAMMER_TOKEN = 4  # dx, dy, valid, on the enemy band
VALID = 2  # column of the valid flag in every token


class EntityLayout(NamedTuple):
    """Static widths of one jammer's `entity` row: self, then links, enemies, jammers (tokens);
    `link_dim` features per link token (LINK_TOKEN, + 1 with `env.link_lookahead`, + 2 with
    `env.entity_velocity`), `enemy_dim` per enemy token (ENEMY_TOKEN, + 2 with the velocity)."""

    self_dim: int
    links: int
    enemies: int
    jammers: int
    link_dim: int = LINK_TOKEN
    enemy_dim: int = ENEMY_TOKEN

    @property
    def dim(self) -> int:
        return (self.self_dim + self.links * self.link_dim + self.enemies * self.enemy_dim
                + self.jammers * JAMMER_TOKEN)

    def split(self, obs: jax.Array):
        """obs `[..., D]` -> (self `[..., S]`, links `[..., K, link_dim]`, enemies
        `[..., E, enemy_dim]`, jammers `[..., J, 4]`)."""
        sizes = [self.self_dim, self.links * self.link_dim, self.enemies * self.enemy_dim,
                 self.jammers * JAMMER_TOKEN]
        parts = jnp.split(obs, np.cumsum(sizes)[:-1], axis=-1)
        lead = obs.shape[:-1]
        return (parts[0], parts[1].reshape(lead + (self.links, self.link_dim)),
                parts[2].reshape(lead + (self.enemies, self.enemy_dim)),
                parts[3].reshape(lead + (self.jammers, JAMMER_TOKEN)))


def entity_layout(config: Config) -> EntityLayout:
    """The layout for this config (independent of M and N)."""
    e = config.env
    return EntityLayout(self_dim=4 + config.physics.num_bands,
                        links=e.entity_links + e.entity_top_links,
                        enemies=e.entity_enemies, jammers=e.entity_jammers,
                        link_dim=LINK_TOKEN + int(e.link_lookahead) + VELOCITY * int(e.entity_velocity),
                        enemy_dim=ENEMY_TOKEN + VELOCITY * int(e.entity_velocity))


def steps_per_range(config: Config) -> tuple[float, ...]:
    """Per band b: R_b / (dt · v_max), the velocity (units of v_max) covering R_b in one step."""
    e = config.env
    return tuple(r / (e.dt_s * e.v_max_m_s) for r in config.physics.comm_range_m())


def network_spec(config: Config) -> dict:
    """Keyword arguments of `jaxjam.agents.make_networks` / `init_train_state` for this config:
    the entity layout and `steps_per_range` when the observation is `entity`, else none."""
    if config.env.obs != "entity":
        return {}
    return {"layout": entity_layout(config), "steps_per_range": steps_per_range(config)}


def range_scale_m(config: Config, band) -> jax.Array:
    """R (m): the communication range on `band` (int, traced), the unit of every offset."""
    return jnp.asarray(config.physics.comm_range_m(), jnp.float32)[band]


def _smallest(values, k: int, method: str = "top_k"):
    """Indices `[..., k]` of the k smallest finite values `[..., L]` and their validity; slots
    past L (or holding +inf) are invalid (index 0). method: see `jaxjam.env.nearest`."""
    width = values.shape[-1]
    if min(k, width) == 0:
        return jnp.zeros(values.shape[:-1] + (k,), jnp.int32), jnp.zeros(values.shape[:-1] + (k,), bool)
    idx, vals = smallest_k(values, min(k, width), method)
    if k > width:
        pad = [(0, 0)] * (values.ndim - 1) + [(0, k - width)]
        vals = jnp.pad(vals, pad, constant_values=jnp.inf)
        idx = jnp.pad(idx, pad)
    return idx, jnp.isfinite(vals)


def _tokens(rel_r, valid, *extra):
    """Stack `[M, T, 2]` offsets, `[M, T]` valid and extras (`[M, T]` one feature, `[M, T, F]` F
    features) into zero-padded tokens."""
    feats = jnp.concatenate([rel_r, valid[..., None]] + [x if x.ndim > valid.ndim else x[..., None]
                                                         for x in extra], axis=-1)
    return jnp.where(valid[..., None], feats, 0.0).astype(jnp.float32)


def lambda2_kept(state: EnvState, config: Config, adjacency, mid):
    """`[M, K]` in [0, 1]: for each jammer m and candidate position `mid [M, K, 2]` (m), the λ₂
    that the graph the other jammers leave (`physics.others_leave`) keeps with m there on the
    enemy band, ÷ the unjammed λ₂ (0 where that is 0), all on the enemies at `state.enemy_pos`
    with graph `adjacency [N, N]`. M·K + 1 eigensolves."""
    solver, band = config.physics.eigensolver, state.enemy_band
    masks = jamming_masks(state.enemy_pos, state.jammer_pos, state.jammer_band, band, config.physics)
    left = others_leave(adjacency, masks)  # [M, N, N]
    # A loop over the jammers, not a vmap: M·K graphs of N×N at once (times the env batch) ran a
    # GPU out of memory at M=40, N=100; each iteration still batches K × the env batch.
    kept = jax.lax.map(lambda gc: lambda2_if_jammed_from(state.enemy_pos, gc[0], gc[1], band, config.physics,
                                                         solver)[1], (left, mid))  # [M, K]
    base = lambda2(adjacency, solver=solver)
    return jnp.where(base > 0, kept / jnp.where(base > 0, base, 1.0), 0.0)


def link_tokens(state: EnvState, config: Config, adjacency, jammed, fiedler, r_m):
    """`[M, K, link_dim]` link tokens (module docstring)."""
    e, m = config.env, config.env.num_jammers
    n = e.num_enemies
    iu, ju = np.triu_indices(n, 1)
    pos = state.enemy_pos
    mid = link_midpoints(pos, iu, ju)  # [L, 2] m
    live = adjacency[iu, ju]  # [L]
    sens = (fiedler[iu] - fiedler[ju]) ** 2
    rel_sens = sens / jnp.maximum(jnp.max(jnp.where(live, sens, 0.0)), 1e-12)
    rel = offsets(state.jammer_pos, mid)  # [M, L, 2]
    near_idx, near_ok = _smallest(jnp.where(live[None], sq_norm(rel), jnp.inf), e.entity_links,
                                   e.link_select)
    top_idx, top_ok = _smallest(jnp.where(live, -rel_sens, jnp.inf), e.entity_top_links)
    idx = jnp.concatenate([near_idx, jnp.broadcast_to(top_idx, (m, top_idx.shape[-1]))], axis=1)
    ok = jnp.concatenate([near_ok, jnp.broadcast_to(top_ok, (m, top_ok.shape[-1]))], axis=1)
    length = distance(pos[iu], pos[ju]) * inverse(r_m)
    cut = crosses_fiedler_cut(fiedler, iu, ju)
    extra = (lookahead_feature(state, config, adjacency, mid, idx),) if e.link_lookahead else ()
    if e.entity_velocity:  # the chosen links' midpoint velocities [M, K, 2], ÷ v_max
        v = state.enemy_vel
        extra += ((v[jnp.asarray(iu)[idx]] + v[jnp.asarray(ju)[idx]]) * (0.5 * inverse(e.v_max_m_s)),)
    return _tokens(jnp.take_along_axis(rel, idx[..., None], axis=1) * inverse(r_m), ok,
                   jammed[iu, ju][idx], cut[idx], rel_sens[idx], length[idx], *extra)


def lookahead_feature(state: EnvState, config: Config, adjacency, mid, idx):
    """`[M, K]` the link tokens' look-ahead feature: `lambda2_kept` at the chosen links' midpoints
    (`mid [L, 2]` m, `idx [M, K]`), on the layout now or `env.link_lookahead_steps` steps ahead."""
    e = config.env
    if not e.link_lookahead_steps:
        return lambda2_kept(state, config, adjacency, mid[idx])
    iu, ju = np.triu_indices(e.num_enemies, 1)
    ahead = state.replace(enemy_pos=predicted_positions(state.enemy_pos, state.enemy_vel,
                                                        e.link_lookahead_steps, e))
    adj = link_adjacency(ahead.enemy_pos, state.enemy_band, config.physics)
    return lambda2_kept(ahead, config, adj, link_midpoints(ahead.enemy_pos, jnp.asarray(iu)[idx],
                                                           jnp.asarray(ju)[idx]))  # [M, K, 2] m


def enemy_tokens(state: EnvState, config: Config, fiedler, r_m):
    """`[M, E, enemy_dim]` the nearest enemies (module docstring)."""
    rel = offsets(state.jammer_pos, state.enemy_pos)  # [M, N, 2]
    idx, ok = _smallest(sq_norm(rel), config.env.entity_enemies)
    side = fiedler_sides(fiedler).astype(jnp.float32)
    extra = (state.enemy_vel[idx] * inverse(config.env.v_max_m_s),) if config.env.entity_velocity else ()
    return _tokens(jnp.take_along_axis(rel, idx[..., None], axis=1) * inverse(r_m), ok, side[idx], *extra)


def jammer_tokens(state: EnvState, config: Config, r_m):
    """`[M, J, 4]` the nearest other jammers (module docstring)."""
    pos, m = state.jammer_pos, config.env.num_jammers
    rel = offsets(pos, pos)  # [M, M, 2]: other − self
    d2 = jnp.where(jnp.eye(m, dtype=bool), jnp.inf, sq_norm(rel))
    idx, ok = _smallest(d2, config.env.entity_jammers)
    on_band = (state.jammer_band == state.enemy_band).astype(jnp.float32)
    return _tokens(jnp.take_along_axis(rel, idx[..., None], axis=1) * inverse(r_m), ok, on_band[idx])


def entity_obs(state: EnvState, config: Config, adjacency, jammed, fiedler):
    """`[M, D]` float32 (D = `entity_layout(config).dim`): self features then the flattened
    link, enemy and jammer tokens. adjacency, jammed `[N, N]` bool (unjammed graph, links
    jammed now); fiedler `[N]` of the unjammed graph (zeros where undefined)."""
    e, m = config.env, config.env.num_jammers
    r_m = range_scale_m(config, state.enemy_band)
    targets = target_centroids(state.jammer_pos, state.assignment, state.centroids,
                               state.centroid_valid)
    own = jnp.concatenate([
        (targets - state.jammer_pos) * inverse(r_m), state.jammer_vel * inverse(e.v_max_m_s),
        jnp.broadcast_to(jax.nn.one_hot(state.enemy_band, config.physics.num_bands),
                         (m, config.physics.num_bands))], axis=-1)
    tokens = [link_tokens(state, config, adjacency, jammed, fiedler, r_m),
              enemy_tokens(state, config, fiedler, r_m), jammer_tokens(state, config, r_m)]
    flat = [t.reshape(m, -1) for t in tokens]
    return jnp.concatenate([own.astype(jnp.float32)] + flat, axis=-1)
