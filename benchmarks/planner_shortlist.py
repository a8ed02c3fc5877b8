"""The planner's shortlist: what it costs per labelled env-step and what it leaves of λ₂.

Per target the planner computes the Fiedler vector once and checks `shortlist` live links (the
top by Fiedler sensitivity) by the λ₂ each leaves: ~(shortlist + 1) eigensolves per target, M
targets per env-step. The teacher of `ppo.imitation_coef > 0` runs it on `ppo.teacher_envs`
envs each step (`ppo.teacher_shortlist`). This times one batched planner step over `--envs`
reset states and evaluates each shortlist as a policy on the same episodes (Δ: the paired
per-episode difference from the first row, with its 95 % CI); ratios against the first row,
all in this one process.

    python benchmarks/planner_shortlist.py --preset default --shortlists 8 4 2 1 --episodes 64
    python benchmarks/planner_shortlist.py --preset large --shortlists 8 4 2 1 --episodes 8 --envs 16
"""

from __future__ import annotations

import argparse
from functools import partial

import jax
import numpy as np

from _timing import compile_and_time, header
from jaxjam.config import preset
from jaxjam.env import reset
from jaxjam.evaluate import ci95, rollout_metrics
from jaxjam.policies import planner_policy


def step_cost(cfg, shortlist: int, envs: int):
    """(compile s, best s) of the planner's actions for `envs` reset states, batched."""
    keys = jax.random.split(jax.random.PRNGKey(0), envs)
    obs, state = jax.jit(jax.vmap(partial(reset, config=cfg)))(keys)
    act = jax.vmap(planner_policy(cfg, shortlist))
    c, t, _ = compile_and_time(act, keys, obs, state)
    return c, t


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="default")
    ap.add_argument("--shortlists", type=int, nargs="+", default=[8, 4, 2, 1])
    ap.add_argument("--envs", type=int, default=64, help="envs in the timed planner step")
    ap.add_argument("--episodes", type=int, default=64, help="evaluation episodes per shortlist")
    args = ap.parse_args(argv)
    if any(k < 0 for k in args.shortlists) or args.envs < 1 or args.episodes < 2:
        raise ValueError("--shortlists must be ≥ 0 (0 = every link), --envs ≥ 1, --episodes ≥ 2")
    cfg = preset(args.preset)
    e = cfg.env
    print(header(f"Planner shortlist ({args.preset}: M={e.num_jammers}, N={e.num_enemies}; "
                 f"{args.envs} envs timed, {args.episodes} episodes evaluated)"))
    print("| shortlist | µs per env-step | × first | mean λ₂ reduction % | Δ vs first (paired) | final-step % |")
    print("|---|---|---|---|---|---|")
    rows, key, first = [], jax.random.PRNGKey(10_000), None
    for k in args.shortlists:
        _, t = step_cost(cfg, k, args.envs)
        m = jax.device_get(rollout_metrics(cfg, planner_policy(cfg, k), key, args.episodes))
        per_episode = np.asarray(m["mean_reduction"], np.float64)  # [episodes]: each its step average
        first = per_episode if first is None else first
        rows.append({"shortlist": k, "s_per_env_step": t / args.envs, "mean": ci95(per_episode),
                     "delta": ci95(per_episode - first), "final": ci95(m["final_reduction"])})
        r = rows[-1]
        print(f"| {k if k else 'every link'} | {1e6 * r['s_per_env_step']:,.0f} | "
              f"{r['s_per_env_step'] / rows[0]['s_per_env_step']:.2f} | "
              f"{100 * r['mean'][0]:.1f} ± {100 * r['mean'][1]:.1f} | "
              f"{100 * r['delta'][0]:+.1f} ± {100 * r['delta'][1]:.1f} | "
              f"{100 * r['final'][0]:.1f} ± {100 * r['final'][1]:.1f} |", flush=True)
    return rows


if __name__ == "__main__":
    main()
