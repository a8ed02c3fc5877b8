"""The jamming environment for ONE episode: `reset` and `step` (gymnax style).

    obs, state = reset(key, config)
    obs, state, reward, done, info = step(key, state, action, config)
    obs, state = reset(key, static_env(config), numbers)   # numbers traced (EnvNumbers)

`config` is a static, hashable `jaxjam.config.Config`; both functions are jitted
with it as a static argument. `numbers` (optional, `jaxjam.config.traced.EnvNumbers`, one
member) are the traced env/physics numbers: given, they replace the config's traced fields, so
the program is compiled for `config`'s static part only (pass `static_env(config)` to share it
between configs). Batches come from `jax.vmap` over keys/states
(bind the config and numbers with `functools.partial`). `step` auto-resets a finished
episode; `step_batch` is the batched form whose reset runs only on steps where
some episode ended (see docs/model.md, "auto-reset").
"""

from __future__ import annotations

from functools import partial

import chex
import jax
import jax.numpy as jnp

from jaxjam.config import Config
from jaxjam.config.traced import EnvNumbers, with_numbers
from jaxjam.env.numerics import scale
from jaxjam.env.observations import OBSERVATIONS, obs_dim, observe
from jaxjam.env.reward import (
    agent_rewards,
    fiedler_credit,
    lambda2_reduction,
    own_overlap_fraction,
    reward_terms,
    total_reward,
)
from jaxjam.env.rules import model_rules
from jaxjam.env.state import Action, EnvState, StepInfo
from jaxjam.env.swarm import init_swarm, move_swarm
from jaxjam.env.targets import assign, centroid_slots, fit_clusters, needs_reassignment, target_centroids
from jaxjam.physics.graph import (
    band_ranges_m,
    comm_graph,
    jamming_masks,
    lambda2,
    lambda2_and_fiedler,
    link_adjacency,
    num_components,
)



def _jam_range(config: Config, enemy_band):
    return jnp.asarray(band_ranges_m(config.physics)[1], jnp.float32)[enemy_band]


def _baseline(config: Config, adjacency, lambda2_reset):
    """Unjammed λ₂ the jammed value is compared with, and the Fiedler vector if the obs or the
    per-jammer credit needs it."""
    solver = config.physics.eigensolver
    if model_rules(config.env).baseline_is_reset:  # its observations never use the graph (validated)
        return lambda2_reset, None
    if OBSERVATIONS[config.env.obs].needs_graph or config.env.credit_weight > 0:
        return lambda2_and_fiedler(adjacency, solver=solver)
    return lambda2(adjacency, solver=solver), None


@partial(jax.jit, static_argnames=("config",))
def reset(key, config: Config, numbers: EnvNumbers | None = None):
    """New episode: `(obs [M, D] float32, EnvState)`.

    Draws `reset_attempts` enemy layouts at once and keeps the first acceptable one
    (reference: λ₂(0) ≥ 0.5; jaxjam: unjammed graph connected), else the last.
    """
    config = with_numbers(config, numbers)
    e, nb = config.env, config.physics.num_bands
    k_cand, k_band, k_jpos, k_jband = jax.random.split(key, 4)
    pos, vel, turn = jax.vmap(init_swarm, (0, None))(jax.random.split(k_cand, e.reset_attempts), e)
    enemy_band = jax.random.randint(k_band, (), 0, nb)
    adj_all = jax.vmap(link_adjacency, (0, None, None))(pos, enemy_band, config.physics)
    l2_all = lambda2(adj_all, solver=config.physics.eigensolver)
    ok = l2_all >= model_rules(e).accept_lambda2
    pick = jnp.where(jnp.any(ok), jnp.argmax(ok), e.reset_attempts - 1)
    pos, vel, turn = pos[pick], vel[pick], turn[pick]

    labels, cent, valid, sizes = fit_clusters(pos, e)
    assignment = assign(sizes, valid, e.num_jammers)
    m, a = e.num_jammers, e.arena_m
    if e.random_jammer_start:
        jpos = jax.random.uniform(k_jpos, (m, 2), minval=scale(a, 0.1), maxval=scale(a, 0.9))
        if model_rules(e).empty_start_map:
            assignment = jnp.full((m,), -1, jnp.int32)  # spec §5: the map starts empty
    else:
        home = target_centroids(jnp.zeros((m, 2)), assignment, cent, valid)
        off = jax.random.uniform(k_jpos, (m, 2), minval=-e.start_offset_m, maxval=e.start_offset_m)
        jpos = jnp.clip(home + off, 0.0, a)
    state = EnvState(
        enemy_pos=pos, enemy_vel=vel, enemy_turn_rate=turn,
        enemy_band=enemy_band.astype(jnp.int32),
        jammer_pos=jpos, jammer_vel=jnp.zeros((m, 2), jnp.float32),
        jammer_band=jax.random.randint(k_jband, (m,), 0, nb).astype(jnp.int32),
        labels=labels, centroids=cent, centroid_valid=valid, cluster_sizes=sizes,
        assignment=assignment.astype(jnp.int32), lambda2_reset=l2_all[pick],
        step=jnp.int32(0),
    )
    obs = _observe_fresh(state, config)
    _check_shapes(config, obs, state)
    return obs, state


