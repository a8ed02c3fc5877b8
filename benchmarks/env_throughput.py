"""Environment throughput: env-steps/s (one step = all M jammers act) vs batch size.

Random actions, `lax.scan` over steps, compile time reported separately. For each
batch also: the λ₂-only rate (the jammed eigensolve alone at the same shapes),
and `vmap(step)` (auto-reset via lax.cond → both branches under vmap) against
`step_batch` (batch-level reset branch). Finally the eigensolver curve over N.

    python benchmarks/env_throughput.py                 # CPU-sized
    python benchmarks/env_throughput.py --gpu           # H100-sized batches
"""

from __future__ import annotations

import argparse
from functools import partial

import jax
import jax.numpy as jnp

from _timing import compile_and_time, header
from jaxjam.config import override, preset
from jaxjam.env import random_actions, reset, step, step_batch
from jaxjam.physics import lambda2


def random_rollout(cfg, batch: int, steps: int, env_step):
    """run(key, states) -> (summed mean reward, summed mean observation) of `steps` random-action
    steps of `env_step(keys, states, actions)` (a batched env step) in a `lax.scan`.

    The observations are part of the output so that XLA cannot drop them as dead code: until
    Session 17 only the reward was, and the "env alone" rows timed the env without its
    observation (docs/benchmarks.md, Session 17)."""
    def run(key, states):
        def body(carry, _):
            key, states = carry
            key, ka, ks = jax.random.split(key, 3)
            acts = jax.vmap(partial(random_actions, config=cfg))(jax.random.split(ka, batch))
            out = env_step(jax.random.split(ks, batch), states, acts)
            return (key, out[1]), (out[2].mean(), out[0].mean())
        (_, states), (r, o) = jax.lax.scan(body, (key, states), None, length=steps)
        return r.sum(), o.sum()
    return run


def env_rate(cfg, batch: int, steps: int, batched_reset: bool):
    keys = jax.random.split(jax.random.PRNGKey(0), batch)
    _, states = jax.jit(jax.vmap(partial(reset, config=cfg)))(keys)
    env_step = partial(step_batch, config=cfg) if batched_reset else jax.vmap(partial(step, config=cfg))
    c, t, _ = compile_and_time(random_rollout(cfg, batch, steps, env_step), jax.random.PRNGKey(1), states)
    return c, batch * steps / t


def lambda2_rate(n: int, batch: int, steps: int, solver: str = "auto"):
    adj0 = jax.random.uniform(jax.random.PRNGKey(2), (batch, n, n)) < 0.5
    adj0 = adj0 & jnp.swapaxes(adj0, 1, 2) & ~jnp.eye(n, dtype=bool)

    def run(adj):
        def body(a, i):
            a = a ^ (jnp.eye(n, k=1, dtype=bool) & (i % 2 == 0))  # defeat CSE across steps
            a = a | jnp.swapaxes(a, 1, 2)
            return a, lambda2(a, solver=solver).mean()
        return jax.lax.scan(body, adj, jnp.arange(steps))[1].sum()

    c, t, _ = compile_and_time(run, adj0)
    return batch * steps / t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gpu", action="store_true", help="GPU-sized batches and steps")
    ap.add_argument("--presets", default="default,large")
    ap.add_argument("--solvers", default="auto", help="physics.eigensolver values to compare, e.g. eigh,kernel")
    ap.add_argument("--batches", default=None, help="comma-separated batch sizes (default: per preset)")
    ap.add_argument("--no-curve", action="store_true", help="skip the λ₂-vs-N curve")
    args = ap.parse_args()
    if args.gpu:
        plan = {"default": ([1024, 8192, 32768, 131072], 200), "large": ([64, 256, 1024, 4096], 50)}
        eig_batch, eig_ns = 8192, (10, 32, 33, 40, 64, 100)
    else:
        plan = {"default": ([1, 64, 512, 2048], 50), "large": ([1, 16, 64], 10)}
        eig_batch, eig_ns = 256, (10, 32, 33, 40, 100)
    print(header("Environment throughput (random actions)"))
    solvers = args.solvers.split(",")
    print("| preset | M | N | eigensolver | batch | steps | compile s | env-steps/s (step_batch) "
          "| env-steps/s (vmap step) | λ₂-only solves/s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in args.presets.split(","):
        batches, steps = plan[name]
        if args.batches:
            batches = [int(b) for b in args.batches.split(",")]
        for solver in solvers:
            cfg = override(preset(name), {"physics.eigensolver": solver})
            for b in batches:
                c, rate = env_rate(cfg, b, steps, batched_reset=True)
                _, rate_v = env_rate(cfg, b, steps, batched_reset=False)
                l2 = lambda2_rate(cfg.env.num_enemies, b, steps, solver)
                print(f"| {name} | {cfg.env.num_jammers} | {cfg.env.num_enemies} | {solver} | {b} | {steps} "
                      f"| {c:.1f} | {rate:,.0f} | {rate_v:,.0f} | {l2:,.0f} |", flush=True)
    if args.no_curve:
        return
    print(f"\n### λ₂ eigensolve vs N (batch {eig_batch})\n")
    print("| N | " + " | ".join(f"{s} solves/s" for s in solvers) + " |")
    print("|---|" + "---|" * len(solvers))
    for n in eig_ns:
        rates = [lambda2_rate(n, eig_batch, 20, s) for s in solvers]
        print(f"| {n} | " + " | ".join(f"{r:,.0f}" for r in rates) + " |", flush=True)


if __name__ == "__main__":
    main()
