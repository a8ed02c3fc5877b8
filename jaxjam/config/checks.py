"""Validation: every field against its range or choices (declared in `schema`), then the
relations between fields; a bad value raises ValueError naming the field and the allowed range
before anything compiles."""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any

from jaxjam.config.schema import Config, EnvConfig, PhysicsConfig, PPOConfig, RunConfig

_PARTS = (("physics", PhysicsConfig), ("env", EnvConfig), ("ppo", PPOConfig), ("run", RunConfig))


def _table(kind: str) -> dict:
    """{"part.field": metadata[kind]} over every field that declares `kind`."""
    return {f"{part}.{f.name}": f.metadata[kind] for part, cls in _PARTS for f in fields(cls)
            if kind in f.metadata}


_CHOICES: dict[str, tuple[str, ...]] = _table("choices")
# field -> (low, high, low_inclusive, high_inclusive); None = unbounded
_RANGES: dict[str, tuple[float | None, float | None, bool, bool]] = _table("range")


def _fmt_range(lo, hi, lo_inc, hi_inc) -> str:
    left = "(-inf" if lo is None else ("[" if lo_inc else "(") + f"{lo:g}"
    right = "inf)" if hi is None else f"{hi:g}" + ("]" if hi_inc else ")")
    return f"{left}, {right}"


def _check_number(name: str, value: Any, label: str | None = None) -> None:
    lo, hi, lo_inc, hi_inc = _RANGES[name]
    name = label or name
    is_int_field = isinstance(lo, int) and isinstance(hi, int)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number in {_fmt_range(lo, hi, lo_inc, hi_inc)}, got {value!r}")
    if is_int_field and not float(value).is_integer():
        raise ValueError(f"{name} must be an integer in {_fmt_range(lo, hi, lo_inc, hi_inc)}, got {value!r}")
    v = float(value)
    ok = math.isfinite(v)
    if ok and lo is not None:
        ok = v >= lo if lo_inc else v > lo
    if ok and hi is not None:
        ok = v <= hi if hi_inc else v < hi
    if not ok:
        raise ValueError(f"{name} must be in {_fmt_range(lo, hi, lo_inc, hi_inc)}, got {value!r}")


