"""Teacher strength against K: the paired gain of cut seek (checked) over cut seek, per K, from
one or more `experiments/teacher_strength.py` runs, with issue 14's target line (best scripted
+ 5 points) and, optionally, learners' paired differences against cut seek as flat lines.

    python experiments/plot_strength.py --run docs/data/teacher_strength_session21_m40.json "M=40, N=100 (H100)" \\
        --learner "learner (cut-seek-taught), M=40" -0.0 0.7 --out docs/figures/teacher_strength_session21.png

Each --run FILE LABEL draws one curve: x = K (log 2), y = mean over episodes of (checked K −
cut seek) in points with its 95 % CI. Each --learner LABEL MEAN CI draws a dashed line with a
band (points against cut seek, from experiments/paired.py). Prints the table it draws.
"""

from __future__ import annotations

import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LEARNER_COLORS = ["tab:green", "tab:red", "tab:purple", "tab:brown"]  # apart from the curves' colours
TARGET = 5.0  # issue 14: trained ≥ best scripted policy + 5 points at M=40


def strength_curve(run: dict) -> list[tuple[int, float, float]]:
    """[(K, mean gain over cut seek in points, CI)] from a teacher_strength.json, K ascending."""
    pts = [(r["checks"], *r["difference"]) for r in run["rows"] if r.get("checks") is not None]
    if not pts:
        raise ValueError("a --run file without checked rows (a teacher_strength.py run that finished)")
    return sorted(pts)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", nargs=2, action="append", required=True, metavar=("FILE", "LABEL"))
    ap.add_argument("--learner", nargs=3, action="append", default=[], metavar=("LABEL", "MEAN", "CI"))
    ap.add_argument("--out", default="teacher_strength.png")
    args = ap.parse_args(argv)
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    for path, label in args.run:
        with open(path) as fh:
            pts = strength_curve(json.load(fh))
        ks, mean, ci = zip(*pts)
        ax.errorbar(ks, mean, yerr=ci, marker="o", capsize=3, label=f"cut seek (checked), {label}")
        print(f"{label}: " + ", ".join(f"K={k} {m:+.1f} ± {c:.1f}" for k, m, c in pts))
    for (label, mean, ci), color in zip(args.learner, LEARNER_COLORS * len(args.learner)):
        m, c = float(mean), float(ci)
        ax.axhline(m, ls="--", lw=1, color=color, label=f"{label}: {m:+.1f} ± {c:.1f}")
        ax.axhspan(m - c, m + c, color=color, alpha=0.10)
    ax.axhline(TARGET, color="k", lw=1.5, label="issue 14 target: best scripted + 5")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("K: candidate links checked per jammer (eigensolves per step: M·(1 + K))")
    ax.set_ylabel("− cut seek, paired (points of λ₂ reduction)")
    ax.set_title("How far a full-state per-jammer check lifts cut seek")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
