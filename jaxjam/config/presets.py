"""Named presets: `default` (M=4 N=10), `large` (M=40 N=100), `reference` (the spec's model)."""

from __future__ import annotations

from jaxjam.config.checks import validate
from jaxjam.config.schema import Config, EnvConfig, PhysicsConfig, PPOConfig, RunConfig


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
