"""Figures for the multi-objective broadcast planner (PNGs into --out, default runs/broadcast_fronts/).

    PYTHONPATH=. python experiments/broadcast_fronts.py [--out DIR]

fronts_actions.png   Q(t, s, a) per action, two agents, p=(0.1, 0.3), t in {2, 3}, s in {(e,e), (m,e), (m,m)}
many_fronts.png      Q(4, (m,m), a) per action for the report's probability pairs (p=(0.5, 0.5) at t=7)
front_sizes.png      sum over s of |V(t, s)| with and without Pareto pruning (log scale)
front_3agents.png    V(3, (e,e,e)) for p=(0.5, 0.5, 0.5) (3-D scatter, subsampled for drawing)
ccs_vs_pareto.png    convex coverage set against the Pareto set, two agents
"""

from __future__ import annotations

import argparse
import functools
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from jaxjam.broadcast.model import actions  # noqa: E402
from jaxjam.broadcast.planner import solve_pareto  # noqa: E402
from jaxjam.broadcast.scalarised import convex_coverage_set  # noqa: E402

COLOURS = {0: "black", 1: "tab:red", 2: "tab:green"}
LABELS = {0: "idle", 1: "agent 0 sends", 2: "agent 1 sends"}
STATE_NAMES = {0: "(e,e)", 1: "(m,e)", 3: "(m,m)"}


MAX_DRAWN = 40_000  # points drawn per action (random subsample; counts in legends are exact)


def save(fig, out: str, name: str) -> None:
    """Lay out, write `out/name` as a 120-dpi PNG, and free the figure."""
    fig.tight_layout()
    fig.savefig(os.path.join(out, name), dpi=120)
    plt.close(fig)


@functools.lru_cache(maxsize=None)
def solve(p, t, prune=True):
    return solve_pareto(p, t, prune)


def subsample(x):
    return x if len(x) <= MAX_DRAWN else x[np.random.default_rng(0).permutation(len(x))[:MAX_DRAWN]]


def plot_actions(ax, sol, t, s):
    for a in actions(s, 2):
        q = sol.Q(t, s, a)
        d = subsample(q)
        ax.scatter(d[:, 0], d[:, 1], s=4, c=COLOURS[a], label=f"{LABELS[a]} ({len(q)})", rasterized=True)
    ax.set_xlabel("throughput agent 0")
    ax.set_ylabel("throughput agent 1")
    ax.legend(fontsize=6)


def fronts_actions(out):
    sol = solve((0.1, 0.3), 3)
    fig, axes = plt.subplots(2, 3, figsize=(12, 7.5))
    for i, t in enumerate((2, 3)):
        for j, s in enumerate((0, 1, 3)):
            plot_actions(axes[i, j], sol, t, s)
            axes[i, j].set_title(f"p=(0.1, 0.3), t={t}, s={STATE_NAMES[s]}")
    save(fig, out, "fronts_actions.png")


def many_fronts(out):
    cases = [((0.1, 0.2), 4), ((0.1, 0.3), 4), ((0.2, 0.6), 4), ((0.2, 0.8), 4), ((0.4, 0.7), 4), ((0.5, 0.5), 7)]
    fig, axes = plt.subplots(2, 3, figsize=(12, 7.5))
    for ax, (p, t) in zip(axes.ravel(), cases):
        plot_actions(ax, solve(p, t), t, 3)
        ax.set_title(f"p={p}, t={t}, s=(m,m)")
    save(fig, out, "many_fronts.png")


def front_sizes(out):
    cases = [((0.1, 0.2), 4, 2), ((0.1, 0.3), 4, 2), ((0.2, 0.6), 4, 2), ((0.2, 0.8), 4, 2), ((0.4, 0.7), 4, 2),
             ((0.5, 0.5), 4, 4), ((0.5, 0.5, 0.5), 3, 2)]
    fig, ax = plt.subplots(figsize=(7, 5))
    for k, (p, t_max, t_unpruned) in enumerate(cases):
        c = f"C{k}"
        ax.semilogy(range(t_max + 1), solve(p, t_max).sizes()["V"], "-o", c=c, label=f"p={p} pruned")
        ax.semilogy(range(t_unpruned + 1), solve(p, t_unpruned, False).sizes()["V"], "--x", c=c)
    ax.set_xlabel("t (remaining steps - 1)")
    ax.set_ylabel("sum over states of |V(t, s)|")
    ax.set_title("Set size with (solid) and without (dashed) Pareto pruning")
    ax.legend(fontsize=7)
    save(fig, out, "front_sizes.png")


def front_3agents(out):
    v = solve((0.5, 0.5, 0.5), 3).V(3, 0)
    shown = subsample(v)
    fig = plt.figure(figsize=(7, 6))
    ax = fig.add_subplot(projection="3d")
    ax.scatter(shown[:, 0], shown[:, 1], shown[:, 2], s=1, c=shown.sum(axis=1), cmap="viridis", rasterized=True)
    ax.set_xlabel("agent 0")
    ax.set_ylabel("agent 1")
    ax.set_zlabel("agent 2")
    ax.set_title(f"V(3, (e,e,e)), p=(0.5, 0.5, 0.5): {len(v)} vectors ({len(shown)} drawn)")
    save(fig, out, "front_3agents.png")


def ccs_vs_pareto(out):
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, (p, t) in zip(axes, [((0.1, 0.3), 4), ((0.4, 0.7), 4)]):
        v = solve(p, t).V(t, 0)
        ccs, _ = convex_coverage_set(p, t)
        d = subsample(v)
        ax.scatter(d[:, 0], d[:, 1], s=2, c="lightgray", label=f"Pareto set ({len(v)})", rasterized=True)
        ax.plot(*ccs[np.argsort(ccs[:, 0])].T, "-o", c="tab:blue", label=f"convex coverage set ({len(ccs)})")
        ax.set_title(f"p={p}, t={t}, s=(e,e)")
        ax.set_xlabel("throughput agent 0")
        ax.set_ylabel("throughput agent 1")
        ax.legend(fontsize=7)
    save(fig, out, "ccs_vs_pareto.png")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="runs/broadcast_fronts")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for fn in (fronts_actions, many_fronts, front_sizes, front_3agents, ccs_vs_pareto):
        fn(args.out)
        print("wrote", os.path.join(args.out, fn.__name__ + ".png"), flush=True)


if __name__ == "__main__":
    main()
