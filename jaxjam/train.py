"""MAPPO training fused into compiled programs (PureJaxRL style).

    trainer = make_train(config)
    runner = trainer.init(key)                      # networks, optimisers, envs
    runner, metrics = trainer.train_chunk(runner)   # `updates_per_chunk` updates, one jit call
    runner, metrics = trainer.train(key)            # the whole run as one program

Each update = a rollout of `rollout_steps` steps in `num_envs` parallel envs
(`lax.scan` over `step_batch`) + GAE + `ppo_update`. No host round trip inside a
chunk; between chunks the host prints progress, logs and checkpoints (cli.py).
`trainer.train_seeds(keys)` trains several seeds in one program (a vmap whose axis is
named, so the env's reset stays a branch); `init_seeds` / `train_chunk_seeds` do the same
chunk by chunk.
`make_train(config, mesh=env_mesh(n))` jits the same programs with the env batch split over
`n` devices and everything else replicated (data parallel, SPMD; see jaxjam/sharding.py).
`compile_programs(trainer, key)` compiles the init and chunk programs side by side (what the
CLI does: a cold start pays the larger compile, not the sum).

Values, rewards and advantages are per agent `[B, M]`: the env's `info.agent_reward`, i.e. the
team reward, plus `env.credit_weight` × each jammer's own λ₂ credit and, with `env.own_overlap`,
its own share of the overlap penalty (docs/model.md, items 13 and 17).

With `ppo.imitation_coef` > 0 the centralised planner (`jaxjam.policies.planner_policy`) labels
every state the learner visits and the actor's loss gains a teacher term (DAgger as an auxiliary
loss, decaying with `ppo.imitation_final_frac`); the policy still acts on its own observation.

The runner carries the traced numbers (`Runner.hparams`, PPO; `Runner.env_numbers`, env and
physics: `jaxjam.config.traced`), so the programs are compiled for the config's static part
(`static_env(config)`: shapes and choices) and take the numbers as inputs: `init(key, hparams,
env_numbers)` with other numbers reuses the compiled programs, and `init_seeds(keys, hparams,
env_numbers)` with a grid `[S]` of them trains the grid in one program. The envs, the teacher
and the actor's velocity scale (v_max) all read the runner's numbers.

The actor's Gaussian is over velocity / v_max (so exploration noise is in units
of the speed limit); the environment receives velocity · v_max in m/s and clips
it per axis. Log-probs are always of the stored raw draw.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxjam.agents import Batch, gae, init_train_state, ppo_update
from jaxjam.agents.hparams import PPONumbers
from jaxjam.config import Config, validate
from jaxjam.config.traced import EnvNumbers, static_env, with_numbers
from jaxjam.env import obs_dim, reset, step_batch
from jaxjam.env.numerics import inverse
from jaxjam.env.entity_obs import network_spec
from jaxjam.policies import PREDICTED_LINKS, PREDICTED_STEPS, cut_seek_policy, planner_policy
from jaxjam.runner import SEED_AXIS, EpisodeLog, Runner, Transition  # noqa: F401  (re-exported)
from jaxjam.sharding import (check_divisible, env_sharding, on_each_device, replicated,
                             runner_shardings)

CUT_SEEK_TEACHERS = {"cut_seek": ("unjammed",), "cut_seek_others": ("others",), "cut_seek_checked": ("checked",),
                     "cut_seek_predicted": ("checked", PREDICTED_LINKS, PREDICTED_STEPS)}  # ppo.teacher -> cut_seek_policy arguments


class Trainer(NamedTuple):
    config: Config
    num_updates: int  # total updates, a whole number of chunks
    steps_per_update: int  # env steps per update (num_envs * rollout_steps)
    updates_per_chunk: int
    init: callable
    update: callable
    train_chunk: callable
    train: callable
    init_seeds: callable
    train_chunk_seeds: callable
    train_seeds: callable  # keys [S] -> (runner, metrics) with a leading seed axis


def make_train(config: Config, mesh=None) -> Trainer:
    """Build the jitted training functions for a validated, static `config`.

    With a 1-D `jax.sharding.Mesh` (`jaxjam.sharding.env_mesh`), every runner these functions
    return is laid out by `runner_shardings(mesh)`: env batch split over the devices, the rest
    replicated; runners passed in are moved to that layout (uncommitted ones implicitly, use
    `shard_runner` for others). `ppo.num_envs` must be divisible by the mesh size.
    """
    validate(config)
    e, p = config.env, config.ppo
    num_envs, horizon = p.num_envs, p.rollout_steps
    minibatch_sharding = None
    if mesh is not None:
        check_divisible(num_envs, mesh.size)
        minibatch_sharding = env_sharding(mesh)  # data-parallel PPO: split every minibatch
    steps_per_update = num_envs * horizon
    chunk = min(config.run.updates_per_chunk, -(-p.total_steps // steps_per_update))
    num_updates = -(-p.total_steps // (steps_per_update * chunk)) * chunk  # whole chunks, rounded up
    static = static_env(config)  # what the env programs are compiled for (numbers traced)
    num_bands = config.physics.num_bands
    teaching = p.imitation_coef > 0  # ppo.imitation_coef: the planner teaches (static switch)
    taught = num_envs if p.teacher_envs in (0, num_envs) else p.teacher_envs  # ppo.teacher_envs
    if teaching and taught < num_envs and mesh is not None:
        raise ValueError("ppo.teacher_envs must be 0 (all envs) when training is sharded over devices")

    def teacher(keys, obs, state, numbers):  # the teacher's actions `[B, M]` (m/s) in these envs
        cfg = with_numbers(static, numbers)
        policy = (planner_policy(cfg, p.teacher_shortlist) if p.teacher == "planner"  # ppo.teacher
                  else cut_seek_policy(cfg, *CUT_SEEK_TEACHERS[p.teacher]))
        return jax.vmap(policy)(keys, obs, state)

    def init(key, hparams: PPONumbers | None = None, env_numbers: EnvNumbers | None = None) -> Runner:
        """A fresh runner; the traced numbers default to the config's (`hparams`: PPO,
        `env_numbers`: env and physics, `EnvNumbers.of(config)`)."""
        hparams = PPONumbers.of(p) if hparams is None else hparams
        env_numbers = EnvNumbers.of(config) if env_numbers is None else env_numbers
        k_net, k_env, key = jax.random.split(key, 3)
        ts = init_train_state(k_net, p, obs_dim(config), num_bands, num_updates,
                              **network_spec(config))  # the attention prior: config's constants
        obs, env_state = jax.vmap(partial(reset, config=static, numbers=env_numbers))(
            jax.random.split(k_env, num_envs))
        if p.stagger_episodes:  # first episodes end at staggered times; later ones stay staggered
            start = jax.random.randint(jax.random.fold_in(k_env, 1), (num_envs,), 0, e.max_steps)
            env_state = env_state.replace(step=start.astype(jnp.int32))
        return Runner(ts, env_state, obs, EpisodeLog.zeros(num_envs), key, jnp.int32(0), hparams,
                      env_numbers)

    def env_step(carry, _, numbers: EnvNumbers, axis_name=None):
        ts, env_state, obs, log, key = carry
        key, k_act, k_env = jax.random.split(key, 3)
        v_max = numbers.env["v_max_m_s"]
        action, log_prob = ts.actor.apply(ts.actor_params, obs).sample_and_log_prob(seed=k_act)
        value = ts.critic.apply(ts.critic_params, obs)
        env_action = action.replace(velocity=action.velocity * v_max)
        env_batch_step = on_each_device(lambda k, s, a, nums: step_batch(
            k, s, a, static, nums, axis_name=axis_name), mesh, replicated=1)
        state_now = env_state
        next_obs, env_state, reward, done, info = env_batch_step(
            jax.random.split(k_env, num_envs), env_state, env_action, numbers)
        next_value = ts.critic.apply(ts.critic_params, info.final_obs)
        teach = None
        if teaching:  # labels of the states the learner itself visits (DAgger)
            if taught == num_envs:
                teach = on_each_device(teacher, mesh, replicated=1)(
                    jax.random.split(k_act, num_envs), obs, state_now, numbers)
            else:  # the first `taught` envs only; the others carry zero labels of weight 0
                first = jax.tree.map(lambda x: x[:taught], (obs, state_now))
                teach = teacher(jax.random.split(k_act, taught), *first, numbers)
                teach = jax.tree.map(lambda x: jnp.concatenate(
                    [x, jnp.zeros((num_envs - taught,) + x.shape[1:], x.dtype)]), teach)
            teach = teach.replace(velocity=teach.velocity * inverse(v_max))
        log = log.update(reward, info.lambda2_reduction, done, e.max_steps)
        tr = Transition(obs, action, log_prob, value, next_value, info.agent_reward, done, info.terminated,
                        info.lambda2_reduction, info.band_match, teach)
        return (ts, env_state, next_obs, log, key), tr

    def update(runner: Runner, _=None, axis_name=None):
        carry = (runner.train_state, runner.env_state, runner.obs, runner.log, runner.key)
        with jax.named_scope("rollout"):  # scopes name the phases in profiles (benchmarks/train_trace.py)
            (ts, env_state, obs, log, key), traj = jax.lax.scan(
                partial(env_step, numbers=runner.env_numbers, axis_name=axis_name), carry, None,
                length=horizon)
        hp = runner.hparams
        adv, ret = gae(traj.reward, traj.value, traj.next_value, traj.terminated[..., None],
                       traj.done[..., None], hp.gamma, hp.gae_lambda)
        flat = lambda x: x.reshape((steps_per_update,) + x.shape[2:])
        batch = Batch(obs=flat(traj.obs), action=jax.tree.map(flat, traj.action),
                      log_prob=flat(traj.log_prob), advantages=flat(adv), returns=flat(ret),
                      values=flat(traj.value),
                      teacher=None if traj.teacher is None else jax.tree.map(flat, traj.teacher),
                      teacher_weight=None if traj.teacher is None or taught == num_envs else
                      flat(jnp.broadcast_to(jnp.arange(num_envs) < taught, (horizon, num_envs))
                           .astype(jnp.float32)))
        key, k_upd = jax.random.split(key)
        with jax.named_scope("ppo_update"):
            ts, m = ppo_update(k_upd, ts, batch, p, num_updates, minibatch_sharding, numbers=hp)
        runner = Runner(ts, env_state, obs, log, key, runner.env_steps + steps_per_update, hp,
                        runner.env_numbers)
        m.update(
            reward=traj.reward.mean(), lambda2_reduction=traj.reduction.mean(),
            band_match=traj.band_match.mean(),
            episode_return=log.last_return.mean(),
            episode_mean_reduction=log.last_mean_reduction.mean(),
            episode_final_reduction=log.last_final_reduction.mean(),
            episodes=log.episodes.sum(), env_steps=runner.env_steps)
        return runner, m

    def run_updates(runner: Runner, n: int, axis_name=None):
        return jax.lax.scan(partial(update, axis_name=axis_name), runner, None, length=n)

    def train(key, axis_name=None):
        return run_updates(init(key), num_updates, axis_name)

    def over_seeds(fn):  # vmap over a leading seed axis, named so env resets stay branches
        return jax.vmap(partial(fn, axis_name=SEED_AXIS), axis_name=SEED_AXIS)

    def jit(fn, seeds=False, runner_in=False, metrics_out=True, **kw):
        if mesh is None:
            return jax.jit(fn, **kw)
        rs, rep = runner_shardings(mesh, seeds), replicated(mesh)  # pin the runner layout
        if runner_in:
            kw["in_shardings"] = (rs,)
        return jax.jit(fn, out_shardings=(rs, rep) if metrics_out else rs, **kw)

    chunk_fn = partial(run_updates, n=chunk)
    return Trainer(
        config, num_updates, steps_per_update, chunk,
        init=jit(init, metrics_out=False),
        update=jit(update, runner_in=True),
        train_chunk=jit(chunk_fn, runner_in=True, donate_argnums=0),
        train=jit(train),
        init_seeds=jit(jax.vmap(init), seeds=True, metrics_out=False),  # (keys [S], hparams [S] | None, env_numbers [S] | None)
        train_chunk_seeds=jit(over_seeds(chunk_fn), seeds=True, runner_in=True, donate_argnums=0),
        train_seeds=jit(over_seeds(train), seeds=True))


def compile_programs(trainer: Trainer, key: jax.Array, seeds: int = 1, seed_axis: bool | None = None):
    """Compile the init and chunk programs at once: `(init, chunk)` executables.

    XLA releases the GIL while it compiles, so the chunk program (the long pole) starts
    compiling as soon as it is lowered, and the init program is lowered and compiled beside
    it: a cold start costs the larger compile instead of the sum. `init(key)` (or
    `init(keys [S])` with `seeds > 1`) returns a runner; `chunk(runner)` runs
    `updates_per_chunk` updates, exactly as `trainer.init` / `trainer.train_chunk` (or their
    `_seeds` forms) would. `seed_axis=True` keeps the seed axis also for one seed.
    """
    batched = seeds > 1 if seed_axis is None else seed_axis
    init_fn = trainer.init_seeds if batched else trainer.init
    chunk_fn = trainer.train_chunk_seeds if batched else trainer.train_chunk
    arg = jax.random.split(key, seeds) if batched else key
    with ThreadPoolExecutor(2) as pool:
        chunk = pool.submit(chunk_fn.lower(jax.eval_shape(init_fn, arg)).compile)
        init = pool.submit(init_fn.lower(arg).compile)
        return init.result(), chunk.result()
