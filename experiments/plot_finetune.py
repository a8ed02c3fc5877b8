"""Fine-tuning recipes side by side: the `fine_tuned` rows of several `experiments/transfer.py`
runs (same source, same target episodes) against steps at the target, each starting from the
source's zero-shot score there, with the planner's and the best scripted policy's lines.

    python experiments/plot_finetune.py --start runs/ft/recipe/transfer.json \\
        --run runs/ft/recipe3/transfer.json "lr 3e-4, no teacher" \\
        --run runs/ft/teach/transfer.json "lr 1e-4, teacher" --out finetune.png

`--start`: a run with a `zero_shot` row at the target (its score is each curve's step 0, and
its baselines draw the lines); each `--run FILE LABEL` must have `fine_tuned` rows at that
target. A run with a zero_shot row of its own at the target (it trained its own source)
starts from that instead. `--baselines-from FILE`: another run's zero_shot row at the same
target fills the baselines --start lacks (a run made with --no-planner draws the planner's line
from one that has it; both must have run the same episodes). Prints the table it draws.
"""

from __future__ import annotations

import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _load(path: str) -> dict:
    with open(path) as fh:
        return json.load(fh)


def curves(start: dict, runs: list[tuple[str, dict]]) -> tuple[dict, dict[str, list]]:
    """(the zero-shot row at the runs' target, {label: [(steps, [mean, ci]), ...]} from step 0)."""
    for label, run in runs:
        if not run.get("fine_tuned"):
            raise ValueError(f"--run {label!r}: no fine_tuned rows (an --arms tune run that finished)")
    m, n = runs[0][1]["fine_tuned"][0]["M"], runs[0][1]["fine_tuned"][0]["N"]
    zs = [r for r in start.get("zero_shot", []) if (r["M"], r["N"]) == (m, n)]
    if not zs:
        raise ValueError(f"--start: no zero_shot row at M={m}, N={n} (run it with --zero-shot target)")
    for label, run in runs:
        if any((r["M"], r["N"]) != (m, n) for r in run["fine_tuned"]):
            raise ValueError(f"--run {label!r}: its target is not M={m}, N={n} like the first run's")
    def step0(run):  # its own source's zero-shot score at the target, else --start's
        own = [r for r in run.get("zero_shot", []) if (r["M"], r["N"]) == (m, n)]
        return (own or zs)[0]["zero-shot (mode)"]

    return zs[0], {label: [(0, step0(run))]
                   + [(r["env_steps"], r["trained (mode)"]) for r in run["fine_tuned"]]
                   for label, run in runs}


def fill_baselines(ref: dict, other: dict) -> dict:
    """`ref` (a zero_shot row) with the baselines only `other`'s zero_shot row at the same M, N has."""
    rows = [r for r in other.get("zero_shot", []) if (r["M"], r["N"]) == (ref["M"], ref["N"])]
    if not rows:
        raise ValueError(f"--baselines-from: no zero_shot row at M={ref['M']}, N={ref['N']}")
    return {**{k: v for k, v in rows[0].items() if k not in ("zero-shot (mode)", "best scripted")}, **ref}


def plot(ref: dict, lines: dict[str, list], path: str) -> None:
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for i, (label, pts) in enumerate(lines.items()):
        ax.errorbar([p[0] for p in pts], [p[1][0] for p in pts], yerr=[p[1][1] for p in pts],
                    marker="o", capsize=3, color=f"C{i}", label=label)
    for key, style in (("planner", "--"), (ref["best scripted"], ":")):
        if key in ref:
            ax.axhline(ref[key][0], color="0.4", ls=style, label=f"{key} {ref[key][0]:.1f}")
    ax.set_xlabel(f"env steps per seed at M={ref['M']}, N={ref['N']} (0 = zero-shot)")
    ax.set_ylabel("mean λ₂ reduction (%), deterministic policy")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--start", required=True, metavar="FILE", help="transfer.json with the zero-shot row")
    ap.add_argument("--run", nargs=2, action="append", required=True, metavar=("FILE", "LABEL"))
    ap.add_argument("--baselines-from", metavar="FILE", help="transfer.json with the baselines --start lacks")
    ap.add_argument("--out", default="finetune.png")
    args = ap.parse_args(argv)
    ref, lines = curves(_load(args.start), [(label, _load(f)) for f, label in args.run])
    if args.baselines_from:
        ref = fill_baselines(ref, _load(args.baselines_from))
    for label, pts in lines.items():
        print(f"{label:>32}: " + " | ".join(f"{s:,} {v[0]:.1f} ± {v[1]:.1f}" for s, v in pts))
    plot(ref, lines, args.out)
    print(f"wrote {args.out}")
    return lines


if __name__ == "__main__":
    main()
