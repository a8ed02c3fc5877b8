"""Scripted baselines: policies that read the state and learn nothing.

Each is `make(config, ...) -> policy(key, obs [M, D], state) -> Action` (velocity in m/s),
for ONE episode (vmap for batches), pure and jit-able. All but `random` jam on the enemy band
(read from the state, an oracle the learner must infer from its observation).

* `random`: uniform random velocity and band (the reference's random baseline: a floor).
* `heuristic`: full speed to the assigned DBSCAN cluster centroid.
* `diffuse σ`: Gaussian random velocity, σ in units of v_max (σ = 0: `stay`).
* `disperse r`: full speed away from the nearest other jammer while it is closer than r m.
* `cut seek`: each jammer to the most Fiedler-sensitive live link of its Voronoi cell (on the
  unjammed graph, on the graph the other jammers leave, or that and checked by λ₂), on the enemy
  layout now or (`ahead_steps`) where the enemies will be a few steps ahead.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from jaxjam.config import Config
from jaxjam.env import Action, EnvState, random_actions
from jaxjam.env.numerics import inverse
from jaxjam.env.observations import neighbour_obs
from jaxjam.env.swarm import predicted_positions
from jaxjam.env.targets import target_centroids
from jaxjam.physics import (
    jamming_masks, lambda2_and_fiedler, lambda2_if_jammed_from, link_adjacency, link_midpoints,
    others_leave, pairwise_sq_dist,
)

# policy(key, obs [M, D], state) -> Action (velocity in m/s)
Policy = Callable[[jax.Array, jax.Array, EnvState], Action]


def enemy_band(state: EnvState, config: Config):
    """`[M]` int32: every jammer on the enemy swarm's band."""
    return jnp.full((config.env.num_jammers,), state.enemy_band, jnp.int32)


def fly_to(config: Config, jammer_pos, targets):
    """Velocity `[M, 2]` m/s that reaches `targets [M, 2]` this step if it can, else full speed
    towards it on each axis (the env clips each axis to ±v_max)."""
    e = config.env
    return jnp.clip((targets - jammer_pos) * inverse(e.dt_s), -e.v_max_m_s, e.v_max_m_s)


def random_policy(config: Config) -> Policy:
    """Uniform random velocity and band (the reference's random baseline)."""
    return lambda key, obs, state: random_actions(key, config)


def heuristic_policy(config: Config) -> Policy:
    """Each jammer flies at full speed to its assigned cluster centroid, on the enemy band."""

    def act(key, obs, state):
        tgt = target_centroids(state.jammer_pos, state.assignment, state.centroids,
                               state.centroid_valid)
        return Action(velocity=fly_to(config, state.jammer_pos, tgt), band=enemy_band(state, config))
    return act


def diffuse_policy(config: Config, sigma: float) -> Policy:
    """Gaussian random velocity, σ in units of v_max, on the enemy band (σ = 0: stay)."""
    if not sigma >= 0.0:
        raise ValueError(f"diffuse sigma must be >= 0 (units of v_max), got {sigma!r}")
    e = config.env

    def act(key, obs, state):
        vel = sigma * e.v_max_m_s * jax.random.normal(key, (e.num_jammers, 2))
        return Action(velocity=vel, band=enemy_band(state, config))
    return act


def disperse_policy(config: Config, radius_m: float) -> Policy:
    """Full speed directly away from the nearest other jammer while it is within radius_m."""
    if not radius_m > 0.0:
        raise ValueError(f"disperse radius_m must be > 0 (metres), got {radius_m!r}")
    e = config.env

    def act(key, obs, state):
        rel = neighbour_obs(state, config) * e.arena_m  # [M, 2] m: nearest other jammer − self
        dist = jnp.linalg.norm(rel, axis=-1)
        away = -rel / jnp.maximum(dist, 1e-6)[:, None]
        vel = jnp.where((dist < radius_m)[:, None], away * e.v_max_m_s, 0.0)
        return Action(velocity=vel, band=enemy_band(state, config))
    return act


def jam_from(enemy_pos, graph, cands, band, physics, solver: str = "auto"):
    """One jammer on the enemy `band` at each candidate position `cands [C, 2]` (m), alone, on
    `graph [N, N]`: `(graph left [C, N, N], its λ₂ − 1e-6 · links cut [C])`, the planner's test
    of a target (smaller is better; ties go to more links cut)."""
    new, l2, cut = lambda2_if_jammed_from(enemy_pos, graph, cands, band, physics, solver)
    return new, l2 - 1e-6 * (2 * cut)


def cell_scores(sens, mine):
    """`[..., L]` cut seek's ranking of the links for a jammer: `sens` (the Fiedler sensitivity,
    −1 where the link is not live) inside its Voronoi cell `mine [..., L]` (bool) if the cell
    has a live link, else everywhere; −1 marks a link that is not a candidate."""
    return jnp.where(jnp.any(mine, axis=-1, keepdims=True), jnp.where(mine, sens, -1.0), sens)


def checked_goal(enemy_pos, left, mids, score, checks: int, band, physics, solver: str = "auto"):
    """One jammer's goal `[2]` (m): among its `checks` best-`score`d links (`[L]`, `cell_scores`),
    the midpoint (`mids [L, 2]` m) whose jamming on the enemy `band` leaves the smallest λ₂ of
    `left [N, N]` (ties: more links cut); `checks` eigensolves."""
    idx = jax.lax.top_k(score, checks)[1]  # [K]
    cand = mids[idx]  # [K, 2] m
    _, left_by = jam_from(enemy_pos, left, cand, band, physics, solver)
    return cand[jnp.argmin(jnp.where(score[idx] >= 0, left_by, jnp.inf))]


