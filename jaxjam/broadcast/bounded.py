"""ε-bounded Pareto sets of fixed capacity K per (t, s) as masked JAX arrays (the report's
"aggressive pruning"): the whole DP is jit-compiled, lax.scan over t and over agents.

The expectation over successor states factorises over agents (arrivals are independent),
so W(least) = sum_{s'} P(s'|least) V(t-1, s') is built by n binary set sums, one per agent:
G_i(x) = q_i G_{i-1}(x | 2^i) (+) (1 - q_i) G_{i-1}(x) for states x without bit i.
After every set sum and every union over actions the K^2 (or (n+1)K) candidates are
pruned to K by ``greedy_prune``; its measured gap is propagated into a per-set additive
bound eps: every exact vector v has a kept u with v <= u + eps (componentwise). Kept
vectors are exactly achievable (sums of kept vectors), so the sets are inner
approximations. When capacity suffices the sets equal the exact Pareto sets (up to tol).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from jaxjam.broadcast.limits import as_int, check_size
from jaxjam.broadcast.model import action_table, validate
from jaxjam.broadcast.pareto import greedy_prune

MAX_BOUNDED_AGENTS = 8


@dataclass(frozen=True)
class BoundedSolution:
    """V/W arrays for t = 0..horizon: v [H+1, S, K, n], v_mask [H+1, S, K], v_eps [H+1, S]; w likewise by least state."""

    p: tuple[float, ...]
    v: np.ndarray
    v_mask: np.ndarray
    v_eps: np.ndarray
    w: np.ndarray
    w_mask: np.ndarray
    w_eps: np.ndarray

    def V(self, t: int, s: int) -> np.ndarray:
        """Kept vectors [k, n] of V(t, s), k <= K."""
        return self.v[t, s][self.v_mask[t, s]]

    def Q(self, t: int, s: int, a: int) -> np.ndarray:
        """Kept vectors [k, n] of Q(t, s, a) = e_a + W(t, s ^ a); eps is ``w_eps[t, s ^ a]``."""
        if a and not s & a:
            raise ValueError(f"a = {a} is not legal in s = {s}")
        q = self.w[t, s ^ a][self.w_mask[t, s ^ a]].copy()
        if a:
            q[:, a.bit_length() - 1] += 1
        return q


@partial(jax.jit, static_argnames=("horizon", "capacity"))
def _bounded_dp(q, legal, least, horizon: int, capacity: int, tol):
    """q [n] arrival probabilities; legal/least [S, n+1]. Returns stacked (v, vm, ve, w, wm, we)."""
    n, S, K = q.shape[0], legal.shape[0], capacity
    dt = q.dtype
    rewards = jnp.concatenate([jnp.zeros((1, n), dt), jnp.eye(n, dtype=dt)])  # [n+1, n]
    prune = jax.vmap(lambda c, m: greedy_prune(c, m, K, tol))
    # per agent i: states without bit i and their partner with bit i  [n, S/2]
    states = np.arange(S)
    low = jnp.asarray(np.stack([states[(states >> i) & 1 == 0] for i in range(n)]))

    def union(w, wm, we):  # V(s) = prune(union_j e_j + W(least[s, j]))
        cand = rewards[None, :, None, :] + w[least]  # [S, n+1, K, n]
        cm = wm[least] & legal[:, :, None]
        v, vm, g = prune(cand.reshape(S, (n + 1) * K, n), cm.reshape(S, -1))
        return v, vm, jnp.where(legal, we[least], 0).max(axis=1) + g

    def agent_step(carry, inp):
        g, gm, ge = carry
        qi, idx, bit = inp
        hi = idx | bit
        a, b = qi * g[hi], (1 - qi) * g[idx]  # [S/2, K, n]
        cand = (a[:, :, None, :] + b[:, None, :, :]).reshape(-1, K * K, n)
        cm = (gm[hi][:, :, None] & gm[idx][:, None, :]).reshape(-1, K * K)
        new, newm, gap = prune(cand, cm)
        err = qi * ge[hi] + (1 - qi) * ge[idx] + gap
        return (g.at[idx].set(new), gm.at[idx].set(newm), ge.at[idx].set(err)), None

    def t_step(carry, _):
        w, wm, we = carry
        v, vm, ve = union(w, wm, we)
        (w2, wm2, we2), _ = jax.lax.scan(agent_step, (v, vm, ve), (q, low, 1 << jnp.arange(n)))
        return (w2, wm2, we2), (v, vm, ve, w, wm, we)

    w0 = jnp.zeros((S, K, n), dt)
    wm0 = jnp.zeros((S, K), bool).at[:, 0].set(True)
    _, out = jax.lax.scan(t_step, (w0, wm0, jnp.zeros(S, dt)), None, length=horizon + 1)
    return out


def bounded_pareto(p, horizon: int, capacity: int = 256, dtype=np.float32, tol: float | None = None):
    """ε-approximate Pareto sets with at most ``capacity`` vectors per (t, s).

    p [n] (n <= 8), horizon >= 0, capacity >= 1. ``tol``: gaps <= tol count as covered
    (default 1e-6 (horizon+1) for float32, 1e-12 (horizon+1) for float64); the reported eps
    includes them. float64 runs under a local ``jax.enable_x64``. Returns a BoundedSolution.
    """
    p = validate(p, horizon, MAX_BOUNDED_AGENTS)
    capacity = as_int("capacity", capacity, 1, say_integer=True)
    horizon, n = int(horizon), len(p)
    check_size(f"bounded_pareto with n = {n}, horizon {horizon}, capacity {capacity}",
               2 * 8.0 * (horizon + 1) * 2**n * capacity * (n + 1),
               4.0 * (horizon + 1) * 2**n * (n + 1) * capacity**2)
    dtype = np.dtype(dtype)
    if tol is None:
        tol = (1e-12 if dtype == np.float64 else 1e-6) * (horizon + 1)
    legal, least = action_table(len(p))
    with jax.enable_x64(dtype == np.float64):
        out = _bounded_dp(jnp.asarray(p, dtype), jnp.asarray(legal), jnp.asarray(least),
                          int(horizon), int(capacity), jnp.asarray(tol, dtype))
        out = [np.asarray(x) for x in out]
    v, vm, ve, w, wm, we = out
    return BoundedSolution(tuple(float(x) for x in p), v.astype(np.float64), vm, ve.astype(np.float64),
                           w.astype(np.float64), wm, we.astype(np.float64))
