"""Transfer study: train at M=4, N=10; evaluate zero-shot at every scale of the scaling
document's Experiment 2; then at M=40, N=100 fine-tune vs train from scratch at equal steps.

1. S seeds train at the source scale (one program).
2. Zero-shot: the source policy (mode, CI over seeds) at (4, 10), (10, 25), (20, 50), (40, 100)
   — arena `arena_for(N)` as in experiments/scaling.py — beside every baseline of
   `jaxjam.policies` on the same episodes (CI over episodes).
3. At the target scale, S seeds fine-tune from the source parameters (seed i from source seed
   i; a fresh optimiser) and S seeds train from scratch, for the same env steps, evaluated at
   each milestone on the same episodes.

Writes transfer.json and transfer.png (zero-shot vs scale; fine-tune vs scratch vs steps).

    python experiments/transfer.py --seeds 8 --source-steps 1179648 --target-steps 1000000 \\
        --base env.obs=entity ppo.network=attention ppo.hidden=64 ppo.imitation_coef=1 \\
               ppo.lr_actor=1e-3 ppo.num_envs=256 ppo.rollout_steps=64 ppo.num_minibatches=16 \\
        --target-set ppo.imitation_coef=0
    python experiments/transfer.py --smoke          # the test suite's size
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import jax
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run as a script
from experiments.curriculum import SMOKE, pct  # noqa: E402  (the same tiny configs as its smoke run)
from experiments.scaling import SETTINGS, train_and_score  # noqa: E402
from jaxjam.config import override, preset  # noqa: E402
from jaxjam.curriculum import scaled  # noqa: E402
from jaxjam.evaluate import compare_policies, compare_seeds  # noqa: E402
from jaxjam.policies import baselines  # noqa: E402
from jaxjam.run import best_scripted  # noqa: E402
from jaxjam.xla_flags import apply_default_xla_flags  # noqa: E402


def zero_shot(source_cfg, actor, params, scales, episodes: int, with_planner: bool,
              on_row=lambda rows: None) -> list[dict]:
    """The source policy and the baselines at each (M, N) of `scales`, same episodes per scale;
    `on_row(rows)` after each scale (the script saves there, so a cut-off run keeps its rows)."""
    rows = []
    for m, n in scales:
        cfg = scaled(source_cfg, m, n)
        key = jax.random.PRNGKey(10_000 + cfg.run.seed)
        agg, _ = compare_seeds(cfg, actor, params, key, episodes)
        base = compare_policies(cfg, baselines(cfg, planner=with_planner), key, episodes)
        rows.append({"M": m, "N": n, "arena_m": cfg.env.arena_m, "zero-shot (mode)": pct(agg),
                     **{k: pct(v) for k, v in base.items()}, "best scripted": best_scripted(base)})
        r = rows[-1]
        print(f"zero-shot M={m:3d} N={n:3d}: {r['zero-shot (mode)'][0]:.1f} ± "
              f"{r['zero-shot (mode)'][1]:.1f} % | heuristic {r['heuristic'][0]:.1f} | "
              f"{r['best scripted']} {r[r['best scripted']][0]:.1f}"
              + (f" | planner {r['planner'][0]:.1f}" if "planner" in r else ""), flush=True)
        on_row(rows)
    return rows


def plot(zs: list[dict], tune: list[dict], scratch: list[dict], start: list[float], path: str) -> None:
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    x = list(range(len(zs)))
    best = zs[-1]["best scripted"]
    for i, (name, key) in enumerate([("zero-shot (mode)", "zero-shot (mode)"), ("heuristic", "heuristic"),
                                     (f"best scripted ({best})", best), ("planner", "planner")]):
        if key in zs[0]:
            a.errorbar(x, [r[key][0] for r in zs], yerr=[r[key][1] for r in zs], marker="o",
                       capsize=3, color=f"C{i}", label=name)
    a.set_xticks(x, [f"M={r['M']}\nN={r['N']}" for r in zs])
    a.set_ylabel("mean λ₂ reduction (%)")
    a.set_title(f"trained at M={zs[0]['M']}, N={zs[0]['N']}: zero-shot")
    a.legend(fontsize=7)
    for i, (name, rows, y0) in enumerate([("fine-tuned", tune, start), ("from scratch", scratch, None)]):
        xs = ([0] if y0 else []) + [r["env_steps"] for r in rows]
        ys = ([y0] if y0 else []) + [r["trained (mode)"] for r in rows]
        b.errorbar(xs, [y[0] for y in ys], yerr=[y[1] for y in ys], marker="o", capsize=3,
                   color=f"C{i + 4}", label=name)
    last = zs[-1]
    for key, style in (("planner", "--"), (best, ":")):
        if key in last:
            b.axhline(last[key][0], color="0.4", ls=style, label=key)
    b.set_xlabel(f"env steps per seed at M={last['M']}, N={last['N']}")
    b.set_title("fine-tuning vs training from scratch")
    b.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--source-steps", type=int, default=1_000_000, help="env steps per seed at M=4")
    ap.add_argument("--target-steps", type=int, default=1_000_000,
                    help="env steps per seed at the target, fine-tuned and from scratch alike")
    ap.add_argument("--milestones", type=int, default=2, help="evaluations along the target steps")
    ap.add_argument("--episodes", type=int, default=32)
    ap.add_argument("--base", nargs="*", default=[], metavar="SECTION.FIELD=VALUE")
    ap.add_argument("--target-set", nargs="*", default=[], metavar="SECTION.FIELD=VALUE",
                    help="changes at the target scale only, e.g. ppo.imitation_coef=0 (the planner "
                         "teacher at M=40 costs 40 placements per step) or ppo.teacher_envs=32")
    ap.add_argument("--zero-shot", choices=("all", "target"), default="all",
                    help="zero-shot at every scale of experiment 2, or only at the target scale "
                         "(the fine-tuning's starting point; a shorter run)")
    ap.add_argument("--no-planner", action="store_true", help="skip the planner (slow on CPU at M=40)")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (the test suite's run)")
    ap.add_argument("--out", default="runs/transfer")
    args = ap.parse_args(argv)
    apply_default_xla_flags()
    scales = SETTINGS[2]
    if args.smoke:
        scales = [(2, 6), (3, 8)]
        args.source_steps = args.target_steps = 64
        args.seeds, args.episodes, args.milestones, args.no_planner = 2, 2, 2, True
        args.base = SMOKE["base"] + args.base
    pairs = lambda items: dict(item.split("=", 1) for item in items)
    base = override(preset("default"), pairs(args.base))
    src_cfg = scaled(base, *scales[0], **{"ppo.total_steps": args.source_steps})
    print(f"source: M={scales[0][0]} N={scales[0][1]}, {args.source_steps:,} steps × {args.seeds} seeds",
          flush=True)
    os.makedirs(args.out, exist_ok=True)
    out = {"seeds": args.seeds, "episodes": args.episodes, "base": args.base, "target_set": args.target_set,
           "source_steps": args.source_steps, "target_steps": args.target_steps}

    def save(**rows):  # after every stage and zero-shot scale: a cut-off run keeps what it measured
        out.update(rows)
        with open(os.path.join(args.out, "transfer.json"), "w") as fh:
            json.dump(out, fh, indent=1)

    source, src = train_and_score(src_cfg, args.seeds, args.episodes, (args.source_steps,),
                                  not args.no_planner)
    save(source=source)
    params = jax.tree.map(jnp.copy, (src.actor_params, src.critic_params))
    zs_scales = scales if args.zero_shot == "all" else scales[-1:]
    zs = zero_shot(src_cfg, src.actor, params[0], zs_scales, args.episodes, not args.no_planner,
                   on_row=lambda rows: save(zero_shot=rows))
    tgt_cfg = override(scaled(base, *scales[-1], **{"ppo.total_steps": args.target_steps}),
                       pairs(args.target_set))
    marks = sorted({max(1, args.target_steps * (i + 1) // args.milestones) for i in range(args.milestones)})
    print(f"target: M={scales[-1][0]} N={scales[-1][1]}, {args.target_steps:,} steps × {args.seeds} "
          f"seeds, fine-tuned and from scratch", flush=True)
    tune, _ = train_and_score(tgt_cfg, args.seeds, args.episodes, marks, not args.no_planner, params)
    save(fine_tuned=tune)
    scratch, _ = train_and_score(tgt_cfg, args.seeds, args.episodes, marks, not args.no_planner)
    save(scratch=scratch)
    plot(zs, tune, scratch, zs[-1]["zero-shot (mode)"], os.path.join(args.out, "transfer.png"))
    for name, rows in (("fine-tuned", tune), ("from scratch", scratch)):
        print(f"{name:>12} at M={scales[-1][0]}: " + ", ".join(
            f"{r['env_steps']:,} steps {r['trained (mode)'][0]:.1f} ± {r['trained (mode)'][1]:.1f} %"
            for r in rows))
    print(f"wrote {args.out}/transfer.json and transfer.png")
    return out


if __name__ == "__main__":
    main()
