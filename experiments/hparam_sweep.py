"""A grid of PPO and env numbers × seeds trained in ONE vmapped program (traced numbers).

Every member (grid point, seed) is one lane of the vmapped runner: its `hparams` leaf holds its
own learning rate, entropy coefficient, ... (`jaxjam.agents.hparams.PPONumbers`) and its
`env_numbers` leaf its own reward weights, DBSCAN radius, ranges, ...
(`jaxjam.config.traced.EnvNumbers`), so the whole grid compiles once and trains side by side.
Each member's deterministic policy is evaluated on the same episodes, in its own env numbers
(one program); the table gives each grid point's mean and 95 % CI over seeds beside the
baselines (evaluated at each grid point when the grid holds env numbers).

    python experiments/hparam_sweep.py --seeds 8 --total-steps 163840 \\
        --grid ppo.lr_actor=3e-4,1e-3,3e-3 ppo.entropy_coef=0.001,0.01 \\
        --base env.obs=local_graph ppo.imitation_coef=1 ppo.num_envs=64 ppo.rollout_steps=64
    python experiments/hparam_sweep.py --grid env.dbscan_eps_m=15,25,35 \\
        env.reward_weights=1,0.3,0.2,0.1,0.2/1,0.3,0.2,0.1,0   # tuple fields: sets split by /
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
from jaxjam.config import EnvConfig, PhysicsConfig, override, parse_sets, preset
from jaxjam.config.traced import RANGES, TRACED_ENV, TRACED_PHYSICS, EnvNumbers
from jaxjam.evaluate import ci95, compare_policies, compare_policies_grid, compare_seeds
from jaxjam.policies import baselines
from jaxjam.run import best_scripted
from jaxjam.train import make_train
from jaxjam.xla_flags import apply_default_xla_flags

SMOKE = ["ppo.hidden=8", "ppo.num_envs=4", "ppo.rollout_steps=8", "env.max_steps=8",  # as
         "run.updates_per_chunk=2", "ppo.total_steps=64", "ppo.num_minibatches=2"]  # tests/test_hparams


ENV_KEYS = tuple(f"env.{n}" for n in TRACED_ENV) + tuple(f"physics.{n}" for n in TRACED_PHYSICS + RANGES)


def parse_grid(items: list[str]) -> dict[str, list]:
    """["ppo.lr_actor=1e-3,3e-3", "env.dbscan_eps_m=15,25", "env.reward_weights=1,0,0,0,0/1,1,1,1,1"]
    -> {"lr_actor": [0.001, 0.003], "env.dbscan_eps_m": [15.0, 25.0], "env.reward_weights":
    [(1.0, 0.0, 0.0, 0.0, 0.0), (1.0, ...)]}: traced PPO numbers (bare names) and traced env /
    physics numbers (dotted; a tuple field's values are sets split by "/", one set without)."""
    grid = {}
    for item in items:
        key, sep, values = item.partition("=")
        name = key.removeprefix("ppo.")
        is_env = key in ENV_KEYS
        if not sep or not (is_env or ((key.startswith("ppo.") or "." not in key) and name in TRACED)):
            raise ValueError(f"--grid expects ppo.NAME=V1,V2,... with NAME one of {', '.join(TRACED)}, "
                             f"or env.NAME / physics.NAME=V1,V2,... with a traced env number "
                             f"({', '.join(ENV_KEYS)}); got {item!r}")
        try:
            grid[key if is_env else name] = (
                [tuple(float(v) for v in s.split(",") if v.strip()) for s in values.split("/")]
                if is_env and _tuple_field(key) else [float(v) for v in values.split(",") if v.strip()])
        except ValueError:
            raise ValueError(f"--grid {key}: values must be numbers, got {values!r}") from None
    return grid


def _tuple_field(key: str) -> bool:
    """A per-band or per-term field (its values are sets of numbers)."""
    part, _, name = key.partition(".")
    return isinstance(getattr({"env": EnvConfig(), "physics": PhysicsConfig()}[part], name, None), tuple)


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
    updates = parse_sets(args.base, "--base")
    if args.total_steps:
        updates["ppo.total_steps"] = args.total_steps
    cfg = override(preset("default"), updates)
    ppo_keys, env_keys = [k for k in grid if k not in ENV_KEYS], [k for k in grid if k in ENV_KEYS]
    points = [dict(zip(grid, combo)) for combo in itertools.product(*grid.values())]
    for p in points:  # every grid point is a valid config (ranges checked by name)
        override(cfg, {(k if k in ENV_KEYS else f"ppo.{k}"): v for k, v in p.items()})
    members = [(i, s) for i in range(len(points)) for s in range(args.seeds)]
    column = lambda k, idx: np.array([points[i][k] for i in idx], np.float32)
    lanes = [i for i, _ in members]  # None: the config's numbers in every lane
    hp = PPONumbers.of(cfg.ppo, **{k: column(k, lanes) for k in ppo_keys}) if ppo_keys else None
    env_nums = EnvNumbers.of(cfg, {k: column(k, lanes) for k in env_keys}) if env_keys else None
    keys = jax.random.split(jax.random.PRNGKey(cfg.run.seed), args.seeds)[np.array([s for _, s in members])]
    t0 = time.perf_counter()
    trainer = make_train(cfg)
    runner = trainer.init_seeds(keys, hp, env_nums)  # one lane per member, each with its own numbers
    for _ in range(trainer.num_updates // trainer.updates_per_chunk):
        runner, _ = trainer.train_chunk_seeds(runner)
    jax.block_until_ready(runner)
    train_s = time.perf_counter() - t0
    key = jax.random.PRNGKey(10_000 + cfg.run.seed)
    ts = runner.train_state
    _, per = compare_seeds(cfg, ts.actor, ts.actor_params, key, args.episodes,
                           numbers=env_nums if env_keys else None)  # each in its own env

    def table(c):
        out = baselines(c, planner=args.baselines == "all")
        return {k: out[k] for k in ("random", "heuristic")} if args.baselines == "basic" else out
    pct = lambda m: (100 * m[0], 100 * m[1])
    if env_keys:  # the baselines live in each grid point's env: one program for all points
        at_point = compare_policies_grid(cfg, table, key, args.episodes, EnvNumbers.of(
            cfg, {k: column(k, range(len(points))) for k in env_keys}))
    else:
        base = compare_policies(cfg, table(cfg), key, args.episodes)
        at_point = [base] * len(points)
    rows = []
    for i, p in enumerate(points):
        vals = [per[j]["mean_reduction"] for j, (g, _) in enumerate(members) if g == i]
        rows.append({**p, "trained (mode)": pct(ci95(vals)), "best scripted": best_scripted(at_point[i]),
                     "baselines": {k: pct(v["mean_reduction"]) for k, v in at_point[i].items()}})
    print(f"{len(members)} members ({len(points)} grid points × {args.seeds} seeds) trained in one "
          f"program, {trainer.num_updates * trainer.steps_per_update:,} env steps each, {train_s:.0f} s")
    names = list(rows[0]["baselines"]) if env_keys else []  # per grid point: in the table
    if not env_keys:
        print("baselines: " + ", ".join(f"{k} {v[0]:.1f} ± {v[1]:.1f}" for k, v in rows[0]["baselines"].items())
              + f" (best scripted: {rows[0]['best scripted']})")
    print("| " + " | ".join(list(grid) + [f"{n} %" for n in names]) + " | trained (mode) % |\n|"
          + "---|" * (len(grid) + len(names) + 1))
    fmt = lambda v: ",".join(f"{x:g}" for x in v) if isinstance(v, tuple) else f"{v:g}"
    for row in rows:
        cells = [fmt(row[k]) for k in grid] + [f"{row['baselines'][n][0]:.1f} ± {row['baselines'][n][1]:.1f}"
                                               for n in names] + [f"{row['trained (mode)'][0]:.1f} ± "
                                                                  f"{row['trained (mode)'][1]:.1f}"]
        print("| " + " | ".join(cells) + " |")
    out = {"grid": grid, "seeds": args.seeds, "base": args.base, "train_s": train_s, "rows": rows,
           "baselines": None if env_keys else rows[0]["baselines"]}  # per row with env numbers
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1)
    return out


if __name__ == "__main__":
    main()
