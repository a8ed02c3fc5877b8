"""Curriculum across scales and zero-shot transfer, one command (jaxjam.curriculum).

Trains S seeds through the stages (the parameters flow from stage to stage), then evaluates on
the same episodes at every stage's scale: the policy after stage 1 (zero-shot: trained only at
the first scale), the policy after each stage, and the baselines (heuristic, the best scripted
policy, the planner). Writes JSON beside the printed table.

    python experiments/curriculum.py --seeds 8 \\
        --stages 4x10:1000000,10x25:1000000,20x50:1000000,40x100:2000000 \\
        --base env.obs=entity ppo.network=attention ppo.hidden=64 ppo.imitation_coef=1 \\
               ppo.lr_actor=1e-3 ppo.num_envs=64 ppo.rollout_steps=64 \\
        --later-set ppo.lr_actor=3e-4 ppo.imitation_coef=0 ppo.entropy_coef=0.0002
    python experiments/curriculum.py --smoke      # seconds-sized, as the test suite runs it
"""

from __future__ import annotations

import argparse
import json
import os
import time

import jax
import jax.numpy as jnp

from jaxjam.config import override, parse_sets, preset
from jaxjam.curriculum import parse_stages, scaled, train_stages
from jaxjam.evaluate import ci95, compare_policies, compare_seeds
from jaxjam.policies import baselines
from jaxjam.run import best_scripted
from jaxjam.xla_flags import apply_default_xla_flags

# The test suite's sizes; experiments/scaling.py --smoke trains the same configs (2x6, 3x8, 64
# steps), so the suite compiles each program once (its persistent cache).
SMOKE = dict(stages="2x6:64,3x8:64", seeds=2, episodes=2,
             base=["env.obs=entity", "ppo.hidden=8", "ppo.num_envs=4", "ppo.rollout_steps=8",
                   "env.max_steps=8", "run.updates_per_chunk=1", "env.entity_links=4",
                   "env.entity_top_links=2", "env.entity_enemies=3", "env.entity_jammers=2"])


def pct(m: dict) -> list[float]:
    """[mean, CI half-width] of a `compare_*` result's mean λ₂ reduction, in %."""
    return [100 * m["mean_reduction"][0], 100 * m["mean_reduction"][1]]


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stages", default="4x10:163840,10x25:163840,20x50:163840,40x100:163840")
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--episodes", type=int, default=32)
    ap.add_argument("--base", nargs="*", default=["env.obs=entity", "ppo.network=attention"],
                    metavar="SECTION.FIELD=VALUE")
    ap.add_argument("--later-set", nargs="*", default=[], metavar="SECTION.FIELD=VALUE",
                    help="overrides for every stage after the first, which fine-tunes the previous "
                         "stage's networks (e.g. ppo.lr_actor=1e-4 ppo.imitation_coef=0 "
                         "ppo.entropy_coef=0.0002: a fresh start at the first stage's rate and "
                         "teacher weight lowers a converged policy; docs/results.md, Session 14)")
    ap.add_argument("--baselines", choices=("all", "basic"), default="all",
                    help="all: random, heuristic, scripted motions, planner; basic: random, heuristic")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (the test suite's run)")
    ap.add_argument("--out", default="runs/curriculum.json")
    args = ap.parse_args(argv)
    if args.smoke:
        args.stages, args.seeds, args.episodes, args.base = (SMOKE[k] for k in
                                                             ("stages", "seeds", "episodes", "base"))
        args.baselines = "basic"
    apply_default_xla_flags()
    base = override(preset("default"), parse_sets(args.base, "--base"))
    stages = parse_stages(args.stages)
    t0 = time.perf_counter()
    trained = []
    later = parse_sets(args.later_set, "--later-set")
    for cfg, ts in train_stages(base, stages, args.seeds, later=later):
        trained.append((cfg, ts))
        e = cfg.env
        print(f"stage {len(trained)}: M={e.num_jammers} N={e.num_enemies} arena={e.arena_m:.0f} m, "
              f"{cfg.ppo.total_steps:,} steps × {args.seeds} seeds trained "
              f"({time.perf_counter() - t0:.0f} s so far)", flush=True)
    fmt = lambda v: f"{v[0]:.1f} ± {v[1]:.1f}"
    rows, names = [], [f"after stage {i + 1}" for i in range(len(trained))]
    actor = trained[0][1].actor  # the same module at every stage (the width is scale-free)
    stacked = jax.tree.map(lambda *x: jnp.concatenate(x), *(ts.actor_params for _, ts in trained))
    for cfg, _ in trained:
        scale = scaled(base, cfg.env.num_jammers, cfg.env.num_enemies, cfg.env.arena_m)
        key = jax.random.PRNGKey(10_000 + scale.run.seed)
        row = {"M": scale.env.num_jammers, "N": scale.env.num_enemies, "arena_m": scale.env.arena_m}
        _, per = compare_seeds(scale, actor, stacked, key, args.episodes)  # every stage, one program
        for i, name in enumerate(names):
            row[name] = pct({"mean_reduction": ci95([p["mean_reduction"] for p in
                                                     per[i * args.seeds:(i + 1) * args.seeds]])})
        table = baselines(scale, planner=args.baselines == "all")
        if args.baselines == "basic":
            table = {k: table[k] for k in ("random", "heuristic")}
        res = compare_policies(scale, table, key, args.episodes)
        best = best_scripted(res)
        row.update({"heuristic": pct(res["heuristic"]), f"best scripted ({best})": pct(res[best])})
        if "planner" in res:
            row["planner"] = pct(res["planner"])
        rows.append(row)
    cols = [k for k in rows[0] if k not in ("M", "N", "arena_m")]
    print(f"\nmean λ₂ reduction % (mode; 95 % CI over {args.seeds} seeds, baselines over "
          f"{args.episodes} episodes); 'after stage 1' elsewhere than stage 1 = zero-shot")
    print("| M × N (arena) | " + " | ".join(c.replace("best scripted", "best scr.") for c in cols)
          + " |\n|---" * (len(cols) + 1) + "|")
    for row in rows:
        print(f"| {row['M']} × {row['N']} ({row['arena_m']:.0f} m) | "
              + " | ".join(fmt(row[c]) if c in row else "–" for c in cols) + " |")
    out = {"stages": args.stages, "seeds": args.seeds, "episodes": args.episodes, "base": args.base,
           "later_set": args.later_set,
           "wall_s": time.perf_counter() - t0, "rows": rows}
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1)
    print(f"wrote {args.out}")
    return out


if __name__ == "__main__":
    main()
