"""Resuming and evaluating a run directory safely: which checkpoint, whether the config changed,
whether training stayed finite. Used by `jaxjam.run`; every refusal is a one-line ValueError.

    step = choose_step(store, step=None, resume=True)       # NothingToResume if there is none
    check_config_change(read_saved_config(store.directory, step), cfg, allow=False)
    runner, meta = restore_checked(store, template, step, last_good=False, say=print)
    check_finite(rows, first_update=7, runner=runner)       # NonFiniteError names the update
"""

from __future__ import annotations

import csv
import json
import math
import os

from jaxjam.checkpoint import CheckpointStore, CorruptCheckpointError, _flat
from jaxjam.config import Config, to_dict
from jaxjam.rundir import set_aside

# Config keys a resume may change without --allow-config-change: the step budget, and run
# settings that do not touch the trained numbers (where files go, evaluation, retention).
FREE_TO_CHANGE = ("ppo.total_steps", "run.out", "run.eval_episodes", "run.baselines",
                  "run.keep_checkpoints")
# A checkpoint is numbered by chunk and the run continues at chunk + 1: these set the env steps
# of a chunk, so a resume that changed them would count its steps wrongly (never allowed).
CHUNK_GEOMETRY = ("run.updates_per_chunk", "ppo.rollout_steps", "ppo.num_envs")


class NothingToResume(ValueError):
    """`--resume` on a run directory without any checkpoint."""


class NonFiniteError(ValueError):
    """A logged loss/metric or a parameter became NaN or infinite during training."""


def choose_step(store: CheckpointStore, step: int | None, resume: bool = True) -> int:
    """The chunk to restore: `step` if given (it must exist), else the newest."""
    steps = store.steps()
    if not steps:
        what = "--resume: nothing to resume" if resume else "nothing to evaluate"
        raise NothingToResume(f"{what}: no checkpoint in {store.directory}"
                              + ("; run without --resume to start a new run" if resume else ""))
    if step is not None and step not in steps:
        raise ValueError(f"--step {step}: no checkpoint for chunk {step} in {store.directory} "
                         f"(available: {', '.join(map(str, steps))})")
    return max(steps) if step is None else step


def read_saved_config(ckpt_dir, step: int) -> dict | None:
    """The config dict stored with chunk `step` (plain JSON read, no Orbax); None if unreadable
    (a corrupt checkpoint: the restore then reports it)."""
    try:
        with open(os.path.join(ckpt_dir, str(step), "meta", "metadata")) as fh:
            saved = json.load(fh)["config"]
        return saved if isinstance(saved, dict) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _norm(v):
    return tuple(_norm(x) for x in v) if isinstance(v, (list, tuple)) else v


def config_changes(saved: dict, cfg: Config) -> list[tuple[str, object, object]]:
    """(dotted key, saved value, current value) for every field that differs. A field the
    checkpoint predates counts as unchanged when it still has its default value."""
    now = {k: _norm(v) for k, v in _flat(to_dict(cfg)).items()}
    old = {k: _norm(v) for k, v in _flat(saved).items()}
    default = {k: _norm(v) for k, v in _flat(to_dict(Config())).items()}
    keys = sorted(set(now) | set(old))
    return [(k, old.get(k), now.get(k)) for k in keys
            if (k in old or now.get(k) != default.get(k)) and old.get(k) != now.get(k)]


def check_config_change(saved: dict | None, cfg: Config, allow: bool) -> list[str]:
    """Lines describing the changes (e.g. "ppo.total_steps: 64 -> 128"); ValueError naming them
    if any is outside FREE_TO_CHANGE and `allow` is False, or in CHUNK_GEOMETRY (always)."""
    if saved is None:
        return []
    changes = config_changes(saved, cfg)
    fixed = [f"{k}: {a!r} -> {b!r}" for k, a, b in changes if k in CHUNK_GEOMETRY]
    if fixed:
        raise ValueError("--resume: " + "; ".join(fixed) + " — these set the env steps of a chunk, "
                         "which numbers the checkpoints; resume with the checkpoint's values "
                         f"({', '.join(CHUNK_GEOMETRY)}), or start a new run with --init-from")
    lines = [f"{k}: {a!r} -> {b!r}" for k, a, b in changes]
    blocked = [f"{k}: {a!r} -> {b!r}" for k, a, b in changes if k not in FREE_TO_CHANGE]
    if blocked and not allow:
        raise ValueError("--resume: the config differs from the checkpoint's: " + "; ".join(blocked)
                         + " — pass --allow-config-change to continue with the new values "
                         f"(free to change: {', '.join(FREE_TO_CHANGE)})")
    return lines


