"""Transfer study: train at M=4, N=10; evaluate zero-shot at every scale of the scaling
document's Experiment 2; then at M=40, N=100 fine-tune vs train from scratch at equal steps.

1. S seeds train at the source scale (one program).
2. Zero-shot: the source policy (mode, CI over seeds) at (4, 10), (10, 25), (20, 50), (40, 100)
   — arena `arena_for(N)` as in experiments/scaling.py — beside every baseline of
   `jaxjam.policies` on the same episodes (CI over episodes).
3. At the target scale, the arms (`--arms`) train for the same env steps, each evaluated at
   each milestone on the same episodes:
   * tune: S seeds fine-tune from the source parameters (seed i from source seed i; a fresh
     optimiser);
   * scratch: S seeds from fresh parameters;
   * via: the source parameters first train through the `--via` stages (a curriculum, e.g.
     10x25 then 20x50), then fine-tune at the target — beside `tune`, the curriculum's
     contribution.

Writes transfer.json (after every stage, so a cut-off run keeps its rows) and transfer.png
(zero-shot vs scale; the arms vs steps). The arms can run as separate processes on one device:
one trains the source (`--save-source`), the others start from it (`--source-from`), and
`--merge` combines their directories. `--target MxN` moves the arms to another scale; at the
source's own (4x10) a fine-tune shows what restarting training costs without any change of task.
`--save-trained DIR` keeps each arm's final parameters as DIR/<arm>.pkl, a source like any other
(`paired.py --source-from DIR/tune.pkl` pairs the fine-tuned policy episode by episode).

    python experiments/transfer.py --seeds 8 --source-steps 1179648 --target-steps 1000000 \\
        --base env.obs=entity ppo.network=attention ppo.hidden=64 ppo.imitation_coef=1 \\
               ppo.lr_actor=1e-3 ppo.num_envs=256 ppo.rollout_steps=64 ppo.num_minibatches=16 \\
        --target-set ppo.teacher_envs=32 --arms tune scratch via --via 10x25:131072,20x50:131072
    python experiments/transfer.py --smoke          # the test suite's size
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import pickle
import sys

import jax
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run as a script
from experiments.curriculum import SMOKE, pct  # noqa: E402  (the same tiny configs as its smoke run)
from experiments.scaling import SETTINGS, baseline_results, train_and_score  # noqa: E402
from jaxjam.config import override, parse_sets, preset  # noqa: E402
from jaxjam.curriculum import parse_scale, parse_stages, scaled, train_stages  # noqa: E402
from jaxjam.evaluate import compare_seeds  # noqa: E402
from jaxjam.run import best_scripted  # noqa: E402
from jaxjam.train import make_train  # noqa: E402
from jaxjam.xla_flags import apply_default_xla_flags  # noqa: E402


def zero_shot(source_cfg, actor, params, scales, episodes: int, with_planner: bool,
              on_row=lambda rows: None, measured: dict | None = None) -> list[dict]:
    """The source policy and the baselines at each (M, N) of `scales`, same episodes per scale;
    `on_row(rows)` after each scale (the script saves there, so a cut-off run keeps its rows).
    `measured`, if given, receives each scale's baseline results under (M, N)."""
    rows = []
    for m, n in scales:
        cfg = scaled(source_cfg, m, n)
        key = jax.random.PRNGKey(10_000 + cfg.run.seed)
        agg, _ = compare_seeds(cfg, actor, params, key, episodes)
        base = baseline_results(cfg, episodes, with_planner)
        if measured is not None:
            measured[(m, n)] = base
        rows.append({"M": m, "N": n, "arena_m": cfg.env.arena_m, "zero-shot (mode)": pct(agg),
                     **{k: pct(v) for k, v in base.items()}, "best scripted": best_scripted(base)})
        r = rows[-1]
        print(f"zero-shot M={m:3d} N={n:3d}: {r['zero-shot (mode)'][0]:.1f} ± "
              f"{r['zero-shot (mode)'][1]:.1f} % | heuristic {r['heuristic'][0]:.1f} | "
              f"{r['best scripted']} {r[r['best scripted']][0]:.1f}"
              + (f" | planner {r['planner'][0]:.1f}" if "planner" in r else ""), flush=True)
        on_row(rows)
    return rows


def abstract_train_state(cfg):
    """The train state `cfg` builds (its static actor module, its parameters' shapes), traced
    but not compiled or run."""
    return jax.eval_shape(make_train(cfg).init, jax.random.PRNGKey(0)).train_state


