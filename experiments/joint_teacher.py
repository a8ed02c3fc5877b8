"""A jointly planned teacher: cut seek (checked), with each jammer responding to where the jammers
before it are GOING this step rather than where they are.

`cut seek (checked)` (jaxjam.policies.cut_seek_policy, graph="checked") lets every jammer check
its K best candidate links against the graph the other jammers leave from where they are now,
all at once. `planned_policy` decides the jammers in order (a `lax.scan`): jammer j checks its
candidates against the graph that jammers < j leave from the goals they just chose and jammers
> j leave from where they are, and its own goal then replaces its position for the jammers after
it; `sweeps` > 1 repeats the pass with every other jammer at its goal. The eigensolves are those
of the checked policy (M·(1 + K) per step and sweep), in sequence instead of at once. With one
jammer the two policies are the same (tests/test_teacher_strength.py).

`--predict STEPS` probes another direction: the check on where the enemies will be STEPS steps
ahead (`cut_seek_policy(..., ahead_steps=STEPS)`). Session 22 (docs/results.md): at M=4 neither
is stronger than the simultaneous check; at M=40 the predicted check is, so it became the library
policy "cut seek (predicted)" while the planned one stays an experiment.

    python experiments/joint_teacher.py --scale 4x10 --episodes 64 --plans 4,1 16,1 4,2 16,2
    python experiments/joint_teacher.py --scale 4x10 --episodes 64 --plans --predict 2 5 10 20
    python experiments/joint_teacher.py --smoke
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from experiments.paired import paired_rows  # noqa: E402
from experiments.teacher_strength import EPISODE_KEY  # noqa: E402
from jaxjam.config import Config, override, parse_sets, preset  # noqa: E402
from jaxjam.curriculum import parse_scale, scaled  # noqa: E402
from jaxjam.env import Action  # noqa: E402
from jaxjam.evaluate import ci95, rollout_metrics  # noqa: E402
from jaxjam.physics import (  # noqa: E402
    jamming_masks, lambda2_and_fiedler, link_adjacency, link_midpoints, pairwise_sq_dist,
)
from jaxjam.physics.graph import jammed_links  # noqa: E402
from jaxjam.policies import cut_seek_policy  # noqa: E402
from jaxjam.policies.scripted import cell_scores, checked_goal, enemy_band, fly_to  # noqa: E402


def planned_policy(config: Config, checks: int = 4, sweeps: int = 1):
    """The jointly planned check (module docstring): `policy(key, obs, state) -> Action`.
    checks: int >= 1, candidate links per jammer; sweeps: int >= 1, passes over the jammers."""
    for name, v in (("checks", checks), ("sweeps", sweeps)):
        if isinstance(v, bool) or not (isinstance(v, (int, np.integer)) and v >= 1):
            raise ValueError(f"planned_policy {name} must be an int >= 1, got {v!r}")
    m, ph, solver = config.env.num_jammers, config.physics, config.physics.eigensolver
    iu, ju = np.triu_indices(config.env.num_enemies, 1)
    k = min(int(checks), iu.size)

    def act(key, obs, state):
        band, eb, pos = enemy_band(state, config), state.enemy_band, state.enemy_pos
        adj = link_adjacency(pos, eb, ph)
        mids = link_midpoints(pos, iu, ju)  # [L, 2] m
        owner = jnp.argmin(pairwise_sq_dist(state.jammer_pos, mids), axis=0)  # [L]: Voronoi cells now
        _, f_all = lambda2_and_fiedler(adj, solver=solver)

        def decide(carry, j):
            masks, goals = carry  # [M, N, N] what each jammer jams (at its goal once decided), [M, 2]
            count = jnp.sum(masks, axis=0, dtype=jnp.int32)
            left = adj & ~((count - masks[j]) > 0)  # the graph the others leave
            _, fo = lambda2_and_fiedler(left, solver=solver)
            f = jnp.where(jnp.any(fo != 0), fo, f_all)
            live = left[iu, ju]
            score = cell_scores(jnp.where(live, (f[iu] - f[ju]) ** 2, -1.0), (owner == j) & live)
            goal = checked_goal(pos, left, mids, score, k, eb, ph, solver)
            moves = jnp.any(live)
            goal = jnp.where(moves, goal, state.jammer_pos[j])
            there = jammed_links(pos, goal[None], jnp.full((1,), eb, jnp.int32), eb, ph)
            return (masks.at[j].set(jnp.where(moves, there, masks[j])), goals.at[j].set(goal)), None

        carry = (jamming_masks(pos, state.jammer_pos, band, eb, ph), state.jammer_pos)
        for _ in range(sweeps):
            carry, _ = jax.lax.scan(decide, carry, jnp.arange(m))
        return Action(velocity=fly_to(config, state.jammer_pos, carry[1]), band=band)
    return act


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="4x10", metavar="MxN")
    ap.add_argument("--episodes", type=int, default=32)
    ap.add_argument("--checks", type=int, nargs="*", default=[4, 16], metavar="K",
                    help="cut seek (checked) with K candidates, the simultaneous competitors")
    ap.add_argument("--plans", nargs="*", default=["4,1", "16,1"], metavar="K,SWEEPS",
                    help="planned policies: candidates per jammer, passes over the jammers")
    ap.add_argument("--predict", type=float, nargs="*", default=[], metavar="STEPS",
                    help="predicted policies: the check on the enemies' layout STEPS steps ahead")
    ap.add_argument("--predict-checks", type=int, default=4, metavar="K",
                    help="candidate links per jammer of the predicted policies")
    ap.add_argument("--base", nargs="*", default=[], metavar="SECTION.FIELD=VALUE")
    ap.add_argument("--out", default="runs/joint_teacher")
    ap.add_argument("--smoke", action="store_true", help="4x10, 2 episodes of 8 steps, K = 2")
    args = ap.parse_args(argv)
    if args.smoke:
        args.scale, args.episodes, args.checks, args.plans = "4x10", 2, [2], ["2,1", "2,2"]
        args.base = ["env.max_steps=8"] + args.base
    if args.episodes < 2:
        raise ValueError(f"--episodes must be ≥ 2 (a CI over episodes), got {args.episodes}")
    try:
        args.plans = [tuple(int(x) for x in p.split(",")) for p in args.plans]
    except ValueError:
        raise ValueError(f"--plans: each K,SWEEPS two ints, got {args.plans}") from None
    if any(len(p) != 2 for p in args.plans):
        raise ValueError(f"--plans: each K,SWEEPS two ints, got {args.plans}")
    args.scale = parse_scale(args.scale, "--scale")
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = scaled(override(preset("default"), parse_sets(args.base, "--base")), *args.scale)
    policies = {"cut seek": cut_seek_policy(cfg),
                **{f"cut seek (checked) K={k}": cut_seek_policy(cfg, "checked", checks=k) for k in args.checks},
                **{f"planned K={k} sweeps={s}": planned_policy(cfg, k, s) for k, s in args.plans},
                **{f"predicted {h:g} steps K={args.predict_checks}": cut_seek_policy(cfg, "checked", args.predict_checks, h)
                   for h in args.predict}}
    key = jax.random.PRNGKey(EPISODE_KEY + cfg.run.seed)
    res, rows = {}, []
    for name, pol in policies.items():
        t0 = time.time()
        res[name] = np.asarray(rollout_metrics(cfg, pol, key, args.episodes)["mean_reduction"], np.float64)
        mine, vs = paired_rows(res[name][None], {"cut seek": res["cut seek"]})
        rows.append({"policy": name, "mean": ci95(100 * res[name]), "difference": vs["difference"],
                     "won": vs["won"], "seconds": time.time() - t0})
        print(f"{name}: {rows[-1]['mean'][0]:.1f} ± {rows[-1]['mean'][1]:.1f} %, − cut seek "
              f"{vs['difference'][0]:+.1f} ± {vs['difference'][1]:.1f} ({rows[-1]['seconds']:.0f} s)", flush=True)
    out = {"scale": list(args.scale), "episodes": args.episodes, "base": args.base, "rows": rows,
           "per_episode": {n: x.tolist() for n, x in res.items()}}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "joint_teacher.json"), "w") as fh:
        json.dump(out, fh, indent=1)
    return out


if __name__ == "__main__":
    main()
