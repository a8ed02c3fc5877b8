"""Configuration: frozen dataclasses, presets, YAML/CLI overrides, validation.

Everything static about a run lives here. `preset(name)` returns a validated
`Config`; `override(config, {"env.num_jammers": 40, ...})` returns a new one.
Every field is checked by `validate` before anything compiles, and a bad value
raises `ValueError` naming the field and its allowed range.

Units are in the field names: `_m` metres, `_s` seconds, `_m_s` metres per
second, `_dbm` decibel-milliwatts, `_hz` hertz.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping

SPEED_OF_LIGHT_M_S = 3.0e8  # the reference uses exactly this value (spec §1)
BAND_FREQS_HZ = (433e6, 915e6, 2.4e9, 5.8e9)


def _db_from_range(power_dbm: float, range_m: float, freq_hz: float, c: float) -> float:
    """Threshold (dBm) at which free-space received power from `power_dbm` equals it at `range_m`."""
    return power_dbm + 20.0 * math.log10(c / (4.0 * math.pi * freq_hz * range_m))


@dataclass(frozen=True)
class PhysicsConfig:
    """Radio constants. Thresholds are per band so ranges can be band-independent.

    A link i-j exists iff P_tx (c / 4π f d)² ≥ sensitivity[band]; a jammer on the
    enemy band jams link i-j iff P_jam (c / 4π f d_mid)² ≥ jam_threshold[band].
    """

    band_freqs_hz: tuple[float, ...] = BAND_FREQS_HZ
    tx_power_dbm: float = 20.0
    sensitivity_dbm: tuple[float, ...] = (-90.0,) * 4
    jammer_power_dbm: float = 30.0
    jam_threshold_dbm: tuple[float, ...] = (-30.0,) * 4
    speed_of_light_m_s: float = SPEED_OF_LIGHT_M_S
    min_distance_m: float = 1e-10
    eigensolver: str = "auto"  # λ₂ solver, see jaxjam.physics.lambda2 (numerics, not physics)

    @classmethod
    def from_ranges(
        cls, comm_range_m: float, jam_range_m: float, **kw: Any
    ) -> "PhysicsConfig":
        """Physics whose per-band thresholds make the given ranges hold on every band."""
        base = cls(**kw)
        c = base.speed_of_light_m_s
        sens = tuple(_db_from_range(base.tx_power_dbm, comm_range_m, f, c) for f in base.band_freqs_hz)
        jam = tuple(_db_from_range(base.jammer_power_dbm, jam_range_m, f, c) for f in base.band_freqs_hz)
        return replace(base, sensitivity_dbm=sens, jam_threshold_dbm=jam)

    @property
    def num_bands(self) -> int:
        return len(self.band_freqs_hz)

    def comm_range_m(self) -> tuple[float, ...]:
        """Per-band communication range (m) implied by the constants."""
        return tuple(_range(self.tx_power_dbm, s, f, self.speed_of_light_m_s)
                     for s, f in zip(self.sensitivity_dbm, self.band_freqs_hz))

    def jam_range_m(self) -> tuple[float, ...]:
        """Per-band jamming range (m) implied by the constants."""
        return tuple(_range(self.jammer_power_dbm, t, f, self.speed_of_light_m_s)
                     for t, f in zip(self.jam_threshold_dbm, self.band_freqs_hz))


def _range(power_dbm: float, threshold_dbm: float, freq_hz: float, c: float) -> float:
    return c / (4.0 * math.pi * freq_hz) * 10.0 ** ((power_dbm - threshold_dbm) / 20.0)


@dataclass(frozen=True)
class EnvConfig:
    """The jamming environment (one episode; batching is vmap's job)."""

    model: str = "jaxjam"  # "jaxjam" | "reference" (docs/model.md)
    obs: str = "seed"  # "seed" | "local_graph" | "entity" (jaxjam) | "reference" | "reference_band" (reference)
    num_jammers: int = 4
    num_enemies: int = 10
    arena_m: float = 200.0
    max_steps: int = 200
    dt_s: float = 0.5
    v_max_m_s: float = 5.0  # per axis
    motion: str = "random_walk"  # "random_walk" | "coordinated_turn"
    enemy_speed_m_s: float = 2.0
    walk_sigma_m_s: float = 0.1
    turn_rate0_max_rad_s: float = 0.25
    turn_rate_sigma_rad_s: float = 0.05
    turn_rate_max_rad_s: float = 0.5
    dbscan_eps_m: float = 25.0
    dbscan_min_samples: int = 2
    recluster_every: int = 10
    drift_threshold_m: float = 30.0
    random_jammer_start: bool = False
    start_offset_m: float = 10.0
    reset_attempts: int = 8
    reward_weights: tuple[float, float, float, float, float] = (1.0, 0.3, 0.2, 0.1, 0.2)
    proximity_kappa_per_m: float = 0.05
    reward_clip: float = 10.0
    local_graph_k: int = 8
    local_graph_cut_k: int = 0  # of those K slots, how many hold the nearest links crossing the Fiedler cut
    credit_weight: float = 0.0  # w6 ≥ 0: per-jammer λ₂ credit (jaxjam model); > 0 = per-agent rewards
    entity_links: int = 12  # entity obs: nearest live links seen by each jammer
    entity_top_links: int = 4  # entity obs: live links of largest Fiedler sensitivity (swarm-wide)
    entity_enemies: int = 8  # entity obs: nearest enemies
    entity_jammers: int = 4  # entity obs: nearest other jammers
    own_overlap: bool = False  # r5 per jammer: its own share of the close pairs (same team mean) -> per-agent rewards


@dataclass(frozen=True)
class PPOConfig:
    """MAPPO hyper-parameters (spec §10-§11 defaults, fixes in docs/model.md)."""

    num_envs: int = 64
    rollout_steps: int = 128  # per env; a rollout is num_envs * rollout_steps env steps
    total_steps: int = 200_000  # env steps (one env step = all M jammers act)
    update_epochs: int = 4
    num_minibatches: int = 4
    gamma: float = 0.99
    gae_lambda: float = 0.95
    clip_eps: float = 0.2
    value_coef: float = 0.5
    entropy_coef: float = 0.001
    entropy_coef_final_frac: float = 0.2
    band_entropy_scale: float = 1.0  # the band head's entropy bonus is entropy_coef × this
    lr_actor: float = 3e-4
    lr_critic: float = 1e-3
    lr_final_frac: float = 0.1
    max_grad_norm: float = 0.5
    target_kl: float = 0.03  # stop the update at a minibatch whose approx KL exceeds it; 0 = off
    hidden: int = 128
    log_std_min: float = -1.0
    log_std_max: float = 0.5
    log_std_init: float = -0.5
    stagger_episodes: bool = False  # start env i at a random step in [0, max_steps): no lock-step resets
    critic_obs: str = "pooled"  # "pooled": V(mean obs) per env | "pooled_own": V(mean obs, own obs) per agent
    imitation_coef: float = 0.0  # ≥ 0: weight of the planner-teacher loss on the learner's own states (0 = off)
    imitation_final_frac: float = 0.0  # the teacher weight decays linearly to imitation_coef × this
    teacher_envs: int = 0  # envs the planner labels each step (the first K of ppo.num_envs); 0 = all
    network: str = "mlp"  # "mlp" (flat obs) | "attention" (entity obs: tokens, masks, pointer head)
    attention_heads: int = 4  # attention network: heads per layer (must divide ppo.hidden)
    attention_layers: int = 2  # attention network: self-attention blocks over the tokens


@dataclass(frozen=True)
class RunConfig:
    """How a training run is driven from the host (chunks, logs, checkpoints)."""

    seed: int = 0
    num_seeds: int = 1
    updates_per_chunk: int = 10
    checkpoint_every_chunks: int = 1
    keep_checkpoints: int = 3
    eval_episodes: int = 64
    baselines: str = "all"  # evaluated beside the trained policy: "all" (jaxjam.policies) | "basic" (random, heuristic)
    out: str = "runs/default"
    devices: int = 1  # split the env batch over this many devices: 1 = one (no sharding), 0 = all
    tensorboard: bool = True  # event files in <out>/tb/ when tensorboardX is installed
    init_from: str = ""  # a run directory whose latest networks start this run (fine-tuning); "" = fresh


@dataclass(frozen=True)
class Config:
    physics: PhysicsConfig = field(default_factory=lambda: PhysicsConfig.from_ranges(86.0, 15.0))
    env: EnvConfig = field(default_factory=EnvConfig)
    ppo: PPOConfig = field(default_factory=PPOConfig)
    run: RunConfig = field(default_factory=RunConfig)


# --------------------------------------------------------------------------- presets

def preset(name: str) -> Config:
    """`default` (jaxjam, M=4 N=10), `large` (jaxjam, M=40 N=100), `reference` (spec, M=4 N=10)."""
    if name == "default":
        cfg = Config()
    elif name == "large":
        cfg = Config(
            env=EnvConfig(num_jammers=40, num_enemies=100, arena_m=500.0,
                          dbscan_eps_m=20.0, dbscan_min_samples=3,
                          reward_weights=(1.0, 0.3, 0.2, 0.1, 0.05)),
            ppo=PPOConfig(num_envs=256, rollout_steps=16, total_steps=2_000_000,
                          num_minibatches=8, lr_actor=5e-5, lr_critic=1.5e-4, hidden=256),
            run=RunConfig(out="runs/large"),
        )
    elif name == "reference":
        cfg = Config(
            physics=PhysicsConfig(),
            env=EnvConfig(model="reference", obs="reference", arena_m=100.0),
            run=RunConfig(out="runs/reference"),
        )
    else:
        raise ValueError(f"preset: unknown name {name!r}; allowed: default, large, reference")
    validate(cfg)
    return cfg


PRESETS = ("default", "large", "reference")

# --------------------------------------------------------------------------- validation

_CHOICES = {
    "physics.eigensolver": ("auto", "eigh", "bisection", "kernel"),
    "env.model": ("jaxjam", "reference"),
    "run.baselines": ("all", "basic"),
    "env.obs": ("seed", "local_graph", "entity", "reference", "reference_band"),
    "ppo.network": ("mlp", "attention"),
    "env.motion": ("random_walk", "coordinated_turn"),
    "ppo.critic_obs": ("pooled", "pooled_own"),
}

# field -> (low, high, low_inclusive, high_inclusive); None = unbounded
_RANGES: dict[str, tuple[float | None, float | None, bool, bool]] = {
    "physics.tx_power_dbm": (-50.0, 60.0, True, True),
    "physics.jammer_power_dbm": (-50.0, 60.0, True, True),
    "physics.sensitivity_dbm": (-200.0, 60.0, True, True),
    "physics.jam_threshold_dbm": (-200.0, 60.0, True, True),
    "physics.band_freqs_hz": (1e3, 1e12, True, True),
    "physics.speed_of_light_m_s": (0.0, None, False, True),
    "physics.min_distance_m": (0.0, 1.0, False, True),
    "env.num_jammers": (1, 4096, True, True),
    "env.num_enemies": (2, 4096, True, True),
    "env.arena_m": (0.0, 1e6, False, True),
    "env.max_steps": (1, 1_000_000, True, True),
    "env.dt_s": (0.0, 60.0, False, True),
    "env.v_max_m_s": (0.0, 1e3, False, True),
    "env.enemy_speed_m_s": (0.0, 1e3, True, True),
    "env.walk_sigma_m_s": (0.0, 1e3, True, True),
    "env.turn_rate0_max_rad_s": (0.0, 10.0, True, True),
    "env.turn_rate_sigma_rad_s": (0.0, 10.0, True, True),
    "env.turn_rate_max_rad_s": (0.0, 10.0, True, True),
    "env.dbscan_eps_m": (0.0, 1e6, False, True),
    "env.dbscan_min_samples": (1, 4096, True, True),
    "env.recluster_every": (1, 1_000_000, True, True),
    "env.drift_threshold_m": (0.0, 1e6, True, True),
    "env.start_offset_m": (0.0, 1e6, True, True),
    "env.reset_attempts": (1, 64, True, True),
    "env.reward_weights": (0.0, 1e3, True, True),
    "env.proximity_kappa_per_m": (0.0, 1e3, True, True),
    "env.reward_clip": (0.0, 1e6, False, True),
    "env.local_graph_k": (1, 1024, True, True),
    "env.local_graph_cut_k": (0, 1024, True, True),
    "env.credit_weight": (0.0, 1e3, True, True),
    "env.entity_links": (0, 1024, True, True),
    "env.entity_top_links": (0, 1024, True, True),
    "env.entity_enemies": (0, 1024, True, True),
    "env.entity_jammers": (0, 1024, True, True),
    "ppo.attention_heads": (1, 64, True, True),
    "ppo.attention_layers": (0, 16, True, True),
    "ppo.num_envs": (1, 1 << 20, True, True),
    "ppo.rollout_steps": (1, 1 << 16, True, True),
    "ppo.total_steps": (1, 1 << 40, True, True),
    "ppo.update_epochs": (1, 1000, True, True),
    "ppo.num_minibatches": (1, 1 << 20, True, True),
    "ppo.gamma": (0.0, 1.0, True, True),
    "ppo.gae_lambda": (0.0, 1.0, True, True),
    "ppo.clip_eps": (0.0, 10.0, False, True),
    "ppo.value_coef": (0.0, 1e3, True, True),
    "ppo.entropy_coef": (0.0, 1e3, True, True),
    "ppo.entropy_coef_final_frac": (0.0, 1.0, True, True),
    "ppo.band_entropy_scale": (0.0, 1e3, True, True),
    "ppo.lr_actor": (0.0, 1.0, False, True),
    "ppo.lr_critic": (0.0, 1.0, False, True),
    "ppo.lr_final_frac": (0.0, 1.0, True, True),
    "ppo.max_grad_norm": (0.0, 1e6, False, True),
    "ppo.target_kl": (0.0, 1e3, True, True),
    "ppo.hidden": (1, 1 << 16, True, True),
    "ppo.log_std_min": (-20.0, 20.0, True, True),
    "ppo.log_std_max": (-20.0, 20.0, True, True),
    "ppo.log_std_init": (-20.0, 20.0, True, True),
    "ppo.imitation_coef": (0.0, 1e3, True, True),
    "ppo.imitation_final_frac": (0.0, 1.0, True, True),
    "ppo.teacher_envs": (0, 1 << 20, True, True),
    "run.seed": (0, 2**31 - 1, True, True),
    "run.num_seeds": (1, 4096, True, True),
    "run.updates_per_chunk": (1, 1 << 20, True, True),
    "run.checkpoint_every_chunks": (1, 1 << 20, True, True),
    "run.keep_checkpoints": (1, 1000, True, True),
    "run.eval_episodes": (1, 1 << 20, True, True),
    "run.devices": (0, 1 << 16, True, True),
}


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


# --------------------------------------------------------------------------- overrides

def _coerce(name: str, current: Any, value: Any) -> Any:
    """Convert a YAML/CLI value to the type of the current field value."""
    if isinstance(current, bool):
        if isinstance(value, str):
            low = value.strip().lower()
            if low in ("true", "1", "yes", "on"):
                return True
            if low in ("false", "0", "no", "off"):
                return False
            raise ValueError(f"{name} must be true or false, got {value!r}")
        return value
    if isinstance(current, tuple):
        if isinstance(value, str):
            value = [v for v in value.replace(",", " ").split() if v]
        if not isinstance(value, (list, tuple)):
            value = [value] * len(current)
        return tuple(_coerce(name, current[0], v) for v in value)
    if isinstance(current, (int, float)) and isinstance(value, str):
        try:
            num = float(value)
        except ValueError:
            raise ValueError(f"{name} must be a number, got {value!r}") from None
        return int(num) if isinstance(current, int) and num.is_integer() else num
    if isinstance(current, float) and isinstance(value, int):
        return float(value)
    return value


def _range_value(key: str, value: Any) -> float:
    """A derived range (m) from YAML/CLI: a finite number > 0, else ValueError naming `key`."""
    try:
        v = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        v = math.nan
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{key} must be a number in (0, inf) metres, got {value!r}")
    return v


def override(cfg: Config, updates: Mapping[str, Any]) -> Config:
    """Return `cfg` with dotted-key updates, e.g. {"env.num_jammers": 40}; validated.

    Two derived keys are accepted: `physics.comm_range_m` and `physics.jam_range_m`
    rebuild the per-band thresholds so that the range holds on every band.
    """
    parts = {k: getattr(cfg, k) for k in ("physics", "env", "ppo", "run")}
    ranges = {}
    for key, value in updates.items():
        if value is None:
            continue
        if key in ("physics.comm_range_m", "physics.jam_range_m"):
            ranges[key.split(".")[1]] = _range_value(key, value)
            continue
        part, _, name = key.partition(".")
        if part not in parts or name not in {f.name for f in fields(parts[part])}:
            raise ValueError(f"unknown config field {key!r}")
        current = getattr(parts[part], name)
        parts[part] = replace(parts[part], **{name: _coerce(key, current, value)})
    if ranges:
        for k, v in ranges.items():
            if not (math.isfinite(v) and 0 < v <= 1e9):  # metres; beyond, the dBm thresholds underflow
                raise ValueError(f"physics.{k} must be in (0, 1e+09] m, got {v!r}")
        p = parts["physics"]
        comm = ranges.get("comm_range_m", min(p.comm_range_m()))
        jam = ranges.get("jam_range_m", min(p.jam_range_m()))
        keep = {f.name: getattr(p, f.name) for f in fields(p)
                if f.name not in ("sensitivity_dbm", "jam_threshold_dbm")}
        parts["physics"] = PhysicsConfig.from_ranges(comm, jam, **keep)
    return validate(Config(**parts))


def _read_yaml(path: str) -> Any:
    """Parse a YAML file with `yaml.safe_load`; every failure is a one-line ValueError naming
    the file (and the line where YAML knows it): missing, a directory, not UTF-8, bad syntax,
    a tag such as `!!python/object` (never executed)."""
    import yaml

    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except IsADirectoryError:
        raise ValueError(f"config file {path}: is a directory, expected a YAML file") from None
    except OSError as err:
        raise ValueError(f"config file {path}: cannot read it ({err.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"config file {path}: not UTF-8 text (byte {err.start}); "
                         f"expected a YAML file") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        what = getattr(err, "problem", None) or str(err).splitlines()[0]
        if isinstance(err, yaml.constructor.ConstructorError):
            what = f"{what} (only plain YAML values are allowed; tags are not executed)"
        raise ValueError(f"config file {path}:{where} invalid YAML: {what}") from None


def load_yaml(path: str, base: Config | None = None) -> Config:
    """Apply a YAML file of nested sections ({env: {num_jammers: 40}}) or a `preset:` key."""
    import yaml

    data = _read_yaml(path) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of config sections")
    cfg = preset(data.pop("preset")) if "preset" in data else (base or preset("default"))
    flat = {}
    for part, values in data.items():
        if not isinstance(values, dict):
            raise ValueError(f"{path}: section {part!r} must be a mapping")
        flat.update({f"{part}.{k}": v for k, v in values.items()})
    return override(cfg, flat)


def to_dict(cfg: Config) -> dict:
    """Nested plain-Python dict (tuples as lists) for JSON/YAML."""
    return dataclasses.asdict(cfg)


def from_dict(data: Mapping[str, Any]) -> Config:
    """Inverse of `to_dict`; validated."""
    parts = {}
    for f in fields(Config):
        sub_cls = type(getattr(Config(), f.name))
        sub = data.get(f.name, {})
        kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in sub.items()}
        parts[f.name] = sub_cls(**kwargs)
    return validate(Config(**parts))
