"""Enemy motion against plain numpy transcriptions of spec §4."""

import jax
import numpy as np

from jaxjam.config import override, preset
from jaxjam.env.swarm import coordinated_turn, init_swarm, random_walk


def test_init_swarm_ranges():
    cfg = preset("default").env
    pos, vel, turn = init_swarm(jax.random.PRNGKey(0), cfg)
    a = cfg.arena_m
    assert pos.shape == (10, 2) and np.all((pos >= 0.1 * a) & (pos <= 0.9 * a))
    np.testing.assert_allclose(np.linalg.norm(vel, axis=-1), 2.0, rtol=1e-5)
    assert np.all(np.abs(turn) <= 0.25)


def test_random_walk_matches_numpy_and_reflects():
    cfg = preset("default").env
    a, dt = cfg.arena_m, cfg.dt_s
    rng = np.random.default_rng(0)
    pos = rng.uniform(-0.5, a + 0.5, (50, 2)).astype(np.float32)
    pos[:5, 0] = 0.2  # near walls so reflections happen
    pos[5:10, 1] = a - 0.2
    vel = rng.normal(0, 2, (50, 2)).astype(np.float32)
    vel[:5, 0] = -2.0
    vel[5:10, 1] = 2.0
    key = jax.random.PRNGKey(3)
    new_pos, new_vel = random_walk(key, pos, vel, cfg)
    noise = 0.1 * np.asarray(jax.random.normal(key, vel.shape))
    v = vel + noise
    v = v * (2.0 / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-6))
    p = pos + v * dt
    for ax in range(2):
        lo, hi = p[:, ax] < 0, p[:, ax] > a
        p[lo, ax] = -p[lo, ax]
        p[hi, ax] = 2 * a - p[hi, ax]
        v[lo | hi, ax] *= -1
    p = np.clip(p, 0, a)
    np.testing.assert_allclose(np.asarray(new_pos), p, atol=1e-4)
    np.testing.assert_allclose(np.asarray(new_vel), v, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(new_vel, axis=-1), 2.0, rtol=1e-5)
    assert np.asarray(new_vel)[:5, 0].min() > 0  # bounced off x = 0


def test_coordinated_turn_matches_numpy():
    cfg = override(preset("default"), {"env.motion": "coordinated_turn"}).env
    rng = np.random.default_rng(1)
    pos = rng.uniform(0, cfg.arena_m, (20, 2)).astype(np.float32)
    vel = rng.normal(0, 2, (20, 2)).astype(np.float32)
    w = rng.uniform(-0.25, 0.25, 20).astype(np.float32)
    w[0] = 0.0  # straight line branch
    key = jax.random.PRNGKey(4)
    p2, v2, w2 = coordinated_turn(key, pos, vel, w, cfg)
    dt = cfg.dt_s
    exp_p, exp_v = np.zeros_like(pos), np.zeros_like(vel)
    for i in range(20):
        x, y = pos[i]
        vx, vy = vel[i]
        wi = float(w[i])
        if abs(wi) < 1e-6:
            x, y = x + vx * dt, y + vy * dt
        else:
            x = x + np.sin(wi * dt) / wi * vx - (1 - np.cos(wi * dt)) / wi * vy
            y = y + (1 - np.cos(wi * dt)) / wi * vx + np.sin(wi * dt) / wi * vy
        c, s = np.cos(wi * dt), np.sin(wi * dt)
        exp_v[i] = [c * vx - s * vy, s * vx + c * vy]
        exp_p[i] = [x % cfg.arena_m, y % cfg.arena_m]
    np.testing.assert_allclose(np.asarray(p2), exp_p, atol=1e-3)
    np.testing.assert_allclose(np.asarray(v2), exp_v, atol=1e-5)
    w_exp = np.clip(w + 0.05 * np.asarray(jax.random.normal(key, w.shape)), -0.5, 0.5)
    np.testing.assert_allclose(np.asarray(w2), w_exp, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(v2, axis=-1), np.linalg.norm(vel, axis=-1), rtol=1e-5)
