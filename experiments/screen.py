"""Screen training settings: each variant trains S seeds in one program; the deterministic
policy of every seed is evaluated on the same episodes as the baselines (printed once).

    python experiments/screen.py --preset default --seeds 8 --total-steps 163840 \\
        --base env.obs=local_graph ppo.num_envs=64 ppo.rollout_steps=64 \\
        --variant plain: --variant teacher:ppo.imitation_coef=1.0
"""

from __future__ import annotations

import argparse
import time

import jax

from jaxjam.run import best_scripted
from jaxjam.config import PRESETS, override, preset
from jaxjam.evaluate import compare_policies, compare_seeds
from jaxjam.policies import baselines
from jaxjam.train import make_train
from jaxjam.xla_flags import apply_default_xla_flags


def _pairs(items):
    return dict(item.split("=", 1) for item in items if item)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="default", choices=PRESETS)
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--total-steps", type=int, default=163840)
    ap.add_argument("--episodes", type=int, default=64)
    ap.add_argument("--base", nargs="*", default=[], metavar="SECTION.FIELD=VALUE")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME:F=V,F=V")
    args = ap.parse_args(argv)
    apply_default_xla_flags()
    base = override(preset(args.preset), {"ppo.total_steps": args.total_steps, **_pairs(args.base)})
    key = jax.random.PRNGKey(10_000 + base.run.seed)
    res = compare_policies(base, baselines(base), key, args.episodes)
    pct = lambda m: f"{100 * m[0]:.1f} ± {100 * m[1]:.1f}"
    best = best_scripted(res)
    print(f"baselines ({args.episodes} episodes): " + ", ".join(
        f"{k} {pct(v['mean_reduction'])}" for k, v in res.items()) + f"; best scripted: {best}",
        flush=True)
    print("| variant | trained (mode) % | trained (sampled) % | train s |\n|---|---|---|---|")
    for spec in args.variant:
        name, _, sets = spec.partition(":")
        cfg = override(base, _pairs(sets.split(",")))
        t0 = time.perf_counter()
        trainer = make_train(cfg)
        runner, _ = trainer.train_seeds(jax.random.split(jax.random.PRNGKey(cfg.run.seed), args.seeds))
        jax.block_until_ready(runner)
        wall = time.perf_counter() - t0
        ts = runner.train_state
        mode, _ = compare_seeds(cfg, ts.actor, ts.actor_params, key, args.episodes)
        samp, _ = compare_seeds(cfg, ts.actor, ts.actor_params, key, args.episodes, deterministic=False)
        print(f"| {name} {sets} | {pct(mode['mean_reduction'])} | {pct(samp['mean_reduction'])} | "
              f"{wall:.0f} |", flush=True)


if __name__ == "__main__":
    main()
