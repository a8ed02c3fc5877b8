"""The run driver: training with progress, CSV, checkpoints and resume; evaluation against every
baseline; reports. `cli.py` only parses arguments and calls these; experiments call them too.

    from jaxjam.run import train_and_evaluate, evaluate_checkpoint
    result = train_and_evaluate(config)                  # {"wall_s", "steps_per_s", "env_steps", "results"}
    evaluate_checkpoint("runs/demo", episodes=128)       # restores, evaluates, writes eval_*.json
"""

from __future__ import annotations

import csv
import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

from jaxjam.agents.hparams import PPONumbers
from jaxjam.checkpoint import CheckpointStore
from jaxjam.config import Config, override, to_dict
from jaxjam.config.traced import EnvNumbers
from jaxjam.evaluate import actor_policy, compare_policies, compare_seeds, format_table
from jaxjam.policies import SCRIPTED, baselines
from jaxjam.render import plot_learning_curve, plot_state
from jaxjam.physics.probe import lambda2_batch_seconds
from jaxjam.resume import (NothingToResume, check_config_change, check_finite, choose_step,
                           params_finite, read_saved_config, restore_checked, set_aside_newer,
                           truncate_csv)
from jaxjam.rundir import acquire_lock, clean_orbax_tmp, make_run_dir, write_json_atomic
from jaxjam.sharding import env_mesh
from jaxjam.tblog import TensorBoardLog
from jaxjam.train import compile_programs, make_train
from jaxjam.transfer import at_scale, init_params, restore_run, scale_note, with_params


class Progress:
    """One-line progress bar with steps/s, mean return and λ₂ reduction."""

    def __init__(self, total_steps: int, start_steps: int = 0, seeds: int = 1, enabled: bool = True):
        self.total, self.start, self.seeds, self.t0 = total_steps, start_steps, seeds, time.perf_counter()
        self.enabled = enabled  # False on every process but the first of a multi-host run

    def show(self, steps: int, m: dict[str, float], final: bool = False) -> None:
        if not self.enabled:
            return
        frac = min(1.0, steps / self.total)
        elapsed = time.perf_counter() - self.t0
        rate = (steps - self.start) / max(elapsed, 1e-9)  # per seed
        eta = (self.total - steps) / max(rate, 1e-9)
        rate *= self.seeds
        bar = "#" * int(30 * frac) + "." * (30 - int(30 * frac))
        line = (f"[{bar}] {100 * frac:5.1f}% {steps:>10,}/{self.total:,} steps | {rate:>9,.0f} steps/s | "
                f"return {m['episode_return']:7.2f} | λ₂ red. {100 * m['episode_mean_reduction']:5.1f}% "
                f"(final {100 * m['episode_final_reduction']:5.1f}%) | band {100 * m['band_match']:5.1f}% | "
                f"eta {eta:5.0f}s")
        end = "\n" if final or not sys.stdout.isatty() else "\r"
        print(line, end=end, flush=True)


def _host_metrics(metrics) -> list[dict[str, float]]:
    """Per-update rows (mean over seeds if there is a seed axis)."""
    m = {k: np.asarray(v, np.float64) for k, v in jax.device_get(metrics).items()}
    m = {k: v.mean(axis=0) if v.ndim == 2 else v for k, v in m.items()}
    n = len(next(iter(m.values())))
    return [{k: float(v[i]) for k, v in m.items()} for i in range(n)]


def train_and_evaluate(cfg: Config, resume: bool = False, step: int | None = None,
                       last_good: bool = False, allow_config_change: bool = False) -> dict:
    """Chunked training with progress, CSV, checkpoints; then evaluation and the learning curve.

    Refused with a one-line ValueError before anything compiles: a run directory that another
    live process writes (`jaxjam.rundir` lock, taken by process 0 only), checkpoints without
    `resume`, `resume` without checkpoints, a `step` (chunk) that does not exist, a config that
    differs from the checkpoint's beyond `resume.FREE_TO_CHANGE` without `allow_config_change`
    (and one that changes `resume.CHUNK_GEOMETRY`, always).
    A corrupt checkpoint is named; `last_good` falls back to the newest readable older one.
    Training stops (NonFiniteError, the bad chunk unsaved) at the first non-finite metric or
    parameter. Returns {"wall_s", "steps_per_s", "env_steps", "results"} (see `evaluate_runner`).
    """
    primary = jax.process_index() == 0  # several processes (hosts): only the first writes files
    if resume and not os.path.isdir(os.path.join(cfg.run.out, "checkpoints")):  # create nothing
        raise NothingToResume(f"--resume: nothing to resume: no run directory with checkpoints at "
                              f"{cfg.run.out}; run without --resume to start a new run")
    lock = acquire_lock(cfg.run.out) if primary else None  # one writer per run directory
    try:
        return _train_and_evaluate(cfg, resume, step, last_good, allow_config_change, primary)
    finally:
        if lock is not None:
            lock.release()


