"""Shared actor and centralised critic (spec §10), and the hybrid action distribution.

One actor is shared by all jammers (parameter sharing); the critic sees the mean of
the M observations, so the same parameters serve any M (CTDE). Actions are the env's
`Action`; the stored velocity is the raw Gaussian draw (the env clips it), so the
log-prob at update time equals the rollout's at unchanged parameters (spec §14.4).
"""

from __future__ import annotations

import math

import chex
import distrax
import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxjam.env.state import Action  # velocity [..., 2] raw Gaussian draw (m/s), band [...] int32

_SQRT2 = math.sqrt(2.0)
_HEAD_GAIN = 0.01


def hybrid_distribution(loc: jax.Array, log_std: jax.Array, logits: jax.Array) -> distrax.Joint:
    """Diagonal Gaussian over `Action.velocity` × Categorical over `Action.band`.

    loc, log_std: [..., K] float; logits: [..., C]. The result has batch shape [...]:
    `sample` / `mode` return `Action`s, `log_prob` and `entropy` are the sums of the
    two parts, `[...]`. Jit/vmap-safe (it can be returned from a jitted function).
    """
    return distrax.Joint(Action(
        velocity=distrax.Independent(distrax.Normal(loc, jnp.exp(log_std)), 1),
        band=distrax.Categorical(logits=logits, dtype=jnp.int32),
    ))


def _dense(features: int, gain: float, bias: float = 0.0, dtype=None) -> nn.Dense:
    """Dense with orthogonal(gain) kernel and constant bias; `dtype`: computation dtype (None =
    the inputs'), parameters stay float32."""
    return nn.Dense(features, kernel_init=nn.initializers.orthogonal(gain),
                    bias_init=nn.initializers.constant(bias), dtype=dtype)


class Actor(nn.Module):
    """Per-jammer policy: obs [..., D] -> hybrid distribution with batch shape [...].

    Trunk Dense→LayerNorm→ReLU ×2 (orthogonal √2, zero bias); heads μ [..., 2],
    state-dependent log σ [..., 2] clamped to [log_std_min, log_std_max] (bias
    log_std_init), band logits [..., num_bands]; heads orthogonal gain 0.01.
    """

    hidden: int = 128
    num_bands: int = 4
    log_std_min: float = -1.0
    log_std_max: float = 0.5
    log_std_init: float = -0.5

    @nn.compact
    def __call__(self, obs: jax.Array) -> distrax.Joint:
        chex.assert_shape(obs, (..., None))  # [..., D]; trace time only
        chex.assert_type(obs, float)
        x = obs
        for _ in range(2):
            x = nn.relu(nn.LayerNorm(epsilon=1e-5)(_dense(self.hidden, _SQRT2)(x)))
        loc = _dense(2, _HEAD_GAIN)(x)
        log_std = jnp.clip(_dense(2, _HEAD_GAIN, self.log_std_init)(x),
                           self.log_std_min, self.log_std_max)
        logits = _dense(self.num_bands, _HEAD_GAIN)(x)
        return hybrid_distribution(loc, log_std, logits)


def pooled(obs: jax.Array) -> jax.Array:
    """Mean over agents: obs [..., M, D] -> [..., D] (the critic's input)."""
    return jnp.mean(obs, axis=-2)


class Critic(nn.Module):
    """Centralised value per agent: all M observations [..., M, D] -> V [..., M].

    `own_obs=False` (spec): one value of the pooled observation (see `pooled`), the same for
    every agent. `own_obs=True`: V_m of [pooled obs, agent m's obs] (MAPPO's agent-specific
    global state), needed when agents get different rewards (env.credit_weight > 0). Either
    way the same parameters serve any M. Dense→ReLU ×2 (orthogonal √2, zero bias), output
    Dense(1) orthogonal gain 1.
    """

    hidden: int = 128
    own_obs: bool = False

    @nn.compact
    def __call__(self, obs: jax.Array) -> jax.Array:
        chex.assert_shape(obs, (..., None, None))  # [..., M, D]: every agent's observation
        chex.assert_type(obs, float)
        x = pooled(obs)
        if self.own_obs:
            x = jnp.concatenate([jnp.broadcast_to(x[..., None, :], obs.shape), obs], axis=-1)
        for _ in range(2):
            x = nn.relu(_dense(self.hidden, _SQRT2)(x))
        v = _dense(1, 1.0)(x)[..., 0]
        return v if self.own_obs else jnp.broadcast_to(v[..., None], obs.shape[:-1])
