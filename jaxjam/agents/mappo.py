"""MAPPO learner as pure, jit-able functions: GAE, PPO-clip losses, one full update (spec §11).

Fixes to the reference (spec §14): GAE masks with the step's own done flag and bootstraps
a time-limit truncation from the final observation's value (§14.3, §14.16); log-probs are
evaluated at the stored raw action (§14.4); the critic always sees the pooled observation
(§14.5); the KL early stop is configurable and checked per minibatch (§14.14).
"""

from __future__ import annotations

from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from flax import struct

from jaxjam.agents.attention import AttentionActor, AttentionCritic
from jaxjam.agents.hparams import PPONumbers
from jaxjam.agents.networks import Action, Actor, Critic
from jaxjam.config import PPOConfig
from jaxjam.env.entity_obs import EntityLayout


@struct.dataclass
class Batch:
    """Flattened env-steps for one update (S env-steps, M agents, D obs features).

    obs [S, M, D]; action velocity [S, M, 2], band [S, M]; log_prob [S, M] (rollout);
    advantages, returns, values (rollout critic) [S, M] (equal across agents unless the
    rewards are per agent); teacher velocity [S, M, 2] (units of v_max), band [S, M] when
    `ppo.imitation_coef` > 0; teacher_weight [S] when only `ppo.teacher_envs` envs are labelled.
    """

    obs: jax.Array
    action: Action
    log_prob: jax.Array
    advantages: jax.Array
    returns: jax.Array
    values: jax.Array
    teacher: Action | None = None  # planner's action at the same states (velocity / v_max), or None
    teacher_weight: jax.Array | None = None  # [S] 1 where the teacher labelled the step, 0 where
                                             # not (ppo.teacher_envs); None = every step labelled


def gae(rewards: jax.Array, values: jax.Array, next_values: jax.Array, terminated: jax.Array,
        done: jax.Array, gamma: float, lam: float) -> tuple[jax.Array, jax.Array]:
    """Generalised advantage estimation over time-major arrays [T, B, ...] (e.g. [T, B, M];
    terminated/done broadcast against them, e.g. [T, B, 1]).

    done[t]: step t ended the episode (terminated or truncated); terminated[t]: it ended
    without a time limit. next_values[t] = V(observation reached by step t, before any
    auto-reset). δ_t = r_t + γ(1−terminated_t)·next_values_t − values_t and
    A_t = δ_t + γλ(1−done_t)·A_{t+1}. Returns (advantages, returns = advantages + values), shaped
    like rewards.
    """
    not_term = 1.0 - terminated.astype(rewards.dtype)
    not_done = 1.0 - done.astype(rewards.dtype)
    deltas = rewards + gamma * not_term * next_values - values

    def step(next_adv, x):
        delta, nd = x
        adv = delta + gamma * lam * nd * next_adv
        return adv, adv

    not_done = jnp.broadcast_to(not_done, deltas.shape)
    _, adv = jax.lax.scan(step, jnp.zeros_like(deltas[0]), (deltas, not_done), reverse=True)
    return adv, adv + values


def _linear_decay(value: float, final_frac: float, num_updates: int) -> optax.Schedule:
    """Update index -> value, linear from `value` at 0 to `value·final_frac` at num_updates."""
    return optax.linear_schedule(value, value * final_frac, num_updates)


class Optimizer(NamedTuple):
    """One network's optimiser: global-norm clip then Adam at a per-update learning rate."""

    lr: optax.Schedule  # update index -> learning rate
    max_grad_norm: float

    def tx(self, update: jax.Array) -> optax.GradientTransformation:
        """The transformation used during update number `update` (state layout is lr-independent)."""
        return optax.chain(optax.clip_by_global_norm(self.max_grad_norm), optax.adam(self.lr(update)))


