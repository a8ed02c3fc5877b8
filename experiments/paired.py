"""Paired comparison: a saved source policy (every seed) against every baseline, episode by episode.

The learned policy's CI in `transfer.py` is over seeds and a baseline's is over episodes, so two
numbers a point apart say little about which is better. Here every policy runs the SAME episodes
(`jaxjam.evaluate`), and the table gives, per baseline, the mean over episodes of

    d_e = (mean over seeds of the learned policy's λ₂ reduction in episode e) − (the baseline's)

with its 95 % CI over episodes, and the share of episodes the learned policy wins. A CI of d
that excludes 0 is a difference the episodes support.

    SEEK="env.obs=entity ppo.network=attention ppo.hidden=32 ppo.attention_layers=1 ppo.attention_mode=query"
    python experiments/paired.py --source-from experiments/sources/attention_seek_m4_2M_8seeds.pkl.xz \\
        --base $SEEK --scale 4x10 --episodes 64 --out runs/paired_m4
    python experiments/paired.py --run runs/teach_checked_look --against "cut seek" \
        "cut seek (checked)" run:runs/teach_checked       # a jaxjam train run against another
    python experiments/paired.py --smoke      # the test suite's size (fresh parameters)

`--run DIR` takes the learned policy from a `jaxjam train` run directory instead (its latest
checkpoint, every seed it trained; its own config, then `--base`). An `--against` entry
`run:DIR` is another run's policy (its seed mean per episode) as a competitor, evaluated with its
own observation settings on the same episodes: its config must match apart from the observation
and the learner (a ValueError names the first field that differs).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import numpy as np  # noqa: E402

from experiments.transfer import require_source, source_actor_params  # noqa: E402
from jaxjam.config import override, parse_sets, preset  # noqa: E402
from jaxjam.curriculum import parse_scale, scaled  # noqa: E402
from jaxjam.evaluate import ci95, rollout_metrics, seed_episode_metrics  # noqa: E402
from jaxjam.policies import baselines  # noqa: E402
from jaxjam.transfer import restore_run  # noqa: E402
from jaxjam.xla_flags import apply_default_xla_flags  # noqa: E402


BASELINE_NAMES = ["random", "heuristic", "stay", "diffuse 0.6", "disperse 30 m", "disperse 40 m",
                  "cut seek", "cut seek (others)", "cut seek (checked)", "cut seek (predicted)", "planner"]  # jaxjam.policies.baselines


def paired_rows(learned: np.ndarray, others: dict[str, np.ndarray]) -> list[dict]:
    """learned `[S, E]`, others {name: `[E]`} (fractions, the same episodes) -> one row per
    policy in %: its mean ± CI over episodes, and for the baselines the paired difference
    (learned seed mean − baseline) ± CI over episodes and the share of episodes won."""
    mine = learned.mean(0)
    rows = [{"policy": "trained (mode, seed mean)", "mean": ci95(100 * mine),
             "seeds": ci95(100 * learned.mean(1))}]
    for name, x in others.items():
        d = 100 * (mine - x)
        rows.append({"policy": name, "mean": ci95(100 * x), "difference": ci95(d),
                     "won": float(np.mean(d > 0))})
    return rows


def format_rows(rows: list[dict]) -> str:
    lines = ["| policy | mean λ₂ reduction % (CI over episodes) | trained − policy, paired (points) | episodes won by trained |",
             "|---|---|---|---|"]
    for r in rows:
        m = f"{r['mean'][0]:.1f} ± {r['mean'][1]:.1f}"
        if "difference" not in r:
            sd = r["seeds"]
            over = f"over seeds {sd[0]:.1f} ± {sd[1]:.1f}" if np.isfinite(sd[1]) else "1 seed"
            lines.append(f"| {r['policy']} | {m} ({over}) | | |")
        else:
            d = r["difference"]
            lines.append(f"| {r['policy']} | {m} | {d[0]:+.1f} ± {d[1]:.1f} | {100 * r['won']:.0f} % |")
    return "\n".join(lines)


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source-from", metavar="FILE", help="a transfer.py --save-source file")
    ap.add_argument("--run", metavar="DIR", help="instead: a jaxjam train run directory (every seed)")
    ap.add_argument("--base", nargs="*", default=[], metavar="SECTION.FIELD=VALUE",
                    help="the --base of the run that saved it (its networks)")
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--scale", default="4x10", metavar="MxN", help="evaluate at M jammers, N enemies")
    ap.add_argument("--episodes", type=int, default=64)
    ap.add_argument("--no-planner", dest="planner", action="store_false",
                    help="skip the planners (planner, cut seek (checked), cut seek (predicted)): many eigensolves per step")
    ap.add_argument("--against", nargs="+", metavar="NAME", help="only these baselines (default: every "
                    "one; each costs an evaluation, the planner the most)")
    ap.add_argument("--out", default="runs/paired")
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args(argv)
    if args.run and args.source_from:
        raise ValueError("--run and --source-from: give one learned policy")
    if not args.run:
        require_source(args)
    if args.seeds < 1 or args.episodes < 2:
        raise ValueError(f"--seeds must be ≥ 1 and --episodes ≥ 2, got {args.seeds} and {args.episodes}")
    args.scale = parse_scale(args.scale, "--scale")
    if args.against:
        unknown = sorted(set(args.against) - set(BASELINE_NAMES) - {a for a in args.against if a.startswith("run:")})
        if unknown:
            raise ValueError(f"--against: unknown baseline(s) {unknown}; choose from {BASELINE_NAMES}")
    return args


OBS_FIELDS = ("obs", "link_lookahead", "link_lookahead_steps", "entity_velocity", "cut_graph", "link_select",
              "entity_links", "entity_top_links", "entity_enemies", "entity_jammers", "local_graph_k",
              "local_graph_cut_k")  # env: what a policy sees


def run_policy(run_dir: str, cfg, scale):
    """(actor, params `[S, ...]`, its config at `scale`) of a `jaxjam train` run's latest checkpoint;
    a ValueError if its env or physics differ from `cfg`'s beyond the observation (other episodes)."""
    run_cfg, runner, _, _ = restore_run(run_dir, flag="--run")
    ts = runner.train_state
    params = ts.actor_params if run_cfg.run.num_seeds > 1 else jax.tree.map(lambda x: x[None], ts.actor_params)
    run_cfg = scaled(run_cfg, *scale)
    if cfg is not None:
        for section in ("env", "physics"):
            a, b = getattr(run_cfg, section), getattr(cfg, section)
            for f in type(a).__dataclass_fields__:
                if section == "env" and f in OBS_FIELDS:
                    continue
                if getattr(a, f) != getattr(b, f):
                    raise ValueError(f"run:{run_dir}: {section}.{f} = {getattr(a, f)!r} differs from the "
                                     f"learned policy's {getattr(b, f)!r} (not the same episodes)")
    return ts.actor, params, run_cfg


