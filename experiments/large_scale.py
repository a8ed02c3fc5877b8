"""The large-scale experiment: M=40 jammers, N=100 enemies, 2M env steps (`large` preset).

Prints wall time, env steps/s and the λ₂ reduction reached (trained vs random vs
heuristic on identical evaluation episodes); writes metrics CSV, checkpoints and
the learning curve under --out.

    python experiments/large_scale.py                    # full run, spec hyper-parameters (GPU: minutes)
    python experiments/large_scale.py --config experiments/configs/large_tuned.yaml  # the tuned setting
    python experiments/large_scale.py --smoke            # tiny CPU version (tests)
"""

from __future__ import annotations

import argparse

from jaxjam.run import train_and_evaluate
from jaxjam.config import Config, load_yaml, override, preset
from jaxjam.xla_flags import apply_default_xla_flags


def smoke_config(out: str, base: Config | None = None):
    """M=40, N=100 physics (of `base`, default the large preset) at a tiny budget: a few
    updates of 4 envs × 8 steps."""
    return override(base or preset("large"), {
        "ppo.num_envs": 4, "ppo.rollout_steps": 8, "ppo.total_steps": 4 * 8 * 2,
        "ppo.num_minibatches": 2, "ppo.update_epochs": 1, "ppo.hidden": 32,
        "env.max_steps": 8, "run.updates_per_chunk": 1, "run.eval_episodes": 2, "run.out": out,
        "run.baselines": "basic"})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--config", default=None, help="YAML config on top of the large preset")
    ap.add_argument("--out", default="runs/large_scale")
    ap.add_argument("--total-steps", type=int, default=None)
    ap.add_argument("--num-envs", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    apply_default_xla_flags()  # as the CLI does, before JAX starts its backend
    base = load_yaml(args.config, preset("large")) if args.config else preset("large")
    if args.smoke:
        cfg = smoke_config(args.out, base)
    else:
        cfg = override(base, {"run.out": args.out, "run.seed": args.seed,
                                         "ppo.total_steps": args.total_steps,
                                         "ppo.num_envs": args.num_envs,
                                         "run.updates_per_chunk": 20, "run.eval_episodes": 128})
    out = train_and_evaluate(cfg)
    res = out["results"]
    print(f"\nlarge scale M={cfg.env.num_jammers} N={cfg.env.num_enemies}: {out['env_steps']:,} env steps "
          f"in {out['wall_s']:.1f}s wall ({out['steps_per_s']:,.0f} steps/s); mean λ₂ reduction "
          f"trained {100 * res['trained (sampled)']['mean_reduction'][0]:.1f}% sampled, "
          f"{100 * res['trained (mode)']['mean_reduction'][0]:.1f}% mode vs random "
          f"{100 * res['random']['mean_reduction'][0]:.1f}% vs heuristic "
          f"{100 * res['heuristic']['mean_reduction'][0]:.1f}%")
    return out


if __name__ == "__main__":
    main()
