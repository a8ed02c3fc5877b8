"""Training wall time, compilation included: the whole run as ONE training chunk.

Cases (issue targets on the H100):
* default M=4 N=10, 200K env steps, one seed            (≤ 15 s)
* default, 16 seeds via vmap vs one seed                  (≤ 3× one seed)
* large M=40 N=100, 2M env steps                          (≤ 120 s)

    python benchmarks/train_throughput.py --quick      # CPU-sized
    python benchmarks/train_throughput.py              # full (GPU)
"""

from __future__ import annotations

import argparse
import os
import time

from jaxjam.xla_flags import apply_default_xla_flags

apply_default_xla_flags()  # as the CLI does; JAXJAM_XLA_DEFAULTS=off measures without

import jax  # noqa: E402

from _timing import header
from jaxjam.config import override, preset
from jaxjam.train import compile_programs, make_train


def timed_run(cfg, seeds: int = 1):
    """(compile_s, run_s, total wall s incl. compile, env steps (all seeds), final λ₂ reduction).

    As `jaxjam train` does it with the whole run as one chunk: the init and training
    programs compile at once (`compile_programs`), then init runs and the chunk runs all updates.
    """
    t0 = time.perf_counter()
    cfg = override(cfg, {"run.updates_per_chunk": 1 << 20})  # one chunk = the whole run
    tr = make_train(cfg)
    key = jax.random.PRNGKey(cfg.run.seed)
    init, chunk = compile_programs(tr, key, seeds)
    t1 = time.perf_counter()
    _, metrics = jax.block_until_ready(chunk(init(jax.random.split(key, seeds) if seeds > 1 else key)))
    t2 = time.perf_counter()
    steps = tr.num_updates * tr.steps_per_update * seeds
    red = float(metrics["episode_mean_reduction"][..., -1].mean())
    return t1 - t0, t2 - t1, t2 - t0, steps, red


def peak_mb() -> str:
    """Peak device memory of this process so far (MB), '-' where the backend does not report it."""
    peak = (jax.devices()[0].memory_stats() or {}).get("peak_bytes_in_use")
    return "-" if peak is None else f"{peak / 2**20:,.0f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="CPU-sized budgets")
    ap.add_argument("--cases", default="default,seeds,large")
    ap.add_argument("--set", nargs="*", default=[], metavar="SECTION.FIELD=VALUE",
                    help="config overrides applied to every case, e.g. physics.eigensolver=eigh")
    ap.add_argument("--cache-dir", default=None,
                    help="persistent XLA compilation cache; run twice to time a warm cache")
    args = ap.parse_args()
    if args.cache_dir:
        jax.config.update("jax_compilation_cache_dir", args.cache_dir)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    if args.quick:
        d = override(preset("default"), {"ppo.num_envs": 64, "ppo.rollout_steps": 64,
                                         "ppo.total_steps": 64 * 64 * 10})
        lg = override(preset("large"), {"ppo.num_envs": 16, "ppo.rollout_steps": 16,
                                        "ppo.total_steps": 16 * 16 * 4})
        seeds = 4
    else:
        d = override(preset("default"), {"ppo.total_steps": 200_000, "ppo.num_envs": 1024,
                                         "ppo.rollout_steps": 64, "ppo.num_minibatches": 8})
        lg = preset("large")
        seeds = 16
    sets = dict(item.split("=", 1) for item in args.set)
    d, lg = override(d, sets), override(lg, sets)
    flags = os.environ.get("XLA_FLAGS", "") or "none"
    print(f"XLA_FLAGS: {flags}")
    cache = f"persistent cache {args.cache_dir}" if args.cache_dir else "no persistent cache"
    print(header(f"Training wall time (compilation included, one compiled program; {cache})"))
    print("| case | M | N | env steps | compile s | run s | total wall s | env steps/s (run) | final episode λ₂ red. % | peak GPU MB (so far) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for case in args.cases.split(","):
        cfg, s = {"default": (d, 1), "seeds": (d, seeds), "large": (lg, 1)}[case]
        c, r, w, steps, red = timed_run(cfg, s)
        rows.append((case, w))
        label = f"{case} ({s} seeds, vmap)" if s > 1 else case
        print(f"| {label} | {cfg.env.num_jammers} | {cfg.env.num_enemies} | {steps:,} | {c:.1f} | "
              f"{r:.1f} | {w:.1f} | {steps / r:,.0f} | {100 * red:.1f} | {peak_mb()} |", flush=True)
    walls = dict(rows)
    if "default" in walls and "seeds" in walls:
        print(f"\n{seeds} seeds / 1 seed wall-time ratio: {walls['seeds'] / walls['default']:.2f}")


if __name__ == "__main__":
    main()
