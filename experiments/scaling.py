"""The user's three scaling experiments (scalability document), 8 seeds per setting in one program.

* exp1: N = 10, 25, 50, 100 at M = 4;
* exp2: M/N = 0.4: (4, 10), (10, 25), (20, 50), (40, 100);
* exp3: 200 K, 500 K, 1 M, 2 M steps at M = 40, N = 100: ONE run to the largest budget,
  evaluated at each budget from its checkpoints (a run stopped at 500 K is the 2 M run's
  first 500 K steps except for the learning-rate schedule, which here decays over 2 M).

Arena per setting: `jaxjam.curriculum.arena_for(N)` = 200 m at N = 10, 500 m at N = 100
(the presets), log-linear between (25: 288 m, 50: 379 m): the document grows the arena with
the swarm; this keeps both presets' densities at their ends. Each setting's trained policy
(mode; 95 % CI over seeds) and every baseline of `jaxjam.policies` (CI over episodes) run on
the same episodes. Writes JSON and a figure per experiment with the document's predicted
ranges (35–40, 30–35, 25–30, 20–25 %) drawn beside exp2.

    python experiments/scaling.py --exp 2 --seeds 8 --steps 2000000 \\
        --base env.obs=entity ppo.network=attention ppo.hidden=64 ppo.imitation_coef=1
    python experiments/scaling.py --smoke           # the test suite's size
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import jax
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run as a script
from experiments.curriculum import SMOKE, pct  # noqa: E402  (the same tiny configs as its smoke run)
from jaxjam.config import load_yaml, override, parse_sets, preset  # noqa: E402
from jaxjam.curriculum import scaled  # noqa: E402
from jaxjam.evaluate import compare_policies, compare_seeds  # noqa: E402
from jaxjam.policies import baselines  # noqa: E402
from jaxjam.run import best_scripted  # noqa: E402
from jaxjam.train import compile_programs, make_train  # noqa: E402
from jaxjam.xla_flags import apply_default_xla_flags  # noqa: E402

SETTINGS = {1: [(4, 10), (4, 25), (4, 50), (4, 100)],
            2: [(4, 10), (10, 25), (20, 50), (40, 100)],
            3: [(40, 100)]}
BUDGETS = (200_000, 500_000, 1_000_000, 2_000_000)
PREDICTED = {(4, 10): (35, 40), (10, 25): (30, 35), (20, 50): (25, 30), (40, 100): (20, 25)}


def baseline_results(cfg, episodes: int, with_planner: bool) -> dict:
    """Every baseline of `jaxjam.policies` (the planner if `with_planner`) on the evaluation
    episodes of `cfg` (key 10 000 + run.seed, as `train_and_score` evaluates the trained policy)."""
    key = jax.random.PRNGKey(10_000 + cfg.run.seed)
    return compare_policies(cfg, baselines(cfg, planner=with_planner), key, episodes)


def train_and_score(cfg, seeds: int, episodes: int, milestones, with_planner: bool,
                    params=None, base: dict | None = None) -> tuple[list[dict], object]:
    """Train `seeds` seeds of `cfg` in one program; at each env-step milestone evaluate the
    mode policy (CI over seeds) and, once, the baselines (CI over episodes). `params`: the
    (actor, critic) parameters [S, ...] to start from (fine-tuning; a fresh optimiser), else
    fresh ones. `base`: the baselines' `compare_policies` results on these episodes, if
    already measured (`baseline_results`). Returns (rows, the final train state)."""
    trainer = make_train(cfg)
    key = jax.random.PRNGKey(cfg.run.seed)
    init, chunk = compile_programs(trainer, key, seeds, seed_axis=True)
    runner = init(jax.random.split(key, seeds))
    if params is not None:
        runner = runner.replace(train_state=runner.train_state.replace(
            actor_params=params[0], critic_params=params[1]))
    per_chunk = trainer.updates_per_chunk * trainer.steps_per_update
    eval_key = jax.random.PRNGKey(10_000 + cfg.run.seed)
    base = baseline_results(cfg, episodes, with_planner) if base is None else base
    best = best_scripted(base)
    rows, done, t0 = [], 0, time.perf_counter()
    for target in milestones:
        while done < target:
            runner, _ = chunk(runner)
            done += per_chunk
        ts = runner.train_state
        agg, _ = compare_seeds(cfg, ts.actor, jax.tree.map(jnp.copy, ts.actor_params), eval_key, episodes)
        rows.append({"M": cfg.env.num_jammers, "N": cfg.env.num_enemies, "arena_m": cfg.env.arena_m,
                     "env_steps": done, "train_s": time.perf_counter() - t0, "trained (mode)": pct(agg),
                     **{k: pct(v) for k, v in base.items()}, "best scripted": best})
        print(f"M={cfg.env.num_jammers:3d} N={cfg.env.num_enemies:3d} {done:>10,} steps: trained "
              f"{rows[-1]['trained (mode)'][0]:.1f} ± {rows[-1]['trained (mode)'][1]:.1f} % | heuristic "
              f"{rows[-1]['heuristic'][0]:.1f} | {best} {rows[-1][best][0]:.1f}"
              + (f" | planner {rows[-1]['planner'][0]:.1f}" if "planner" in base else ""), flush=True)
    return rows, runner.train_state


def plot(rows: list[dict], exp: int, path: str) -> None:
    """Reduction vs scale (exp 1, 2) or vs steps (exp 3), CIs as error bars."""
    x = [r["env_steps"] for r in rows] if exp == 3 else list(range(len(rows)))
    fig, ax = plt.subplots(figsize=(6.5, 4))
    names = ["trained (mode)", "heuristic", "best scripted", "planner"]
    for i, name in enumerate(names):
        key = rows[0]["best scripted"] if name == "best scripted" else name
        if key not in rows[0]:
            continue
        ax.errorbar(x, [r[key][0] for r in rows], yerr=[r[key][1] for r in rows], marker="o",
                    capsize=3, color=f"C{i}", label=name if key == name else f"{name} ({key})")
    if exp == 2:
        for i, r in enumerate(rows):
            lo, hi = PREDICTED.get((r["M"], r["N"]), (None, None))
            if lo is not None:
                ax.fill_between([i - 0.2, i + 0.2], lo, hi, color="0.8", zorder=0,
                                label="document's prediction" if i == 0 else None)
    if exp == 3:
        ax.set_xscale("log")
        ax.set_xlabel("env steps per seed (M=40, N=100)")
    else:
        ax.set_xticks(x, [f"M={r['M']}\nN={r['N']}\n{r['arena_m']:.0f} m" for r in rows])
    ax.set_ylabel("mean λ₂ reduction (%)")
    ax.set_title(f"scaling experiment {exp}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def replot(out_dir: str) -> dict:
    """Redraw every exp*.json in `out_dir`. A setting missing from exp 2 is taken from exp 3
    (its first milestone at or past exp 2's step budget) when both ran the same config; the
    row then carries `"from": "exp3"` (its learning-rate schedule spans exp 3's largest budget)."""
    data = {e: json.load(open(path)) for e in (1, 2, 3)
            if os.path.exists(path := os.path.join(out_dir, f"exp{e}.json"))}
    same = lambda a, b: (a.get("config"), a["base"]) == (b.get("config"), b["base"])
    if 2 in data and 3 in data and same(data[2], data[3]):
        have = {(r["M"], r["N"]) for r in data[2]["rows"]}
        later = [r for r in data[3]["rows"] if r["env_steps"] >= data[2]["steps"]]
        if later and (later[0]["M"], later[0]["N"]) not in have:
            data[2]["rows"].append({**later[0], "from": "exp3"})
            data[2]["rows"].sort(key=lambda r: (r["M"], r["N"]))
            with open(os.path.join(out_dir, "exp2.json"), "w") as fh:
                json.dump(data[2], fh, indent=1)
    for exp, d in data.items():
        plot(d["rows"], exp, os.path.join(out_dir, f"exp{exp}.png"))
    return data


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--exp", type=int, choices=(1, 2, 3), nargs="+", default=[1, 2, 3])
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--steps", type=int, default=1_000_000, help="env steps per seed (exp 1, 2)")
    ap.add_argument("--episodes", type=int, default=32)
    ap.add_argument("--config", default=None, help="YAML config as the base (else preset default); "
                    "every setting gets its M, N and arena from `scaled`")
    ap.add_argument("--base", nargs="*", default=[], metavar="SECTION.FIELD=VALUE")
    ap.add_argument("--scales", default=None, metavar="MxN,...",
                    help="run only these settings of the chosen experiments, e.g. 10x25,20x50")
    ap.add_argument("--no-planner", action="store_true", help="skip the planner (slow on CPU at M=40)")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (the test suite's run)")
    ap.add_argument("--out", default="runs/scaling")
    ap.add_argument("--replot", action="store_true", help="only redraw the figures of --out's JSON "
                    "(exp 2 borrows its missing largest setting from exp 3 when the configs match)")
    args = ap.parse_args(argv)
    if args.replot:
        return replot(args.out)
    apply_default_xla_flags()
    settings, budgets = dict(SETTINGS), BUDGETS
    if args.smoke:
        settings = {1: [(2, 6), (2, 8)], 2: [(2, 6), (3, 8)], 3: [(3, 8)]}
        budgets, args.steps, args.seeds, args.episodes = (32, 64), 64, 2, 2
        args.base, args.no_planner = SMOKE["base"] + args.base, True
    start = load_yaml(args.config, preset("default")) if args.config else preset("default")
    base = override(start, parse_sets(args.base, "--base"))
    if args.scales:
        keep = {tuple(int(v) for v in item.split("x")) for item in args.scales.split(",") if item}
        unknown = keep - {mn for exp in args.exp for mn in settings[exp]}
        if unknown:
            raise ValueError(f"--scales: {sorted(unknown)} are not settings of experiments {args.exp}")
        settings = {exp: [mn for mn in mns if mn in keep] for exp, mns in settings.items()}
    os.makedirs(args.out, exist_ok=True)
    out = {}
    for exp in args.exp:
        rows = []
        for m, n in settings[exp]:
            milestones = budgets if exp == 3 else (args.steps,)
            cfg = scaled(base, m, n, **{"ppo.total_steps": max(milestones)})
            rows += train_and_score(cfg, args.seeds, args.episodes, milestones, not args.no_planner)[0]
            stem = os.path.join(args.out, f"exp{exp}")
            with open(stem + ".json", "w") as fh:  # after every setting: a cut-off run keeps its rows
                json.dump({"seeds": args.seeds, "episodes": args.episodes, "base": args.base,
                           "steps": args.steps, "config": args.config, "rows": rows}, fh, indent=1)
        if not rows:  # --scales left none of this experiment's settings
            continue
        out[f"exp{exp}"] = rows
        plot(rows, exp, stem + ".png")
        print(f"wrote {stem}.json and {stem}.png")
    return out


if __name__ == "__main__":
    main()