def _check_shapes(config: Config, obs, state: EnvState, reward=None, done=None):
    """Trace-time shape checks (chex, no runtime cost) of what reset and step hand out."""
    m, n = config.env.num_jammers, config.env.num_enemies
    chex.assert_shape([obs, state.jammer_pos, state.enemy_pos, state.jammer_band, state.step],
                      [(m, obs_dim(config)), (m, 2), (n, 2), (m,), ()])
    if reward is not None:
        chex.assert_shape([reward, done], ())


def _observe_fresh(state: EnvState, config: Config):
    """Observation of a state, computing the graph only if the observation needs it."""
    jam_r = _jam_range(config, state.enemy_band)
    if not OBSERVATIONS[config.env.obs].needs_graph:
        return observe(state, config, jam_r)
    adj, adj_j = comm_graph(state.enemy_pos, state.jammer_pos, state.jammer_band,
                            state.enemy_band, config.physics)
    _, fied = lambda2_and_fiedler(adj, solver=config.physics.eigensolver)
    if config.env.cut_graph == "jammed":
        fied = cut_fiedler(fied, lambda2_and_fiedler(adj_j, solver=config.physics.eigensolver)[1])
    return observe(state, config, jam_r, adj, adj & ~adj_j, fied)


def cut_fiedler(fiedler_unjammed, fiedler_jammed):
    """The Fiedler vector `[N]` behind the observation's cut features when `env.cut_graph` is
    "jammed": the jammed graph's (where the next cut lies once some links are jammed: the
    planner's sequential view), or the unjammed graph's where the jammed one has none (it is
    disconnected or its λ₂ repeated; `lambda2_and_fiedler` returns zeros there), so jammers
    holding a complete cut still see it."""
    return jnp.where(jnp.any(fiedler_jammed != 0), fiedler_jammed, fiedler_unjammed)


