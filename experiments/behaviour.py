"""What the trained jammers do differently from the planner: statistics of one trained seed,
the planner and other baselines over whole episodes, the same episodes for every policy, and a
snapshot of each in the first episode at the step (from `--from-step`) where the unjammed swarm
is best connected.

Per episode, averaged over its steps (CI over episodes):
* λ₂ reduction (%), as the env reports it;
* live links jammed (%): jammed links / live links of the unjammed graph;
* cut links jammed (%): of the live links across the unjammed graph's Fiedler cut (the links
  whose loss lowers λ₂ most, where the planner aims), the share jammed;
* on the enemy band (%): jammers whose band is the enemy's;
* nearest jammer (m): the median over jammers of the distance to the closest other jammer
  (small = jammers crowd onto the same spot);
* jammers on a live link (%): jammers on the enemy band within the jamming range of some live
  link's midpoint (recomputed from positions, jammer by jammer);
* ... of them alone (%): jammers that jam some live link no other jammer jams;
* jammers per jammed link: the mean over jammed live links of how many jammers jam each.
`--from-step S` averages over steps S..T only (the steady state, once the jammers have arrived).

    python experiments/behaviour.py --source-from experiments/sources/attention_m4_2M_8seeds.pkl.xz \\
        --base $BASE --target 40x100 --episodes 4          # $BASE: experiments/sources/README.md
    python experiments/behaviour.py ... --target 40x100 --episodes 6 --planner-shortlist 1 --from-step 50
    python experiments/behaviour.py --smoke                 # the test suite's size

Writes behaviour.json and behaviour.png.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import jax
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run as a script
from experiments.curriculum import SMOKE  # noqa: E402
from experiments.transfer import abstract_train_state, load_source, require_source  # noqa: E402
from jaxjam.animate import Trace, draw_map, trace_program  # noqa: E402
from jaxjam.config import override, parse_sets, preset  # noqa: E402
from jaxjam.curriculum import parse_scale, scaled  # noqa: E402
from jaxjam.evaluate import actor_policy, ci95  # noqa: E402
from jaxjam.physics import band_ranges_m, jamming_masks_within  # noqa: E402
from jaxjam.policies import baselines  # noqa: E402
from jaxjam.policies.planner import planner_policy  # noqa: E402
from jaxjam.train import make_train  # noqa: E402

STATS = ("λ₂ reduction (%)", "live links jammed (%)", "cut links jammed (%)", "on the enemy band (%)",
         "nearest jammer (m)", "jammers on a live link (%)", "... of them alone (%)", "jammers per jammed link")


def coverage(tr: Trace, jam_range_m, t0: int, min_distance_m: float = 0.0):
    """Per step t0..T: `[T', M, L]` bool, jammer m jams live link l (L = the N(N−1)/2 node
    pairs), from positions by the env's own rule (`physics.jamming_masks_within`, per-band
    jamming ranges `jam_range_m [B]` m)."""
    n = tr.enemy_pos.shape[1]
    iu, ju = np.triu_indices(n, 1)
    masks = jax.jit(jax.vmap(jamming_masks_within, in_axes=(0, 0, 0, 0, None, None)))(
        tr.enemy_pos[t0:], tr.jammer_pos[t0:], tr.jammer_band[t0:], tr.enemy_band[t0:],
        np.asarray(jam_range_m, np.float32), min_distance_m)  # [T', M, N, N]
    return np.asarray(masks)[:, :, iu, ju] & tr.live[t0:, iu, ju][:, None]


def trace_stats(tr: Trace, jam_range_m, from_step: int = 1, min_distance_m: float = 0.0) -> dict[str, float]:
    """The module docstring's statistics of one episode, averaged over its steps from_step..T
    (`jam_range_m [B]`, `min_distance_m`: the jamming rule's numbers, `coverage`)."""
    t0 = from_step
    live, jammed, cut = tr.live[t0:], tr.jammed[t0:], tr.cut[t0:]
    share = lambda num, den: float(np.mean(num.sum((1, 2)) / np.maximum(den.sum((1, 2)), 1)))  # noqa: E731
    jp = tr.jammer_pos[t0:]
    d = np.linalg.norm(jp[:, :, None] - jp[:, None], axis=-1)
    d[:, np.arange(d.shape[1]), np.arange(d.shape[1])] = np.inf
    nearest = np.median(d.min(-1), axis=-1) if d.shape[1] > 1 else np.full(len(d), np.nan)
    cov = coverage(tr, jam_range_m, t0, min_distance_m)  # [T', M, L]
    per_link = cov.sum(1)  # [T', L] jammers on each link
    alone = (cov & (per_link == 1)[:, None]).any(-1)  # [T', M]
    multiplicity = per_link.sum() / max((per_link > 0).sum(), 1)
    return dict(zip(STATS, (100 * float(tr.reduction[t0:].mean()), 100 * share(jammed, live),
                            100 * share(jammed & cut, cut),
                            100 * float(np.mean(tr.jammer_band[t0:] == tr.enemy_band[t0:, None])),
                            float(np.mean(nearest)), 100 * float(cov.any(-1).mean()),
                            100 * float(alone.mean()), float(multiplicity))))


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source-from", metavar="FILE", help="a transfer.py --save-source file (.pkl or .pkl.xz)")
    ap.add_argument("--seed", type=int, default=0, help="which of the file's seeds plays 'trained'")
    ap.add_argument("--base", nargs="*", default=[], metavar="SECTION.FIELD=VALUE")
    ap.add_argument("--target", default="40x100", metavar="MxN", help="arena arena_for(N)")
    ap.add_argument("--policies", nargs="+", default=["planner", "disperse 30 m"],
                    help="baselines beside the trained policy (jaxjam.policies names)")
    ap.add_argument("--episodes", type=int, default=4)
    ap.add_argument("--planner-shortlist", type=int, default=8,
                    help="links the planner checks per target (jaxjam eval's is 8; 1 is ~4x cheaper)")
    ap.add_argument("--from-step", type=int, default=1, help="average the statistics over steps S..T")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, fresh parameters")
    ap.add_argument("--out", default="runs/behaviour")
    args = ap.parse_args(argv)
    require_source(args)
    if args.episodes < 2 or args.seed < 0:
        raise ValueError(f"--episodes must be >= 2 (a CI) and --seed >= 0, got {args.episodes}, {args.seed}")
    args.target = parse_scale(args.target)
    return args


def check_from_step(from_step: int, max_steps: int) -> None:
    if not 1 <= from_step <= max_steps:
        raise ValueError(f"--from-step must be in [1, env.max_steps = {max_steps}], got {from_step}")


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.smoke:
        args.episodes, args.target = 2, (3, 8)
        args.base = SMOKE["base"] + args.base
    base = override(preset("default"), parse_sets(args.base, "--base"))
    src_cfg = scaled(base, 4, 10)
    template = abstract_train_state(src_cfg)
    if args.source_from:
        params = load_source(args.source_from, template, args.seed + 1)[0]
        params = jax.tree.map(lambda x: x[args.seed], params)
    else:  # smoke: fresh parameters
        params = make_train(src_cfg).init(jax.random.PRNGKey(0)).train_state.actor_params
    cfg = scaled(base, *args.target)
    check_from_step(args.from_step, cfg.env.max_steps)
    r_jam = band_ranges_m(cfg.physics)[1]  # [B] m
    table = {**baselines(cfg, planner=False), "planner": planner_policy(cfg, args.planner_shortlist)}
    unknown = [p for p in args.policies if p not in table]
    if unknown:
        raise ValueError(f"--policies: unknown {unknown}; allowed: {', '.join(table)}")
    policies = {"trained (mode)": actor_policy(cfg, template.actor, params), **{p: table[p] for p in args.policies}}
    keys = jax.random.split(jax.random.PRNGKey(20_000 + cfg.run.seed), args.episodes)
    out = {"target": list(args.target), "episodes": args.episodes, "seed": args.seed, "base": args.base,
           "from_step": args.from_step,
           "planner_shortlist": args.planner_shortlist, "stats": {}}
    snaps = {}
    for name, policy in policies.items():  # every episode in one program per policy
        batch = jax.device_get(jax.jit(jax.vmap(trace_program(cfg, policy, cfg.env.max_steps)))(keys))
        traces = [Trace(*(np.asarray(x[e]) for x in batch)) for e in range(args.episodes)]
        snaps[name] = traces[0]
        per_ep = [trace_stats(tr, r_jam, args.from_step, cfg.physics.min_distance_m) for tr in traces]
        out["stats"][name] = {s: list(ci95([e[s] for e in per_ep])) for s in STATS}
        print(f"{name:>16}: " + " | ".join(f"{s} {v[0]:.1f} ± {v[1]:.1f}" for s, v in out["stats"][name].items()),
              flush=True)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "behaviour.json"), "w") as fh:
        json.dump(out, fh, indent=1)
    fig, axes = plt.subplots(1, len(snaps), figsize=(4.6 * len(snaps), 4.6))
    first = next(iter(snaps.values()))  # the step (from --from-step) where the unjammed swarm is
    t0 = args.from_step                 # best connected (enemy motion does not depend on the jammers)
    t = t0 + int(np.argmax(first.lambda2_unjammed[t0:]))
    for ax, (name, tr) in zip(np.atleast_1d(axes), snaps.items()):
        draw_map(ax, cfg, tr, t, r_jam)
        ax.set_title(f"{name}, step {t}: λ₂ reduction {100 * tr.reduction[t]:.0f} %", fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "behaviour.png"), dpi=110)
    plt.close(fig)
    print(f"wrote {args.out}/behaviour.json and behaviour.png")
    return out


if __name__ == "__main__":
    main()
