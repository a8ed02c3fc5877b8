"""PPO's numbers as a traced pytree: change them without recompiling, vmap them in a sweep.

`PPONumbers.of(ppo_cfg)` holds every numeric PPO hyper-parameter (learning rates and their
decay, entropy and clip coefficients, γ, λ, value weight, gradient clip, KL stop, teacher
weight) as float32 scalars. The training runner carries them (`Runner.hparams`), so the
compiled program takes them as inputs: a new learning rate reuses the compiled program, and a
grid of them × seeds trains in ONE vmapped program (`experiments/hparam_sweep.py`).

Shapes and choices stay static in `PPOConfig` (envs, rollout length, epochs, minibatches,
network sizes); `static_ppo(cfg)` is the part of the config the program is compiled for.
"""

from __future__ import annotations

from dataclasses import replace

import jax
import jax.numpy as jnp
from flax import struct

from jaxjam.config import PPOConfig

TRACED = ("gamma", "gae_lambda", "clip_eps", "value_coef", "entropy_coef", "entropy_coef_final_frac",
          "band_entropy_scale", "lr_actor", "lr_critic", "lr_final_frac", "max_grad_norm",
          "target_kl", "imitation_coef", "imitation_final_frac")


@struct.dataclass
class PPONumbers:
    """The traced PPO hyper-parameters, each a float32 scalar (or `[G]` in a sweep)."""

    gamma: jax.Array
    gae_lambda: jax.Array
    clip_eps: jax.Array
    value_coef: jax.Array
    entropy_coef: jax.Array
    entropy_coef_final_frac: jax.Array
    band_entropy_scale: jax.Array
    lr_actor: jax.Array
    lr_critic: jax.Array
    lr_final_frac: jax.Array
    max_grad_norm: jax.Array
    target_kl: jax.Array
    imitation_coef: jax.Array
    imitation_final_frac: jax.Array

    @classmethod
    def of(cls, ppo_cfg: PPOConfig, **overrides) -> "PPONumbers":
        """The config's numbers, with `overrides` (name -> value or array) replacing some; with
        arrays (a grid of G members), every field is broadcast to their common shape `[G]`."""
        bad = sorted(set(overrides) - set(TRACED))
        if bad:
            raise ValueError(f"not a traced PPO number: {', '.join(bad)} (traced: {', '.join(TRACED)})")
        values = {k: jnp.asarray(overrides.get(k, getattr(ppo_cfg, k)), jnp.float32) for k in TRACED}
        shape = jnp.broadcast_shapes(*(v.shape for v in values.values()))
        return cls(**{k: jnp.broadcast_to(v, shape) for k, v in values.items()})


def static_ppo(ppo_cfg: PPOConfig) -> PPOConfig:
    """The config with its traced numbers set to canonical values: what the program depends on.

    Whether the teacher is used at all (imitation_coef > 0) is structural and kept."""
    canon = {k: getattr(PPOConfig(), k) for k in TRACED}
    canon["imitation_coef"] = 1.0 if ppo_cfg.imitation_coef > 0 else 0.0
    return replace(ppo_cfg, **canon)
