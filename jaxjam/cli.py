"""Command line: `jaxjam train | eval | render` — parses arguments; `jaxjam.run` does the work.

    jaxjam train --preset default --total-steps 200000 --out runs/demo
    jaxjam train --preset large --num-envs 1024 --out runs/large --resume
    jaxjam train --preset large --devices 0 --out runs/large   # env batch over all GPUs
    jaxjam eval --checkpoint runs/demo
    jaxjam render --preset default --out runs/snapshot.png
"""

from __future__ import annotations

import argparse
import os
import sys

import jax

from jaxjam.config import PRESETS, Config, load_yaml, override, preset
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


def enable_compilation_cache(path: str | None = None) -> None:
    """Persistent XLA cache (env JAXJAM_CACHE_DIR, default ~/.cache/jaxjam): reruns skip compiling."""
    path = path or os.environ.get("JAXJAM_CACHE_DIR", os.path.expanduser("~/.cache/jaxjam/xla"))
    if path and path.lower() != "off":
        jax.config.update("jax_compilation_cache_dir", path)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)


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


def train_main(args) -> int:
    from jaxjam.run import train_and_evaluate
    from jaxjam.sharding import maybe_initialize_distributed

    distributed = maybe_initialize_distributed()  # several hosts: if JAX_COORDINATOR_ADDRESS is set
    train_and_evaluate(build_config(args), resume=args.resume)
    if distributed:  # wait for every process before process 0's coordinator goes away
        jax.distributed.shutdown()
    return 0


def eval_main(args) -> int:
    from jaxjam.run import evaluate_checkpoint
    evaluate_checkpoint(args.checkpoint, args.episodes, args.best)
    return 0


def render_main(args) -> int:
    from jaxjam.run import render_reset
    render_reset(build_config(args), args.png)
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
