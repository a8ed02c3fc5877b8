"""Data-parallel training over 1..D local devices (`make_train(config, mesh=env_mesh(d))`):
compile time and env-steps/s of the same training chunk, side by side in one run, next to the
env alone (random actions, `step_batch` on the same sharded env batch) to show which part scales.

    python benchmarks/multi_device.py --preset large --num-envs 1024
    python benchmarks/multi_device.py --preset large --set ppo.update_epochs=1 ppo.num_minibatches=1
    XLA_FLAGS=--xla_force_host_platform_device_count=2 python benchmarks/multi_device.py --quick
"""

from __future__ import annotations

import argparse
import time

from functools import partial

import jax

from _timing import compile_and_time, header
from env_throughput import random_rollout
from jaxjam.config import override, preset
from jaxjam.env import step_batch
from jaxjam.sharding import env_mesh, on_each_device
from jaxjam.train import make_train


def chunk_rate(cfg, devices: int):
    """(compile s, env-steps/s of one chunk after compilation, env alone under plain jit, env
    alone on each device's envs) on `devices` devices."""
    mesh = env_mesh(devices) if devices > 1 else None
    tr = make_train(cfg, mesh=mesh)
    runner = tr.init(jax.random.PRNGKey(0))
    t0 = time.perf_counter()
    compiled = tr.train_chunk.lower(runner).compile()
    compile_s = time.perf_counter() - t0
    runner, _ = jax.block_until_ready(compiled(runner))  # warm-up chunk
    t0 = time.perf_counter()
    runner, _ = jax.block_until_ready(compiled(runner))
    rate = tr.steps_per_update * tr.updates_per_chunk / (time.perf_counter() - t0)
    steps = cfg.ppo.rollout_steps * tr.updates_per_chunk
    return compile_s, rate, env_rate(cfg, runner.env_state, steps, None), env_rate(
        cfg, runner.env_state, steps, mesh)


def env_rate(cfg, states, steps: int, mesh) -> float:
    """env-steps/s of `steps` random-action `step_batch` steps on `states` (kept in their
    layout), as plain `jit` leaves them (`mesh` None) or on each device's envs (`mesh`)."""
    env_step = on_each_device(partial(step_batch, config=cfg), mesh)
    _, seconds, _ = compile_and_time(random_rollout(cfg, cfg.ppo.num_envs, steps, env_step),
                                     jax.random.PRNGKey(1), states)
    return cfg.ppo.num_envs * steps / seconds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="large")
    ap.add_argument("--num-envs", type=int, default=1024)
    ap.add_argument("--updates", type=int, default=10, help="updates per timed chunk")
    ap.add_argument("--quick", action="store_true", help="tiny CPU shapes")
    ap.add_argument("--set", nargs="*", default=[], metavar="SECTION.FIELD=VALUE",
                    help="config overrides, e.g. ppo.update_epochs=1")
    args = ap.parse_args()
    cfg = override(preset("default" if args.quick else args.preset), {
        "ppo.num_envs": 16 if args.quick else args.num_envs,
        "ppo.rollout_steps": 8 if args.quick else 16,
        "ppo.total_steps": 10**9, "run.updates_per_chunk": 2 if args.quick else args.updates,
        **dict(item.split("=", 1) for item in args.set)})
    counts = sorted({1, *[d for d in (2, 4, 8) if d <= jax.device_count()]})
    print(header(f"Data-parallel training chunk, {cfg.env.num_jammers} jammers × "
                 f"{cfg.env.num_enemies} enemies, {cfg.ppo.num_envs} envs, obs {cfg.env.obs}, "
                 f"{cfg.ppo.update_epochs} epochs × {cfg.ppo.num_minibatches} minibatches"
                 + (f", set {' '.join(args.set)}" if args.set else "")))
    print("| devices | compile s | training env-steps/s | speed-up vs 1 | env alone, plain jit "
          "| speed-up vs 1 | env alone, on_each_device | speed-up vs 1 |")
    print("|---|---|---|---|---|---|---|---|")
    base = None
    for d in counts:
        c, *rates = chunk_rate(cfg, d)
        base = base or rates
        print(f"| {d} | {c:.1f} | " + " | ".join(f"{r:,.0f} | {r / b:.2f}×" for r, b in zip(rates, base))
              + " |", flush=True)


if __name__ == "__main__":
    main()
