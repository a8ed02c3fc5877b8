"""Size-agnostic attention actor and critic over the `entity` observation (any M, any N).

Each jammer's row `[D]` is split by `EntityLayout` into its own features and sets of link,
enemy and jammer tokens with valid flags. Each kind is embedded by its own MLP; pre-LayerNorm
attention blocks run with padding masked out, so padded slots never change the output and the
order of the tokens does not matter. `ppo.attention_mode` "self": every block is self-attention
over [self, tokens] (cost ∝ T² per jammer); "query": only the self token attends to the embedded
[self, tokens] (cost ∝ T; link tokens stay context-free and the pointer scores are conditioned
on the self token instead). `ppo.compute_dtype` "bfloat16" runs the encoder's matmuls and
activations in bfloat16 (parameters, heads and losses stay float32). The actor reads the self
token:

* band logits and a state-dependent log σ, as the MLP actor;
* velocity mean μ = pointer + residual: a softmax over the candidates {own target centroid, each
  valid link} picks where to go, and each candidate contributes the velocity that flies there
  (full speed, or arrival this step), in units of v_max — the planner's motion primitive
  ("fly to a link midpoint") is one attention weight away. The residual is a small Dense head.

The critic encodes every jammer the same way and pools them with a learned-query attention
(beside the mean), so its parameters, too, serve any M.
"""

from __future__ import annotations

import math

import chex
import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxjam.agents.networks import _HEAD_GAIN, _SQRT2, _dense, hybrid_distribution
from jaxjam.env.entity_obs import VALID, EntityLayout


def _dtype(name: str):
    """'float32' -> None (inputs' dtype, the exact float32 path) | 'bfloat16' -> jnp.bfloat16."""
    return None if name == "float32" else jnp.dtype(name)


class _Block(nn.Module):
    """Pre-LN transformer block: queries `x` `[..., Q, H]` attend to `keys` `[..., T, H]` (None:
    to LayerNorm(x) itself, i.e. self-attention, Q = T) with key mask `valid` `[..., T]`."""

    hidden: int
    heads: int
    dtype: object = None

    @nn.compact
    def __call__(self, x, valid, keys=None):
        mask = valid[..., None, None, :]  # [..., 1 (heads), 1 (queries), T]
        y = nn.LayerNorm(epsilon=1e-5, dtype=self.dtype)(x)
        x = x + nn.MultiHeadDotProductAttention(num_heads=self.heads, qkv_features=self.hidden,
                                                out_features=self.hidden, dtype=self.dtype)(
            y, y if keys is None else keys, mask=mask)
        y = nn.LayerNorm(epsilon=1e-5, dtype=self.dtype)(x)
        return x + _dense(self.hidden, 1.0, dtype=self.dtype)(
            nn.relu(_dense(self.hidden, _SQRT2, dtype=self.dtype)(y)))


class _Encoded(nn.Module):
    """The encoder's fields, shared by the encoder, the actor and the critic."""

    layout: EntityLayout
    hidden: int = 128
    heads: int = 4
    layers: int = 2
    mode: str = "self"
    dtype: str = "float32"

    def encode(self, obs):
        """`TokenEncoder` with these fields (built inside the caller's compact call)."""
        return TokenEncoder(self.layout, self.hidden, self.heads, self.layers, self.mode, self.dtype)(obs)


class TokenEncoder(_Encoded):
    """obs `[..., D]` -> (self `[..., H]`, link tokens `[..., K, H]`), after `layers` blocks.

    `mode` "self": blocks of self-attention over [self, tokens] (every token sees every other,
    cost ∝ T² per jammer). "query": tokens are embedded independently and only the self token
    attends to [self, tokens] in each block (cost ∝ T); link tokens come out context-free.
    `dtype` "bfloat16" computes in bfloat16 (outputs float32)."""

    @nn.compact
    def __call__(self, obs):
        chex.assert_shape(obs, (..., self.layout.dim))  # the entity row; trace time only
        dt = _dtype(self.dtype)
        own, links, enemies, jammers = self.layout.split(obs)
        embed = lambda x: _dense(self.hidden, _SQRT2, dtype=dt)(nn.relu(_dense(self.hidden, _SQRT2, dtype=dt)(x)))
        parts, valid = [embed(own)[..., None, :]], [jnp.ones(own.shape[:-1] + (1,), bool)]
        for tokens in (links, enemies, jammers):
            if tokens.shape[-2]:
                parts.append(embed(tokens))
                valid.append(tokens[..., VALID] > 0.5)
        x, valid = jnp.concatenate(parts, axis=-2), jnp.concatenate(valid, axis=-1)
        if self.mode == "self":
            for _ in range(self.layers):
                x = _Block(self.hidden, self.heads, dt)(x, valid)
        else:
            keys = nn.LayerNorm(epsilon=1e-5, dtype=dt)(x)
            q = x[..., :1, :]
            for _ in range(self.layers):
                q = _Block(self.hidden, self.heads, dt)(q, valid, keys)
            x = jnp.concatenate([q, x[..., 1:, :]], axis=-2)
        x = nn.LayerNorm(epsilon=1e-5, dtype=dt)(x).astype(jnp.float32)
        return x[..., 0, :], x[..., 1:1 + self.layout.links, :]