def load_source(path: str, template, seeds: int):
    """(actor, critic) parameters [seeds, ...] from a `--save-source` file — its first `seeds`
    seeds when it holds more — checked against the networks of `template` (`abstract_train_state`
    of the same --base) and the seed count before anything compiles. A name ending in .xz is
    read through lzma (experiments/sources holds one)."""
    with (lzma.open if str(path).endswith(".xz") else open)(path, "rb") as fh:
        params = pickle.load(fh)
    want = jax.tree.map(lambda x: tuple(x.shape), (template.actor_params, template.critic_params))
    got = jax.tree.map(lambda x: tuple(x.shape[1:]), params)
    if got != want or min(x.shape[0] for x in jax.tree.leaves(params)) < seeds:
        raise ValueError(f"--source-from {path}: its networks do not match --base and --seeds "
                         f"{seeds} (shapes {jax.tree.leaves(got)[:3]}… vs {jax.tree.leaves(want)[:3]}…); "
                         "use the --base of the run that saved it and at most its number of seeds")
    return jax.tree.map(lambda x: jnp.asarray(x[:seeds]), params)


def source_actor_params(path: str | None, src_cfg, seeds: int):
    """(the train-state template of `src_cfg`, actor parameters `[seeds, ...]`): read from a
    `--save-source` file, or with `path` None (a --smoke run) fresh ones per seed."""
    template = abstract_train_state(src_cfg)
    if path:
        return template, load_source(path, template, seeds)[0]
    init = jax.vmap(make_train(src_cfg).init)
    return template, init(jax.random.split(jax.random.PRNGKey(0), seeds)).train_state.actor_params


def require_source(args) -> None:
    """The scripts that read a source: `--source-from` is required unless `--smoke`."""
    if not args.smoke and not args.source_from:
        raise ValueError("--source-from FILE is required (a transfer.py --save-source file), unless --smoke")


ARMS = {"tune": ("fine_tuned", "fine-tuned"), "scratch": ("scratch", "from scratch"),
        "via": ("via", "curriculum, then fine-tuned")}