def _train_and_evaluate(cfg: Config, resume: bool, step: int | None, last_good: bool,
                        allow_config_change: bool, primary: bool) -> dict:
    r = cfg.run
    say = print if primary else (lambda *a, **k: None)
    make_run_dir(r.out)
    t_start = time.perf_counter()
    store = CheckpointStore(os.path.join(r.out, "checkpoints"), cfg)
    if primary:  # saves killed before Orbax's final rename
        for tmp in clean_orbax_tmp(str(store.directory)):
            say(f"removed {tmp} (left by an interrupted save)")
    if step is not None and not resume:
        raise ValueError(f"--step {step} needs --resume (it picks the checkpoint to resume from)")
    if not resume and store.has_checkpoint():
        raise ValueError(f"{store.directory} holds checkpoints of an earlier run: pass --resume to "
                         f"continue it, or choose another --out")
    if resume:
        step = choose_step(store, step)
        for line in check_config_change(read_saved_config(store.directory, step), cfg,
                                        allow_config_change):
            say(f"resume with a changed config: {line}")
    mesh = env_mesh(r.devices)  # run.devices: 1 = one device, 0 = all, N = the first N
    mesh = mesh if mesh.size > 1 else None  # one device: unsharded programs, as before
    trainer = make_train(cfg, mesh=mesh)
    seeds = r.num_seeds
    key = jax.random.PRNGKey(r.seed)
    arg = jax.random.split(key, seeds) if seeds > 1 else key
    restored = None
    if resume and mesh is None and jax.process_count() == 1:  # a corrupt checkpoint: fail early
        abstract = jax.eval_shape(trainer.init_seeds if seeds > 1 else trainer.init, arg)
        restored = restore_checked(store, abstract, step, last_good, say)
    start_params = None
    if r.init_from and not resume:  # fine-tuning: checked against this run's networks, uncompiled
        start_params = init_params(jax.eval_shape(trainer.init_seeds if seeds > 1 else trainer.init, arg),
                                   cfg, r.init_from)
    init_fn, chunk_fn = compile_programs(trainer, key, seeds)  # both compile at once
    runner = init_fn(arg) if restored is None else None
    if start_params is not None:  # fine-tuning: the networks of another run, a fresh optimiser
        runner = with_params(runner, start_params)
        say(f"networks initialised from {r.init_from} (its latest checkpoint)")
    start_chunk = 0
    csv_path = os.path.join(r.out, "metrics.csv")
    if resume:  # into the layout of `runner` (the mesh's) unless restored above
        runner, meta = restored or restore_checked(store, runner, step, last_good, say)
        start_chunk, steps = meta["chunk"] + 1, int(np.max(meta["env_steps"]))  # per seed
        store = set_aside_newer(store, meta["chunk"], primary, say)  # --step N / last good
        runner = runner.replace(**{name: jax.tree.map(  # this config's numbers (a resume may change them)
            lambda old, new: jnp.broadcast_to(new, old.shape), getattr(runner, name), new)
            for name, new in (("hparams", PPONumbers.of(cfg.ppo)), ("env_numbers", EnvNumbers.of(cfg)))})
        if primary:  # rows of chunks trained after this checkpoint (a killed run) are redone
            truncate_csv(csv_path, steps)
        say(f"resumed from {store.directory} at chunk {meta['chunk']} ({steps:,} env steps per seed)")
    elif primary and os.path.exists(csv_path):
        os.remove(csv_path)
    if primary:
        write_json_atomic(os.path.join(r.out, "config.json"), to_dict(cfg))
    n_chunks = trainer.num_updates // trainer.updates_per_chunk
    per_chunk = trainer.updates_per_chunk * trainer.steps_per_update
    total = trainer.num_updates * trainer.steps_per_update
    e = cfg.env
    hosts = f" over {jax.process_count()} processes" if jax.process_count() > 1 else ""
    say(f"jaxjam train: model={e.model} obs={e.obs} M={e.num_jammers} N={e.num_enemies} "
        f"arena={e.arena_m:g} m | {total:,} env steps = {trainer.num_updates} updates × "
        f"{cfg.ppo.num_envs} envs × {cfg.ppo.rollout_steps} steps | seeds={seeds} | "
        f"device={jax.devices()[0].platform}×{mesh.size if mesh else 1}{hosts} | out={r.out}", flush=True)
    progress = Progress(total, start_chunk * per_chunk, seeds, enabled=primary)
    tb = TensorBoardLog(r.out, primary and r.tensorboard, say)
    if tb.enabled:  # the λ₂ solve alone, at this run's batch (fused into the step otherwise)
        tb.constant("perf/lambda2_batch_ms",
                    1e3 * lambda2_batch_seconds(cfg, cfg.ppo.num_envs * seeds), start_chunk * per_chunk)
    for c in range(start_chunk, n_chunks):
        t_chunk = time.perf_counter()
        runner, metrics = chunk_fn(runner)
        rows = _host_metrics(metrics)  # NaN/inf: stop before this chunk is logged or saved
        check_finite(rows, c * trainer.updates_per_chunk + 1, params_finite(runner.train_state), r.out)
        if primary:
            new_file = not os.path.exists(csv_path)
            with open(csv_path, "a", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=list(rows[0]))
                if new_file:
                    w.writeheader()
                w.writerows(rows)
            tb.chunk(rows, time.perf_counter() - t_chunk, per_chunk * seeds)
        progress.show((c + 1) * per_chunk, rows[-1], final=c == n_chunks - 1)
        if (c + 1) % r.checkpoint_every_chunks == 0 or c == n_chunks - 1:
            store.save(runner, c, rows[-1], rows[-1]["episode_mean_reduction"])  # all processes
    tb.close()
    wall = time.perf_counter() - t_start
    done = (n_chunks - start_chunk) * per_chunk * seeds
    say(f"training: {wall:.1f}s wall incl. compilation, {done / wall:,.0f} env steps/s "
        f"(all seeds); checkpoints in {store.directory}")
    results = evaluate_runner(cfg, runner, seeds)  # every process (same result), one reports
    if primary:
        report(cfg, results, r.out, csv_path)
    return {"wall_s": wall, "steps_per_s": done / wall, "env_steps": done, "results": results}


