"""Animations of one episode: what the jammers do, step by step (GIF, or MP4 with ffmpeg).

    trace = episode_trace(config, policy, key)        # one episode, every state (host arrays)
    animate(config, trace, "episode.gif", title="trained (mode)")

Each frame: enemies and their links (grey live, red jammed, dashed blue: live links that cross
the unjammed graph's Fiedler cut), jammers (blue triangles on the enemy band with their jamming
radius, orange on another band), the DBSCAN cluster centroids (×); beside it λ₂ of the jammed
and the unjammed graph over the episode, with the current step marked.
"""

from __future__ import annotations

import shutil
from typing import NamedTuple

import jax
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import animation  # noqa: E402

from jaxjam.config import Config  # noqa: E402
from jaxjam.env import reset, step_no_reset  # noqa: E402
from jaxjam.physics import band_ranges_m, comm_graph, crosses_fiedler_cut, lambda2_and_fiedler  # noqa: E402
from jaxjam.policies import Policy  # noqa: E402


class Trace(NamedTuple):
    """One episode on the host: T + 1 frames (the reset, then after each step)."""

    enemy_pos: np.ndarray  # [T+1, N, 2] m
    jammer_pos: np.ndarray  # [T+1, M, 2] m
    jammer_band: np.ndarray  # [T+1, M]
    enemy_band: np.ndarray  # [T+1]
    centroids: np.ndarray  # [T+1, N+1, 2] m
    centroid_valid: np.ndarray  # [T+1, N+1] bool
    live: np.ndarray  # [T+1, N, N] bool links of the unjammed graph
    jammed: np.ndarray  # [T+1, N, N] bool links jammed now
    cut: np.ndarray  # [T+1, N, N] bool live links across the unjammed Fiedler cut
    lambda2: np.ndarray  # [T+1] jammed graph
    lambda2_unjammed: np.ndarray  # [T+1]
    reduction: np.ndarray  # [T+1] the env's λ₂ reduction (0 at the reset frame)


def _frame(state, config: Config):
    adj, adj_j = comm_graph(state.enemy_pos, state.jammer_pos, state.jammer_band, state.enemy_band,
                            config.physics)
    l2u, f = lambda2_and_fiedler(adj, solver=config.physics.eigensolver)
    l2, _ = lambda2_and_fiedler(adj_j, solver=config.physics.eigensolver)
    n = adj.shape[0]
    i, j = jnp.meshgrid(jnp.arange(n), jnp.arange(n), indexing="ij")
    cut = adj & crosses_fiedler_cut(f, i, j)
    return (state.enemy_pos, state.jammer_pos, state.jammer_band, state.enemy_band, state.centroids,
            state.centroid_valid, adj, adj & ~adj_j, cut, l2, l2u)


def trace_program(config: Config, policy: Policy, steps: int):
    """The traceable one-episode function: key -> the fields of `Trace` (device arrays), for
    `jax.jit` or `jax.vmap` over keys (many episodes in one program)."""
    def run(key):
        k_reset, k_env, k_pol = jax.random.split(key, 3)
        obs, state = reset(k_reset, config)

        def body(carry, t):
            obs, state = carry
            action = policy(jax.random.fold_in(k_pol, t), obs, state)
            obs, state, _, _, info = step_no_reset(jax.random.fold_in(k_env, t), state, action, config)
            return (obs, state), _frame(state, config) + (info.lambda2_reduction,)

        _, frames = jax.lax.scan(body, (obs, state), jnp.arange(steps))
        first = _frame(state, config) + (jnp.float32(0.0),)
        return jax.tree.map(lambda a, b: jnp.concatenate([a[None], b]), first, frames)
    return run


