"""The configuration's fields: frozen dataclasses, each field declared once with its default,
its allowed range or choices (`num`, `choice`) and its meaning beside it.

Units are in the field names: `_m` metres, `_s` seconds, `_m_s` metres per second, `_dbm`
decibel-milliwatts, `_hz` hertz. `jaxjam.config.checks.validate` reads the ranges from here.

Static or traced: a field declared `num(..., traced=True)` is a number the compiled programs take
as an input (`jaxjam.config.traced.EnvNumbers`: change it without recompiling, vmap a grid of
it); every other field is static: it decides a shape, a loop length, a branch or a network, and
a change of it compiles new programs. The reasons are beside the fields.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any


def num(default, *, ge=None, gt=None, le=None, lt=None, traced=False):
    """A numeric field (or tuple of numbers) with its allowed range: `ge`/`gt` below, `le`/`lt`
    above (None = unbounded). Integer bounds on both sides make it an integer field.
    `traced=True`: the env/physics programs take it as an input (module docstring)."""
    lo, lo_inc = (gt, False) if gt is not None else (ge, True)
    hi, hi_inc = (lt, False) if lt is not None else (le, True)
    meta = {"range": (lo, hi, lo_inc, hi_inc)}
    if traced:
        meta["traced"] = True
    return field(default=default, metadata=meta)


def choice(*options: str):
    """A string field that must be one of `options`; the first is the default."""
    return field(default=options[0], metadata={"choices": options})


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

    The traced fields enter the programs only through the per-band ranges they imply
    (`comm_range_m()`, `jam_range_m()`), which `EnvNumbers` computes on the host in float64, as
    the static path does; the number of bands (len(band_freqs_hz)) is a shape and stays static.
    """

    band_freqs_hz: tuple[float, ...] = num(BAND_FREQS_HZ, ge=1000.0, le=1e12, traced=True)
    tx_power_dbm: float = num(20.0, ge=-50.0, le=60.0, traced=True)
    sensitivity_dbm: tuple[float, ...] = num((-90.0,) * 4, ge=-200.0, le=60.0, traced=True)
    jammer_power_dbm: float = num(30.0, ge=-50.0, le=60.0, traced=True)
    jam_threshold_dbm: tuple[float, ...] = num((-30.0,) * 4, ge=-200.0, le=60.0, traced=True)
    speed_of_light_m_s: float = num(SPEED_OF_LIGHT_M_S, gt=0.0, traced=True)
    min_distance_m: float = num(1e-10, gt=0.0, le=1.0)  # static: a numerical floor, not physics
    eigensolver: str = choice("auto", "eigh", "bisection", "kernel")  # λ₂ solver, see jaxjam.physics.lambda2 (numerics, not physics)

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
    """The jamming environment (one episode; batching is vmap's job).

    Traced: the continuous numbers of motion, clustering and reward. Static: counts (sizes,
    episode length, re-cluster period, reset attempts, DBSCAN's min_samples: shapes, loop
    lengths or integer rules), choices and switches, and `credit_weight` (> 0 switches on the
    per-jammer credit, a Fiedler solve and per-agent rewards).
    """

    model: str = choice("jaxjam", "reference")  # "jaxjam" | "reference" (docs/model.md)
    obs: str = choice("seed", "local_graph", "entity", "reference", "reference_band")  # "seed" | "local_graph" | "entity" (jaxjam) | "reference" | "reference_band" (reference)
    num_jammers: int = num(4, ge=1, le=4096)
    num_enemies: int = num(10, ge=2, le=4096)
    arena_m: float = num(200.0, gt=0.0, le=1e6, traced=True)
    max_steps: int = num(200, ge=1, le=1_000_000)
    dt_s: float = num(0.5, gt=0.0, le=60.0, traced=True)
    v_max_m_s: float = num(5.0, gt=0.0, le=1000.0, traced=True)  # per axis
    motion: str = choice("random_walk", "coordinated_turn")  # "random_walk" | "coordinated_turn"
    enemy_speed_m_s: float = num(2.0, ge=0.0, le=1000.0, traced=True)
    walk_sigma_m_s: float = num(0.1, ge=0.0, le=1000.0, traced=True)
    turn_rate0_max_rad_s: float = num(0.25, ge=0.0, le=10.0, traced=True)
    turn_rate_sigma_rad_s: float = num(0.05, ge=0.0, le=10.0, traced=True)
    turn_rate_max_rad_s: float = num(0.5, ge=0.0, le=10.0, traced=True)
    dbscan_eps_m: float = num(25.0, gt=0.0, le=1e6, traced=True)
    dbscan_min_samples: int = num(2, ge=1, le=4096)
    recluster_every: int = num(10, ge=1, le=1_000_000)
    drift_threshold_m: float = num(30.0, ge=0.0, le=1e6, traced=True)
    random_jammer_start: bool = False
    start_offset_m: float = num(10.0, ge=0.0, le=1e6, traced=True)
    reset_attempts: int = num(8, ge=1, le=64)
    reward_weights: tuple[float, float, float, float, float] = num((1.0, 0.3, 0.2, 0.1, 0.2), ge=0.0, le=1000.0, traced=True)
    proximity_kappa_per_m: float = num(0.05, ge=0.0, le=1000.0, traced=True)
    reward_clip: float = num(10.0, gt=0.0, le=1e6, traced=True)
    local_graph_k: int = num(8, ge=1, le=1024)
    cut_graph: str = choice("unjammed", "jammed")  # graph obs: whose Fiedler vector feeds the cut and sensitivity features ("jammed": the graph left by the jammers now, else the unjammed one)
    local_graph_cut_k: int = num(0, ge=0, le=1024)  # of those K slots, how many hold the nearest links crossing the Fiedler cut
    credit_weight: float = num(0.0, ge=0.0, le=1000.0)  # w6 ≥ 0: per-jammer λ₂ credit (jaxjam model); > 0 = per-agent rewards
    credit_mode: str = choice("own", "unique")  # per-jammer credit: every link m jams ("own"), or only those no other jammer jams ("unique": the first-order difference reward); needs credit_weight > 0
    entity_links: int = num(12, ge=0, le=1024)  # entity obs: nearest live links seen by each jammer
    entity_top_links: int = num(4, ge=0, le=1024)  # entity obs: live links of largest Fiedler sensitivity (swarm-wide)
    link_select: str = choice("auto", "top_k", "chunk")  # entity obs: how the nearest links are picked, the same picks either way (jaxjam.env.nearest; "auto": chunk minima when L = N(N-1)/2 is large)
    entity_enemies: int = num(8, ge=0, le=1024)  # entity obs: nearest enemies
    link_lookahead: bool = False  # entity obs: an 8th link feature, the λ₂ the graph the other jammers leave would keep with a jammer at the link's midpoint ÷ the unjammed λ₂ (M × links eigensolves per step)
    link_lookahead_steps: float = num(0.0, ge=0.0, le=1000.0)  # entity obs with link_lookahead: that feature on the enemies' layout this many steps ahead (straight-line prediction; the candidate at the link's predicted midpoint, the jammers where they are), the check the "cut seek (predicted)" teacher makes; 0 = now
    entity_velocity: bool = False  # entity obs: link tokens gain their midpoint's velocity, enemy tokens the enemy's, ÷ v_max (2 features each)
    entity_jammers: int = num(4, ge=0, le=1024)  # entity obs: nearest other jammers
    own_overlap: bool = False  # r5 per jammer: its own share of the close pairs (same team mean) -> per-agent rewards


