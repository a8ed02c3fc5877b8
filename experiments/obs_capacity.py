"""Does a transferred policy see enough? Zero-shot at a target scale with other observation
capacities, the same parameters throughout.

The entity observation's capacities (`env.entity_links`, `entity_top_links`, `entity_enemies`,
`entity_jammers`) fix how many tokens each jammer attends over; the attention actor's
parameters do not depend on them, so a policy trained at M=4, N=10 with the defaults can run at
M=40, N=100 with more tokens. Each variant's deterministic policy (CI over seeds) runs on the
same episodes (key 10 000 + run.seed of the target config); the baselines (CI over episodes),
measured once, do not read the entity observation.

    python experiments/transfer.py ... --save-source runs/src.pkl        # the source
    python experiments/obs_capacity.py --source-from runs/src.pkl --seeds 8 --base $BASE \\
        --variants env.entity_top_links=8 env.entity_top_links=16,env.entity_jammers=8
    python experiments/obs_capacity.py --smoke      # the test suite's size (no source file)

`--base` must be the source run's (its networks); `--target-set` changes the target scale's
config for every variant alike (e.g. `env.dbscan_eps_m=20 env.dbscan_min_samples=3`, the
`large` preset's clustering). Writes capacity.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import jax

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run as a script
from experiments.curriculum import SMOKE, pct  # noqa: E402
from experiments.scaling import baseline_results  # noqa: E402
from experiments.transfer import abstract_train_state, require_source, source_actor_params  # noqa: E402
from jaxjam.config import override, parse_sets, preset  # noqa: E402
from jaxjam.curriculum import parse_scale, scaled  # noqa: E402
from jaxjam.evaluate import compare_seeds  # noqa: E402
from jaxjam.run import best_scripted  # noqa: E402
from jaxjam.xla_flags import apply_default_xla_flags  # noqa: E402

CAPACITIES = ("entity_links", "entity_top_links", "entity_enemies", "entity_jammers")


def parse_variant(text: str) -> dict:
    """"env.entity_top_links=8,env.entity_jammers=8" -> {dotted field: value}; only the
    entity capacities may change (anything else would change the task, not what is seen)."""
    sets = parse_sets([s for s in text.split(",") if s], "--variants")
    bad = [k for k in sets if k not in {f"env.{c}" for c in CAPACITIES}]
    if bad:
        raise ValueError(f"--variants: only env.{{{', '.join(CAPACITIES)}}} may change, got {bad}")
    return sets


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source-from", metavar="FILE", help="a transfer.py --save-source file")
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--base", nargs="*", default=[], metavar="SECTION.FIELD=VALUE")
    ap.add_argument("--target", default="40x100", metavar="MxN", help="arena arena_for(N)")
    ap.add_argument("--target-set", nargs="*", default=[], metavar="SECTION.FIELD=VALUE")
    ap.add_argument("--variants", nargs="*", default=[], metavar="F=V[,F=V...]",
                    help="capacity changes, each evaluated beside the source's own capacities")
    ap.add_argument("--episodes", type=int, default=32)
    ap.add_argument("--planner", action="store_true", help="measure the planner too (slow on CPU)")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, fresh parameters")
    ap.add_argument("--out", default="runs/capacity")
    args = ap.parse_args(argv)
    require_source(args)
    args.target = parse_scale(args.target)
    args.variants = [parse_variant(v) for v in args.variants]  # errors before anything compiles
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    apply_default_xla_flags()
    if args.smoke:
        args.seeds, args.episodes, args.target = 2, 2, (3, 8)
        args.base = SMOKE["base"] + ["ppo.network=attention", "ppo.attention_mode=query"] + args.base
    base = override(preset("default"), parse_sets(args.base, "--base"))
    if args.variants and (base.env.obs != "entity" or base.ppo.network != "attention"):
        raise ValueError("--variants need env.obs=entity and ppo.network=attention in --base (an MLP's "
                         f"input width is fixed by the capacities), got env.obs={base.env.obs}, "
                         f"ppo.network={base.ppo.network}")
    src_cfg = scaled(base, 4, 10)
    _, actor_params = source_actor_params(args.source_from, src_cfg, args.seeds)
    tgt = override(scaled(base, *args.target), parse_sets(args.target_set, "--target-set"))
    key = jax.random.PRNGKey(10_000 + tgt.run.seed)
    measured = baseline_results(tgt, args.episodes, args.planner)
    base_res = {k: pct(v) for k, v in measured.items()}
    out = {"target": list(args.target), "base": args.base, "target_set": args.target_set,
           "seeds": args.seeds, "episodes": args.episodes, "baselines": base_res,
           "best scripted": best_scripted(measured), "variants": []}
    os.makedirs(args.out, exist_ok=True)
    print(f"M={args.target[0]} N={args.target[1]}: " + " | ".join(
        f"{k} {v[0]:.1f} ± {v[1]:.1f}" for k, v in base_res.items()), flush=True)
    for sets in [{}] + args.variants:
        cfg = override(tgt, sets)
        actor = abstract_train_state(override(src_cfg, sets)).actor  # its token layout; same parameters
        agg, _ = compare_seeds(cfg, actor, actor_params, key, args.episodes)
        caps = {c: getattr(cfg.env, c) for c in CAPACITIES}
        out["variants"].append({**caps, "zero-shot (mode)": pct(agg)})
        with open(os.path.join(args.out, "capacity.json"), "w") as fh:
            json.dump(out, fh, indent=1)
        print(" ".join(f"{c.removeprefix('entity_')}={v}" for c, v in caps.items())
              + f": {pct(agg)[0]:.1f} ± {pct(agg)[1]:.1f} %", flush=True)
    return out


if __name__ == "__main__":
    main()