def validate(cfg: Config) -> Config:
    """Check every field; raise ValueError naming the field and the allowed range."""
    for part in ("physics", "env", "ppo", "run"):
        sub = getattr(cfg, part)
        for f in fields(sub):
            name, value = f"{part}.{f.name}", getattr(sub, f.name)
            if name in _CHOICES:
                if value not in _CHOICES[name]:
                    raise ValueError(f"{name} must be one of {_CHOICES[name]}, got {value!r}")
            elif name in _RANGES:
                if isinstance(value, tuple):
                    if len(value) == 0:
                        raise ValueError(f"{name} must not be empty")
                    for i, v in enumerate(value):
                        _check_number(name, v, f"{name}[{i}]")
                else:
                    _check_number(name, value)
            elif isinstance(f.type, str) and f.type == "bool" and not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false, got {value!r}")
    p, e, o = cfg.physics, cfg.env, cfg.ppo
    nb = p.num_bands
    for name in ("sensitivity_dbm", "jam_threshold_dbm"):
        if len(getattr(p, name)) != nb:
            raise ValueError(f"physics.{name} must have one value per band ({nb}), got {len(getattr(p, name))}")
    if len(e.reward_weights) != 5:
        raise ValueError(f"env.reward_weights must have 5 values (w1..w5), got {len(e.reward_weights)}")
    if e.model == "reference" and e.obs not in ("reference", "reference_band"):
        raise ValueError(f"env.obs must be 'reference' or 'reference_band' when env.model is "
                         f"'reference', got {e.obs!r}")
    if e.model == "jaxjam" and e.obs not in ("seed", "local_graph", "entity"):
        raise ValueError(f"env.obs must be 'seed', 'local_graph' or 'entity' when env.model is "
                         f"'jaxjam', got {e.obs!r}")
    if e.obs == "entity" and e.entity_links + e.entity_top_links < 1:
        raise ValueError("env.entity_links + env.entity_top_links must be >= 1 (the pointer head "
                         f"needs a link), got {e.entity_links} + {e.entity_top_links}")
    if e.link_lookahead and e.obs != "entity":
        raise ValueError(f"env.link_lookahead needs env.obs 'entity' (a link-token feature), got env.obs {e.obs!r}")
    if e.link_lookahead_steps and not e.link_lookahead:
        raise ValueError(f"env.link_lookahead_steps needs env.link_lookahead true (it moves that feature's "
                         f"layout ahead), got link_lookahead_steps {e.link_lookahead_steps} with link_lookahead false")
    if e.entity_velocity and e.obs != "entity":
        raise ValueError(f"env.entity_velocity needs env.obs 'entity' (token features), got env.obs {e.obs!r}")
    if e.cut_graph == "jammed" and e.obs not in ("local_graph", "entity"):
        raise ValueError(f"env.cut_graph 'jammed' needs a graph observation (env.obs 'local_graph' or "
                         f"'entity'), got env.obs {e.obs!r}")
    if o.network == "attention" and e.obs != "entity":
        raise ValueError(f"ppo.network 'attention' needs env.obs 'entity', got {e.obs!r}")
    if o.network == "attention" and o.hidden % o.attention_heads:
        raise ValueError(f"ppo.attention_heads must divide ppo.hidden = {o.hidden}, "
                         f"got {o.attention_heads}")
    if e.local_graph_cut_k > e.local_graph_k:
        raise ValueError(f"env.local_graph_cut_k must be in [0, env.local_graph_k = {e.local_graph_k}], "
                         f"got {e.local_graph_cut_k}")
    if e.credit_weight > 0 and e.model != "jaxjam":
        raise ValueError(f"env.credit_weight must be 0 when env.model is 'reference' (it has no "
                         f"same-step unjammed graph), got {e.credit_weight}")
    if e.credit_mode != "own" and e.credit_weight == 0:
        raise ValueError(f"env.credit_mode {e.credit_mode!r} needs env.credit_weight > 0 (without it "
                         "there is no per-jammer credit to shape), got 0")
    if o.log_std_min > o.log_std_max:
        raise ValueError(f"ppo.log_std_min ({o.log_std_min}) must be <= ppo.log_std_max ({o.log_std_max})")
    if not o.log_std_min <= o.log_std_init <= o.log_std_max:
        raise ValueError(f"ppo.log_std_init must be in [ppo.log_std_min, ppo.log_std_max] = "
                         f"[{o.log_std_min}, {o.log_std_max}], got {o.log_std_init}")
    batch = o.num_envs * o.rollout_steps
    if batch % o.num_minibatches:
        raise ValueError(f"ppo.num_minibatches must divide ppo.num_envs * ppo.rollout_steps = {batch}, "
                         f"got {o.num_minibatches}")
    if o.teacher_envs > o.num_envs:
        raise ValueError(f"ppo.teacher_envs must be in [0, ppo.num_envs = {o.num_envs}] (0 = all), "
                         f"got {o.teacher_envs}")
    if e.obs == "local_graph" and e.local_graph_k > e.num_enemies * (e.num_enemies - 1) // 2:
        raise ValueError(f"env.local_graph_k must be in [1, N(N-1)/2 = "
                         f"{e.num_enemies * (e.num_enemies - 1) // 2}], got {e.local_graph_k}")
    if not isinstance(cfg.run.out, str) or not cfg.run.out.strip() or "\0" in cfg.run.out:
        raise ValueError(f"run.out must be a non-empty directory path, got {cfg.run.out!r}")
    if not isinstance(cfg.run.init_from, str) or "\0" in cfg.run.init_from:
        raise ValueError(f"run.init_from must be a run directory path or empty, got {cfg.run.init_from!r}")
    return cfg

