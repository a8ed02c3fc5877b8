"""A grid of PPO numbers × seeds trained in ONE vmapped program (traced hyper-parameters).

Every member (grid point, seed) is one lane of the vmapped runner: its `hparams` leaf holds its
own learning rate, entropy coefficient, ... (`jaxjam.agents.hparams.PPONumbers`), so the whole
grid compiles once and trains side by side. Each member's deterministic policy is evaluated on
the same episodes (one program); the table gives each grid point's mean and 95 % CI over seeds
beside the baselines.

    python experiments/hparam_sweep.py --seeds 8 --total-steps 163840 \\
        --grid ppo.lr_actor=3e-4,1e-3,3e-3 ppo.entropy_coef=0.001,0.01 \\
        --base env.obs=local_graph ppo.imitation_coef=1 ppo.num_envs=64 ppo.rollout_steps=64
    python experiments/hparam_sweep.py --smoke
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time

import jax
import numpy as np

from jaxjam.agents.hparams import TRACED, PPONumbers
from jaxjam.config import override, preset
from jaxjam.evaluate import ci95, compare_policies, compare_seeds
from jaxjam.policies import baselines
from jaxjam.run import best_scripted
from jaxjam.train import make_train
from jaxjam.xla_flags import apply_default_xla_flags

SMOKE = ["ppo.hidden=8", "ppo.num_envs=4", "ppo.rollout_steps=8", "env.max_steps=8",  # as
         "run.updates_per_chunk=2", "ppo.total_steps=64", "ppo.num_minibatches=2"]  # tests/test_hparams


def parse_grid(items: list[str]) -> dict[str, list[float]]:
    """["ppo.lr_actor=1e-3,3e-3", ...] -> {"lr_actor": [0.001, 0.003]} (traced PPO numbers only)."""
    grid = {}
    for item in items:
        key, sep, values = item.partition("=")
        name = key.removeprefix("ppo.")
        if not sep or name not in TRACED:
            raise ValueError(f"--grid expects ppo.NAME=V1,V2,... with NAME one of {', '.join(TRACED)}; "
                             f"got {item!r}")
        try:
            grid[name] = [float(v) for v in values.split(",") if v.strip()]
        except ValueError:
            raise ValueError(f"--grid {key}: values must be numbers, got {values!r}") from None
    return grid


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--grid", nargs="+", default=["ppo.lr_actor=3e-4,1e-3", "ppo.entropy_coef=0.001,0.01"])
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--total-steps", type=int, default=None)
    ap.add_argument("--episodes", type=int, default=64)
    ap.add_argument("--base", nargs="*", default=[], metavar="SECTION.FIELD=VALUE")
    ap.add_argument("--baselines", choices=("all", "basic"), default="all")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (the test suite's run)")
    ap.add_argument("--out", default="runs/hparam_sweep.json")
    args = ap.parse_args(argv)
    if args.smoke:
        args.base, args.seeds, args.episodes, args.baselines = SMOKE + args.base, 2, 2, "basic"
    apply_default_xla_flags()
    grid = parse_grid(args.grid)
    updates = dict(item.split("=", 1) for item in args.base)
    if args.total_steps:
        updates["ppo.total_steps"] = args.total_steps
    cfg = override(preset("default"), updates)
    points = [dict(zip(grid, combo)) for combo in itertools.product(*grid.values())]
    for p in points:  # every grid point is a valid config (ranges checked by name)
        override(cfg, {f"ppo.{k}": v for k, v in p.items()})
    members = [(i, s) for i in range(len(points)) for s in range(args.seeds)]
    hp = PPONumbers.of(cfg.ppo, **{k: np.array([points[i][k] for i, _ in members], np.float32)
                                   for k in grid})
    keys = jax.random.split(jax.random.PRNGKey(cfg.run.seed), args.seeds)[np.array([s for _, s in members])]
    t0 = time.perf_counter()
    trainer = make_train(cfg)
    runner = trainer.init_seeds(keys, hp)  # one lane per member, each with its own numbers
    for _ in range(trainer.num_updates // trainer.updates_per_chunk):
        runner, _ = trainer.train_chunk_seeds(runner)
    jax.block_until_ready(runner)
    train_s = time.perf_counter() - t0
    key = jax.random.PRNGKey(10_000 + cfg.run.seed)
    ts = runner.train_state
    _, per = compare_seeds(cfg, ts.actor, ts.actor_params, key, args.episodes)
    table = baselines(cfg, planner=args.baselines == "all")
    if args.baselines == "basic":
        table = {k: table[k] for k in ("random", "heuristic")}
    base = compare_policies(cfg, table, key, args.episodes)
    pct = lambda m: (100 * m[0], 100 * m[1])
    rows = []
    for i, p in enumerate(points):
        vals = [per[j]["mean_reduction"] for j, (g, _) in enumerate(members) if g == i]
        rows.append({**p, "trained (mode)": pct(ci95(vals))})
    best = best_scripted(base)
    print(f"{len(members)} members ({len(points)} grid points × {args.seeds} seeds) trained in one "
          f"program, {trainer.num_updates * trainer.steps_per_update:,} env steps each, {train_s:.0f} s")
    print("baselines: " + ", ".join(f"{k} {100 * v['mean_reduction'][0]:.1f} ± "
                                    f"{100 * v['mean_reduction'][1]:.1f}" for k, v in base.items())
          + f" (best scripted: {best})")
    print("| " + " | ".join(grid) + " | trained (mode) % |\n|" + "---|" * (len(grid) + 1))
    for row in rows:
        m = row["trained (mode)"]
        print("| " + " | ".join(f"{row[k]:g}" for k in grid) + f" | {m[0]:.1f} ± {m[1]:.1f} |")
    out = {"grid": grid, "seeds": args.seeds, "base": args.base, "train_s": train_s, "rows": rows,
           "baselines": {k: pct(v["mean_reduction"]) for k, v in base.items()}}
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1)
    return out


if __name__ == "__main__":
    main()