def restore_checked(store: CheckpointStore, template, step: int, last_good: bool, say=print,
                    flag: str = "--resume-from-last-good"):
    """(runner, meta) of chunk `step`; if it is corrupt, the newest readable older one when
    `last_good`, else a one-line ValueError saying which flags would use that one."""
    try:
        return store.restore(template, step)
    except CorruptCheckpointError as err:
        if last_good and err.good is not None:
            say(f"warning: {err}; using chunk {err.good} ({flag})")
            return store.restore(template, err.good)
        hint = (f": pass --step {err.good} or {flag} to use it" if err.good is not None else "")
        raise ValueError(f"{err}{hint}") from None


def check_finite(rows: list[dict[str, float]], first_update: int, finite_params: bool = True,
                 out: str = "") -> None:
    """NonFiniteError naming the first update (1-based, counted over the whole run) whose logged
    metric is NaN/inf, or, with `finite_params` False, the parameters after the chunk."""
    for i, row in enumerate(rows):
        bad = sorted(k for k, v in row.items() if not math.isfinite(v))
        if bad:
            raise NonFiniteError(
                f"training diverged at update {first_update + i} (env step "
                f"{row.get('env_steps', float('nan')):,.0f}): non-finite {', '.join(bad)}; this "
                f"chunk was not saved, the last good checkpoint is kept{_resume_hint(out)}")
    if not finite_params:
        raise NonFiniteError(
            f"training diverged by update {first_update + len(rows) - 1}: non-finite parameters; "
            f"this chunk was not saved, the last good checkpoint is kept{_resume_hint(out)}")


def _resume_hint(out: str) -> str:
    return (f" (try lower ppo.lr_actor / ppo.lr_critic with --resume --allow-config-change "
            f"--out {out})" if out else "")


def params_finite(train_state) -> bool:
    """Whether every actor/critic parameter is finite (one device->host scalar)."""
    import jax
    import jax.numpy as jnp

    leaves = jax.tree.leaves((train_state.actor_params, train_state.critic_params))
    return bool(jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves])))


def _row_steps(row: dict) -> float:
    """env_steps of a CSV row; inf for a row cut short (a kill while it was written)."""
    try:
        return float(row["env_steps"]) if None not in row.values() else math.inf
    except (KeyError, TypeError, ValueError):
        return math.inf


def truncate_csv(csv_path: str, env_steps: int) -> None:
    """Drop the rows after `env_steps` (chunks trained after the checkpoint resumed from) and
    any half-written row; rewritten through a temp file, so a kill leaves old or new."""
    if not os.path.exists(csv_path):
        return
    with open(csv_path, newline="") as fh:
        text = fh.read()
    lines = text.splitlines(keepends=True)
    if lines and not text.endswith("\n"):  # the last row was cut short by a kill
        lines = lines[:-1]
    reader = csv.DictReader(lines)
    rows, header = list(reader), reader.fieldnames
    keep = [row for row in rows if _row_steps(row) <= env_steps]
    if (len(keep) < len(rows) or not text.endswith("\n")) and header:
        with open(csv_path + ".tmp", "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=header)
            w.writeheader()
            w.writerows(keep)
        os.replace(csv_path + ".tmp", csv_path)


def set_aside_newer(store: CheckpointStore, chunk: int, primary: bool, say) -> CheckpointStore:
    """Resuming from an older chunk (--step, --resume-from-last-good): move the newer
    checkpoints out of the way (never deleted) so the resumed run can save its own."""
    newer = [s for s in store.steps() if s > chunk]
    if not newer:
        return store
    if primary:
        for src, dst in set_aside(str(store.directory), newer):
            say(f"moved {src} to {dst} (resuming from chunk {chunk}; nothing deleted)")
    import jax

    if jax.process_count() > 1:
        from jax.experimental.multihost_utils import sync_global_devices
        sync_global_devices("jaxjam_set_aside")
    return CheckpointStore(store.directory, store.config)  # a fresh Orbax manager
