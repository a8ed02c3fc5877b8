"""Curriculum across scales and zero-shot transfer: one set of parameters, several (M, N).

    stages = parse_stages("4x10:163840,10x25:163840,20x50:327680,40x100:655360")
    for cfg, train_state in train_stages(config, stages, seeds=8): ...

Each stage is its own compiled program (shapes change with M and N); the actor and critic
parameters flow from one stage to the next, the optimiser and the learning-rate schedule start
afresh. Every observation has a width independent of M and N, but only `entity` measures
offsets in radio ranges rather than arena sides; with `ppo.network = attention` the policy is
size-agnostic by construction (sets of tokens, masks).

The arena of a stage grows with the swarm as the presets do (200 m at N = 10, 500 m at
N = 100): A(N) = 200 m · (N / 10)^0.398, i.e. log-linear between the two presets, so the
enemy density falls by the same factor per decade of N as from `default` to `large`.
"""

from __future__ import annotations

import math
from typing import Iterator, NamedTuple

import jax
import jax.numpy as jnp

from jaxjam.agents.mappo import TrainState
from jaxjam.config import Config, override
from jaxjam.train import compile_programs, make_train
from jaxjam.transfer import at_scale, scale_updates

_ARENA_EXPONENT = math.log(500.0 / 200.0) / math.log(100 / 10)  # 0.398: default → large


class Stage(NamedTuple):
    """One curriculum stage: M jammers, N enemies, arena side (m), env steps per seed."""

    num_jammers: int
    num_enemies: int
    arena_m: float
    total_steps: int


def arena_for(num_enemies: int) -> float:
    """Arena side (m) for N enemies: 200 m at N = 10, 500 m at N = 100, log-linear between."""
    return 200.0 * (num_enemies / 10.0) ** _ARENA_EXPONENT


def scaled(config: Config, num_jammers: int, num_enemies: int, arena_m: float | None = None,
           **updates) -> Config:
    """`config` at M, N and the arena (default `arena_for(N)`) through `transfer.at_scale`
    (which says why a policy cannot run there), then the other dotted `updates` (e.g.
    `ppo.total_steps`); validated."""
    cfg = at_scale(config, scale_updates(num_jammers=num_jammers, num_enemies=num_enemies,
                                         arena_m=arena_for(num_enemies) if arena_m is None else arena_m))
    return override(cfg, updates) if updates else cfg


def parse_stages(text: str) -> list[Stage]:
    """"MxN[@ARENA]:STEPS,..." -> stages, e.g. "4x10:163840,40x100@500:2000000"."""
    stages = []
    for item in (s.strip() for s in text.split(",") if s.strip()):
        scale, sep, steps = item.partition(":")
        size, _, arena = scale.partition("@")
        m, x, n = size.lower().partition("x")
        try:
            if not (sep and x):
                raise ValueError
            stage = Stage(int(m), int(n), float(arena) if arena else arena_for(int(n)), int(steps))
        except ValueError:
            raise ValueError(f"curriculum stage must look like MxN[@ARENA_M]:STEPS, e.g. "
                             f"4x10:163840, got {item!r}") from None
        if min(stage.num_jammers, stage.total_steps) < 1 or stage.num_enemies < 2 or stage.arena_m <= 0:
            raise ValueError(f"curriculum stage {item!r}: need M >= 1, N >= 2, ARENA_M > 0, STEPS >= 1")
        stages.append(stage)
    if not stages:
        raise ValueError("curriculum: no stages given")
    return stages


def parse_scale(text: str, flag: str = "--target") -> tuple[int, int]:
    """"MxN" -> (M, N) with M >= 1, N >= 2; a ValueError naming `flag` otherwise."""
    try:
        stage = parse_stages(f"{text}:1")[0]
    except ValueError:
        raise ValueError(f"{flag} must look like MxN with M >= 1, N >= 2 (e.g. 40x100), got {text!r}") from None
    return stage.num_jammers, stage.num_enemies


def stage_configs(config: Config, stages: list[Stage], later: dict | None = None) -> list[Config]:
    """Validated config of every stage (each observation's width is independent of M and N).
    `later`: field overrides for every stage after the first, which starts from the previous
    stage's networks (e.g. a fine-tune's lower rate, no teacher)."""
    return [scaled(override(config, later) if i and later else config, s.num_jammers, s.num_enemies,
                   s.arena_m, **{"ppo.total_steps": s.total_steps})
            for i, s in enumerate(stages)]


def train_stages(config: Config, stages: list[Stage], seeds: int = 1,
                 progress=None, params=None, later: dict | None = None) -> Iterator[tuple[Config, TrainState]]:
    """Train through the stages, S seeds in one program per stage; yields each stage's
    (config, train state with a leading seed axis). `progress(stage_index, env_steps)` is
    called after every chunk. `params`: (actor, critic) parameters [S, ...] for the first
    stage to start from (e.g. a policy trained elsewhere), else fresh ones. `later`: overrides
    for the stages after the first (`stage_configs`)."""
    for i, cfg in enumerate(stage_configs(config, stages, later)):
        trainer = make_train(cfg)
        key = jax.random.fold_in(jax.random.PRNGKey(cfg.run.seed), i)
        init, chunk = compile_programs(trainer, key, seeds, seed_axis=True)  # both at once
        runner = init(jax.random.split(key, seeds))
        if params is not None:  # the previous stage's networks, a fresh optimiser
            ts = runner.train_state.replace(actor_params=params[0], critic_params=params[1])
            runner = runner.replace(train_state=ts)
        for _ in range(trainer.num_updates // trainer.updates_per_chunk):
            runner, _ = chunk(runner)
            if progress is not None:
                progress(i, int(jax.device_get(runner.env_steps)[0]))
        ts = runner.train_state
        params = jax.tree.map(jnp.copy, (ts.actor_params, ts.critic_params))  # the next stage
        yield cfg, ts                                                          # donates its own
