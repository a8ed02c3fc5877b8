"""Command line: `jaxjam train | eval | render` — parses arguments; `jaxjam.run` does the work.

    jaxjam train --preset default --total-steps 200000 --out runs/demo
    jaxjam train --preset large --num-envs 1024 --out runs/large --resume
    jaxjam train --preset large --devices 0 --out runs/large   # env batch over all GPUs
    jaxjam eval --checkpoint runs/demo               # writes runs/demo/eval_chunk<c>_<n>eps.json
    jaxjam render --preset default --out runs/snapshot.png

Every error is one line on stderr naming the flag, field or file, exit status 2 (`--debug`: the
traceback instead); Ctrl-C prints how to resume, exit status 130.
"""

from __future__ import annotations

import argparse
import os
import sys

import jax

from jaxjam.config import PRESETS, Config, load_yaml, override, parse_sets, preset
from jaxjam.errors import OneLineParser, count_type, one_line, quiet_shutdown_noise
from jaxjam.xla_flags import apply_default_xla_flags

# flag -> config field; every flag is optional and overrides preset/YAML
FLAGS = {
    "num_jammers": "env.num_jammers", "num_enemies": "env.num_enemies", "arena_m": "env.arena_m",
    "model": "env.model", "obs": "env.obs", "motion": "env.motion", "max_steps": "env.max_steps",
    "comm_range_m": "physics.comm_range_m", "jam_range_m": "physics.jam_range_m",
    "total_steps": "ppo.total_steps", "num_envs": "ppo.num_envs", "rollout_steps": "ppo.rollout_steps",
    "lr_actor": "ppo.lr_actor", "lr_critic": "ppo.lr_critic", "hidden": "ppo.hidden",
    "num_minibatches": "ppo.num_minibatches", "network": "ppo.network",
    "imitation_coef": "ppo.imitation_coef", "teacher_envs": "ppo.teacher_envs",
    "teacher_shortlist": "ppo.teacher_shortlist",
    "seed": "run.seed", "num_seeds": "run.num_seeds", "out": "run.out",
    "updates_per_chunk": "run.updates_per_chunk", "eval_episodes": "run.eval_episodes",
    "devices": "run.devices", "init_from": "run.init_from",
}


def enable_compilation_cache(path: str | None = None) -> None:
    """Persistent XLA cache (env JAXJAM_CACHE_DIR, default ~/.cache/jaxjam): reruns skip compiling."""
    path = path or os.environ.get("JAXJAM_CACHE_DIR", os.path.expanduser("~/.cache/jaxjam/xla"))
    if path and path.lower() != "off":
        jax.config.update("jax_compilation_cache_dir", path)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)


def _config_args(ap: argparse.ArgumentParser, exclude: tuple[str, ...] = ()) -> None:
    ap.add_argument("--preset", default=None, choices=PRESETS,
                    help="the starting config (default: the --config file's preset key, else "
                         "default); a --preset given here wins over the file's key")
    ap.add_argument("--config", help="YAML file with config sections (applied after the preset)")
    for flag in (f for f in FLAGS if f not in exclude):
        ap.add_argument("--" + flag.replace("_", "-"), dest=flag, default=None)
    ap.add_argument("--set", nargs="*", default=[], metavar="SECTION.FIELD=VALUE",
                    help="any config field, e.g. --set ppo.entropy_coef=0.01 env.dbscan_eps_m=20")


def build_config(args) -> Config:
    """preset → YAML → flags → --set, validated (ValueError names the field)."""
    cfg = preset(args.preset or "default")
    if args.config:  # an explicit --preset wins over the file's preset key
        cfg = load_yaml(args.config, cfg, keep_base=args.preset is not None)
    updates = {field: getattr(args, flag, None) for flag, field in FLAGS.items()}
    updates.update(parse_sets(args.set))
    try:
        return override(cfg, updates)
    except ValueError as err:  # name the flag too when a flag set the field
        for flag, field in FLAGS.items():
            value = getattr(args, flag, None)
            if value is not None and str(err).startswith(field) and updates.get(field) == value:
                raise ValueError(f"--{flag.replace('_', '-')} {value}: {err}") from None
        raise


def train_main(args) -> int:
    from jaxjam.run import train_and_evaluate
    from jaxjam.sharding import maybe_initialize_distributed

    distributed = maybe_initialize_distributed()  # several hosts: if JAX_COORDINATOR_ADDRESS is set
    train_and_evaluate(build_config(args), resume=args.resume, step=args.step,
                       last_good=args.resume_from_last_good,
                       allow_config_change=args.allow_config_change)
    if distributed:  # wait for every process before process 0's coordinator goes away
        jax.distributed.shutdown()
    return 0


def eval_main(args) -> int:
    from jaxjam.run import evaluate_checkpoint
    from jaxjam.transfer import scale_updates
    scale = scale_updates(args.preset, args.num_jammers, args.num_enemies, args.arena_m)
    evaluate_checkpoint(args.checkpoint, args.episodes, args.best, args.step, args.last_good, scale)
    return 0