def make_optimizers(ppo_cfg: PPOConfig | PPONumbers, num_updates: int) -> tuple[Optimizer, Optimizer]:
    """(actor, critic) optimisers; each lr decays linearly to lr·lr_final_frac over num_updates
    (the numbers may be traced: a `PPONumbers`)."""
    return tuple(Optimizer(_linear_decay(lr, ppo_cfg.lr_final_frac, num_updates), ppo_cfg.max_grad_norm)
                 for lr in (ppo_cfg.lr_actor, ppo_cfg.lr_critic))


def entropy_coef_schedule(ppo_cfg: PPOConfig | PPONumbers, num_updates: int) -> optax.Schedule:
    """Update index -> entropy coefficient, decaying linearly to entropy_coef·entropy_coef_final_frac."""
    return _linear_decay(ppo_cfg.entropy_coef, ppo_cfg.entropy_coef_final_frac, num_updates)


def make_networks(ppo_cfg: PPOConfig, num_bands: int, layout: EntityLayout | None = None,
                  steps_per_range: tuple[float, ...] = ()) -> tuple[nn.Module, nn.Module]:
    """The shared actor and the centralised critic for these hyper-parameters.

    `ppo.network == "attention"` needs the entity `layout` and `steps_per_range` (per band,
    `jaxjam.env.entity_obs.steps_per_range`); "mlp" ignores them.
    """
    own_obs = ppo_cfg.critic_obs == "pooled_own"
    std = dict(log_std_min=ppo_cfg.log_std_min, log_std_max=ppo_cfg.log_std_max,
               log_std_init=ppo_cfg.log_std_init)
    if ppo_cfg.network == "attention":
        if layout is None or len(steps_per_range) != num_bands:
            raise ValueError("ppo.network 'attention' needs the entity layout and one "
                             f"steps_per_range per band ({num_bands}), got {layout}, {steps_per_range}")
        att = dict(layout=layout, hidden=ppo_cfg.hidden, heads=ppo_cfg.attention_heads,
                   layers=ppo_cfg.attention_layers, mode=ppo_cfg.attention_mode,
                   dtype=ppo_cfg.compute_dtype)
        return (AttentionActor(steps_per_range=tuple(steps_per_range), num_bands=num_bands,
                               **att, **std),
                AttentionCritic(own_obs=own_obs, **att))
    return (Actor(hidden=ppo_cfg.hidden, num_bands=num_bands, **std),
            Critic(hidden=ppo_cfg.hidden, own_obs=own_obs))


@struct.dataclass
class TrainState:
    """Parameters, optimiser states and the number of updates done; modules are static."""

    actor_params: dict
    critic_params: dict
    actor_opt_state: optax.OptState
    critic_opt_state: optax.OptState
    update: jax.Array  # [] int32, updates done so far
    actor: nn.Module = struct.field(pytree_node=False)  # Actor | AttentionActor
    critic: nn.Module = struct.field(pytree_node=False)  # Critic | AttentionCritic


def init_train_state(key: jax.Array, ppo_cfg: PPOConfig, obs_dim: int, num_bands: int,
                     num_updates: int, layout: EntityLayout | None = None,
                     steps_per_range: tuple[float, ...] = ()) -> TrainState:
    """Fresh networks (spec §10 init) and optimiser states (layout: see `make_networks`)."""
    actor, critic = make_networks(ppo_cfg, num_bands, layout, steps_per_range)
    key_actor, key_critic = jax.random.split(key)
    dummy = jnp.zeros((1, obs_dim), jnp.float32)  # one agent
    actor_params = actor.init(key_actor, dummy[0])
    critic_params = critic.init(key_critic, dummy)
    actor_opt, critic_opt = make_optimizers(ppo_cfg, num_updates)
    zero = jnp.zeros((), jnp.int32)
    return TrainState(actor_params=actor_params, critic_params=critic_params,
                      actor_opt_state=actor_opt.tx(zero).init(actor_params),
                      critic_opt_state=critic_opt.tx(zero).init(critic_params),
                      update=zero, actor=actor, critic=critic)