@dataclass(frozen=True)
class PPOConfig:
    """MAPPO hyper-parameters (spec §10-§11 defaults, fixes in docs/model.md)."""

    num_envs: int = num(64, ge=1, le=2**20)
    rollout_steps: int = num(128, ge=1, le=2**16)  # per env; a rollout is num_envs * rollout_steps env steps
    total_steps: int = num(200_000, ge=1, le=2**40)  # env steps (one env step = all M jammers act)
    update_epochs: int = num(4, ge=1, le=1000)
    num_minibatches: int = num(4, ge=1, le=2**20)
    gamma: float = num(0.99, ge=0.0, le=1.0)
    gae_lambda: float = num(0.95, ge=0.0, le=1.0)
    clip_eps: float = num(0.2, gt=0.0, le=10.0)
    value_coef: float = num(0.5, ge=0.0, le=1000.0)
    entropy_coef: float = num(0.001, ge=0.0, le=1000.0)
    entropy_coef_final_frac: float = num(0.2, ge=0.0, le=1.0)
    band_entropy_scale: float = num(1.0, ge=0.0, le=1000.0)  # the band head's entropy bonus is entropy_coef × this
    lr_actor: float = num(3e-4, gt=0.0, le=1.0)
    lr_critic: float = num(1e-3, gt=0.0, le=1.0)
    lr_final_frac: float = num(0.1, ge=0.0, le=1.0)
    max_grad_norm: float = num(0.5, gt=0.0, le=1e6)
    target_kl: float = num(0.03, ge=0.0, le=1000.0)  # stop the update at a minibatch whose approx KL exceeds it; 0 = off
    hidden: int = num(128, ge=1, le=2**16)
    log_std_min: float = num(-1.0, ge=-20.0, le=20.0)
    log_std_max: float = num(0.5, ge=-20.0, le=20.0)
    log_std_init: float = num(-0.5, ge=-20.0, le=20.0)
    stagger_episodes: bool = False  # start env i at a random step in [0, max_steps): no lock-step resets
    critic_obs: str = choice("pooled", "pooled_own")  # "pooled": V(mean obs) per env | "pooled_own": V(mean obs, own obs) per agent
    imitation_coef: float = num(0.0, ge=0.0, le=1000.0)  # ≥ 0: weight of the planner-teacher loss on the learner's own states (0 = off)
    imitation_final_frac: float = num(0.0, ge=0.0, le=1.0)  # the teacher weight decays linearly to imitation_coef × this
    teacher_envs: int = num(0, ge=0, le=2**20)  # envs the planner labels each step (the first K of ppo.num_envs); 0 = all
    teacher: str = choice("planner", "cut_seek", "cut_seek_others", "cut_seek_checked", "cut_seek_predicted")  # who teaches when imitation_coef > 0 (like teacher_envs and teacher_shortlist, unused at 0, so a fine-tune can switch the teacher off alone): the centralised planner, or the scripted cut-seek policy (each jammer to the most Fiedler-sensitive live link of its Voronoi cell; jaxjam.policies.scripted), on the unjammed graph or, cut_seek_others, on the graph the other jammers leave (M eigensolves per labelled step), or cut_seek_checked, that with each jammer's 4 best candidates checked by λ₂ (5M), or cut_seek_predicted, the baseline "cut seek (predicted)": 16 candidates checked on the enemies' layout 3 steps ahead (17M)
    teacher_shortlist: int = num(8, ge=0, le=4096)  # links per target the teacher's planner checks by λ₂ (the top by Fiedler sensitivity; 0 = every link): ~ (this + 1) eigensolves per target
    network: str = choice("mlp", "attention")  # "mlp" (flat obs) | "attention" (entity obs: tokens, masks, pointer head)
    attention_heads: int = num(4, ge=1, le=64)  # attention network: heads per layer (must divide ppo.hidden)
    attention_layers: int = num(2, ge=0, le=16)  # attention network: attention blocks over the tokens
    attention_mode: str = choice("self", "query")  # "self": every token attends to every token (cost ∝ T²) | "query": only the jammer's own token attends to the embedded tokens (cost ∝ T)
    compute_dtype: str = choice("float32", "bfloat16")  # attention network: dtype of its matmuls and activations (parameters, heads and losses stay float32)


