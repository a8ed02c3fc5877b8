"""The environment's and physics' numbers as a traced pytree: change them without recompiling,
vmap a grid of them (gymnax's `EnvParams` beside a static config, as Craftax splits it).

    nums = EnvNumbers.of(config, {"env.reward_weights": w, "env.dbscan_eps_m": [15.0, 25.0]})
    cfg = with_numbers(static_env(config), nums)   # inside a program: every cfg.env.x site works

The fields are the ones `jaxjam.config.schema` declares with `num(..., traced=True)`
(`TRACED_ENV`, `TRACED_PHYSICS`). Env fields travel as float32 arrays (`[]`, or `[K]` for a
tuple field such as `reward_weights`); the physics fields travel as the per-band ranges they
imply, `comm_range_m` and `jam_range_m` `[B]` (m), computed on the host in float64 as the static
path computes them, so the program sees the same float32 numbers either way. With a grid every
leaf gains leading axes `[G]` (vmap over them).

`static_env(config)` is the part of the config a program depends on: its traced fields are set
to canonical values, so two configs that differ only in traced numbers build the same program.
`with_numbers(config, nums)` is the config a program computes with: its traced fields hold the
(traced) numbers; only jnp arithmetic may touch them (no `float()`, no `if`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from jaxjam.config.overrides import override
from jaxjam.config.schema import Config, EnvConfig, PhysicsConfig


def _traced(cls) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.metadata.get("traced"))


TRACED_ENV = _traced(EnvConfig)  # travel as themselves
TRACED_PHYSICS = _traced(PhysicsConfig)  # travel as the ranges they imply (RANGES)
RANGES = ("comm_range_m", "jam_range_m")  # physics.*: derived keys, as `override` accepts them
# The attention actor's fly-to prior, R / (dt · v_max) per band, is a constant of its network
# (`jaxjam.env.entity_obs.steps_per_range`): these numbers may not differ from the config's there.
_PRIOR = ("dt_s", "v_max_m_s", "comm_range_m")


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class EnvNumbers:
    """The traced env and physics numbers (float32), with leading grid axes `[G]` if a grid."""

    env: dict[str, jax.Array]  # TRACED_ENV name -> [] ([K] for a tuple field), units in the name
    comm_range_m: jax.Array  # [B] m: communication range per band (from physics' traced fields)
    jam_range_m: jax.Array  # [B] m: jamming range per band

    @classmethod
    def of(cls, config: Config, overrides: Mapping[str, Any] | None = None, **kw) -> "EnvNumbers":
        """The config's numbers, some replaced by `overrides` (and `kw`): "env.NAME",
        "physics.NAME" (a traced field, or `comm_range_m` / `jam_range_m`) or a bare NAME, to a
        value or an array. A leading axis `[G]` (a tuple field: `[G, K]`) makes a grid; every
        member is validated as `override(config, ...)` validates, so a bad value raises the
        config validator's ValueError before anything compiles."""
        updates = {_key(k): v for k, v in {**(overrides or {}), **kw}.items()}
        cols, lead = {}, ()
        for key, value in updates.items():
            arr, width = np.asarray(value), _width(config, key)
            if width and arr.ndim and arr.shape[-1] != width:
                raise ValueError(f"{key} must have {width} values (or one for all), got shape "
                                 f"{arr.shape}: a grid is [G, {width}]")
            shape = arr.shape[:-1] if width and arr.ndim else arr.shape
            cols[key], lead = (arr, shape), np.broadcast_shapes(lead, shape)
        members = [override(config, {k: _pick(a, s, lead, i) for k, (a, s) in cols.items()})
                   for i in np.ndindex(lead)] if cols else [config]
        for member in members:
            _check_static(config, member)
        rows = [_numbers(m) for m in members]
        stack = lambda *xs: jnp.asarray(np.stack(xs).reshape(lead + np.shape(xs[0])), jnp.float32)
        return jax.tree.map(stack, *rows)