def _actor_loss(params, actor: Actor, mb: Batch, clip_eps: float, entropy_coef: jax.Array,
                band_entropy_scale: float, imitation_coef: jax.Array = 0.0):
    """PPO-clip on per-agent ratios and advantages [mb, M] (advantages normalised over both).

    Entropy bonus: entropy_coef · (H[velocity] + band_entropy_scale · H[band]); the joint
    entropy is the sum of the two, so scale 1 is the plain joint bonus. With a teacher in the
    batch, plus imitation_coef · (|μ − v_teacher|² + cross-entropy of the teacher's band): the
    planner's action at the learner's own states (DAgger's labels, as an auxiliary loss).
    """
    dist = actor.apply(params, mb.obs)
    log_ratio = dist.log_prob(mb.action) - mb.log_prob
    ratio = jnp.exp(log_ratio)
    adv = (mb.advantages - mb.advantages.mean()) / (mb.advantages.std() + 1e-8)
    surrogate = jnp.minimum(ratio * adv, jnp.clip(ratio, 1.0 - clip_eps, 1.0 + clip_eps) * adv).mean()
    parts = dist.distributions  # Action(velocity=Gaussian, band=Categorical)
    entropy_velocity, entropy_band = parts.velocity.entropy().mean(), parts.band.entropy().mean()
    aux = {"entropy": entropy_velocity + entropy_band, "entropy_band": entropy_band,
           "approx_kl": jnp.mean((ratio - 1.0) - log_ratio),
           "clip_frac": jnp.mean((jnp.abs(ratio - 1.0) > clip_eps).astype(jnp.float32))}
    bonus = entropy_velocity + band_entropy_scale * entropy_band
    loss = -surrogate - entropy_coef * bonus
    if mb.teacher is not None:
        sq = jnp.sum((parts.velocity.mode() - mb.teacher.velocity) ** 2, axis=-1)  # [mb, M]
        nll = -parts.band.log_prob(mb.teacher.band)                                # [mb, M]
        if mb.teacher_weight is None:
            imitation = jnp.mean(sq) + jnp.mean(nll)
        else:  # the labelled steps of this minibatch only (none: no imitation term)
            w = mb.teacher_weight[:, None]
            imitation = jnp.sum(w * (sq + nll)) / jnp.maximum(jnp.sum(w) * sq.shape[1], 1.0)
        aux["imitation_loss"] = imitation
        loss = loss + imitation_coef * imitation
    return loss, aux


def _critic_loss(params, critic: Critic, mb: Batch, value_coef: float):
    """value_coef · mean over [mb, M] of (V − returns)²; no value clipping (as the reference)."""
    return value_coef * jnp.mean((critic.apply(params, mb.obs) - mb.returns) ** 2)


def _step(tx: optax.GradientTransformation, params, opt_state, grads, take: jax.Array):
    """One optimiser step, or (params, opt_state) unchanged where `take` is False."""
    updates, new_state = tx.update(grads, opt_state, params)
    new = (optax.apply_updates(params, updates), new_state)
    return jax.tree.map(lambda n, o: jnp.where(take, n, o), new, (params, opt_state))


def _explained_variance(values: jax.Array, returns: jax.Array) -> jax.Array:
    """1 − Var(returns − values)/Var(returns); 0 when the returns are constant."""
    var = jnp.var(returns)
    return jnp.where(var > 0, 1.0 - jnp.var(returns - values) / jnp.where(var > 0, var, 1.0), 0.0)


