"""`jaxjam render`: a reset snapshot (.png) or one animated episode (.gif/.mp4) of a trained
policy or a baseline, at the run's scale or another.

    render(cfg, "state.png")                                            # reset state of run.seed
    render(cfg, "planner.gif", policy="planner")                        # a baseline's episode
    render(None, "trained.gif", checkpoint="runs/demo", scale=scale_updates("large"))
"""

from __future__ import annotations

import jax

from jaxjam.animate import animate, episode_trace
from jaxjam.config import Config
from jaxjam.evaluate import actor_policy
from jaxjam.policies import baselines
from jaxjam.render import plot_state
from jaxjam.transfer import at_scale, restore_run, scale_note


def _policy(cfg: Config, name: str, runner):
    """(label, policy): "trained" (the checkpoint's mode; seed 0 of several) or a baseline."""
    if name == "trained":
        if runner is None:
            raise ValueError("--policy trained needs --checkpoint DIR (or pick a baseline: "
                             f"{', '.join(baselines(cfg))})")
        ts = runner.train_state
        params = ts.actor_params
        if cfg.run.num_seeds > 1:
            params = jax.tree.map(lambda x: x[0], params)
        return "trained (mode)", actor_policy(cfg, ts.actor, params, deterministic=True)
    table = baselines(cfg)
    if name not in table:
        raise ValueError(f"--policy must be trained or one of {', '.join(table)}; got {name!r}")
    return name, table[name]


def render(cfg: Config | None, path: str, checkpoint: str | None = None, policy: str | None = None,
           scale: dict | None = None, episode: int = 0, steps: int | None = None,
           every: int = 1) -> None:
    """Write `path`: .png = the reset state of `run.seed`; .gif/.mp4 = episode number `episode`
    (key 20 000 + run.seed, folded with it) played by `policy` (default: "trained" with a
    checkpoint, else "planner"). With `checkpoint` the config is the run's, at `scale` if given."""
    if not path.lower().endswith((".png", ".gif", ".mp4")):
        raise ValueError(f"render --out must end in .gif or .mp4 (an episode) or .png (a reset "
                         f"state), got {path!r}")
    runner = None
    if checkpoint:
        cfg, runner, meta, _ = restore_run(checkpoint)
        trained = cfg
        if scale:
            cfg = at_scale(cfg, scale)
            note = scale_note(trained, cfg)
            if note:
                print(note)
    if cfg is None:
        raise ValueError("render needs a config or --checkpoint")
    if path.lower().endswith(".png"):
        from jaxjam.env import reset
        _, state = reset(jax.random.PRNGKey(cfg.run.seed), cfg)
        plot_state(cfg, state, path)
        print(f"wrote {path}")
        return
    label, pol = _policy(cfg, policy or ("trained" if runner is not None else "planner"), runner)
    key = jax.random.fold_in(jax.random.PRNGKey(20_000 + cfg.run.seed), episode)
    trace = episode_trace(cfg, pol, key, steps)
    e = cfg.env
    n = animate(cfg, trace, path, title=f"{label}, M={e.num_jammers} N={e.num_enemies}", every=every)
    print(f"wrote {path}: {n} frames of episode {episode} ({label}), mean λ₂ reduction "
          f"{100 * trace.reduction[1:].mean():.1f} %")
