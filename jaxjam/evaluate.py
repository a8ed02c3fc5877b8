"""Evaluation: trained and baseline policies (`jaxjam.policies`) on the SAME episodes.

Every policy sees the same reset layouts and the same enemy motion (the env's
keys do not depend on the policy), so differences are the policies' own.
Metrics per episode: mean λ₂ reduction over its steps, final-step reduction,
return, band match. `summarise` gives mean and 95% CI.

The env runs with the config's numbers, or with traced ones (`numbers`, a
`jaxjam.config.traced.EnvNumbers`, as training's `Runner.env_numbers`): `compare_seeds` takes one
member per seed, `compare_policies_grid` evaluates baselines at each member of a grid.
"""

from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from jaxjam.config import Config
from jaxjam.config.traced import EnvNumbers, static_env, with_numbers
from jaxjam.env import reset, step_no_reset
from jaxjam.policies import Policy, heuristic_policy, random_policy  # noqa: F401  (re-exported)


def actor_policy(config: Config, actor, params, deterministic: bool = True) -> Policy:
    """The shared actor: mode (μ, argmax band) or a sample; Gaussian units are v_max."""
    v_max = config.env.v_max_m_s

    def act(key, obs, state):
        dist = actor.apply(params, obs)
        a = dist.mode() if deterministic else dist.sample(seed=key)
        return a.replace(velocity=a.velocity * v_max)
    return act


def episode_metrics(config: Config, policy: Policy, key, episodes: int,
                    numbers: EnvNumbers | None = None) -> dict[str, jax.Array]:
    """Run `episodes` full episodes of `max_steps`; per-episode metrics `[episodes]`.

    A `lax.scan` over time of vmapped steps (the same layout as training). Traceable:
    call it inside a jitted function (see `rollout_metrics`, `compare_seeds`). `numbers` (one
    member, traced) replace the config's env/physics numbers (build `policy` with them too).
    """
    e = config.env
    k_reset, k_env, k_pol = (jax.random.split(k, episodes) for k in jax.random.split(key, 3))
    obs, state = jax.vmap(partial(reset, config=config, numbers=numbers))(k_reset)
    fold = jax.vmap(jax.random.fold_in, in_axes=(0, None))

    def body(carry, t):
        obs, state, ret = carry
        action = jax.vmap(policy)(fold(k_pol, t), obs, state)
        obs, state, r, _, info = jax.vmap(partial(step_no_reset, config=config, numbers=numbers))(
            fold(k_env, t), state, action)
        return (obs, state, ret + r), (info.lambda2_reduction, info.band_match)

    (_, _, ret), (red, band) = jax.lax.scan(body, (obs, state, jnp.zeros(episodes)),
                                            jnp.arange(e.max_steps))
    return {"mean_reduction": red.mean(0), "final_reduction": red[-1], "return": ret,
            "band_match": band.mean(0)}


def rollout_metrics(config: Config, policy: Policy, key, episodes: int) -> dict[str, jax.Array]:
    """Jitted `episode_metrics` for one policy."""
    return jax.jit(lambda k: episode_metrics(config, policy, k, episodes))(key)


def ci95(x) -> tuple[float, float]:
    """Mean and 95% half-width (normal approx. for n ≥ 30, Student t below)."""
    x = np.asarray(x, np.float64)
    n = len(x)
    if n < 2:
        return float(x.mean()), float("nan")
    t = 1.96 if n >= 30 else _t975(n - 1)
    return float(x.mean()), float(t * x.std(ddof=1) / math.sqrt(n))


def _t975(dof: int) -> float:
    table = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
             9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131,
             16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 25: 2.060, 29: 2.045}
    return table.get(dof, table[max(k for k in table if k <= dof)])


def compare_policies(config: Config, policies: dict[str, Policy], key, episodes: int) -> dict:
    """{policy: {metric: (mean, ci95)}} on identical episodes."""
    out = {}
    for name, pol in policies.items():
        m = jax.device_get(rollout_metrics(config, pol, key, episodes))
        out[name] = {k: ci95(v) for k, v in m.items()}
    return out


def seed_episode_metrics(config: Config, actor, params_by_seed, key, episodes: int,
                         deterministic: bool = True, numbers: EnvNumbers | None = None) -> dict:
    """{metric: `[S, episodes]`} of each seed's actor (leading axis of `params_by_seed`) on the
    same episodes, in one compiled program (vmap over seeds); `numbers` as in `compare_seeds`."""
    if numbers is None:
        run = jax.jit(jax.vmap(lambda params: episode_metrics(
            config, actor_policy(config, actor, params, deterministic), key, episodes)))
        return jax.device_get(run(params_by_seed))
    static = static_env(config)
    run = jax.jit(jax.vmap(lambda params, nums: episode_metrics(
        static, actor_policy(with_numbers(static, nums), actor, params, deterministic), key,
        episodes, nums)))
    return jax.device_get(run(params_by_seed, numbers))


def compare_seeds(config: Config, actor, params_by_seed, key, episodes: int,
                  deterministic: bool = True, numbers: EnvNumbers | None = None) -> tuple[dict, list[dict]]:
    """Trained actor of each seed (leading axis of `params_by_seed`) on the same episodes.

    One compiled program (vmap over seeds). Returns ({metric: (mean over seeds, 95% CI
    over seeds)}, per-seed {metric: mean over episodes}). `numbers` `[S]`: each seed's env
    numbers (a sweep's `runner.env_numbers`); None: the config's.
    """
    m = seed_episode_metrics(config, actor, params_by_seed, key, episodes, deterministic, numbers)
    per_seed = [{k: float(np.mean(v[s])) for k, v in m.items()}
                for s in range(len(next(iter(m.values()))))]
    agg = {k: ci95([p[k] for p in per_seed]) for k in per_seed[0]}
    return agg, per_seed


def compare_policies_grid(config: Config, make_policies, key, episodes: int,
                          numbers: EnvNumbers) -> list[dict]:
    """`compare_policies` at each member of a grid of env numbers `[G]`, in one program:
    `make_policies(cfg) -> {name: Policy}` is called with each member's config (traced
    numbers: the policies must use jnp arithmetic on them). Returns G {policy: {metric: (mean,
    ci95)}}."""
    static = static_env(config)

    def one(nums):
        table = make_policies(with_numbers(static, nums))
        return {name: episode_metrics(static, pol, key, episodes, nums) for name, pol in table.items()}

    m = jax.device_get(jax.jit(jax.vmap(one))(numbers))  # {policy: {metric: [G, episodes]}}
    size = len(jax.tree.leaves(numbers)[0])
    return [{name: {k: ci95(v[g]) for k, v in res.items()} for name, res in m.items()}
            for g in range(size)]


def format_table(results: dict) -> str:
    """Markdown table of `compare_policies` output (reductions in %)."""
    lines = ["| policy | mean λ₂ reduction % | final-step λ₂ reduction % | return | band match |",
             "|---|---|---|---|---|"]
    for name, m in results.items():
        f = lambda k, s=100.0: f"{m[k][0] * s:.1f} ± {m[k][1] * s:.1f}"
        lines.append(f"| {name} | {f('mean_reduction')} | {f('final_reduction')} | "
                     f"{f('return', 1.0)} | {f('band_match')} |")
    return "\n".join(lines)