def episode_trace(config: Config, policy: Policy, key, steps: int | None = None) -> Trace:
    """Run one episode of `steps` (default `env.max_steps`) with `policy`; the env's keys do not
    depend on the policy, so two policies with the same key see the same episode."""
    steps = config.env.max_steps if steps is None else steps
    if not 1 <= steps <= config.env.max_steps:
        raise ValueError(f"steps must be in [1, env.max_steps = {config.env.max_steps}], got {steps}")
    return Trace(*(np.asarray(x) for x in jax.device_get(jax.jit(trace_program(config, policy, steps))(key))))


def draw_map(ax, config: Config, tr: Trace, t: int, r_jam: np.ndarray) -> None:
    """Frame `t` of `tr` on `ax`: links (grey live, red jammed, dashed blue across the cut),
    enemies, centroids, jammers by band with their jamming radius `r_jam[band]` (m)."""
    ep, jp = tr.enemy_pos[t], tr.jammer_pos[t]
    iu, ju = np.nonzero(np.triu(tr.live[t], 1))
    for i, j in zip(iu, ju):
        jammed, cut = tr.jammed[t, i, j], tr.cut[t, i, j]
        ax.plot(*ep[[i, j]].T, color="red" if jammed else ("C0" if cut else "0.75"),
                ls="--" if cut and not jammed else "-", lw=1.3 if jammed or cut else 0.6, zorder=1)
    ax.scatter(*ep.T, s=14, color="k", zorder=2, label="enemy")
    cv = tr.centroid_valid[t][:-1]
    ax.scatter(*tr.centroids[t][:-1][cv].T, marker="x", s=40, color="C2", zorder=2, label="cluster centroid")
    eb = int(tr.enemy_band[t])
    on = tr.jammer_band[t] == eb
    ax.scatter(*jp[on].T, marker="^", s=50, color="C0", zorder=3, label="jammer (enemy band)")
    ax.scatter(*jp[~on].T, marker="^", s=50, color="C1", zorder=3, label="jammer (other band)")
    for p in jp[on]:
        ax.add_patch(plt.Circle(p, r_jam[eb], color="C0", alpha=0.12))
    a = config.env.arena_m
    ax.set_xlim(0, a)
    ax.set_ylim(0, a)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=6)


def animate(config: Config, tr: Trace, path: str, title: str = "", fps: int = 10,
            every: int = 1) -> int:
    """Write the episode to `path` (.gif with Pillow; .mp4 needs ffmpeg on PATH); every
    `every`-th step is a frame. Returns the number of frames."""
    if every < 1:
        raise ValueError(f"every must be >= 1, got {every}")
    ext = path.rsplit(".", 1)[-1].lower()
    if ext not in ("gif", "mp4"):
        raise ValueError(f"animation file must end in .gif or .mp4, got {path!r}")
    if ext == "mp4" and shutil.which("ffmpeg") is None:
        raise ValueError(f"{path}: writing .mp4 needs ffmpeg on PATH; write a .gif instead")
    r_jam = band_ranges_m(config.physics)[1]
    frames = list(range(0, len(tr.lambda2), every))
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4.6), gridspec_kw={"width_ratios": [1.1, 1]})
    steps = np.arange(len(tr.lambda2))

    def draw(t):
        ax.clear()
        ax2.clear()
        draw_map(ax, config, tr, t, r_jam)
        ax.set_title(f"{title}  step {t}: λ₂ reduction {100 * tr.reduction[t]:.0f} %", fontsize=9)
        ax2.plot(steps, tr.lambda2_unjammed, color="0.5", label="λ₂ unjammed")
        ax2.plot(steps, tr.lambda2, color="C3", label="λ₂ jammed")
        ax2.axvline(t, color="k", lw=0.8)
        ax2.set_xlabel("step")
        ax2.set_ylabel("λ₂ (Fiedler value)")
        ax2.legend(fontsize=7)
        fig.tight_layout()

    anim = animation.FuncAnimation(fig, draw, frames=frames)
    writer = animation.PillowWriter(fps=fps) if ext == "gif" else animation.FFMpegWriter(fps=fps)
    anim.save(path, writer=writer, dpi=80)
    plt.close(fig)
    return len(frames)
