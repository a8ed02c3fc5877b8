"""Where compilation time goes: lower (trace → StableHLO) and XLA compile seconds for each
piece of the fused training program, compiled on its own, at the training shapes.

    python benchmarks/compile_time.py                      # default preset, 1,024 envs
    python benchmarks/compile_time.py --preset large --num-envs 256
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import jax
import jax.numpy as jnp

from _timing import header
from jaxjam.config import override, preset
from jaxjam.env import random_actions, reset, step_batch
from jaxjam.env.swarm import init_swarm
from jaxjam.env.targets import fit_clusters
from jaxjam.physics import lambda2
from jaxjam.train import make_train


def timed_compile(fn, *args):
    """(lower s, compile s, StableHLO lines) of `jax.jit(fn)(*args)`."""
    t0 = time.perf_counter()
    lowered = jax.jit(fn).lower(*args)
    t1 = time.perf_counter()
    lowered.compile()
    return t1 - t0, time.perf_counter() - t1, lowered.as_text().count("\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="default")
    ap.add_argument("--num-envs", type=int, default=1024)
    args = ap.parse_args()
    cfg = override(preset(args.preset), {"ppo.num_envs": args.num_envs, "ppo.rollout_steps": 64,
                                         "ppo.num_minibatches": 8, "ppo.total_steps": 200_000})
    e, b = cfg.env, args.num_envs
    keys = jax.random.split(jax.random.PRNGKey(0), b)
    _, states = jax.jit(jax.vmap(partial(reset, config=cfg)))(keys)
    actions = jax.vmap(partial(random_actions, config=cfg))(keys)
    tr = make_train(cfg)
    runner = tr.init(jax.random.PRNGKey(0))
    pieces = {
        "lambda2 (auto solver)": (partial(lambda2, solver=cfg.physics.eigensolver),
                                  jnp.zeros((b, e.num_enemies, e.num_enemies), bool)),
        "init_swarm × reset_attempts": (jax.vmap(lambda k: jax.vmap(init_swarm, (0, None))(
            jax.random.split(k, e.reset_attempts), e)), keys),
        "DBSCAN + centroids (fit_clusters)": (jax.vmap(lambda p: fit_clusters(p, e)),
                                              states.enemy_pos),
        "reset (vmap)": (jax.vmap(partial(reset, config=cfg)), keys),
        "step_batch (incl. reset branch)": (partial(step_batch, config=cfg), keys, states, actions),
        "init (network + reset)": (tr.init, jax.random.PRNGKey(0)),
        "update (rollout + GAE + PPO)": (tr.update, runner),
        "train (whole run)": (tr.train, jax.random.PRNGKey(0)),
    }
    print(header(f"Compilation time by piece ({args.preset}, {b} envs)"))
    print("| piece | lower s | compile s | StableHLO lines |")
    print("|---|---|---|---|")
    for name, (fn, *fargs) in pieces.items():
        lo, co, lines = timed_compile(fn, *fargs)
        print(f"| {name} | {lo:.2f} | {co:.2f} | {lines:,} |", flush=True)


if __name__ == "__main__":
    main()