def evaluate_runner(cfg: Config, runner, seeds: int) -> dict:
    """Trained vs every baseline of `jaxjam.policies` (random, heuristic, scripted, planner; only
    random and heuristic with `run.baselines = basic`) on identical episodes:
    {policy: {metric: (mean, ci95)}}.

    One seed: CI over episodes. Several seeds: each seed's mean over the same episodes,
    CI over seeds (the per-seed values are under "per_seed").
    """
    key, episodes, ts = jax.random.PRNGKey(10_000 + cfg.run.seed), cfg.run.eval_episodes, runner.train_state
    if seeds > 1:
        agg, per_seed = compare_seeds(cfg, ts.actor, ts.actor_params, key, episodes)
        agg_s, _ = compare_seeds(cfg, ts.actor, ts.actor_params, key, episodes, deterministic=False)
        results = {f"trained (mode, {seeds} seeds)": agg, f"trained (sampled, {seeds} seeds)": agg_s}
    else:
        results = compare_policies(cfg, {
            "trained (mode)": actor_policy(cfg, ts.actor, ts.actor_params, deterministic=True),
            "trained (sampled)": actor_policy(cfg, ts.actor, ts.actor_params, deterministic=False),
        }, key, episodes)
        per_seed = None
    chosen = baselines(cfg, planner=cfg.run.baselines == "all")
    if cfg.run.baselines == "basic":
        chosen = {k: chosen[k] for k in ("random", "heuristic")}
    results.update(compare_policies(cfg, chosen, key, episodes))
    if per_seed:
        results["per_seed"] = per_seed
    return results


