"""Command line: `jaxjam train | eval | render`.

    jaxjam train --preset default --total-steps 200000 --out runs/demo
    jaxjam train --preset large --num-envs 1024 --out runs/large --resume
    jaxjam train --preset large --devices 0 --out runs/large   # env batch over all GPUs
    jaxjam eval --checkpoint runs/demo
    jaxjam render --preset default --out runs/snapshot.png
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time

import jax
import numpy as np

from jaxjam.config import PRESETS, Config, load_yaml, override, preset, to_dict
from jaxjam.xla_flags import apply_default_xla_flags

# flag -> config field; every flag is optional and overrides preset/YAML
FLAGS = {
    "num_jammers": "env.num_jammers", "num_enemies": "env.num_enemies", "arena_m": "env.arena_m",
    "model": "env.model", "obs": "env.obs", "motion": "env.motion", "max_steps": "env.max_steps",
    "comm_range_m": "physics.comm_range_m", "jam_range_m": "physics.jam_range_m",
    "total_steps": "ppo.total_steps", "num_envs": "ppo.num_envs", "rollout_steps": "ppo.rollout_steps",
    "lr_actor": "ppo.lr_actor", "lr_critic": "ppo.lr_critic", "hidden": "ppo.hidden",
    "imitation_coef": "ppo.imitation_coef",
    "seed": "run.seed", "num_seeds": "run.num_seeds", "out": "run.out",
    "updates_per_chunk": "run.updates_per_chunk", "eval_episodes": "run.eval_episodes",
    "devices": "run.devices",
}


def _config_args(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--preset", default="default", choices=PRESETS)
    ap.add_argument("--config", help="YAML file with config sections (applied after the preset)")
    for flag in FLAGS:
        ap.add_argument("--" + flag.replace("_", "-"), dest=flag, default=None)
    ap.add_argument("--set", nargs="*", default=[], metavar="SECTION.FIELD=VALUE",
                    help="any config field, e.g. --set ppo.entropy_coef=0.01 env.dbscan_eps_m=20")


def build_config(args) -> Config:
    """preset → YAML → flags → --set, validated (ValueError names the field)."""
    cfg = preset(args.preset)
    if args.config:
        cfg = load_yaml(args.config, cfg)
    updates = {field: getattr(args, flag) for flag, field in FLAGS.items()}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--set expects SECTION.FIELD=VALUE, got {item!r}")
        updates[key] = value
    return override(cfg, updates)


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


def enable_compilation_cache(path: str | None = None) -> None:
    """Persistent XLA cache (env JAXJAM_CACHE_DIR, default ~/.cache/jaxjam): reruns skip compiling."""
    path = path or os.environ.get("JAXJAM_CACHE_DIR", os.path.expanduser("~/.cache/jaxjam/xla"))
    if path and path.lower() != "off":
        jax.config.update("jax_compilation_cache_dir", path)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)


def train_main(args) -> int:
    from jaxjam.sharding import maybe_initialize_distributed

    distributed = maybe_initialize_distributed()  # several hosts: if JAX_COORDINATOR_ADDRESS is set
    train_and_evaluate(build_config(args), resume=args.resume)
    if distributed:  # wait for every process before process 0's coordinator goes away
        jax.distributed.shutdown()
    return 0


def train_and_evaluate(cfg: Config, resume: bool = False) -> dict:
    """Chunked training with progress, CSV, checkpoints; then evaluation and the learning curve.

    Returns {"wall_s", "steps_per_s", "env_steps", "results"} (results: see `evaluate_runner`).
    """
    from jaxjam.checkpoint import CheckpointStore
    from jaxjam.sharding import env_mesh
    from jaxjam.train import compile_programs, make_train

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
        _report(cfg, results, r.out, csv_path)
    return {"wall_s": wall, "steps_per_s": done / wall, "env_steps": done, "results": results}


def evaluate_runner(cfg: Config, runner, seeds: int) -> dict:
    """Trained vs every baseline of `jaxjam.policies` (random, heuristic, scripted, planner) on
    identical episodes: {policy: {metric: (mean, ci95)}}.

    One seed: CI over episodes. Several seeds: each seed's mean over the same episodes,
    CI over seeds (the per-seed values are under "per_seed").
    """
    from jaxjam.evaluate import actor_policy, compare_policies, compare_seeds
    from jaxjam.policies import baselines

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
    results.update(compare_policies(cfg, baselines(cfg), key, episodes))
    if per_seed:
        results["per_seed"] = per_seed
    return results


def _report(cfg: Config, results: dict, out: str, csv_path: str | None) -> None:
    from jaxjam.evaluate import format_table
    from jaxjam.render import plot_learning_curve

    print(f"\nevaluation on {cfg.run.eval_episodes} identical episodes (mean ± 95% CI):")
    print(format_table({k: v for k, v in results.items() if k != "per_seed"}))
    best = best_scripted(results)
    print(f"best scripted policy: {best} ({100 * results[best]['mean_reduction'][0]:.1f} %); "
          f"planner (full state, centralised): {100 * results['planner']['mean_reduction'][0]:.1f} %")
    with open(os.path.join(out, "eval.json"), "w") as fh:
        json.dump(results, fh, indent=1)
    if csv_path and os.path.exists(csv_path):
        png = os.path.join(out, "learning_curve.png")
        base = {k: results[k]["mean_reduction"][0] for k in ("random", "heuristic", best, "planner")}
        e = cfg.env
        plot_learning_curve(csv_path, png, base, f"jaxjam {e.model}/{e.obs}: M={e.num_jammers}, "
                                                 f"N={e.num_enemies}")
        print(f"learning curve: {png}")


def best_scripted(results: dict) -> str:
    """Name of the scripted baseline (heuristic or `policies.SCRIPTED`) with the best mean reduction."""
    from jaxjam.policies import SCRIPTED
    return max(("heuristic", *SCRIPTED), key=lambda k: results[k]["mean_reduction"][0])


def eval_main(args) -> int:
    from jaxjam.checkpoint import CheckpointStore, load_config
    from jaxjam.train import make_train

    run_dir = args.checkpoint
    ckpt_dir = os.path.join(run_dir, "checkpoints") if os.path.isdir(
        os.path.join(run_dir, "checkpoints")) else run_dir
    cfg = load_config(ckpt_dir)
    if args.episodes:
        cfg = override(cfg, {"run.eval_episodes": args.episodes})
    seeds = cfg.run.num_seeds
    trainer = make_train(cfg)
    key = jax.random.PRNGKey(cfg.run.seed)
    template = trainer.init_seeds(jax.random.split(key, seeds)) if seeds > 1 else trainer.init(key)
    store = CheckpointStore(ckpt_dir, cfg)
    runner, meta = (store.restore_best if args.best else store.restore_latest)(template)
    print(f"checkpoint {ckpt_dir}: chunk {meta['chunk']}, "
          f"{int(np.max(meta['env_steps'])):,} env steps per seed")
    results = evaluate_runner(cfg, runner, seeds)
    _report(cfg, results, run_dir if os.path.isdir(run_dir) else ".", None)
    return 0


def render_main(args) -> int:
    from jaxjam.env import reset
    from jaxjam.render import plot_state

    cfg = build_config(args)
    _, state = reset(jax.random.PRNGKey(cfg.run.seed), cfg)
    plot_state(cfg, state, args.png)
    print(f"wrote {args.png}")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="jaxjam", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    tr = sub.add_parser("train", help="train MAPPO jammers; prints progress, writes CSV, PNG, checkpoints")
    _config_args(tr)
    tr.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out")
    ev = sub.add_parser("eval", help="evaluate a checkpoint vs every baseline (random, heuristic, scripted, planner)")
    ev.add_argument("--checkpoint", required=True, help="run directory (or its checkpoints/ folder)")
    ev.add_argument("--episodes", type=int, default=None)
    ev.add_argument("--best", action="store_true", help="use the best checkpoint instead of the latest")
    rd = sub.add_parser("render", help="draw a reset state (links, jammed links, jammers)")
    _config_args(rd)
    rd.add_argument("--png", default="jaxjam_state.png")
    args = ap.parse_args(argv)
    apply_default_xla_flags()  # before JAX starts its backend
    enable_compilation_cache()
    try:
        return {"train": train_main, "eval": eval_main, "render": render_main}[args.cmd](args)
    except (ValueError, FileNotFoundError) as err:
        print(f"jaxjam {args.cmd}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
