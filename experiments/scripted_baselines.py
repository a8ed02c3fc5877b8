"""Scripted policies that ignore the learner: how far simple motion gets on the enemy band.

Every policy jams on the enemy band (read from the state, like the heuristic) and differs
only in how the jammers move. Evaluated on the same episodes as `seed_sweep.py`'s evaluation
(key 10_000 + run.seed), so the numbers sit beside the trained ones in docs/results.md.

* `stay`: velocity 0 (jammers keep their start, their cluster centroid ± start_offset_m).
* `diffuse σ`: velocity ~ N(0, (σ·v_max)²) per axis (the env clips to ±v_max): a random walk.
* `disperse r`: full speed away from the nearest other jammer while it is closer than r metres.

    python experiments/scripted_baselines.py --preset large --obs local_graph --episodes 32
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp

from jaxjam.config import PRESETS, Config, override, preset
from jaxjam.env import Action
from jaxjam.env.observations import neighbour_obs
from jaxjam.evaluate import compare_policies, format_table, heuristic_policy, random_policy
from jaxjam.xla_flags import apply_default_xla_flags


def _enemy_band(state, config: Config):
    return jnp.full((config.env.num_jammers,), state.enemy_band, jnp.int32)


def diffuse_policy(config: Config, sigma: float):
    """Gaussian random velocity, σ in units of v_max, on the enemy band (σ = 0: stay)."""
    e = config.env

    def act(key, obs, state):
        vel = sigma * e.v_max_m_s * jax.random.normal(key, (e.num_jammers, 2))
        return Action(velocity=vel, band=_enemy_band(state, config))
    return act


def disperse_policy(config: Config, radius_m: float):
    """Full speed directly away from the nearest other jammer while it is within radius_m."""
    e = config.env

    def act(key, obs, state):
        rel = neighbour_obs(state, config) * e.arena_m  # [M, 2] m: nearest other jammer − self
        dist = jnp.linalg.norm(rel, axis=-1)
        away = -rel / jnp.maximum(dist, 1e-6)[:, None]
        vel = jnp.where((dist < radius_m)[:, None], away * e.v_max_m_s, 0.0)
        return Action(velocity=vel, band=_enemy_band(state, config))
    return act


def scripted_policies(config: Config) -> dict:
    """The baselines of docs/results.md, by name."""
    return {"random": random_policy(config), "heuristic": heuristic_policy(config),
            "stay": diffuse_policy(config, 0.0),
            "diffuse 0.6": diffuse_policy(config, 0.6), "diffuse 1.65": diffuse_policy(config, 1.65),
            "disperse 30 m": disperse_policy(config, 30.0), "disperse 40 m": disperse_policy(config, 40.0)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="large", choices=PRESETS)
    ap.add_argument("--obs", default=None)
    ap.add_argument("--episodes", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0, help="run.seed of the sweep to match (eval key 10_000 + seed)")
    args = ap.parse_args(argv)
    apply_default_xla_flags()
    cfg = override(preset(args.preset), {"env.obs": args.obs, "run.seed": args.seed})
    t0 = time.perf_counter()
    res = compare_policies(cfg, scripted_policies(cfg), jax.random.PRNGKey(10_000 + cfg.run.seed),
                           args.episodes)
    print(f"preset {args.preset}, {args.episodes} episodes (the seed sweep's evaluation episodes), "
          f"{time.perf_counter() - t0:.1f} s")
    print(format_table(res))
    return res


if __name__ == "__main__":
    main()
