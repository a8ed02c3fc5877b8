"""Checkpoints of a whole training `Runner` with Orbax (synchronous, so saves are deterministic).

    store = CheckpointStore(out_dir, config)
    store.save(runner, chunk, metrics, best_metric)     # step = chunk index
    runner, meta = store.restore_latest(trainer.init(key))   # or restore_best / restore(step=)
    config = load_config(out_dir)                       # for `jaxjam eval --checkpoint DIR`

Each step directory `DIR/<chunk>/` holds two items: `state` (the Runner pytree: parameters,
optimiser states, env states, obs, episode log, PRNG key, env_steps; single-seed or with a
leading seed axis) and `meta` (JSON: config, chunk, env_steps, metrics). Orbax keeps the latest
`keep` steps plus the one with the highest `best_metric`. Restores go into the structure of
a template (`trainer.init(key)`, `init_seeds(keys)` or their `jax.eval_shape`), so the static
actor/critic modules come from the current code. Save a runner before passing it to
`train_chunk`, which donates (deletes) it. Raw uint32 PRNG keys, as in jaxjam. Several processes
(`jax.distributed`): every process calls `save` and `restore` (Orbax coordinates them) on a
directory they share; a template laid out on a mesh is restored straight into that layout.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp
from orbax.checkpoint import checkpoint_managers as policies

from jaxjam.config import Config, from_dict, to_dict

BEST = "best_metric"  # name of the ranking value in Orbax's per-step metrics


class CorruptCheckpointError(ValueError):
    """A checkpoint that cannot be read: `path`, `reason` (one line), `good` (the newest older
    readable chunk, or None). Nothing is ever deleted."""

    def __init__(self, path: Path, reason: str, good: int | None):
        self.path, self.reason, self.good = path, reason, good
        hint = (f"newest readable checkpoint is chunk {good}" if good is not None
                else "no older readable checkpoint")
        super().__init__(f"checkpoint {path} is corrupt or partial ({reason}); nothing was deleted; "
                         f"{hint}")


def short_reason(err: BaseException, limit: int = 300) -> str:
    """One line for an Orbax/TensorStore error: the innermost status message of the exception
    chain (e.g. "DATA_LOSS: ..."), without TensorStore's multi-line spec dumps."""
    chain, seen = [], set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        chain.append(err)
        err = err.__cause__ or err.__context__
    status = [e for e in chain if re.match(r"[A-Z_]{4,}: ", str(e))]
    e = (status or chain)[-1 if status else 0]
    text = str(e)
    for cut in (" See full TensorStore details", " [tensorstore_spec=", "\n"):
        text = text.split(cut)[0]
    text = f"{type(e).__name__}: {text.strip()}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _flat(d: dict, prefix: str = "") -> dict:
    """{"ppo": {"hidden": 16}} -> {"ppo.hidden": 16}."""
    out = {}
    for k, v in d.items():
        out.update(_flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
    return out


class CheckpointStore:
    """Latest `keep` checkpoints plus the best one, in `directory` (created on first save)."""

    def __init__(self, directory: str | Path, config: Config, keep: int | None = None):
        self.directory = Path(directory).absolute()
        self.config = config
        self.keep = config.run.keep_checkpoints if keep is None else keep
        self._manager: ocp.CheckpointManager | None = None

    def _mngr(self, create: bool = False) -> ocp.CheckpointManager:
        if self._manager is None:
            if not create and not self.directory.is_dir():
                raise FileNotFoundError(f"checkpoint directory {self.directory} does not exist")
            registry = ocp.handlers.DefaultCheckpointHandlerRegistry()  # item_metadata needs handlers
            for item, args in (("state", ocp.args.StandardSave), ("state", ocp.args.StandardRestore),
                               ("meta", ocp.args.JsonSave), ("meta", ocp.args.JsonRestore)):
                registry.add(item, args)
            by_metric = lambda m: m[BEST]
            options = ocp.CheckpointManagerOptions(
                enable_async_checkpointing=False,
                best_fn=by_metric,  # without it Orbax does not write metrics: `best` lost on restart
                preservation_policy=policies.AnyPreservationPolicy([
                    policies.LatestN(self.keep),
                    policies.BestN(get_metric_fn=by_metric, n=1,
                                   keep_checkpoints_without_metrics=False)]))
            self._manager = ocp.CheckpointManager(self.directory, options=options,
                                                  handler_registry=registry)
        return self._manager

    def save(self, runner, chunk: int, metrics: dict, best_metric: float | None = None) -> None:
        """Save `runner` as step `chunk` (> latest); higher best_metric = better, None = unranked."""
        tolist = lambda v: np.asarray(v).tolist()
        meta = {"config": to_dict(self.config), "chunk": chunk, "env_steps": tolist(runner.env_steps),
                "metrics": {k: tolist(v) for k, v in metrics.items()}}
        ranked = best_metric is not None and math.isfinite(best_metric)
        mngr = self._mngr(create=True)
        saved = mngr.save(chunk, metrics={BEST: float(best_metric)} if ranked else None,
                          args=ocp.args.Composite(state=ocp.args.StandardSave(runner),
                                                  meta=ocp.args.JsonSave(meta)))
        if not saved:  # Orbax skips (returns False) steps <= the latest one
            raise ValueError(f"{self.directory}: cannot save chunk {chunk}, "
                             f"latest saved chunk is {mngr.latest_step()}")

    def steps(self) -> list[int]:
        return list(self._mngr().all_steps()) if self.directory.is_dir() else []

    def latest_chunk(self) -> int | None:
        return max(self.steps(), default=None)

    def has_checkpoint(self) -> bool:
        return bool(self.steps())

    def best_chunk(self) -> int | None:
        """The chunk with the highest best_metric (None if none has one)."""
        return self._mngr().best_step() if self.directory.is_dir() else None

    def restore_latest(self, template):
        """(runner, meta) from the newest checkpoint."""
        return self.restore(template)

    def restore_best(self, template):
        """(runner, meta) from the checkpoint with the highest best_metric."""
        step = self._mngr().best_step()  # None if no step has a metric
        if step is None:
            raise FileNotFoundError(f"no checkpoint with a best_metric in {self.directory}")
        return self.restore(template, step)

    def restore(self, template, step: int | None = None):
        """(runner, meta) from `step` (default: the latest); ValueError if unreadable or mismatched."""
        step, steps = self._resolve(step), list(self._mngr().all_steps())
        path = self.directory / str(step)
        try:
            bad = self._mismatches(template, step)
            if not bad:
                return self._read(template, step)
        except Exception as err:  # noqa: BLE001 - Orbax/tensorstore raise many types
            reason = short_reason(err)
        else:
            diff = "; ".join(self._config_diff(step)) or "none"
            raise ValueError(f"checkpoint {path} does not match this runner/config: "
                             + "; ".join(bad[:5]) + f" ({len(bad)} arrays differ); "
                             + f"config differences: {diff}")
        older = sorted((s for s in steps if s < step), reverse=True)
        good = next((s for s in older if self._readable(template, s)), None)
        raise CorruptCheckpointError(path, reason, good)  # use restore(template, step=good)

    def _mismatches(self, template, step: int) -> list[str]:
        """Arrays whose saved path/shape/dtype differ from `template`'s (from Orbax metadata)."""
        saved = self._mngr().item_metadata(step).state
        saved = ocp.tree.to_flat_dict(getattr(saved, "tree", saved))
        want = ocp.tree.to_flat_dict(ocp.tree.serialize_tree(template, keep_empty_nodes=True))
        fmt = lambda a: f"{tuple(a.shape)} {np.dtype(a.dtype)}" if a is not None else "missing"
        return [f"{'.'.join(k)}: saved {fmt(saved.get(k))}, expected {fmt(want.get(k))}"
                for k in sorted(set(saved) | set(want)) if fmt(saved.get(k)) != fmt(want.get(k))]

    def _read(self, template, step: int):
        """Restore into `template`'s layout: its shardings when it spans several devices (a mesh,
        possibly over several processes), else uncommitted host-backed arrays."""
        leaves = jax.tree.leaves(template)
        on_mesh = all(isinstance(x, jax.Array) and len(x.sharding.device_set) > 1 for x in leaves)
        abstract = jax.tree.map(lambda x: jax.ShapeDtypeStruct(
            x.shape, x.dtype, sharding=x.sharding if on_mesh else None), template)
        out = self._mngr().restore(step, args=ocp.args.Composite(
            state=ocp.args.StandardRestore(abstract), meta=ocp.args.JsonRestore()))
        if on_mesh:  # the layout the jitted programs pin: no re-layout, no recompilation
            return out.state, dict(out.meta)
        # Orbax returns *committed* device arrays, which changes train_chunk's jit signature and
        # recompiles it; a host round trip gives uncommitted arrays like `trainer.init` returns.
        return jax.tree.map(lambda x: jnp.asarray(np.asarray(x)), out.state), dict(out.meta)

    def meta(self, step: int | None = None) -> dict:
        """The JSON item of `step` (default: the latest): config, chunk, env_steps, metrics."""
        step = self._resolve(step)
        out = self._mngr().restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))
        return dict(out.meta)

    def _resolve(self, step: int | None) -> int:
        steps = list(self._mngr().all_steps())  # FileNotFoundError if the directory is missing
        if not steps:
            raise FileNotFoundError(f"no checkpoints in {self.directory}")
        if step is not None and step not in steps:
            raise FileNotFoundError(f"no checkpoint for chunk {step} in {self.directory} ({steps=})")
        return max(steps) if step is None else step

    def _readable(self, template, step: int) -> bool:
        try:
            return bool(self._read(template, step))
        except Exception:  # noqa: BLE001
            return False

    def _config_diff(self, step: int) -> list[str]:
        """Dotted config keys whose saved value differs from `self.config` ([] if unreadable)."""
        try:
            saved = _flat(to_dict(from_dict(self.meta(step)["config"])))
        except Exception:  # noqa: BLE001
            return []
        now = _flat(to_dict(self.config))
        return [f"{k}: saved {saved.get(k)!r}, now {now.get(k)!r}"
                for k in sorted(set(saved) | set(now)) if saved.get(k) != now.get(k)]


def load_config(directory: str | Path) -> Config:
    """The config saved with the newest checkpoint in `directory`."""
    store = CheckpointStore(directory, Config())
    meta = store.meta()
    try:
        return from_dict(meta["config"])
    except Exception as err:  # noqa: BLE001
        path = store.directory / str(meta.get("chunk"))
        raise ValueError(f"bad config in checkpoint {path}: {err}") from err