def plot(out: dict, path: str) -> None:
    """Zero-shot vs scale (left) and every target arm vs steps (right), CIs as error bars."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    zs = out.get("zero_shot", [])
    best = zs[-1]["best scripted"] if zs else None
    x = list(range(len(zs)))
    for i, (name, key) in enumerate([("zero-shot (mode)", "zero-shot (mode)"), ("heuristic", "heuristic"),
                                     (f"best scripted ({best})", best), ("planner", "planner")]):
        if zs and key in zs[0]:
            a.errorbar(x, [r[key][0] for r in zs], yerr=[r[key][1] for r in zs], marker="o",
                       capsize=3, color=f"C{i}", label=name)
    if zs:
        a.set_xticks(x, [f"M={r['M']}\nN={r['N']}" for r in zs])
        src = out.get("source") or zs  # older JSON has no source_scale: the source row's scale
        m, n = out.get("source_scale") or (src[0]["M"], src[0]["N"])
        a.set_title(f"trained at M={m}, N={n}: zero-shot")
        a.legend(fontsize=7)
    a.set_ylabel("mean λ₂ reduction (%)")
    last = None
    for i, (arm, (key, label)) in enumerate(ARMS.items()):
        rows = out.get(key)
        if not rows:
            continue
        last = rows[-1]
        y0 = out.get("start", {}).get(arm)
        xs = ([0] if y0 else []) + [r["env_steps"] for r in rows]
        ys = ([y0] if y0 else []) + [r["trained (mode)"] for r in rows]
        b.errorbar(xs, [y[0] for y in ys], yerr=[y[1] for y in ys], marker="o", capsize=3,
                   color=f"C{i + 4}", label=label)
    if last is not None:  # the baselines at the target: the zero-shot row's, else an arm's
        ref = zs[-1] if zs and (zs[-1]["M"], zs[-1]["N"]) == (last["M"], last["N"]) else last
        for key, style in (("planner", "--"), (ref["best scripted"], ":")):
            if key in ref:
                b.axhline(ref[key][0], color="0.4", ls=style, label=key)
        b.set_xlabel(f"env steps per seed at M={last['M']}, N={last['N']}")
        b.legend(fontsize=7)
    b.set_title("at the target: fine-tuning vs training from scratch")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def merge(dirs: list[str], out_dir: str) -> dict:
    """Combine the transfer.json of runs that split the study (e.g. `--arms scratch` beside
    `--arms tune`) into `out_dir`'s transfer.json and transfer.png; "arms" lists every run's
    arms, and a later directory's entry wins where two hold any other same one."""
    out: dict = {"merged_from": dirs}
    for d in dirs:
        with open(os.path.join(d, "transfer.json")) as fh:
            part = json.load(fh)
        arms = list(dict.fromkeys(out.get("arms", []) + part.get("arms", [])))  # every run's, in order
        out.update({k: v for k, v in part.items() if k != "start"}, arms=arms)
        out.setdefault("start", {}).update(part.get("start", {}))
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "transfer.json"), "w") as fh:
        json.dump(out, fh, indent=1)
    plot(out, os.path.join(out_dir, "transfer.png"))
    print(f"wrote {out_dir}/transfer.json and transfer.png")
    return out


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--source-steps", type=int, default=1_000_000, help="env steps per seed at M=4")
    ap.add_argument("--target-steps", type=int, default=1_000_000,
                    help="env steps per seed at the target, every arm alike")
    ap.add_argument("--milestones", type=int, default=2, help="evaluations along the target steps")
    ap.add_argument("--target", metavar="MxN",
                    help="the scale the arms train at (arena arena_for(N); default 40x100, the last "
                         "scale of experiment 2); e.g. 4x10 fine-tunes "
                         "at the source's own scale, which separates a restart's effect from the scale's")
    ap.add_argument("--episodes", type=int, default=32)
    ap.add_argument("--base", nargs="*", default=[], metavar="SECTION.FIELD=VALUE")
    ap.add_argument("--target-set", nargs="*", default=[], metavar="SECTION.FIELD=VALUE",
                    help="changes at the target scale (and the --via stages) only, e.g. "
                         "ppo.imitation_coef=0 (the planner teacher at M=40 costs 40 placements "
                         "per step) or ppo.teacher_envs=32")
    ap.add_argument("--zero-shot", choices=("all", "target", "none"), default="all",
                    help="zero-shot at every scale of experiment 2, only at the target scale "
                         "(the fine-tuning's starting point; a shorter run), or not at all")
    ap.add_argument("--arms", nargs="+", choices=tuple(ARMS), default=["tune", "scratch"],
                    help="what trains at the target: tune (from the source), scratch, via (the "
                         "source through the --via stages, then the target)")
    ap.add_argument("--via", default="", metavar="MxN:STEPS,...",
                    help="the curriculum between source and target for the 'via' arm, "
                         "e.g. 10x25:131072,20x50:131072")
    ap.add_argument("--save-source", metavar="FILE", help="pickle the source parameters here")
    ap.add_argument("--save-trained", metavar="DIR",
                    help="pickle each arm's parameters after the target's training as DIR/<arm>.pkl "
                         "(readable by --source-from and experiments/paired.py like a source)")
    ap.add_argument("--source-from", metavar="FILE",
                    help="a --save-source file of the same --base and --seeds: skip source training")
    ap.add_argument("--merge", nargs="+", metavar="DIR",
                    help="only combine these runs' transfer.json into --out (and plot)")
    ap.add_argument("--no-planner", action="store_true", help="skip the planner (slow on CPU at M=40)")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (the test suite's run)")
    ap.add_argument("--out", default="runs/transfer")
    args = ap.parse_args(argv)
    if "via" in args.arms and not args.via:
        raise ValueError("--arms via needs --via MxN:STEPS,... (the stages between source and target)")
    if args.via:
        parse_stages(args.via)  # its errors before anything compiles
    if args.target:
        args.target = parse_scale(args.target)
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.merge:
        return merge(args.merge, args.out)
    apply_default_xla_flags()
    scales = SETTINGS[2]
    if args.smoke:
        scales = [(2, 6), (3, 8)]
        args.source_steps = args.target_steps = 64
        args.seeds, args.episodes, args.milestones, args.no_planner = 2, 2, 2, True
        args.base = SMOKE["base"] + args.base
    target = args.target or tuple(scales[-1])
    base = override(preset("default"), parse_sets(args.base, "--base"))
    target_set = parse_sets(args.target_set, "--target-set")
    src_cfg = scaled(base, *scales[0], **{"ppo.total_steps": args.source_steps})
    os.makedirs(args.out, exist_ok=True)
    out = {"seeds": args.seeds, "episodes": args.episodes, "source_scale": list(scales[0]),
           "base": args.base, "target_set": args.target_set,
           "source_steps": args.source_steps, "target_steps": args.target_steps, "target": list(target),
           "arms": args.arms,
           "via_stages": args.via, "start": {}}

    def save(**rows):  # after every stage and zero-shot scale: a cut-off run keeps what it measured
        out.update(rows)
        with open(os.path.join(args.out, "transfer.json"), "w") as fh:
            json.dump(out, fh, indent=1)

    params, measured, template = None, {}, abstract_train_state(src_cfg)
    if args.source_from:
        params = load_source(args.source_from, template, args.seeds)
        print(f"source: {args.source_from}", flush=True)
    elif args.zero_shot != "none" or {"tune", "via"} & set(args.arms):
        print(f"source: M={scales[0][0]} N={scales[0][1]}, {args.source_steps:,} steps × {args.seeds} "
              "seeds", flush=True)
        source, src = train_and_score(src_cfg, args.seeds, args.episodes, (args.source_steps,),
                                      not args.no_planner)
        params = jax.tree.map(jnp.copy, (src.actor_params, src.critic_params))
        save(source=source)
        if args.save_source:
            with open(args.save_source, "wb") as fh:
                pickle.dump(jax.device_get(params), fh)
    actor = template.actor  # the same module at every scale (the width is scale-free)
    if args.zero_shot != "none":
        zs = zero_shot(src_cfg, actor, params[0], scales if args.zero_shot == "all" else [target],
                       args.episodes, not args.no_planner, on_row=lambda rows: save(zero_shot=rows),
                       measured=measured)
        for r in zs:  # the fine-tuning's starting point: the zero-shot row at the target
            if (r["M"], r["N"]) == target:
                out["start"]["tune"] = r["zero-shot (mode)"]
    tgt_cfg = override(scaled(base, *target, **{"ppo.total_steps": args.target_steps}),
                       target_set)
    target_base = measured.get(target) or baseline_results(tgt_cfg, args.episodes, not args.no_planner)
    marks = sorted({max(1, args.target_steps * (i + 1) // args.milestones) for i in range(args.milestones)})
    for arm in args.arms:
        start = None if arm == "scratch" else jax.tree.map(jnp.copy, params)  # training donates it
        if arm == "via":
            for cfg, ts in train_stages(override(base, target_set), parse_stages(args.via),
                                        args.seeds, params=start):
                print(f"via M={cfg.env.num_jammers} N={cfg.env.num_enemies}: "
                      f"{cfg.ppo.total_steps:,} steps × {args.seeds} seeds trained", flush=True)
            start = jax.tree.map(jnp.copy, (ts.actor_params, ts.critic_params))
            agg, _ = compare_seeds(tgt_cfg, actor, start[0], jax.random.PRNGKey(10_000 + tgt_cfg.run.seed),
                                   args.episodes)
            out["start"]["via"] = pct(agg)
            save()  # a run cut off during the target's training keeps the curriculum's zero-shot
            print(f"via, zero-shot at M={target[0]}: {pct(agg)[0]:.1f} ± {pct(agg)[1]:.1f} %", flush=True)
        print(f"target: M={target[0]} N={target[1]}, {args.target_steps:,} steps × {args.seeds} "
              f"seeds, {ARMS[arm][1]}", flush=True)
        rows, ts = train_and_score(tgt_cfg, args.seeds, args.episodes, marks, not args.no_planner, start,
                                   base=target_base)
        save(**{ARMS[arm][0]: rows})
        if args.save_trained:  # this arm's parameters after the target's training, for --source-from
            os.makedirs(args.save_trained, exist_ok=True)
            with open(os.path.join(args.save_trained, f"{arm}.pkl"), "wb") as fh:
                pickle.dump(jax.device_get((ts.actor_params, ts.critic_params)), fh)
        print(f"{ARMS[arm][1]:>12} at M={target[0]}: " + ", ".join(
            f"{r['env_steps']:,} steps {r['trained (mode)'][0]:.1f} ± {r['trained (mode)'][1]:.1f} %"
            for r in rows), flush=True)
    save()
    plot(out, os.path.join(args.out, "transfer.png"))
    print(f"wrote {args.out}/transfer.json and transfer.png")
    return out


if __name__ == "__main__":
    main()