def chosen_baselines(cfg, args) -> dict:
    """The baselines `args` ask for, in the registry's order: `--against` (default: all), without
    the planners under `--no-planner` (a ValueError if `--against` names one); `run:DIR` entries
    are not baselines (`run_policy`)."""
    table = baselines(cfg, planner=args.planner)  # closures only: nothing compiles here
    missing = sorted(set(a for a in args.against or () if not a.startswith("run:")) - set(table))
    if missing:
        raise ValueError(f"--against {missing} needs the planners: drop --no-planner")
    return {n: p for n, p in table.items() if not args.against or n in args.against}


def report(learned, name: str, other, t0: float) -> None:
    """One progress line as each competitor finishes (a cut-off run keeps what it printed)."""
    row = paired_rows(learned, {name: other})[1]
    print(f"{name}: {row['mean'][0]:.1f} ± {row['mean'][1]:.1f} %, trained − it {row['difference'][0]:+.1f} "
          f"± {row['difference'][1]:.1f} ({time.time() - t0:.0f} s)", flush=True)


def main(argv=None) -> dict:
    args = parse_args(argv)
    apply_default_xla_flags()
    if args.smoke:
        args.seeds, args.episodes = 2, 4
        args.base = ["env.obs=entity", "ppo.network=attention", "ppo.hidden=16", "ppo.attention_layers=1",
                     "ppo.attention_mode=query", "env.max_steps=8"] + args.base
    if args.run:
        actor, params, cfg = run_policy(args.run, None, args.scale)
        cfg = override(cfg, parse_sets(args.base, "--base"))
    else:
        base = override(preset("default"), parse_sets(args.base, "--base"))
        template, params = source_actor_params(args.source_from, scaled(base, 4, 10), args.seeds)
        actor, cfg = template.actor, scaled(base, *args.scale)
    key = jax.random.PRNGKey(10_000 + cfg.run.seed)  # the episodes of transfer.py and jaxjam eval
    t0 = time.time()
    learned = np.asarray(seed_episode_metrics(cfg, actor, params, key, args.episodes)["mean_reduction"],
                         np.float64)  # [S, episodes], the deterministic policy
    print(f"trained (mode): {100 * learned.mean():.1f} % ({time.time() - t0:.0f} s)", flush=True)
    others = {}
    for name, pol in chosen_baselines(cfg, args).items():
        others[name] = np.asarray(jax.device_get(rollout_metrics(cfg, pol, key, args.episodes)["mean_reduction"]),
                                  np.float64)
        report(learned, name, others[name], t0)
    for name in [a for a in args.against or () if a.startswith("run:")]:
        o_actor, o_params, o_cfg = run_policy(name[4:], cfg, args.scale)
        others[name] = np.asarray(seed_episode_metrics(o_cfg, o_actor, o_params, key, args.episodes)
                                  ["mean_reduction"], np.float64).mean(0)  # [episodes], its seed mean
        report(learned, name, others[name], t0)
    rows = paired_rows(learned, others)
    out = {"scale": list(args.scale), "seeds": int(learned.shape[0]), "episodes": args.episodes, "base": args.base,
           "source": args.source_from or args.run, "rows": rows,
           "per_episode": {"learned": learned.tolist(), **{n: x.tolist() for n, x in others.items()}}}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "paired.json"), "w") as fh:
        json.dump(out, fh, indent=1)
    print(f"M={args.scale[0]} N={args.scale[1]}, {args.episodes} episodes, {learned.shape[0]} seeds\n"
          + format_rows(rows), flush=True)
    return out


if __name__ == "__main__":
    main()
