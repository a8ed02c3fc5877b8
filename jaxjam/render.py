"""Matplotlib figures: learning curves and episode snapshots (Agg backend, files only)."""

from __future__ import annotations

import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import EngFormatter  # noqa: E402
import numpy as np  # noqa: E402

from jaxjam.config import Config  # noqa: E402
from jaxjam.physics.graph import band_ranges_m, comm_graph  # noqa: E402


def read_csv(path: str) -> dict[str, np.ndarray]:
    """Columns of a metrics CSV as float arrays."""
    with open(path) as fh:
        rows = list(csv.DictReader(fh))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]} if rows else {}


def plot_learning_curve(csv_path: str, png_path: str, baselines: dict[str, float] | None = None,
                        title: str = "") -> None:
    """Return and λ₂ reduction vs env steps; horizontal lines for baseline reductions (%)."""
    m = read_csv(csv_path)
    x = m["env_steps"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    a1.plot(x, m["episode_return"], label="last finished episode return (mean over envs)")
    a1.set_xlabel("env steps")
    a1.set_ylabel("episode return")
    a1.legend(fontsize=8)
    a2.plot(x, 100 * m["lambda2_reduction"], alpha=0.35, label="rollout mean λ₂ reduction")
    a2.plot(x, 100 * m["episode_mean_reduction"], label="episode mean λ₂ reduction")
    for i, (name, val) in enumerate((baselines or {}).items()):
        a2.axhline(100 * val, ls="--", color=f"C{i + 2}", label=f"{name} (eval)")
    a2.set_xlabel("env steps")
    a2.set_ylabel("λ₂ reduction (%)")
    a2.legend(fontsize=8)
    for ax in (a1, a2):
        ax.xaxis.set_major_formatter(EngFormatter())  # 100k, 2M instead of 100000, 2000000
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(png_path, dpi=120)
    plt.close(fig)


def plot_state(config: Config, state, png_path: str, title: str = "") -> None:
    """One environment state: enemy links (grey), jammed links (red), jammers and their jam radius."""
    adj, adj_j = (np.asarray(a) for a in comm_graph(
        state.enemy_pos, state.jammer_pos, state.jammer_band, state.enemy_band, config.physics))
    ep, jp = np.asarray(state.enemy_pos), np.asarray(state.jammer_pos)
    eb = int(state.enemy_band)
    r_jam = band_ranges_m(config.physics)[1][eb]
    fig, ax = plt.subplots(figsize=(6, 6))
    n = len(ep)
    for i in range(n):
        for j in range(i + 1, n):
            if adj[i, j]:
                jammed = not adj_j[i, j]
                ax.plot(*ep[[i, j]].T, color="red" if jammed else "0.75", lw=1.2 if jammed else 0.6,
                        zorder=1)
    ax.scatter(*ep.T, s=18, color="k", zorder=2, label="enemy")
    on = np.asarray(state.jammer_band) == eb
    ax.scatter(*jp[on].T, marker="^", s=50, color="C0", zorder=3, label="jammer (enemy band)")
    ax.scatter(*jp[~on].T, marker="^", s=50, color="C1", zorder=3, label="jammer (other band)")
    for p in jp[on]:
        ax.add_patch(plt.Circle(p, r_jam, color="C0", alpha=0.12))
    a = config.env.arena_m
    ax.set_xlim(0, a)
    ax.set_ylim(0, a)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=7)
    ax.set_title(title or f"band {eb}, jammed links in red")
    fig.tight_layout()
    fig.savefig(png_path, dpi=120)
    plt.close(fig)
