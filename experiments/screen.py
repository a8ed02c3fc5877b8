"""Screen training settings: each variant trains S seeds in one program; the deterministic
policy of every seed is evaluated on the same episodes as the baselines (printed once).
With `--zero-shot large` each variant's policy is also evaluated, unchanged, at that preset's
scale (M, N, arena, DBSCAN) on the same episodes as that scale's baselines.

    python experiments/screen.py --preset default --seeds 8 --total-steps 163840 \\
        --base env.obs=local_graph ppo.num_envs=64 ppo.rollout_steps=64 \\
        --variant plain: --variant teacher:ppo.imitation_coef=1.0

Training runs chunk by chunk (`--chunks` per variant) and prints its progress; with
`--time-limit S` a variant stops after the chunk that passes S seconds of training and is
evaluated there (the row then says how many env steps it trained).
"""

from __future__ import annotations

import argparse
import time

import jax

from jaxjam.config import PRESETS, override, preset
from jaxjam.evaluate import compare_policies, compare_seeds
from jaxjam.policies import baselines
from jaxjam.run import best_scripted
from jaxjam.train import compile_programs, make_train
from jaxjam.transfer import at_scale, scale_updates
from jaxjam.xla_flags import apply_default_xla_flags


def _pairs(items):
    return dict(item.split("=", 1) for item in items if item)


def _pct(m):
    return f"{100 * m[0]:.1f} ± {100 * m[1]:.1f}"


def print_baselines(cfg, key, episodes: int, which: str, label: str):
    """Evaluate and print the baselines (`which`: all | basic | none) on these episodes."""
    if which == "none":
        return
    res = compare_policies(cfg, baselines(cfg, planner=which == "all"), key, episodes)
    best = f"; best scripted: {best_scripted(res)}" if which == "all" else ""
    print(f"baselines{label} ({episodes} episodes): " + ", ".join(
        f"{k} {_pct(v['mean_reduction'])}" for k, v in res.items()) + best, flush=True)


def train_variant(cfg, seeds: int, chunks: int, time_limit: float, tag: str):
    """Train `seeds` seeds of `cfg` in one program, `chunks` chunks; (train state, env steps per
    seed, wall s incl. compile). Stops early after the chunk that passes `time_limit` s."""
    t0 = time.perf_counter()
    steps_per_update = cfg.ppo.num_envs * cfg.ppo.rollout_steps
    updates = -(-cfg.ppo.total_steps // steps_per_update)
    cfg = override(cfg, {"run.updates_per_chunk": max(1, -(-updates // max(1, chunks)))})
    trainer = make_train(cfg)
    key = jax.random.PRNGKey(cfg.run.seed)
    init, chunk = compile_programs(trainer, key, seeds, seed_axis=True)
    runner = init(jax.random.split(key, seeds))
    print(f"  [{tag}] compiled in {time.perf_counter() - t0:.0f} s", flush=True)
    for _ in range(trainer.num_updates // trainer.updates_per_chunk):
        runner, metrics = chunk(runner)
        steps = int(jax.device_get(runner.env_steps)[0])
        red = float(jax.device_get(metrics["episode_mean_reduction"])[:, -1].mean())
        wall = time.perf_counter() - t0
        print(f"  [{tag}] {steps:,} steps/seed, episode λ₂ reduction {100 * red:.1f} %, "
              f"{wall:.0f} s", flush=True)
        if time_limit and wall > time_limit:
            print(f"  [{tag}] stopped by --time-limit {time_limit:.0f} s", flush=True)
            break
    return runner.train_state, steps, time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="default", choices=PRESETS)
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--total-steps", type=int, default=163840)
    ap.add_argument("--episodes", type=int, default=64)
    ap.add_argument("--base", nargs="*", default=[], metavar="SECTION.FIELD=VALUE")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME:F=V,F=V")
    ap.add_argument("--baselines", choices=("all", "basic", "none"), default="all",
                    help="baselines printed at the training scale (basic: random, heuristic)")
    ap.add_argument("--zero-shot", action="append", default=[], choices=PRESETS, metavar="PRESET",
                    help="also evaluate every trained policy at this preset's scale (repeatable)")
    ap.add_argument("--zero-shot-episodes", type=int, default=32)
    ap.add_argument("--zero-shot-baselines", choices=("all", "basic", "none"), default="all")
    ap.add_argument("--chunks", type=int, default=8, help="progress lines per variant")
    ap.add_argument("--time-limit", type=float, default=0.0,
                    help="seconds of training per variant (0 = no limit)")
    args = ap.parse_args(argv)
    apply_default_xla_flags()
    base = override(preset(args.preset), {"ppo.total_steps": args.total_steps, **_pairs(args.base)})
    key = jax.random.PRNGKey(10_000 + base.run.seed)
    print_baselines(base, key, args.episodes, args.baselines, "")
    scales = {}
    for name in args.zero_shot:
        scfg = at_scale(base, scale_updates(preset_name=name))
        scales[name] = jax.random.PRNGKey(10_000 + scfg.run.seed)
        print_baselines(scfg, scales[name], args.zero_shot_episodes, args.zero_shot_baselines,
                        f" at {name}")
    rows = [f"| variant | trained (mode) % | trained (sampled) % |"
            + "".join(f" zero-shot {n} (mode) % |" for n in scales) + " steps/seed | train s |",
            "|---|---|---|" + "---|" * len(scales) + "---|---|"]
    for spec in args.variant:
        name, _, sets = spec.partition(":")
        cfg = override(base, _pairs(sets.split(",")))
        ts, steps, wall = train_variant(cfg, args.seeds, args.chunks, args.time_limit, name)
        mode, _ = compare_seeds(cfg, ts.actor, ts.actor_params, key, args.episodes)
        samp, _ = compare_seeds(cfg, ts.actor, ts.actor_params, key, args.episodes, deterministic=False)
        zs = ""
        for sname, skey in scales.items():
            scfg = at_scale(cfg, scale_updates(preset_name=sname))
            zmode, _ = compare_seeds(scfg, ts.actor, ts.actor_params, skey, args.zero_shot_episodes)
            zs += f" {_pct(zmode['mean_reduction'])} |"
        rows.append(f"| {name} {sets} | {_pct(mode['mean_reduction'])} | "
                    f"{_pct(samp['mean_reduction'])} |{zs} {steps:,} | {wall:.0f} |")
        print(rows[-1], flush=True)
    print("\n".join(rows), flush=True)


if __name__ == "__main__":
    main()
