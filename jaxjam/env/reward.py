"""The shared reward: five terms and their weighted, clipped sum (spec §9, docs/model.md)."""

from __future__ import annotations

import jax.numpy as jnp

from typing import NamedTuple

import jax

from jaxjam.config import EnvConfig
from jaxjam.env.numerics import inverse, square
from jaxjam.env.rules import LAMBDA2_EPS, model_rules
from jaxjam.physics import distance, pairwise_dist


class RewardTerms(NamedTuple):
    """The five terms of one step's reward (float32 scalars), in the order of
    `env.reward_weights` (w1..w5) and of `StepInfo.reward_terms`."""

    reduction: jax.Array  # r1: λ₂ reduction in [0, 1]
    band_match: jax.Array  # r2: fraction of jammers on the enemy band
    proximity: jax.Array  # r3: mean exp(−κ · distance to the jammer's target centroid)
    energy: jax.Array  # r4: mean |v|² / v_max² × the model's energy scale
    overlap: jax.Array  # r5: fraction of close jammer pairs (< 2 R_jam)

    def vector(self) -> jax.Array:
        """`[5]` float32, r1..r5."""
        return jnp.stack(list(self)).astype(jnp.float32)


SIGNS = RewardTerms(1.0, 1.0, 1.0, -1.0, -1.0)  # r4 and r5 are penalties



def lambda2_reduction(lambda2_jammed, lambda2_baseline):
    """clip(1 − λ₂/baseline, 0, 1); 0 where the baseline graph is already disconnected."""
    red = 1.0 - jnp.maximum(lambda2_jammed, 0.0) / jnp.maximum(lambda2_baseline, LAMBDA2_EPS)
    return jnp.where(lambda2_baseline > LAMBDA2_EPS, jnp.clip(red, 0.0, 1.0), 0.0)


def fiedler_credit(adjacency, jam_masks, fiedler, lambda2_baseline, unique: bool = False):
    """Per-jammer credit `[M]`: the share of the unjammed λ₂ its own jammed links carry.

    c_m = Σ_{i<j live, jammed by m} (f_i − f_j)² / λ₂ with f the unit Fiedler vector of the
    unjammed graph (adjacency `[N, N]`, jam_masks `[M, N, N]`, fiedler `[N]`). Since
    λ₂ = Σ_{i<j live} (f_i − f_j)², Courant–Fischer bounds the λ₂ left after jammer m alone
    cuts its links by λ₂·(1 − c_m), so c_m in [0, 1] is a first-order, guaranteed reduction
    that is m's own (docs/model.md, "per-jammer credit"). 0 where the baseline is disconnected.

    unique: count only the links no other jammer jams. Then c_m is what the same first-order
    bound on the λ₂ left by all jammers gives back if m alone stopped jamming (the bound with
    every jammer is λ₂ − Σ_{jammed} (f_i − f_j)²): a difference reward, 0 for a jammer whose
    links are all jammed by others too (env.credit_mode = "unique").
    """
    if unique:
        jam_masks = jam_masks & (jnp.sum(jam_masks, axis=0, dtype=jnp.int32) == 1)[None]
    diff2 = jnp.where(adjacency, (fiedler[:, None] - fiedler[None, :]) ** 2, 0.0)
    share = 0.5 * jnp.einsum("mij,ij->m", jam_masks.astype(diff2.dtype), diff2)
    share = share / jnp.maximum(lambda2_baseline, LAMBDA2_EPS)
    return jnp.where(lambda2_baseline > LAMBDA2_EPS, jnp.clip(share, 0.0, 1.0), 0.0).astype(jnp.float32)


def own_overlap_fraction(jammer_pos, jam_range_m):
    """`[M]`: fraction of the other jammers closer than 2·R_jam (strict) to each jammer; 0 when M = 1.

    Its mean over jammers is `overlap_fraction` (each close pair counts once for each of its
    two jammers), so w5·(r5 − o_m) shares the team's overlap penalty out to the jammers that
    cause it without changing the team total (env.own_overlap, docs/model.md item 17).
    """
    m = jammer_pos.shape[0]
    if m < 2:
        return jnp.zeros((m,), jnp.float32)
    d = pairwise_dist(jammer_pos, jammer_pos)
    close = (d < 2.0 * jam_range_m) & ~jnp.eye(m, dtype=bool)
    return (jnp.sum(close, axis=1) / (m - 1)).astype(jnp.float32)


def overlap_fraction(jammer_pos, jam_range_m):
    """Fraction of jammer pairs closer than 2·R_jam (strict), 0 when M = 1 (r5)."""
    return jnp.mean(own_overlap_fraction(jammer_pos, jam_range_m))


def agent_rewards(reward, terms, credit, own_overlap, cfg: EnvConfig):
    """`[M]` per-jammer rewards: the team reward + w6·credit + w5·(r5 − o_m) when env.own_overlap.

    Both additions are the jammer's own; the overlap one has mean 0 over the jammers. Without
    either option every jammer gets the team reward.
    """
    out = reward + cfg.credit_weight * credit
    if cfg.own_overlap:
        out = out + cfg.reward_weights[4] * (terms.overlap - own_overlap)
    return out.astype(jnp.float32)


def reward_terms(reduction, jammer_band, enemy_band, jammer_pos, targets, velocity, own_overlap,
                 cfg: EnvConfig):
    """The `RewardTerms`: r1 λ₂ reduction, r2 band match, r3 proximity, r4 energy, r5 overlap.

    velocity `[M, 2]` m/s is the applied (clipped) velocity. r4 is the mean of
    |v|²/v_max² (in [0, 2]) for `reference`, and half of that (in [0, 1]) for `jaxjam`.
    own_overlap `[M]` is `own_overlap_fraction` (r5 is its mean, `overlap_fraction`); the
    step computes it once for r5 and for the per-jammer shares of `agent_rewards`.
    """
    r2 = jnp.mean(jammer_band == enemy_band)
    dist = distance(jammer_pos, targets)
    r3 = jnp.mean(jnp.exp(-cfg.proximity_kappa_per_m * dist))
    energy = jnp.sum(velocity * velocity, axis=-1) * inverse(square(cfg.v_max_m_s))
    r4 = jnp.mean(energy) * model_rules(cfg).energy_scale
    r5 = jnp.mean(own_overlap)
    return RewardTerms(*(jnp.asarray(x, jnp.float32) for x in (reduction, r2, r3, r4, r5)))


def total_reward(terms, cfg: EnvConfig):
    """clip(w1 r1 + w2 r2 + w3 r3 − w4 r4 − w5 r5, ±reward_clip)."""
    w = jnp.asarray(cfg.reward_weights, jnp.float32) * jnp.array(SIGNS, jnp.float32)
    return jnp.clip(jnp.dot(w, terms.vector()), -cfg.reward_clip, cfg.reward_clip)
