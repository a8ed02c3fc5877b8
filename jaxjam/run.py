"""The run driver: training with progress, CSV, checkpoints and resume; evaluation against every
baseline; reports. `cli.py` only parses arguments and calls these; experiments call them too.

    from jaxjam.run import train_and_evaluate, evaluate_checkpoint
    result = train_and_evaluate(config)                  # {"wall_s", "steps_per_s", "env_steps", "results"}
    evaluate_checkpoint("runs/demo", episodes=128)       # restores, evaluates, writes eval.json
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time

import jax
import numpy as np

from jaxjam.checkpoint import CheckpointStore, load_config
from jaxjam.config import Config, override, to_dict
from jaxjam.evaluate import actor_policy, compare_policies, compare_seeds, format_table
from jaxjam.policies import SCRIPTED, baselines
from jaxjam.render import plot_learning_curve, plot_state
from jaxjam.sharding import env_mesh
from jaxjam.train import compile_programs, make_train


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


def _truncate_csv(csv_path: str, env_steps: int) -> None:
    """Drop the rows after `env_steps`: those of chunks trained after the checkpoint resumed from."""
    if not os.path.exists(csv_path):
        return
    with open(csv_path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    keep = [row for row in rows if float(row["env_steps"]) <= env_steps]
    if len(keep) < len(rows):
        with open(csv_path, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(keep)


def train_and_evaluate(cfg: Config, resume: bool = False) -> dict:
    """Chunked training with progress, CSV, checkpoints; then evaluation and the learning curve.

    Returns {"wall_s", "steps_per_s", "env_steps", "results"} (results: see `evaluate_runner`).
    """
    r = cfg.run
    primary = jax.process_index() == 0  # several processes (hosts): only the first writes files
    say = print if primary else (lambda *a, **k: None)
    os.makedirs(r.out, exist_ok=True)
    t_start = time.perf_counter()
    mesh = env_mesh(r.devices)  # run.devices: 1 = one device, 0 = all, N = the first N
    mesh = mesh if mesh.size > 1 else None  # one device: unsharded programs, as before
    trainer = make_train(cfg, mesh=mesh)
    seeds = r.num_seeds
    key = jax.random.PRNGKey(r.seed)
    init_fn, chunk_fn = compile_programs(trainer, key, seeds)  # both compile at once
    runner = init_fn(jax.random.split(key, seeds) if seeds > 1 else key)
    store = CheckpointStore(os.path.join(r.out, "checkpoints"), cfg)
    start_chunk = 0
    csv_path = os.path.join(r.out, "metrics.csv")
    if not resume and os.path.isdir(store.directory) and store.has_checkpoint():
        raise ValueError(f"{store.directory} holds checkpoints of an earlier run: pass --resume to "
                         f"continue it, or choose another --out")
    if resume and store.has_checkpoint():
        runner, meta = store.restore_latest(runner)  # in the layout of `runner` (the mesh's)
        start_chunk, steps = meta["chunk"] + 1, int(np.max(meta["env_steps"]))  # per seed
        if primary:  # rows of chunks trained after this checkpoint (a killed run) are redone
            _truncate_csv(csv_path, steps)
        say(f"resumed from {store.directory} at chunk {meta['chunk']} ({steps:,} env steps per seed)")
    elif primary and os.path.exists(csv_path):
        os.remove(csv_path)
    if primary:
        with open(os.path.join(r.out, "config.json"), "w") as fh:
            json.dump(to_dict(cfg), fh, indent=1)
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
    for c in range(start_chunk, n_chunks):
        runner, metrics = chunk_fn(runner)
        rows = _host_metrics(metrics)
        if primary:
            new_file = not os.path.exists(csv_path)
            with open(csv_path, "a", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=list(rows[0]))
                if new_file:
                    w.writeheader()
                w.writerows(rows)
        progress.show((c + 1) * per_chunk, rows[-1], final=c == n_chunks - 1)
        if (c + 1) % r.checkpoint_every_chunks == 0 or c == n_chunks - 1:
            store.save(runner, c, rows[-1], rows[-1]["episode_mean_reduction"])  # all processes
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


def report(cfg: Config, results: dict, out: str, csv_path: str | None) -> None:
    """Print the evaluation table, the best scripted policy and the planner; write eval.json
    into `out` and, with a metrics CSV, the learning curve beside it."""
    print(f"\nevaluation on {cfg.run.eval_episodes} identical episodes (mean ± 95% CI):")
    print(format_table({k: v for k, v in results.items() if k != "per_seed"}))
    best = best_scripted(results)
    line = f"best scripted policy: {best} ({100 * results[best]['mean_reduction'][0]:.1f} %)"
    if "planner" in results:
        line += f"; planner (full state, centralised): {100 * results['planner']['mean_reduction'][0]:.1f} %"
    print(line)
    with open(os.path.join(out, "eval.json"), "w") as fh:
        json.dump(results, fh, indent=1)
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


def evaluate_checkpoint(run_dir: str, episodes: int | None = None, best: bool = False) -> dict:
    """Restore the latest (or best) checkpoint of `run_dir` (or of its `checkpoints/` folder),
    evaluate it against every baseline and report (eval.json in `run_dir`)."""
    ckpt_dir = os.path.join(run_dir, "checkpoints") if os.path.isdir(
        os.path.join(run_dir, "checkpoints")) else run_dir
    cfg = load_config(ckpt_dir)
    if episodes:
        cfg = override(cfg, {"run.eval_episodes": episodes})
    seeds = cfg.run.num_seeds
    trainer = make_train(cfg)
    key = jax.random.PRNGKey(cfg.run.seed)
    template = trainer.init_seeds(jax.random.split(key, seeds)) if seeds > 1 else trainer.init(key)
    store = CheckpointStore(ckpt_dir, cfg)
    runner, meta = (store.restore_best if best else store.restore_latest)(template)
    print(f"checkpoint {ckpt_dir}: chunk {meta['chunk']}, "
          f"{int(np.max(meta['env_steps'])):,} env steps per seed")
    results = evaluate_runner(cfg, runner, seeds)
    report(cfg, results, run_dir if os.path.isdir(run_dir) else ".", None)
    return results


def render_reset(cfg: Config, png: str) -> None:
    """Draw the reset state of `run.seed` (links, jammed links, jammers) to `png`."""
    from jaxjam.env import reset
    _, state = reset(jax.random.PRNGKey(cfg.run.seed), cfg)
    plot_state(cfg, state, png)
    print(f"wrote {png}")
