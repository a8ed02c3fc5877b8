"""Float DP kernels of the broadcast-channel planning problem, for batches of weight vectors.

States are an n-dimensional 2 x ... x 2 array (axis n-1-i is agent i's buffer bit, so a C-order
reshape gives the bitmask index of ``jaxjam.broadcast.model``) with the weight batch (and, for
value vectors, the agent axis) last. The expectation over independent arrivals is then n
axis-wise mixes instead of a dense 2^n x 2^n product, and the best action is n half-array maxima.
Decisions are lexicographic: the largest w·Q, near-ties (within ``tie_tol``) to the largest total
throughput, then to the lowest action index. Used by ``scalarised_dp`` (policies and values in
every state) and by the convex coverage set (scalar values; value vectors from one start state).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp


def _half(x, a: int, bit: int):
    """The bit-``bit`` half of axis ``a`` of x."""
    return jax.lax.index_in_dim(x, bit, a)


def _with_bit(x, a: int, new1):
    """Replace the bit-1 half of axis ``a`` of x by new1."""
    return jnp.concatenate([_half(x, a, 0), new1], axis=a)


def _mix(x, p):
    """Expectation over arrivals: x [2,..,2, B] (a value of the next state; axis n-1-i is agent i's
    bit) -> [2,..,2, B] as a function of the post-send state ``least``."""
    n = p.shape[0]
    for i in range(n):
        a = n - 1 - i
        x0, x1 = _half(x, a, 0), _half(x, a, 1)
        x = jnp.concatenate([x0 + p[i] * (x1 - x0), x1], axis=a)
    return x


def _best(c, w):
    """max over legal actions of w·Q: c [2,..,2, B] (value of the post-send state), w [B, n]."""
    best = c  # idle
    for i in range(w.shape[1]):  # agent i sends (states with bit i): w_i + c[s without bit i]
        a = c.ndim - 2 - i
        best = _with_bit(best, a, jnp.maximum(_half(best, a, 1), _half(c, a, 0) + w[:, i]))
    return best


@jax.jit
def scalar_dp(p, w, horizon):
    """Optimal scalarised values: p [n], w [B, n], horizon (traced) -> u [2^n, B] = max over
    policies of w·V(horizon, s)."""
    n, B = p.shape[0], w.shape[0]
    u = jax.lax.fori_loop(0, horizon + 1, lambda _, u: _best(_mix(u, p), w), jnp.zeros((2,) * n + (B,), w.dtype))
    return u.reshape(2**n, B)


def _decisions(p, w, horizon, tie_tol, max_len: int):
    """Lexicographic (w·v, then total) decisions [max_len, 2,..,2, B] int8 (action index, 0 =
    idle, i+1 = agent i sends; entry t = t remaining steps, entries > horizon unused).

    Among actions within ``tie_tol`` of the best w·Q, the largest total throughput, then the
    lowest action index. The backward pass carries only w·v and the total per state and weight.
    """
    n, B = p.shape[0], w.shape[0]
    shape = (2,) * n + (B,)

    def back(t, carry):
        u, tot, js = carry
        cu, ct = _mix(u, p), _mix(tot, p)
        lim = _best(cu, w) - tie_tol
        bu, bt, bj = cu, jnp.where(cu >= lim, ct, -jnp.inf), jnp.zeros(shape, jnp.int8)
        for i in range(n):  # in action order, keep the first largest total among the near-best
            a = n - 1 - i
            qu, qt = _half(cu, a, 0) + w[:, i], _half(ct, a, 0) + 1.0
            better = (qu >= _half(lim, a, 1)) & (qt > _half(bt, a, 1))
            bu = _with_bit(bu, a, jnp.where(better, qu, _half(bu, a, 1)))
            bt = _with_bit(bt, a, jnp.where(better, qt, _half(bt, a, 1)))
            bj = _with_bit(bj, a, jnp.where(better, jnp.int8(i + 1), _half(bj, a, 1)))
        return bu, bt, js.at[t].set(bj)

    zeros = jnp.zeros(shape, w.dtype)
    js = jnp.zeros((max_len,) + shape, jnp.int8)
    return jax.lax.fori_loop(0, horizon + 1, back, (zeros, zeros, js))[2]


@partial(jax.jit, static_argnames=("max_len",))
def vector_dp(p, w, horizon, tie_tol, s, max_len: int):
    """Value vectors [B, n] at (horizon, s) of the `_decisions` policies: p [n], w [B, n],
    horizon (traced, < max_len). A forward pass over the state distribution from ``s`` sums the
    expected sends per agent."""
    n, B = p.shape[0], w.shape[0]
    shape = (2,) * n + (B,)
    js = _decisions(p, w, horizon, tie_tol, max_len)

    def forward(k, carry):  # d [2,..,2, B]: distribution over states before the send
        d, total = carry
        j = js[horizon - k]
        post, sends = d, []
        for i in range(n):  # the sender's bit is cleared: its mass moves from bit 1 to bit 0
            a = n - 1 - i
            moved = jnp.where(_half(j, a, 1) == i + 1, _half(d, a, 1), 0.0)
            sends.append(moved.reshape(-1, B).sum(0))
            post = jnp.concatenate([_half(post, a, 0) + moved, _half(post, a, 1) - moved], axis=a)
        for i in range(n):  # arrivals into empty buffers
            a = n - 1 - i
            m0, m1 = _half(post, a, 0), _half(post, a, 1)
            post = jnp.concatenate([(1 - p[i]) * m0, m1 + p[i] * m0], axis=a)
        return post, total + jnp.stack(sends, axis=1)

    d0 = jnp.zeros((2**n, B), w.dtype).at[s].set(1.0).reshape(shape)
    return jax.lax.fori_loop(0, horizon + 1, forward, (d0, jnp.zeros((B, n), w.dtype)))[1]


@partial(jax.jit, static_argnames=("horizon",))
def policy_dp(p, w, horizon: int, tie_tol):
    """The `_decisions` policies and their value vectors in every state: p [n], w [B, n] ->
    (policy [B, horizon+1, 2^n] int8, values [B, 2^n, n] at t = horizon). A second backward
    pass evaluates the decisions with the value vectors themselves."""
    n, B = p.shape[0], w.shape[0]
    js = _decisions(p, w, horizon, tie_tol, horizon + 1)
    eye = jnp.eye(n, dtype=w.dtype)

    def back(t, v):  # v [2,..,2, B, n]: value vectors with t-1 remaining steps
        c, j = _mix(v, p), js[t]
        out = c  # idle
        for i in range(n):  # agent i sends from states with bit i: e_i + c[s without bit i]
            a = n - 1 - i
            sends = (_half(j, a, 1) == i + 1)[..., None]
            out = _with_bit(out, a, jnp.where(sends, _half(c, a, 0) + eye[i], _half(out, a, 1)))
        return out

    v = jax.lax.fori_loop(0, horizon + 1, back, jnp.zeros((2,) * n + (B, n), w.dtype))
    policy = jnp.moveaxis(js.reshape(horizon + 1, 2**n, B), 2, 0)
    return policy, v.reshape(2**n, B, n).transpose(1, 0, 2)
