"""Scalarised planning for any priorities: batched weighted DP (``dp_kernels.policy_dp``), exact policy
evaluation and weight switching; the convex coverage set (``convex_coverage_set``, Optimistic
Linear Support) lives in ``jaxjam.broadcast.ccs`` and is re-exported here.

Model conventions are those of ``jaxjam.broadcast.model``; action index j = 0 is idle and
j >= 1 means agent j-1 sends (bitmask ``1 << (j-1)``).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from jaxjam.broadcast.ccs import convex_coverage_set  # noqa: F401  (re-exported)
from jaxjam.broadcast.dp_kernels import policy_dp
from jaxjam.broadcast.limits import check_size
from jaxjam.broadcast.model import action_table, check_weights, transition_matrix, validate


def scalarised_dp(p, weights, horizon: int, dtype=np.float32, tie_tol: float | None = None):
    """Optimal policies and their value vectors for a batch of weight vectors.

    p [n], weights [B, n] (>= 0). Returns (policy [B, horizon+1, S] int8 action index,
    indexed by remaining steps t; values [B, S, n] value vector at t = horizon). Ties in
    w·Q within ``tie_tol`` (default 1e-9 for float64, 1e-5 for float32) go to the largest
    total throughput, so the chosen vectors are Pareto-optimal. Use float64 for exact
    comparisons (computed under a local ``jax.enable_x64``); float32 is accurate to ~1e-5
    relative.
    """
    p = validate(p, horizon)
    w = check_weights(weights, len(p))
    n, h = len(p), int(horizon)
    check_size(f"scalarised_dp with n = {n}, horizon {h}, {len(w)} weight vectors",
               len(w) * 2**n * ((h + 1) + 8.0 * 3 * n), len(w) * (h + 1) * 2**n * (n + 1) * 8.0)
    dtype = np.dtype(dtype)
    tol = (1e-9 if dtype == np.float64 else 1e-5) if tie_tol is None else tie_tol
    with jax.enable_x64(dtype == np.float64):
        pol, v = policy_dp(jnp.asarray(p, dtype), jnp.asarray(w, dtype), int(horizon),
                           jnp.asarray(tol, dtype))
        return np.asarray(pol), np.asarray(v, np.float64)


def evaluate_policy(p, policy) -> np.ndarray:
    """Exact (float64) value vectors [horizon+1, S, n] of a time-dependent policy [horizon+1, S]
    (action indices, indexed by remaining steps t)."""
    p = validate(p)
    policy = np.asarray(policy)
    n, S = len(p), 2 ** len(p)
    legal, least = action_table(n)
    if policy.ndim != 2 or policy.shape[1] != S:
        raise ValueError(f"policy must have shape [horizon+1, {S}], got {policy.shape}")
    if not np.all(legal[np.arange(S)[None, :], policy]):
        raise ValueError("policy contains an illegal action (sending from an empty buffer)")
    trans = transition_matrix(p)
    rewards = np.concatenate([np.zeros((1, n)), np.eye(n)])
    v, out = np.zeros((S, n)), []
    for t in range(len(policy)):
        j = policy[t]
        v = rewards[j] + trans[least[np.arange(S), j]] @ v
        out.append(v)
    return np.stack(out)


def switching_policy(p, w_before, w_after, horizon: int, switch_step: int) -> np.ndarray:
    """Policy [horizon+1, S] following the w_before-optimal policy for the first ``switch_step``
    steps of the episode (t = horizon .. horizon-switch_step+1) and the w_after-optimal one after."""
    if not 0 <= switch_step <= horizon + 1:
        raise ValueError(f"switch_step must lie in [0, horizon+1={horizon + 1}], got {switch_step}")
    pol, _ = scalarised_dp(p, np.stack([w_before, w_after]), horizon, np.float64)
    t = np.arange(horizon + 1)[:, None]
    return np.where(t > horizon - switch_step, pol[0], pol[1])


@partial(jax.jit, static_argnames=("n_episodes",))
def _simulate(key, p, policy, least, s0, n_episodes: int):
    n = p.shape[0]
    horizon = policy.shape[0] - 1

    def episode(k):
        def step(s, inp):
            t, kk = inp
            j = policy[t, s]
            nxt = least[s, j]
            arrive = jax.random.bernoulli(kk, p).astype(jnp.int32)
            nxt = nxt | jnp.sum(arrive << jnp.arange(n))
            return nxt, jax.nn.one_hot(j - 1, n) * (j > 0)

        ts = jnp.arange(horizon, -1, -1)
        _, r = jax.lax.scan(step, s0, (ts, jax.random.split(k, horizon + 1)))
        return r.sum(axis=0)

    return jax.vmap(episode)(jax.random.split(key, n_episodes))


def simulate_policy(key, p, policy, s0: int = 0, n_episodes: int = 10_000) -> np.ndarray:
    """Monte Carlo per-agent throughput [n_episodes, n] of a policy [horizon+1, S] from state ``s0``."""
    p = validate(p)
    _, least = action_table(len(p))
    return np.asarray(_simulate(key, jnp.asarray(p, jnp.float32), jnp.asarray(policy, jnp.int32),
                                jnp.asarray(least, jnp.int32), jnp.int32(s0), n_episodes))
