"""Teacher strength: cut seek against cut seek (checked) with K candidates per jammer, episode by episode.

"cut seek (checked)" (jaxjam.policies.scripted.cut_seek_policy, graph="checked") checks each
jammer's K most Fiedler-sensitive candidate links by the λ₂ that jamming from them would leave,
at M·(1 + K) eigensolves per step; the library's teacher uses K = 4. Here "cut seek" and the
checked policy at every K run the SAME episodes (`jaxjam.evaluate`, the episode key of
`paired.py` and `jaxjam eval` by default), and the table gives per policy its mean λ₂ reduction
% ± 95 % CI over episodes, the paired difference d_e = (checked K) − (cut seek) in points ± CI
over episodes, the share of episodes checked K wins (strictly), and its wall seconds (compile
and run). K = 1 is cut seek (others).

    python experiments/teacher_strength.py --scale 4x10 --episodes 32
    python experiments/teacher_strength.py --scale 40x100 --episodes 16 --checks 1 4 16 --out runs/teacher_m40
    python experiments/teacher_strength.py --smoke      # the test suite's size (4x10, 2 episodes, K = 1 2)
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

from experiments.paired import paired_rows  # noqa: E402
from jaxjam.config import override, parse_sets, preset  # noqa: E402
from jaxjam.curriculum import parse_scale, scaled  # noqa: E402
from jaxjam.evaluate import ci95, rollout_metrics  # noqa: E402
from jaxjam.policies import cut_seek_policy  # noqa: E402
from jaxjam.xla_flags import apply_default_xla_flags  # noqa: E402

BASE = "cut seek"
DEFAULT_CHECKS = [1, 2, 4, 8, 16]
EPISODE_KEY = 10_000  # + run.seed: the episodes of paired.py, transfer.py and jaxjam eval


def checked_name(k: int) -> str:
    return f"cut seek (checked) K={k}"


def strength_policies(cfg, checks) -> dict:
    """{name: policy}: cut seek, then cut seek (checked) at each K (closures only: a bad K is a
    ValueError here, before anything compiles)."""
    return {BASE: cut_seek_policy(cfg), **{checked_name(k): cut_seek_policy(cfg, "checked", checks=k)
                                           for k in checks}}


def strength_rows(results: dict[str, np.ndarray], checks, seconds: dict[str, float]) -> list[dict]:
    """results {name: `[E]` λ₂ reduction fractions, the same episodes} -> one row per policy in %:
    mean ± CI over episodes, and for checked K the paired difference (K − cut seek) ± CI over
    episodes and the share of episodes it wins (experiments.paired.paired_rows)."""
    base = results[BASE]
    rows = [{"policy": BASE, "checks": None, "mean": ci95(100 * base), "seconds": seconds[BASE]}]
    for k in checks:
        name = checked_name(k)
        if name not in results:  # a run cut off: the rows so far
            continue
        mine, vs = paired_rows(results[name][None], {BASE: base})
        rows.append({"policy": name, "checks": k, "mean": mine["mean"], "difference": vs["difference"],
                     "won": vs["won"], "seconds": seconds[name]})
    return rows


def format_rows(rows: list[dict]) -> str:
    lines = ["| K | mean λ₂ reduction % (CI over episodes) | − cut seek, paired (points) | episodes won vs cut seek | s |",
             "|---|---|---|---|---|"]
    for r in rows:
        m = f"{r['mean'][0]:.1f} ± {r['mean'][1]:.1f}"
        if r["checks"] is None:
            lines.append(f"| cut seek | {m} | | | {r['seconds']:.0f} |")
        else:
            d = r["difference"]
            lines.append(f"| {r['checks']} | {m} | {d[0]:+.1f} ± {d[1]:.1f} | {100 * r['won']:.0f} % | "
                         f"{r['seconds']:.0f} |")
    return "\n".join(lines)


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="4x10", metavar="MxN", help="evaluate at M jammers, N enemies")
    ap.add_argument("--episodes", type=int, default=32)
    ap.add_argument("--checks", type=int, nargs="+", default=DEFAULT_CHECKS, metavar="K",
                    help="candidate links per jammer of cut seek (checked), one policy each")
    ap.add_argument("--key", type=int, default=EPISODE_KEY,
                    help="episodes from PRNGKey(KEY + run.seed); the default is paired.py's")
    ap.add_argument("--base", nargs="*", default=[], metavar="SECTION.FIELD=VALUE",
                    help="config overrides of preset default (before --scale)")
    ap.add_argument("--out", default="runs/teacher_strength")
    ap.add_argument("--smoke", action="store_true", help="4x10, 2 episodes, K = 1 2, 8-step episodes")
    args = ap.parse_args(argv)
    if args.smoke:
        args.scale, args.episodes, args.checks = "4x10", 2, [1, 2]
        args.base = ["env.max_steps=8"] + args.base
    if args.episodes < 2:
        raise ValueError(f"--episodes must be ≥ 2 (a CI over episodes), got {args.episodes}")
    if len(set(args.checks)) != len(args.checks):
        raise ValueError(f"--checks: each K once, got {args.checks}")
    args.scale = parse_scale(args.scale, "--scale")
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    apply_default_xla_flags()
    cfg = scaled(override(preset("default"), parse_sets(args.base, "--base")), *args.scale)
    policies = strength_policies(cfg, args.checks)
    key = jax.random.PRNGKey(args.key + cfg.run.seed)
    results, seconds = {}, {}
    for name, pol in policies.items():
        t0 = time.time()
        results[name] = np.asarray(jax.device_get(rollout_metrics(cfg, pol, key, args.episodes)["mean_reduction"]),
                                   np.float64)
        seconds[name] = time.time() - t0
        row = strength_rows(results, args.checks, seconds)[-1]  # this policy's, as it comes
        vs = f", − cut seek {row['difference'][0]:+.1f} ± {row['difference'][1]:.1f}" if "difference" in row else ""
        print(f"{name}: {row['mean'][0]:.1f} ± {row['mean'][1]:.1f} %{vs} ({seconds[name]:.0f} s)", flush=True)
    rows = strength_rows(results, args.checks, seconds)
    out = {"scale": list(args.scale), "episodes": args.episodes, "key": args.key, "run_seed": cfg.run.seed,
           "base": args.base, "checks": args.checks, "rows": rows,
           "per_episode": {n: x.tolist() for n, x in results.items()}}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "teacher_strength.json"), "w") as fh:
        json.dump(out, fh, indent=1)
    print(f"M={args.scale[0]} N={args.scale[1]}, {args.episodes} episodes, key {args.key} + run.seed "
          f"{cfg.run.seed}, device {jax.devices()[0].platform}\n" + format_rows(rows), flush=True)
    return out


if __name__ == "__main__":
    main()
