"""Enemy swarm motion: random walk and coordinated turn (spec §4), for one swarm."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxjam.config import EnvConfig
from jaxjam.env.numerics import scale


def init_swarm(key, cfg: EnvConfig):
    """Initial `(pos [N,2] m, vel [N,2] m/s, turn_rate [N] rad/s)`.

    Positions uniform on [0.1A, 0.9A]², headings uniform, speed `enemy_speed_m_s`;
    turn rates uniform on ±turn_rate0_max (used by the coordinated turn only).
    """
    n, a = cfg.num_enemies, cfg.arena_m
    k_pos, k_head, k_turn = jax.random.split(key, 3)
    pos = jax.random.uniform(k_pos, (n, 2), minval=scale(a, 0.1), maxval=scale(a, 0.9))
    heading = jax.random.uniform(k_head, (n,), maxval=2.0 * jnp.pi)
    vel = cfg.enemy_speed_m_s * jnp.stack([jnp.cos(heading), jnp.sin(heading)], axis=-1)
    turn = jax.random.uniform(k_turn, (n,), minval=-cfg.turn_rate0_max_rad_s,
                              maxval=cfg.turn_rate0_max_rad_s)
    return pos, vel, turn


def random_walk(key, pos, vel, cfg: EnvConfig):
    """Constant-speed heading diffusion with per-axis reflection at the arena walls.

    vel += N(0, σ²); rescale to the enemy speed; pos += vel·dt; reflect (x<0 → −x,
    x>A → 2A−x, flipping that velocity component); clip to [0, A].
    """
    a = cfg.arena_m
    vel = vel + cfg.walk_sigma_m_s * jax.random.normal(key, vel.shape)
    norm = jnp.maximum(jnp.linalg.norm(vel, axis=-1, keepdims=True), 1e-6)
    vel = vel * (cfg.enemy_speed_m_s / norm)
    pos = pos + vel * cfg.dt_s
    low, high = pos < 0.0, pos > a
    pos = jnp.where(low, -pos, jnp.where(high, 2.0 * a - pos, pos))
    vel = jnp.where(low | high, -vel, vel)
    return jnp.clip(pos, 0.0, a), vel


def coordinated_turn(key, pos, vel, turn_rate, cfg: EnvConfig):
    """Exact constant-turn-rate kinematics over dt, then ω += N(0, σ_ω²) clipped; toroidal wrap.

    Straight-line motion where |ω| < 1e-6. Returns `(pos, vel, turn_rate)`.
    """
    dt, w = cfg.dt_s, turn_rate
    small = jnp.abs(w) < 1e-6
    w_safe = jnp.where(small, 1.0, w)
    s = jnp.where(small, dt, jnp.sin(w_safe * dt) / w_safe)
    c = jnp.where(small, 0.0, (1.0 - jnp.cos(w_safe * dt)) / w_safe)
    vx, vy = vel[:, 0], vel[:, 1]
    pos = pos + jnp.stack([s * vx - c * vy, c * vx + s * vy], axis=-1)
    ang = w * dt
    cos, sin = jnp.cos(ang), jnp.sin(ang)
    vel = jnp.stack([cos * vx - sin * vy, sin * vx + cos * vy], axis=-1)
    w = jnp.clip(w + cfg.turn_rate_sigma_rad_s * jax.random.normal(key, w.shape),
                 -cfg.turn_rate_max_rad_s, cfg.turn_rate_max_rad_s)
    return jnp.mod(pos, cfg.arena_m), vel, w


def _random_walk_step(key, pos, vel, turn_rate, cfg: EnvConfig):
    pos, vel = random_walk(key, pos, vel, cfg)
    return pos, vel, turn_rate  # the turn rate is unused by this model


# Adding a motion model: its step `(key, pos, vel, turn_rate, cfg) -> (pos, vel, turn_rate)`
# and one line here (and its name in the config schema's `env.motion` choices).
MOTIONS = {"random_walk": _random_walk_step, "coordinated_turn": coordinated_turn}


def move_swarm(key, pos, vel, turn_rate, cfg: EnvConfig):
    """One enemy step with the configured motion model (`MOTIONS`): `(pos, vel, turn_rate)`."""
    return MOTIONS[cfg.motion](key, pos, vel, turn_rate, cfg)


def predicted_positions(pos, vel, steps, cfg: EnvConfig):
    """`[N, 2]` (m): where enemies at `pos [N, 2]` (m) with velocity `vel [N, 2]` (m/s) will be
    `steps` env steps from now if they hold their velocity, `pos + steps · dt · vel` (a straight
    line: the coordinated turn's curvature and the walk's noise are not predicted)."""
    return pos + (steps * cfg.dt_s) * vel
