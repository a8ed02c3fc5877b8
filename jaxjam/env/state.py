"""Environment data: the action, the state of one episode, and the per-step info.

Flax struct dataclasses, so they are pytrees that jit, vmap and scan carry.
Shapes are for ONE episode; vmap adds the batch dimension in front.
"""

from __future__ import annotations

import jax
from flax import struct


@struct.dataclass
class Action:
    """Jammer action: velocity `[M, 2]` float32 m/s (clipped per axis to ±v_max by the
    environment) and band `[M]` int32 in [0, num_bands)."""

    velocity: jax.Array
    band: jax.Array


@struct.dataclass
class EnvState:
    """Everything that evolves within one episode (no RNG inside: keys come from outside)."""

    enemy_pos: jax.Array  # [N, 2] m
    enemy_vel: jax.Array  # [N, 2] m/s
    enemy_turn_rate: jax.Array  # [N] rad/s (coordinated turn)
    enemy_band: jax.Array  # [] int32
    jammer_pos: jax.Array  # [M, 2] m
    jammer_vel: jax.Array  # [M, 2] m/s, last applied (clipped) velocity
    jammer_band: jax.Array  # [M] int32
    labels: jax.Array  # [N] int32 DBSCAN labels of the last fit, -1 noise
    centroids: jax.Array  # [N + 1, 2] m: cluster slots 0..N-1, slot N = noise/fallback
    centroid_valid: jax.Array  # [N + 1] bool
    cluster_sizes: jax.Array  # [N + 1] int32
    assignment: jax.Array  # [M] int32 cluster slot per jammer, -1 = unassigned
    lambda2_reset: jax.Array  # [] float32 unjammed λ₂ at reset
    step: jax.Array  # [] int32 steps taken in this episode


@struct.dataclass
class StepInfo:
    """Per-step diagnostics returned by `step` (shapes for one episode)."""

    lambda2: jax.Array  # [] jammed λ₂
    lambda2_unjammed: jax.Array  # [] the baseline it is compared with
    lambda2_reduction: jax.Array  # [] 1 − λ₂/baseline in [0, 1] (0 if baseline ≈ 0)
    jammed_links: jax.Array  # [] int32 existing links that are jammed
    links: jax.Array  # [] int32 existing (unjammed-graph) links
    num_components: jax.Array  # [] int32 components of the jammed graph
    band_match: jax.Array  # [] fraction of jammers on the enemy band
    reward_terms: jax.Array  # [5] r1..r5 before weighting
    terminated: jax.Array  # [] bool (never true in either model: episodes end by time limit)
    truncated: jax.Array  # [] bool time limit reached
    final_obs: jax.Array  # [M, D] observation reached by this step, before any auto-reset
    credit: jax.Array  # [M] per-jammer λ₂ credit (env.reward.fiedler_credit; 0 if credit_weight = 0)
    agent_reward: jax.Array  # [M] what each jammer learns from (env.reward.agent_rewards)
