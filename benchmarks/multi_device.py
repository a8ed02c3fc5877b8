"""Data-parallel training over 1..D local devices (`make_train(config, mesh=env_mesh(d))`):
compile time and env-steps/s of the same training chunk, side by side in one run.

    python benchmarks/multi_device.py --preset large --num-envs 1024
    XLA_FLAGS=--xla_force_host_platform_device_count=2 python benchmarks/multi_device.py --quick
"""

from __future__ import annotations

import argparse
import time

import jax

from _timing import header
from jaxjam.config import override, preset
from jaxjam.sharding import env_mesh
from jaxjam.train import make_train


def chunk_rate(cfg, devices: int):
    """(compile s, env-steps/s of one chunk after compilation) on `devices` devices."""
    tr = make_train(cfg, mesh=env_mesh(devices) if devices > 1 else None)
    runner = tr.init(jax.random.PRNGKey(0))
    t0 = time.perf_counter()
    compiled = tr.train_chunk.lower(runner).compile()
    compile_s = time.perf_counter() - t0
    runner, _ = jax.block_until_ready(compiled(runner))  # warm-up chunk
    t0 = time.perf_counter()
    jax.block_until_ready(compiled(runner))
    return compile_s, tr.steps_per_update * tr.updates_per_chunk / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="large")
    ap.add_argument("--num-envs", type=int, default=1024)
    ap.add_argument("--updates", type=int, default=10, help="updates per timed chunk")
    ap.add_argument("--quick", action="store_true", help="tiny CPU shapes")
    args = ap.parse_args()
    cfg = override(preset("default" if args.quick else args.preset), {
        "ppo.num_envs": 16 if args.quick else args.num_envs,
        "ppo.rollout_steps": 8 if args.quick else 16,
        "ppo.total_steps": 10**9, "run.updates_per_chunk": 2 if args.quick else args.updates})
    counts = sorted({1, *[d for d in (2, 4, 8) if d <= jax.device_count()]})
    print(header(f"Data-parallel training chunk, {cfg.env.num_jammers} jammers × "
                 f"{cfg.env.num_enemies} enemies, {cfg.ppo.num_envs} envs"))
    print("| devices | compile s | env-steps/s | speed-up vs 1 |")
    print("|---|---|---|---|")
    base = None
    for d in counts:
        c, rate = chunk_rate(cfg, d)
        base = base or rate
        print(f"| {d} | {c:.1f} | {rate:,.0f} | {rate / base:.2f}× |", flush=True)


if __name__ == "__main__":
    main()
