"""Seed sweep: train S seeds in ONE compiled program (vmap over keys), report mean and 95% CI.

Every seed's policy and every baseline of `jaxjam.policies` (random, heuristic, scripted,
planner) are evaluated on the same episodes; the CI is over seeds (Student t).

    python experiments/seed_sweep.py --preset default --seeds 8 --total-steps 200000
"""

from __future__ import annotations

import argparse
import json
import os

from jaxjam.run import best_scripted, train_and_evaluate
from jaxjam.config import PRESETS, load_yaml, override, parse_sets, preset
from jaxjam.xla_flags import apply_default_xla_flags


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default=None, choices=PRESETS,
                    help="default: the --config file's preset key, else default; a --preset given "
                         "here wins over the file's key (as in jaxjam train)")
    ap.add_argument("--config", default=None, help="YAML config, applied after the preset")
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--total-steps", type=int, default=None)
    ap.add_argument("--num-envs", type=int, default=None)
    ap.add_argument("--obs", default=None)
    ap.add_argument("--episodes", type=int, default=128)
    ap.add_argument("--out", default=None)
    ap.add_argument("--set", nargs="*", default=[], metavar="SECTION.FIELD=VALUE")
    args = ap.parse_args(argv)
    apply_default_xla_flags()  # as the CLI does, before JAX starts its backend
    name = args.preset or "default"
    out = args.out or f"runs/seed_sweep_{name}"  # (a YAML's own preset does not rename it)
    updates = {"run.num_seeds": args.seeds, "ppo.total_steps": args.total_steps,
               "ppo.num_envs": args.num_envs, "env.obs": args.obs, "run.out": out,
               "run.eval_episodes": args.episodes}
    updates.update(parse_sets(args.set))
    base = preset(name)
    if args.config:
        base = load_yaml(args.config, base, keep_base=args.preset is not None)
    cfg = override(base, updates)
    result = train_and_evaluate(cfg)
    res = result["results"]
    pct = lambda m: f"{100 * m['mean_reduction'][0]:.1f} ± {100 * m['mean_reduction'][1]:.1f}%"
    best = best_scripted(res)
    source = f"config {args.config}" if args.config else f"preset {name}"
    print(f"\n{args.seeds} seeds, {source} (obs {cfg.env.obs}): mean λ₂ reduction "
          f"{pct(res[f'trained (mode, {args.seeds} seeds)'])} mode, "
          f"{pct(res[f'trained (sampled, {args.seeds} seeds)'])} sampled (95% CI over seeds) "
          f"| random {pct(res['random'])} | heuristic {pct(res['heuristic'])} | best scripted "
          f"({best}) {pct(res[best])}" + (f" | planner {pct(res['planner'])}" if "planner" in res else ""))
    with open(os.path.join(out, "seed_sweep.json"), "w") as fh:
        json.dump({"wall_s": result["wall_s"], "env_steps": result["env_steps"], **res}, fh, indent=1)
    return result


if __name__ == "__main__":
    main()