@partial(jax.jit, static_argnames=("config",))
def step_no_reset(key, state: EnvState, action: Action, config: Config,
                  numbers: EnvNumbers | None = None):
    """One step without auto-reset: `(obs, state, reward, done, info)`.

    Order (spec §8): clip velocity to ±v_max per axis, move jammers (clipped to the
    arena), set bands, move enemies, re-cluster every `recluster_every` steps
    (reassigning on drift), graphs and λ₂, reward, time limit, observation.
    """
    config = with_numbers(config, numbers)
    e = config.env
    chex.assert_shape([action.velocity, action.band], [(e.num_jammers, 2), (e.num_jammers,)])
    vel = jnp.clip(action.velocity, -e.v_max_m_s, e.v_max_m_s)
    jpos = jnp.clip(state.jammer_pos + vel * e.dt_s, 0.0, e.arena_m)
    jband = action.band.astype(jnp.int32)
    epos, evel, eturn = move_swarm(key, state.enemy_pos, state.enemy_vel, state.enemy_turn_rate, e)
    t = state.step + 1

    def refit(_):
        labels, cent, valid, sizes = fit_clusters(epos, e)
        moved = needs_reassignment(state.centroids, state.centroid_valid, cent, valid, e)
        assignment = jnp.where(moved, assign(sizes, valid, e.num_jammers), state.assignment)
        return labels, cent, valid, sizes, assignment.astype(jnp.int32)

    def keep(_):
        if model_rules(e).stale_centroids:  # stale centroids between fits (spec §6)
            return (state.labels, state.centroids, state.centroid_valid, state.cluster_sizes,
                    state.assignment)
        cent, valid, sizes = centroid_slots(epos, state.labels, e)  # same members, current positions
        return state.labels, cent, valid, sizes, state.assignment

    labels, cent, valid, sizes, assignment = jax.lax.cond(t % e.recluster_every == 0, refit, keep, None)
    state = state.replace(
        enemy_pos=epos, enemy_vel=evel, enemy_turn_rate=eturn, jammer_pos=jpos, jammer_vel=vel,
        jammer_band=jband, labels=labels, centroids=cent, centroid_valid=valid,
        cluster_sizes=sizes, assignment=assignment, step=t,
    )

    adj = link_adjacency(epos, state.enemy_band, config.physics)
    masks = jamming_masks(epos, jpos, jband, state.enemy_band, config.physics)  # [M, N, N] per jammer
    adj_j = adj & ~jnp.any(masks, axis=0)  # as comm_graph; the masks also give the credit below
    base, fied = _baseline(config, adj, state.lambda2_reset)
    if e.cut_graph == "jammed":  # one solve gives the reward's λ₂ and the observation's vector
        l2, fied_j = lambda2_and_fiedler(adj_j, solver=config.physics.eigensolver)
        fied_obs = cut_fiedler(fied, fied_j)
    else:
        l2, fied_obs = lambda2(adj_j, solver=config.physics.eigensolver), fied
    reduction = lambda2_reduction(l2, base)
    jam_r = _jam_range(config, state.enemy_band)
    targets = target_centroids(jpos, assignment, cent, valid)
    own_overlap = own_overlap_fraction(jpos, jam_r)  # [M]; r5 is its mean
    terms = reward_terms(reduction, jband, state.enemy_band, jpos, targets, vel, own_overlap, e)
    reward = total_reward(terms, e)
    truncated = t >= e.max_steps
    jam_mask = adj & ~adj_j
    obs = observe(state, config, jam_r, adj, jam_mask, fied_obs)
    if e.credit_weight > 0:
        credit = fiedler_credit(adj, masks, fied, base, unique=e.credit_mode == "unique")
    else:
        credit = jnp.zeros((e.num_jammers,), jnp.float32)
    info = StepInfo(
        lambda2=l2, lambda2_unjammed=base, lambda2_reduction=reduction,
        jammed_links=(jnp.sum(jam_mask) // 2).astype(jnp.int32),
        links=(jnp.sum(adj) // 2).astype(jnp.int32),
        num_components=num_components(adj_j), band_match=terms.band_match, reward_terms=terms.vector(),
        terminated=jnp.bool_(False), truncated=truncated, final_obs=obs, credit=credit,
        agent_reward=agent_rewards(reward, terms, credit, own_overlap, e),
    )
    _check_shapes(config, obs, state, reward, truncated)
    return obs, state, reward, truncated, info


@partial(jax.jit, static_argnames=("config",))
def step(key, state: EnvState, action: Action, config: Config, numbers: EnvNumbers | None = None):
    """One step with auto-reset: a finished episode's next state is a fresh reset.

    `info.final_obs` keeps the observation the step reached before the reset.
    Under `vmap` the reset branch is evaluated for every env; use `step_batch`
    for batches.
    """
    k_step, k_reset = jax.random.split(key)
    obs, state, reward, done, info = step_no_reset(k_step, state, action, config, numbers)
    obs, state = jax.lax.cond(done, lambda: reset(k_reset, config, numbers), lambda: (obs, state))
    return obs, state, reward, done, info


@partial(jax.jit, static_argnames=("config", "axis_name"))
def step_batch(keys, states: EnvState, actions: Action, config: Config,
               numbers: EnvNumbers | None = None, axis_name=None):
    """`step` for a batch `[B]` of envs whose resets run only when some env is done.

    Same results as `jax.vmap(step)` with the same keys; the reset branch is a real
    branch here (its predicate is a scalar), so a step where no episode ends pays
    nothing for it. When this function is itself vmapped (e.g. over training seeds),
    pass that vmap's ``axis_name``: the predicate is then reduced over it too and stays
    a scalar, instead of turning the branch into a select that resets every step.
    `numbers` (one member, shared by the batch) as in `step`.
    """
    split = jax.vmap(jax.random.split)(keys)
    k_step, k_reset = split[:, 0], split[:, 1]
    obs, states, reward, done, info = jax.vmap(partial(step_no_reset, config=config, numbers=numbers))(
        k_step, states, actions)

    def do_reset():
        new_obs, new_states = jax.vmap(partial(reset, config=config, numbers=numbers))(k_reset)
        pick = lambda new, old: jnp.where(done.reshape(done.shape + (1,) * (new.ndim - 1)), new, old)
        return jax.tree.map(pick, new_obs, obs), jax.tree.map(pick, new_states, states)

    any_done = jnp.any(done)
    if axis_name is not None:
        any_done = jax.lax.psum(any_done.astype(jnp.int32), axis_name) > 0
    obs, states = jax.lax.cond(any_done, do_reset, lambda: (obs, states))
    return obs, states, reward, done, info


def random_actions(key, config: Config) -> Action:
    """Uniform random action: velocity U(±v_max)² per jammer, band uniform."""
    e = config.env
    kv, kb = jax.random.split(key)
    return Action(
        velocity=jax.random.uniform(kv, (e.num_jammers, 2), minval=-e.v_max_m_s, maxval=e.v_max_m_s),
        band=jax.random.randint(kb, (e.num_jammers,), 0, config.physics.num_bands),
    )