@dataclass(frozen=True)
class RunConfig:
    """How a training run is driven from the host (chunks, logs, checkpoints)."""

    seed: int = num(0, ge=0, le=2**31 - 1)
    num_seeds: int = num(1, ge=1, le=4096)
    updates_per_chunk: int = num(10, ge=1, le=2**20)
    checkpoint_every_chunks: int = num(1, ge=1, le=2**20)
    keep_checkpoints: int = num(3, ge=1, le=1000)
    eval_episodes: int = num(64, ge=1, le=2**20)
    baselines: str = choice("all", "basic")  # evaluated beside the trained policy: "all" (jaxjam.policies) | "basic" (random, heuristic)
    out: str = "runs/default"
    devices: int = num(1, ge=0, le=2**16)  # split the env batch over this many devices: 1 = one (no sharding), 0 = all
    tensorboard: bool = True  # event files in <out>/tb/ when tensorboardX is installed
    init_from: str = ""  # a run directory whose latest networks start this run (fine-tuning); "" = fresh


@dataclass(frozen=True)
class Config:
    physics: PhysicsConfig = field(default_factory=lambda: PhysicsConfig.from_ranges(86.0, 15.0))
    env: EnvConfig = field(default_factory=EnvConfig)
    ppo: PPOConfig = field(default_factory=PPOConfig)
    run: RunConfig = field(default_factory=RunConfig)

