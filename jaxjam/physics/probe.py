"""How long the batched λ₂ eigensolve takes on this device, at a run's batch and swarm size.

The training program fuses λ₂ into the env step, so its share cannot be read off the fused
program's wall time; this probe times the same solver (`physics.eigensolver`) alone on
`batch` random enemy graphs of N nodes in the run's arena (positions uniform in the arena, on
band 0), compiled once, the median of `repeats` runs. `jaxjam train` logs it to TensorBoard
as `perf/lambda2_batch_ms` (one batched solve over every env of every seed).
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp

from jaxjam.config import Config
from jaxjam.physics.graph import lambda2, link_adjacency


def lambda2_batch_seconds(config: Config, batch: int, repeats: int = 5) -> float:
    """Median wall seconds of one λ₂ solve over `batch` [N, N] graphs (compile excluded)."""
    if batch < 1 or repeats < 1:
        raise ValueError(f"lambda2_batch_seconds: batch and repeats must be >= 1, got {batch}, {repeats}")
    n, side = config.env.num_enemies, config.env.arena_m
    pos = jax.random.uniform(jax.random.PRNGKey(0), (batch, n, 2), minval=0.0, maxval=side)
    adj = jax.vmap(lambda p: link_adjacency(p, jnp.int32(0), config.physics))(pos)
    solve = jax.jit(lambda a: lambda2(a, solver=config.physics.eigensolver))
    jax.block_until_ready(solve(adj))  # compile
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(solve(adj))
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]
