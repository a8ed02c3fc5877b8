"""Where a training update's time goes: one variant per process, so each peak memory is its own.

Each variant is a preset plus overrides, timed as `jaxjam train` runs it (a compiled chunk of
`--updates` updates over `--seeds` vmapped seeds; the first chunk warms up, the second is
timed). `env:` variants time the environment alone (random actions, the same batch and steps).
Differences between rows split the cost: the teacher (imitation on vs off), the PPO epochs
(`ppo.update_epochs=4` vs `1`: three epochs' worth), the rollout (what remains).

    python benchmarks/train_profile.py --preset large --seeds 1 \
        --variant "mlp:" --variant "att:env.obs=entity,ppo.network=attention,ppo.hidden=64" \
        --variant "env-entity:env:env.obs=entity"
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.abspath(__file__))


def parse_variant(text: str):
    """'name:[env:]a.b=1,c.d=x' -> (name, env_only, {a.b: '1', c.d: 'x'})."""
    name, _, rest = text.partition(":")
    env_only = rest.startswith("env:")
    rest = rest[4:] if env_only else rest
    sets = dict(kv.split("=", 1) for kv in rest.split(",") if kv)
    return name, env_only, sets


def peak_mb():
    import jax
    stats = jax.devices()[0].memory_stats() or {}
    peak = stats.get("peak_bytes_in_use")
    return None if peak is None else peak / 2**20


def run_one(args, text):
    """Time one variant in this process; print one JSON line."""
    from jaxjam.xla_flags import apply_default_xla_flags
    apply_default_xla_flags()
    import jax

    from jaxjam.config import override, preset
    name, env_only, sets = parse_variant(text)
    base = dict(item.split("=", 1) for item in args.base)
    cfg = override(preset(args.preset), {**base, **sets, "run.updates_per_chunk": args.updates})
    p = cfg.ppo
    steps = args.updates * p.num_envs * p.rollout_steps * args.seeds
    t0 = time.perf_counter()
    if env_only:
        from functools import partial

        from env_throughput import random_rollout
        from jaxjam.env import reset, step_batch
        batch = p.num_envs * args.seeds
        _, states = jax.jit(jax.vmap(partial(reset, config=cfg)))(jax.random.split(jax.random.PRNGKey(0), batch))
        fn = jax.jit(random_rollout(cfg, batch, args.updates * p.rollout_steps, partial(step_batch, config=cfg)))
        compiled = fn.lower(jax.random.PRNGKey(1), states).compile()
        compile_s = time.perf_counter() - t0
        jax.block_until_ready(compiled(jax.random.PRNGKey(1), states))
        t1 = time.perf_counter()
        jax.block_until_ready(compiled(jax.random.PRNGKey(2), states))
        run_s = time.perf_counter() - t1
    else:
        from jaxjam.train import compile_programs, make_train
        tr = make_train(cfg)
        init, chunk = compile_programs(tr, jax.random.PRNGKey(0), args.seeds, seed_axis=args.seeds > 1)
        compile_s = time.perf_counter() - t0
        key = jax.random.PRNGKey(0)
        runner = init(jax.random.split(key, args.seeds) if args.seeds > 1 else key)
        runner, _ = jax.block_until_ready(chunk(runner))
        t1 = time.perf_counter()
        jax.block_until_ready(chunk(runner))
        run_s = time.perf_counter() - t1
    print(json.dumps(dict(name=name, env_only=env_only, M=cfg.env.num_jammers, N=cfg.env.num_enemies,
                          steps=steps, compile_s=compile_s, run_s=run_s, peak_mb=peak_mb())), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="default")
    ap.add_argument("--seeds", type=int, default=1, help="vmapped seeds (the batch is num_envs × seeds)")
    ap.add_argument("--updates", type=int, default=4, help="updates per timed chunk")
    ap.add_argument("--base", nargs="*", default=[], metavar="SECTION.FIELD=VALUE", help="every variant")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME:[env:]K=V,K=V")
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)  # child process: one variant
    args = ap.parse_args()
    if args.one is not None:
        return run_one(args, args.one)
    from _timing import header
    print(header(f"Training profile: preset {args.preset}, {args.seeds} seed(s), {args.updates} "
                 f"updates per chunk, base {' '.join(args.base) or '-'}"))
    print("| variant | what | M | N | env steps | compile s | run s | env steps/s | peak GPU MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    argv = [sys.executable, os.path.abspath(__file__), "--preset", args.preset, "--seeds", str(args.seeds),
            "--updates", str(args.updates), "--base", *args.base]
    for text in args.variant or ["default:"]:
        out = subprocess.run(argv + ["--one", text], capture_output=True, text=True, cwd=ROOT)
        lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
        if out.returncode or not lines:
            print(f"| {text} | failed (rc {out.returncode}): {out.stderr.strip().splitlines()[-1:]} |", flush=True)
            continue
        r = json.loads(lines[-1])
        peak = "-" if r["peak_mb"] is None else f"{r['peak_mb']:,.0f}"
        what = "env only (random actions)" if r["env_only"] else "train update"
        print(f"| {r['name']} | {what} | {r['M']} | {r['N']} | {r['steps']:,} | {r['compile_s']:.1f} | "
              f"{r['run_s']:.2f} | {r['steps'] / r['run_s']:,.0f} | {peak} |", flush=True)


if __name__ == "__main__":
    main()