def report(cfg: Config, results: dict, out: str, csv_path: str | None,
           name: str = "eval.json") -> None:
    """Print the evaluation table, the best scripted policy and the planners; write `name`
    (eval.json for training) into `out` and, with a metrics CSV, the learning curve beside it."""
    print(f"\nevaluation on {cfg.run.eval_episodes} identical episodes (mean ± 95% CI):")
    print(format_table({k: v for k, v in results.items() if k != "per_seed"}))
    best = best_scripted(results)
    line = f"best scripted policy: {best} ({100 * results[best]['mean_reduction'][0]:.1f} %)"
    planners = [n for n in ("cut seek (checked)", "cut seek (predicted)", "planner") if n in results]  # full state, centralised
    if planners:
        line += "; full-state planners: " + ", ".join(
            f"{n} {100 * results[n]['mean_reduction'][0]:.1f} %" for n in planners)
    print(line)
    write_json_atomic(os.path.join(out, name), results)
    if name != "eval.json":
        print(f"wrote {os.path.join(out, name)}")
    if csv_path and os.path.exists(csv_path):
        png = os.path.join(out, "learning_curve.png")
        base = {k: results[k]["mean_reduction"][0] for k in ("random", "heuristic", best, "planner")
                if k in results}
        e = cfg.env
        plot_learning_curve(csv_path, png, base, f"jaxjam {e.model}/{e.obs}: M={e.num_jammers}, "
                                                 f"N={e.num_enemies}")
        print(f"learning curve: {png}")


def best_scripted(results: dict) -> str:
    """Name of the scripted baseline (heuristic or `policies.SCRIPTED`) with the best mean reduction."""
    return max((k for k in ("heuristic", *SCRIPTED) if k in results),
               key=lambda k: results[k]["mean_reduction"][0])


def eval_filename(chunk: int, episodes: int) -> str:
    """The file `jaxjam eval` writes: `eval_chunk<chunk>_<episodes>eps.json` (never eval.json,
    which belongs to training)."""
    return f"eval_chunk{chunk}_{episodes}eps.json"


def evaluate_checkpoint(run_dir: str, episodes: int | None = None, best: bool = False,
                        step: int | None = None, last_good: bool = False,
                        scale: dict | None = None) -> dict:
    """Restore the latest (or best, or chunk `step`) checkpoint of `run_dir` (or of its
    `checkpoints/` folder), evaluate it against every baseline and report into
    `run_dir/eval_chunk<c>_<episodes>eps[_M<m>N<n>].json`. `scale`: updates of
    `transfer.SCALE_FIELDS` (e.g. `transfer.scale_updates("large")`) evaluate the same
    parameters at another M, N and arena (zero-shot). A corrupt checkpoint is a one-line
    ValueError before anything compiles; `last_good` evaluates the newest readable older one."""
    cfg, runner, meta, out = restore_run(run_dir, best, step, last_good)
    trained = cfg
    if scale:
        cfg = at_scale(cfg, scale)
    if episodes is not None:
        cfg = override(cfg, {"run.eval_episodes": episodes})
    e = cfg.env
    print(f"checkpoint {run_dir}: chunk {meta['chunk']}, {int(np.max(meta['env_steps'])):,} env "
          f"steps per seed, trained at M={trained.env.num_jammers} N={trained.env.num_enemies}"
          + (f"; evaluated at M={e.num_jammers} N={e.num_enemies} arena {e.arena_m:g} m "
             f"(zero-shot)" if scale else ""))
    note = scale_note(trained, cfg)
    if note:
        print(note)
    results = evaluate_runner(cfg, runner, cfg.run.num_seeds)
    name = eval_filename(meta["chunk"], cfg.run.eval_episodes)
    if scale:
        name = name.replace(".json", f"_M{e.num_jammers}N{e.num_enemies}.json")
    report(cfg, results, out, None, name)
    return results


def render_reset(cfg: Config, png: str) -> None:
    """Draw the reset state of `run.seed` (links, jammed links, jammers) to `png`."""
    from jaxjam.env import reset
    _, state = reset(jax.random.PRNGKey(cfg.run.seed), cfg)
    plot_state(cfg, state, png)
    print(f"wrote {png}")