def _key(key: str) -> str:
    """A dotted key for `override`: "env.NAME" or "physics.NAME" (bare names resolved)."""
    part, dot, name = key.rpartition(".")
    if dot and (part, name) in {("env", n) for n in TRACED_ENV} | {
            ("physics", n) for n in TRACED_PHYSICS + RANGES}:
        return key
    if not dot and name in TRACED_ENV:
        return f"env.{name}"
    if not dot and name in TRACED_PHYSICS + RANGES:
        return f"physics.{name}"
    names = [f"env.{n}" for n in TRACED_ENV] + [f"physics.{n}" for n in TRACED_PHYSICS + RANGES]
    raise ValueError(f"not a traced env number: {key} (traced: {', '.join(names)})")


def _width(config: Config, key: str) -> int:
    """K for a tuple field (values per member), 0 for a scalar field."""
    part, _, name = key.partition(".")
    if name in RANGES:
        return 0
    current = getattr(getattr(config, part), name)
    return len(current) if isinstance(current, tuple) else 0


def _pick(arr: np.ndarray, shape: tuple, lead: tuple, index: tuple):
    """Member `index` of a column whose grid shape `shape` broadcasts to `lead`: a Python value."""
    sub = np.broadcast_to(arr, lead + arr.shape[len(shape):])[index]
    return tuple(x.item() for x in sub) if sub.ndim else sub.item()


def _check_static(config: Config, member: Config) -> None:
    """Numbers may not change what is static: the attention network's prior (the number of
    bands, a tuple field's length, is checked with the values)."""
    if config.ppo.network == "attention":
        prior = lambda c: (c.env.dt_s, c.env.v_max_m_s, c.physics.comm_range_m())
        if prior(member) != prior(config):
            raise ValueError(f"{', '.join(_PRIOR)}: constants of the attention network's fly-to "
                             f"prior (ppo.network 'attention'); change them in the config instead")


def _numbers(cfg: Config) -> EnvNumbers:
    """The traced numbers of one validated config (float64 ranges, as the static path)."""
    env = {n: np.asarray(getattr(cfg.env, n), np.float64) for n in TRACED_ENV}
    return EnvNumbers(env, np.asarray(cfg.physics.comm_range_m()), np.asarray(cfg.physics.jam_range_m()))


@dataclass(frozen=True)
class TracedPhysics(PhysicsConfig):
    """`PhysicsConfig` inside a program: `comm_range_m()` / `jam_range_m()` return traced
    `[B]` float32 arrays (m); the traced constants they come from are absent (None, NaN
    frequencies: only their number, the band count, is meaningful)."""

    ranges_m: Any = None  # (comm [B], jam [B])

    def comm_range_m(self):
        return self.ranges_m[0]

    def jam_range_m(self):
        return self.ranges_m[1]


def static_env(config: Config) -> Config:
    """`config` with every traced env/physics field at a canonical value (the schema default;
    per-band tuples keep their length): what a program built with `EnvNumbers` depends on."""
    nb, env, phys = config.physics.num_bands, EnvConfig(), PhysicsConfig()
    per_band = lambda v: (v[0],) * nb if isinstance(v, tuple) else v
    return replace(config, env=replace(config.env, **{n: getattr(env, n) for n in TRACED_ENV}),
                   physics=replace(config.physics, **{n: per_band(getattr(phys, n))
                                                      for n in TRACED_PHYSICS}))


def with_numbers(config: Config, numbers: EnvNumbers | None) -> Config:
    """The config a program computes with: `config` (static) with its traced fields holding
    `numbers` (one member: no grid axes; vmap first). `config` itself when `numbers` is None."""
    if numbers is None:
        return config
    kept = {f.name: getattr(config.physics, f.name) for f in fields(PhysicsConfig)}
    kept.update({n: None for n in TRACED_PHYSICS}, band_freqs_hz=(math.nan,) * config.physics.num_bands)
    physics = TracedPhysics(**kept, ranges_m=(numbers.comm_range_m, numbers.jam_range_m))
    return replace(config, env=replace(config.env, **numbers.env), physics=physics)