def ppo_update(key: jax.Array, train_state: TrainState, batch: Batch, ppo_cfg: PPOConfig,
               num_updates: int, minibatch_sharding=None,
               numbers: PPONumbers | None = None) -> tuple[TrainState, dict[str, jax.Array]]:
    """update_epochs × num_minibatches PPO steps on `batch` under one lax.scan.

    Env-steps are shuffled per epoch; a minibatch is S/num_minibatches env-steps with all
    their agents. Once a minibatch's approx KL (before its step) exceeds ppo_cfg.target_kl
    (> 0), it and all later steps of this update are skipped. Metrics are means over the
    steps taken (losses and KL measured before each step), plus the learning rates, the
    entropy coefficient, `minibatch_steps` taken and the batch's explained variance.
    ``minibatch_sharding`` (a sharding of the leading axis, e.g. over jaxjam.sharding's "envs")
    splits every minibatch over devices, so each device computes the gradient of its share
    and XLA all-reduces it (without it the shuffled minibatch is gathered whole on every device).
    ``numbers`` (traced, `jaxjam.agents.hparams`) replace ppo_cfg's numeric fields; ppo_cfg still
    gives the shapes (epochs, minibatches).
    """
    n = PPONumbers.of(ppo_cfg) if numbers is None else numbers
    num_steps = batch.advantages.shape[0]
    num_mb, epochs = ppo_cfg.num_minibatches, ppo_cfg.update_epochs
    if num_steps % num_mb:
        raise ValueError(f"ppo_update: ppo.num_minibatches ({num_mb}) must divide the batch size ({num_steps})")
    actor_opt, critic_opt = make_optimizers(n, num_updates)
    actor_tx, critic_tx = actor_opt.tx(train_state.update), critic_opt.tx(train_state.update)
    entropy_coef = entropy_coef_schedule(n, num_updates)(train_state.update)
    imitation_coef = _linear_decay(n.imitation_coef, n.imitation_final_frac, num_updates)(train_state.update)
    perms = jax.vmap(lambda k: jax.random.permutation(k, num_steps))(jax.random.split(key, epochs))
    minibatch_idx = perms.reshape(epochs * num_mb, num_steps // num_mb)

    def step(carry, idx):
        actor_params, critic_params, actor_state, critic_state, stopped = carry
        mb = jax.tree.map(lambda x: x[idx], batch)
        if minibatch_sharding is not None:
            mb = jax.lax.with_sharding_constraint(mb, minibatch_sharding)
        (actor_loss, aux), actor_grads = jax.value_and_grad(_actor_loss, has_aux=True)(
            actor_params, train_state.actor, mb, n.clip_eps, entropy_coef,
            n.band_entropy_scale, imitation_coef)
        critic_loss, critic_grads = jax.value_and_grad(_critic_loss)(
            critic_params, train_state.critic, mb, n.value_coef)
        stopped = stopped | ((n.target_kl > 0) & (aux["approx_kl"] > n.target_kl))
        take = ~stopped
        actor_params, actor_state = _step(actor_tx, actor_params, actor_state, actor_grads, take)
        critic_params, critic_state = _step(critic_tx, critic_params, critic_state, critic_grads, take)
        metrics = {**aux, "actor_loss": actor_loss, "critic_loss": critic_loss,
                   "actor_grad_norm": optax.tree.norm(actor_grads),
                   "critic_grad_norm": optax.tree.norm(critic_grads)}
        return (actor_params, critic_params, actor_state, critic_state, stopped), (metrics, take)

    carry = (train_state.actor_params, train_state.critic_params,
             train_state.actor_opt_state, train_state.critic_opt_state, jnp.array(False))
    (actor_params, critic_params, actor_state, critic_state, _), (metrics, taken) = jax.lax.scan(
        step, carry, minibatch_idx)
    weights = taken.astype(jnp.float32) / jnp.maximum(taken.sum(), 1)
    metrics = {k: jnp.sum(v * weights) for k, v in metrics.items()}
    metrics.update(lr_actor=actor_opt.lr(train_state.update), lr_critic=critic_opt.lr(train_state.update),
                   entropy_coef=entropy_coef, minibatch_steps=taken.sum(),
                   **({"imitation_coef": imitation_coef} if batch.teacher is not None else {}),
                   explained_variance=_explained_variance(batch.values, batch.returns))
    new_state = train_state.replace(actor_params=actor_params, critic_params=critic_params,
                                    actor_opt_state=actor_state, critic_opt_state=critic_state,
                                    update=train_state.update + 1)
    return new_state, metrics