class AttentionActor(_Encoded):
    """Per-jammer policy over the entity row: obs `[..., D]` -> hybrid distribution `[...]`.

    `steps_per_range` `[B]`: R_b / (dt · v_max) per band b, so an offset in units of R becomes
    the velocity (units of v_max) that covers it in one step.
    """

    steps_per_range: tuple[float, ...] = ()  # required: one per band
    num_bands: int = 4
    log_std_min: float = -1.0
    log_std_max: float = 0.5
    log_std_init: float = -0.5

    @nn.compact
    def __call__(self, obs: jax.Array):
        if len(self.steps_per_range) != self.num_bands:
            raise ValueError(f"AttentionActor.steps_per_range needs {self.num_bands} values (one per "
                             f"band), got {len(self.steps_per_range)}")
        h_self, h_links = self.encode(obs)
        own, links, _, _ = self.layout.split(obs)
        x = nn.relu(_dense(self.hidden, _SQRT2)(h_self))
        band = own[..., 4:4 + self.num_bands]  # enemy band one-hot
        scale = band @ jnp.asarray(self.steps_per_range, jnp.float32)  # [...]
        cand_h = jnp.concatenate([h_self[..., None, :], h_links], axis=-2)  # [..., 1 + K, H]
        cand_off = jnp.concatenate([own[..., None, :2], links[..., :2]], axis=-2)
        cand_ok = jnp.concatenate([jnp.ones(own.shape[:-1] + (1,), bool),
                                   links[..., VALID] > 0.5], axis=-1)
        score_head = _dense(1, _HEAD_GAIN)  # built first: Flax numbers modules as they are built
        cand = _dense(self.hidden, _SQRT2)(cand_h)
        if self.mode == "query":  # context-free link tokens: condition their scores on the jammer
            cand = cand + _dense(self.hidden, _SQRT2)(h_self)[..., None, :]
        score = score_head(nn.relu(cand))[..., 0]
        weight = jax.nn.softmax(jnp.where(cand_ok, score, -1e9), axis=-1)
        go = jnp.clip(cand_off * scale[..., None, None], -1.0, 1.0)  # fly-to velocity / v_max
        loc = jnp.sum(weight[..., None] * go, axis=-2) + _dense(2, _HEAD_GAIN)(x)
        log_std = jnp.clip(_dense(2, _HEAD_GAIN, self.log_std_init)(x),
                           self.log_std_min, self.log_std_max)
        logits = _dense(self.num_bands, _HEAD_GAIN)(x)
        return hybrid_distribution(loc, log_std, logits)


class AttentionCritic(_Encoded):
    """Centralised value over all M entity rows `[..., M, D]` -> V `[..., M]`.

    Jammers are encoded by a `TokenEncoder` and pooled by attention from a learned query,
    concatenated with their mean. `own_obs`: V_m also sees jammer m's encoding (per-agent
    rewards); otherwise one value per env, broadcast to the M agents.
    """

    own_obs: bool = False

    @nn.compact
    def __call__(self, obs: jax.Array) -> jax.Array:
        chex.assert_shape(obs, (..., None, self.layout.dim))  # [..., M, D]: every agent's row
        h, _ = self.encode(obs)  # [..., M, H]
        query = self.param("query", nn.initializers.normal(1.0 / math.sqrt(self.hidden)),
                           (self.hidden,))
        q = jnp.broadcast_to(query, h.shape[:-2] + (1, self.hidden))
        pooled = nn.MultiHeadDotProductAttention(num_heads=self.heads, qkv_features=self.hidden,
                                                 out_features=self.hidden)(q, h)[..., 0, :]
        x = jnp.concatenate([pooled, jnp.mean(h, axis=-2)], axis=-1)
        if self.own_obs:
            x = jnp.concatenate([jnp.broadcast_to(x[..., None, :], h.shape[:-1] + x.shape[-1:]), h],
                                axis=-1)
        for _ in range(2):
            x = nn.relu(_dense(self.hidden, _SQRT2)(x))
        v = _dense(1, 1.0)(x)[..., 0]
        return v if self.own_obs else jnp.broadcast_to(v[..., None], obs.shape[:-1])