def render_main(args) -> int:
    from jaxjam.replay import render
    from jaxjam.transfer import scale_updates
    path = args.out or args.png or "jaxjam_state.png"
    if args.checkpoint:  # the run's config; --preset/--num-jammers/... choose another scale
        other = [f for f in FLAGS if f not in ("num_jammers", "num_enemies", "arena_m", "out")
                 and getattr(args, f, None) is not None] + (["set"] if args.set else []) \
            + (["config"] if args.config else [])
        if other:
            raise ValueError(f"render --checkpoint uses the run's config: only --preset, --num-jammers, "
                             f"--num-enemies, --arena-m may change it (the scale), got --{other[0]}")
        scale = scale_updates(args.preset, *(getattr(args, f) for f in ("num_jammers", "num_enemies",
                                                                       "arena_m")))
        render(None, path, args.checkpoint, args.policy, scale, args.episode, args.steps, args.every)
    else:
        render(build_config(args), path, None, args.policy, None, args.episode, args.steps, args.every)
    return 0


def _interrupted(args) -> str:
    """What Ctrl-C leaves behind, and (train) the command that continues."""
    if args.cmd != "train":
        return "interrupted; no result file was written"
    try:
        out = build_config(args).run.out
    except Exception:  # noqa: BLE001 - only for the hint
        out = "<the same --out>"
    return (f"interrupted: nothing half-written is kept (completed checkpoints stay; a partial save "
            f"is removed and CSV rows after the last checkpoint are redone at the next start); "
            f"continue with: jaxjam train <the same options> --out {out} --resume")


def main(argv=None) -> int:
    ap = OneLineParser(prog="jaxjam", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True, parser_class=OneLineParser)
    tr = sub.add_parser("train", help="train MAPPO jammers; prints progress, writes CSV, PNG, checkpoints")
    _config_args(tr)
    tr.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out")
    tr.add_argument("--step", type=count_type(0, "a chunk number"), default=None,
                    help="with --resume: continue from this chunk's checkpoint (newer ones are moved aside)")
    tr.add_argument("--resume-from-last-good", action="store_true",
                    help="with --resume: if the checkpoint is corrupt, use the newest readable older one")
    tr.add_argument("--allow-config-change", action="store_true",
                    help="with --resume: accept a config that differs from the checkpoint's")
    ev = sub.add_parser("eval", help="evaluate a checkpoint vs every baseline (random, heuristic, scripted, planner)")
    ev.add_argument("--checkpoint", required=True, help="run directory (or its checkpoints/ folder)")
    ev.add_argument("--episodes", type=count_type(1), default=None)
    ev.add_argument("--best", action="store_true", help="use the best checkpoint instead of the latest")
    ev.add_argument("--step", type=count_type(0, "a chunk number"), default=None,
                    help="evaluate this chunk's checkpoint")
    ev.add_argument("--last-good", "--resume-from-last-good", dest="last_good", action="store_true",
                    help="if the checkpoint is corrupt, evaluate the newest readable older one")
    ev.add_argument("--preset", choices=PRESETS, default=None,
                    help="evaluate at this preset's scale (M, N, arena, DBSCAN): zero-shot transfer")
    ev.add_argument("--num-jammers", type=count_type(1), default=None, help="evaluate with M jammers")
    ev.add_argument("--num-enemies", type=count_type(2), default=None, help="evaluate with N enemies")
    ev.add_argument("--arena-m", type=float, default=None, help="evaluate in this arena side (m)")
    rd = sub.add_parser("render", help="animate one episode (.gif/.mp4) of a checkpoint or a baseline, "
                                       "or draw a reset state (.png)")
    _config_args(rd, exclude=("out",))
    rd.add_argument("--out", default=None, help="file to write: .gif or .mp4 (an episode), .png (reset)")
    rd.add_argument("--png", default=None, help=argparse.SUPPRESS)  # older spelling of --out X.png
    rd.add_argument("--checkpoint", default=None, help="run directory whose trained policy plays")
    rd.add_argument("--policy", default=None,
                    help="trained (default with --checkpoint) or a baseline: planner (default), "
                         "heuristic, random, stay, diffuse 0.6, disperse 30 m, ...")
    rd.add_argument("--episode", type=count_type(0), default=0, help="which evaluation episode")
    rd.add_argument("--steps", type=count_type(1), default=None, help="episode length (default max_steps)")
    rd.add_argument("--every", type=count_type(1), default=1, help="one frame every N steps")
    for p in (tr, ev, rd):
        p.add_argument("--debug", action="store_true", help="show tracebacks instead of one-line errors")
    args = ap.parse_args(argv)
    if not args.debug:
        quiet_shutdown_noise()
    apply_default_xla_flags()  # before JAX starts its backend
    enable_compilation_cache()
    command = {"train": train_main, "eval": eval_main, "render": render_main}[args.cmd]
    if args.debug:
        return command(args)
    try:
        return command(args)
    except KeyboardInterrupt:
        print(f"jaxjam {args.cmd}: {_interrupted(args)}", file=sys.stderr)
        return 130
    except (ValueError, OSError) as err:
        print(f"jaxjam {args.cmd}: error: {one_line(err)}", file=sys.stderr)
        return 2
    except Exception as err:  # noqa: BLE001 - a bug or a device error: still one line
        print(f"jaxjam {args.cmd}: internal error: {type(err).__name__}: {one_line(err)} "
              f"(rerun with --debug for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
