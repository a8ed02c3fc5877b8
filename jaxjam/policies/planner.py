"""The planner: a centralised policy that sees the full state — a yardstick for the learner (the
scripted `cut seek` scores level with it or above; docs/results.md, Session 18).

Every step it places M targets greedily on link midpoints of the current (unjammed) enemy
graph: target k is, among the `shortlist` live links of the graph left by targets 1..k−1 with
the largest Fiedler sensitivity (f_i − f_j)², the midpoint whose jamming leaves the smallest λ₂
(each candidate checked by an eigensolve; ties broken by more links cut). Jammers are then
matched to targets (closest pair first) and fly there at full speed on the enemy band.
Greedy placement alone (jammers teleported) cuts λ₂ of `default` layouts by ~100 %
(docs/model-claims.md); the planner pays for travel time and for the enemies' motion.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxjam.config import Config, PhysicsConfig
from jaxjam.env import Action
from jaxjam.physics import (
    lambda2_and_fiedler, link_adjacency, link_midpoints, pairwise_sq_dist,
)
from jaxjam.policies.scripted import Policy, enemy_band, fly_to, jam_from


def greedy_targets(enemy_pos, band, num_targets: int, physics: PhysicsConfig, shortlist: int = 8,
                   solver: str = "auto"):
    """Targets `[num_targets, 2]` (m) on link midpoints, placed greedily one after another.

    enemy_pos `[N, 2]` m, band int (the enemy band). `shortlist` ≥ 1 live links by Fiedler
    sensitivity are evaluated per target (0: every link, ~N²/2 eigensolves per target).
    """
    n = enemy_pos.shape[0]
    iu, ju = np.triu_indices(n, 1)
    mids = link_midpoints(enemy_pos, iu, ju)  # [L, 2]
    width = iu.size if shortlist <= 0 else min(shortlist, iu.size)

    def place(cur, _):
        live = cur[iu, ju]
        if width == iu.size:
            idx = jnp.arange(iu.size)
        else:
            _, f = lambda2_and_fiedler(cur, solver=solver)
            sens = jnp.where(live, (f[iu] - f[ju]) ** 2, -1.0)
            idx = jax.lax.top_k(sens, width)[1]  # dead links score −1: live ones first, also when f = 0
        new, left_by = jam_from(enemy_pos, cur, mids[idx], band, physics, solver)  # [C, N, N], [C]
        score = jnp.where(live[idx], left_by, jnp.inf)
        k = jnp.argmin(score)
        return new[k], mids[idx[k]]

    _, targets = jax.lax.scan(place, link_adjacency(enemy_pos, band, physics), None,
                              length=num_targets)
    return targets


def match_targets(jammer_pos, targets):
    """Target of each jammer `[M, 2]`: repeatedly the closest free (jammer, target) pair."""
    m = jammer_pos.shape[0]
    d2 = pairwise_sq_dist(jammer_pos, targets)  # [M, T]

    def pick(carry, _):
        d2, choice = carry
        flat = jnp.argmin(d2)
        j, t = flat // d2.shape[1], flat % d2.shape[1]
        d2 = d2.at[j, :].set(jnp.inf).at[:, t].set(jnp.inf)
        return (d2, choice.at[j].set(t)), None

    (_, choice), _ = jax.lax.scan(pick, (d2, jnp.zeros((m,), jnp.int32)), None, length=m)
    return targets[choice]


def planner_policy(config: Config, shortlist: int = 8) -> Policy:
    """Centralised greedy planner (module docstring); deterministic, ignores `key` and `obs`."""
    if not (isinstance(shortlist, int) and shortlist >= 0):
        raise ValueError(f"planner shortlist must be an int >= 0 (0 = every link), got {shortlist!r}")
    m = config.env.num_jammers

    def act(key, obs, state):
        tgt = greedy_targets(state.enemy_pos, state.enemy_band, m, config.physics, shortlist,
                             config.physics.eigensolver)
        goal = match_targets(state.jammer_pos, tgt)
        return Action(velocity=fly_to(config, state.jammer_pos, goal), band=enemy_band(state, config))
    return act
