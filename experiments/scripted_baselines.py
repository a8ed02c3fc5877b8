"""Scripted policies that ignore the learner: how far simple motion gets on the enemy band.

The policies live in `jaxjam.policies` (`jaxjam eval` prints them too); this script evaluates
them alone, without the planner, on a sweep's evaluation episodes.

Every policy jams on the enemy band (read from the state, like the heuristic) and differs
only in how the jammers move. Evaluated on the same episodes as `seed_sweep.py`'s evaluation
(key 10_000 + run.seed), so the numbers sit beside the trained ones in docs/results.md.

* `stay`: velocity 0 (jammers keep their start, their cluster centroid ± start_offset_m).
* `diffuse σ`: velocity ~ N(0, (σ·v_max)²) per axis (the env clips to ±v_max): a random walk.
* `disperse r`: full speed away from the nearest other jammer while it is closer than r metres.

    python experiments/scripted_baselines.py --preset large --obs local_graph --episodes 32
"""

from __future__ import annotations

import argparse
import time

import jax

from jaxjam.config import PRESETS, Config, override, preset
from jaxjam.evaluate import compare_policies, format_table
from jaxjam.policies import baselines, diffuse_policy
from jaxjam.xla_flags import apply_default_xla_flags


def scripted_policies(config: Config) -> dict:
    """The baselines of docs/results.md, by name (`jaxjam.policies.baselines` plus σ = 1.65)."""
    out = baselines(config, planner=False)
    out["diffuse 1.65"] = diffuse_policy(config, 1.65)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="large", choices=PRESETS)
    ap.add_argument("--obs", default=None)
    ap.add_argument("--episodes", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0, help="run.seed of the sweep to match (eval key 10_000 + seed)")
    args = ap.parse_args(argv)
    apply_default_xla_flags()
    cfg = override(preset(args.preset), {"env.obs": args.obs, "run.seed": args.seed})
    t0 = time.perf_counter()
    res = compare_policies(cfg, scripted_policies(cfg), jax.random.PRNGKey(10_000 + cfg.run.seed),
                           args.episodes)
    print(f"preset {args.preset}, {args.episodes} episodes (the seed sweep's evaluation episodes), "
          f"{time.perf_counter() - t0:.1f} s")
    print(format_table(res))
    return res


if __name__ == "__main__":
    main()