CUT_SEEK_GRAPHS = ("unjammed", "others", "checked")
CHECKED_LINKS = 4  # "checked": candidate links per jammer, each checked by an eigensolve
PREDICTED_LINKS, PREDICTED_STEPS = 16, 3.0  # "cut seek (predicted)": checks and steps ahead (Session 22)
MAX_AHEAD_STEPS = 1000.0


def check_ahead_steps(steps, field: str) -> float:
    """`steps` as a float if it is a number in [0, MAX_AHEAD_STEPS] (env steps ahead), else a
    ValueError naming `field`."""
    if isinstance(steps, bool) or not (isinstance(steps, (int, float, np.integer, np.floating))
                                       and 0.0 <= steps <= MAX_AHEAD_STEPS):
        raise ValueError(f"{field} must be a number in [0, {MAX_AHEAD_STEPS:g}] (env steps ahead), got {steps!r}")
    return float(steps)


def cut_seek_policy(config: Config, graph: str = "unjammed", checks: int = CHECKED_LINKS,
                    ahead_steps: float = 0.0) -> Policy:
    """Each jammer flies to the live link of largest Fiedler sensitivity (f_i − f_j)² among the
    links whose midpoint is nearer to it than to any other jammer (its Voronoi cell), on the
    enemy band; with no live link in its cell, to the most sensitive live link anywhere; with no
    live link at all, it stays. A greedy, per-jammer rule: no jammer plans for the others, beyond
    leaving them their cells.

    graph: whose Fiedler vector and live links. "unjammed": the enemy graph's (one eigensolve per
    step). "others": for each jammer, the graph the OTHER jammers leave (on the enemy band, where
    they are now): its best response to them (M eigensolves per step); where that graph has no
    Fiedler vector (the others already cut it), the unjammed graph's. "checked": as "others",
    but each jammer checks its `checks` most sensitive candidates (in its cell, else anywhere)
    by the λ₂ that jamming from the link's midpoint would leave of that graph, and takes the
    smallest (ties: more links cut): the planner's test, per jammer (M·(1 + K) eigensolves per
    step, K = min(checks, N(N−1)/2 links); K = 1 is "others").

    checks: int >= 1, candidate links per jammer for "checked" (default CHECKED_LINKS = 4);
    unused by the other modes but checked in every mode: anything else is a ValueError, raised
    before anything compiles.

    ahead_steps: a number in [0, 1000], env steps. > 0 aims the whole rule at where the enemies
    will be that many steps from now if they hold their velocity (`env.swarm.predicted_positions`):
    graph, Fiedler vector, candidate midpoints, cells and the check all on that layout, the
    jammers where they are. "checked", K = PREDICTED_LINKS, PREDICTED_STEPS ahead is the baseline
    "cut seek (predicted)", the strongest policy measured at M=40 (docs/results.md, Session 22)."""
    if graph not in CUT_SEEK_GRAPHS:
        raise ValueError(f"cut_seek graph must be one of {', '.join(CUT_SEEK_GRAPHS)}; got {graph!r}")
    if isinstance(checks, bool) or not (isinstance(checks, (int, np.integer)) and checks >= 1):
        raise ValueError(f"cut_seek checks must be an int >= 1 (candidate links per jammer), got {checks!r}")
    m = config.env.num_jammers
    iu, ju = np.triu_indices(config.env.num_enemies, 1)
    solver = config.physics.eigensolver
    checks = min(int(checks), iu.size)
    ahead = check_ahead_steps(ahead_steps, "cut_seek ahead_steps")

    def graphs(state, adj, band):
        """`(left [1 or M, N, N], f [1 or M, N])`: the graph each jammer responds to, its Fiedler
        vector; one shared by every jammer ("unjammed") or one per jammer."""
        _, f = lambda2_and_fiedler(adj, solver=solver)
        if graph == "unjammed":
            return adj[None], f[None]
        masks = jamming_masks(state.enemy_pos, state.jammer_pos, band, state.enemy_band,
                              config.physics)  # [M, N, N]
        left = others_leave(adj, masks)  # [M, N, N]
        _, fo = lambda2_and_fiedler(left, solver=solver)
        return left, jnp.where(jnp.any(fo != 0, axis=-1, keepdims=True), fo, f[None])

    def checked(state, left, mids, score):
        """Each jammer's goal `[M, 2]` (m) among its `checks` best-scored links by the λ₂ it leaves."""
        return jax.vmap(lambda g, sc: checked_goal(state.enemy_pos, g, mids, sc, checks, state.enemy_band,
                                                   config.physics, solver))(left, score)

    def act(key, obs, state):
        if ahead:
            state = state.replace(enemy_pos=predicted_positions(state.enemy_pos, state.enemy_vel, ahead,
                                                                config.env))
        band = enemy_band(state, config)
        adj = link_adjacency(state.enemy_pos, state.enemy_band, config.physics)
        left, f = graphs(state, adj, band)
        live = left[:, iu, ju]  # [1 or M, L]
        sens = jnp.where(live, (f[:, iu] - f[:, ju]) ** 2, -1.0)
        mids = link_midpoints(state.enemy_pos, iu, ju)  # [L, 2] m
        owner = jnp.argmin(pairwise_sq_dist(state.jammer_pos, mids), axis=0)  # [L]
        mine = (owner[None, :] == jnp.arange(m)[:, None]) & live  # [M, L]
        score = cell_scores(sens, mine)  # [M, L]
        goal = (checked(state, left, mids, score) if graph == "checked"
                else mids[jnp.argmax(score, axis=1)])
        goal = jnp.where(jnp.any(live, axis=1)[:, None], goal, state.jammer_pos)
        return Action(velocity=fly_to(config, state.jammer_pos, goal), band=band)
    return act
