"""What a training run carries between updates, and what one env step records: the types that
`train.py` builds and `sharding.py` lays out (here, so neither imports the other)."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from flax import struct

from jaxjam.agents import TrainState
from jaxjam.agents.hparams import PPONumbers
from jaxjam.config.traced import EnvNumbers
from jaxjam.env import Action, EnvState


@struct.dataclass
class EpisodeLog:
    """Per-env running episode sums and the last finished episode's results `[B]`."""

    ret: jax.Array
    reduction_sum: jax.Array
    last_return: jax.Array
    last_mean_reduction: jax.Array
    last_final_reduction: jax.Array
    episodes: jax.Array  # [B] int32 finished episodes

    @classmethod
    def zeros(cls, num_envs: int) -> "EpisodeLog":
        z = jnp.zeros((num_envs,), jnp.float32)
        return cls(z, z, z, z, z, jnp.zeros((num_envs,), jnp.int32))

    def update(self, reward, reduction, done, length: int) -> "EpisodeLog":
        ret, red = self.ret + reward, self.reduction_sum + reduction
        pick = lambda new, old: jnp.where(done, new, old)
        return EpisodeLog(
            ret=jnp.where(done, 0.0, ret), reduction_sum=jnp.where(done, 0.0, red),
            last_return=pick(ret, self.last_return),
            last_mean_reduction=pick(red / length, self.last_mean_reduction),
            last_final_reduction=pick(reduction, self.last_final_reduction),
            episodes=self.episodes + done.astype(jnp.int32))


@struct.dataclass
class Runner:
    """Everything a run carries between updates (checkpointed as a whole)."""

    train_state: TrainState
    env_state: EnvState  # batched [B, ...]
    obs: jax.Array  # [B, M, D]
    log: EpisodeLog
    key: jax.Array
    env_steps: jax.Array  # [] int32 env steps taken (one step = all M jammers act)
    hparams: PPONumbers  # the traced PPO numbers this run trains with (jaxjam.agents.hparams)
    env_numbers: EnvNumbers  # the traced env/physics numbers its envs run with (jaxjam.config.traced)


class Transition(NamedTuple):
    obs: jax.Array  # [B, M, D]
    action: Action  # [B, M]
    log_prob: jax.Array  # [B, M]
    value: jax.Array  # [B, M]
    next_value: jax.Array  # [B, M] value of the obs reached before any reset
    reward: jax.Array  # [B, M] per-jammer reward (info.agent_reward: the team reward unless
    #                    env.credit_weight or env.own_overlap make it per agent)
    done: jax.Array  # [B]
    terminated: jax.Array  # [B]
    reduction: jax.Array  # [B] λ₂ reduction this step
    band_match: jax.Array  # [B]
    teacher: Action | None  # [B, M] the planner's action at obs (velocity / v_max), if imitating


SEED_AXIS = "seed"  # vmap axis name of seed sweeps
