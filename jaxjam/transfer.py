"""A trained policy elsewhere: restore a run's checkpoint, evaluate it at another scale
(zero-shot transfer), or start a new training run from its networks (fine-tuning).

    cfg, runner, meta, out = restore_run("runs/demo")             # the latest checkpoint
    big = at_scale(cfg, scale_updates(preset_name="large"))       # M=40, N=100, 500 m arena
    runner = init_from(fresh_runner, new_cfg, "runs/demo")        # new run, trained networks

What defines a scale (`SCALE_FIELDS`): M, N, the arena and the DBSCAN settings that the presets
change with the swarm. Everything the policy's parameters depend on (observation kind and
slots, network, radio ranges) stays the checkpoint's, so the same parameters run unchanged.
"""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp

from jaxjam.checkpoint import CheckpointStore
from jaxjam.config import Config, from_dict, override, preset
from jaxjam.resume import choose_step, read_saved_config, restore_checked
from jaxjam.train import make_train

SCALE_FIELDS = ("env.num_jammers", "env.num_enemies", "env.arena_m", "env.dbscan_eps_m",
                "env.dbscan_min_samples")


def scale_updates(preset_name: str | None = None, num_jammers=None, num_enemies=None,
                  arena_m=None) -> dict:
    """Dotted updates of `SCALE_FIELDS`: those of `preset_name` (if given), then the explicit
    values (None = keep)."""
    out = {}
    if preset_name:
        env = preset(preset_name).env
        out = {f: getattr(env, f.split(".")[1]) for f in SCALE_FIELDS}
    for field, value in (("env.num_jammers", num_jammers), ("env.num_enemies", num_enemies),
                         ("env.arena_m", arena_m)):
        if value is not None:
            out[field] = value
    return out


def at_scale(trained: Config, updates: dict) -> Config:
    """The trained run's config at another scale; ValueError saying why the policy cannot run
    there (e.g. more observed link slots than the swarm has links)."""
    bad = sorted(set(updates) - set(SCALE_FIELDS))
    if bad:
        raise ValueError(f"only the scale ({', '.join(SCALE_FIELDS)}) can change for a trained "
                         f"policy, got {', '.join(bad)}")
    try:
        return override(trained, updates)
    except ValueError as err:
        raise ValueError(f"the trained policy cannot run at this scale: {err}") from None


def scale_note(trained: Config, target: Config) -> str | None:
    """A warning when offsets in the observation are in arena units and the arena changed."""
    if target.env.arena_m != trained.env.arena_m and target.env.obs not in ("entity",):
        return (f"note: env.obs = {target.env.obs} measures offsets in arena sides: at "
                f"{target.env.arena_m:g} m instead of {trained.env.arena_m:g} m the same numbers "
                f"mean other distances (env.obs = entity uses radio ranges)")
    return None


def restore_run(run_dir: str, best: bool = False, step: int | None = None, last_good: bool = False,
                flag: str = "--last-good"):
    """(config, runner, meta, output dir) of the latest (or best, or chunk `step`) checkpoint of
    `run_dir` (or of its `checkpoints/` folder). A corrupt checkpoint is a one-line ValueError
    before anything compiles; `last_good` takes the newest readable older one instead."""
    inner = os.path.join(run_dir, "checkpoints")
    ckpt_dir = inner if os.path.isdir(inner) else run_dir
    if not os.path.isdir(ckpt_dir):
        raise FileNotFoundError(f"{run_dir}: no such run directory")
    out = os.path.dirname(os.path.abspath(ckpt_dir)) if ckpt_dir != inner else run_dir
    store = CheckpointStore(ckpt_dir, Config())
    if best:
        if step is not None:
            raise ValueError("--best and --step choose the checkpoint both: pass one of them")
        step = store.best_chunk()
        if step is None:
            raise FileNotFoundError(f"no checkpoint with a best_metric in {store.directory}")
    step = choose_step(store, step, resume=False)
    saved = next(filter(None, (read_saved_config(ckpt_dir, s) for s in [step, *store.steps()[::-1]])),
                 None)
    if saved is None:
        raise ValueError(f"no readable config (meta/metadata) in any checkpoint of {store.directory}")
    try:
        cfg = from_dict(saved)
    except (TypeError, ValueError) as err:
        raise ValueError(f"bad config in checkpoint {store.directory / str(step)}: {err}") from None
    seeds, key = cfg.run.num_seeds, jax.random.PRNGKey(cfg.run.seed)
    trainer = make_train(cfg)  # traced below, not compiled: a bad checkpoint fails in seconds
    template = jax.eval_shape(trainer.init_seeds if seeds > 1 else trainer.init,
                              jax.random.split(key, seeds) if seeds > 1 else key)
    runner, meta = restore_checked(CheckpointStore(ckpt_dir, cfg), template, step, last_good,
                                   flag=flag)
    return cfg, runner, meta, out


def _shapes(tree) -> list:
    return [(jax.tree_util.keystr(p), tuple(x.shape)) for p, x in jax.tree_util.tree_leaves_with_path(tree)]


def init_params(template, cfg: Config, run_dir: str):
    """(actor, critic) parameters of `run_dir`'s latest checkpoint (its seed 0 if it trained
    several), checked against `template` (a runner of `cfg`, real or `jax.eval_shape`'s) and
    copied to each of its seeds. ValueError naming the first difference when the networks do
    not match. Restores without compiling anything."""
    src_cfg, src, _, _ = restore_run(run_dir, flag="--init-from")
    ts = src.train_state
    params = (ts.actor_params, ts.critic_params)
    if src_cfg.run.num_seeds > 1:
        params = jax.tree.map(lambda x: x[0], params)
    seeds = cfg.run.num_seeds
    want = (template.train_state.actor_params, template.train_state.critic_params)
    got, need = _shapes(params), [(k, shape[1:] if seeds > 1 else shape) for k, shape in _shapes(want)]
    if got != need:
        diff = next(((g, n) for g, n in zip(got, need) if g != n), (got[len(need):], need[len(got):]))
        raise ValueError(f"--init-from {run_dir}: its networks differ from this run's "
                         f"(ppo.network, ppo.hidden, ppo.attention_mode, env.obs, its slots, "
                         f"env.link_lookahead and env.entity_velocity must match): "
                         f"{diff[0]} vs {diff[1]}")
    if seeds > 1:
        params = jax.tree.map(lambda x: jnp.broadcast_to(x, (seeds,) + x.shape), params)
    return jax.tree.map(jnp.asarray, params)


def with_params(runner, params):
    """`runner` with the (actor, critic) parameters `params`; its optimiser states unchanged."""
    ts = runner.train_state.replace(actor_params=params[0], critic_params=params[1])
    return runner.replace(train_state=ts)


def init_from(runner, cfg: Config, run_dir: str):
    """`runner` (fresh, of `cfg`) with the networks of `run_dir` (`init_params`); a fresh optimiser."""
    return with_params(runner, init_params(runner, cfg, run_dir))
