"""Fixed centrally scheduled policies, simulated (JAX) and evaluated exactly (numpy float64).

A policy is a *decision table* `(L, 2**n) int32`: at turn t in buffer state s
(bitmask, bit i = agent i holds a message) the sender bitmask is
`table[t % L, s]`. Cyclic tables cover round-robin (L = n) and stationary
policies (L = 1); a finite-horizon policy is a table with L = horizon.

Exact evaluation: the buffers (+ turn phase) form a Markov chain. With
`P_k (S, S)` and per-agent rewards `R_k (S, n)` for phase k, the expected
reward-to-go obeys `H_k = R_k + P_k H_{k+1}`; second moments of the total obey
the standard additive-functional recursion `m_k = r_k^2 + 2 r_k (P_k h_{k+1}) +
P_k m_{k+1}`. Both are linear maps of an augmented vector, so T turns are a
product of T augmented matrices = (cycle product)^(T // L) times a remainder,
computed by repeated squaring in float64. The turn convention is the
environment's (see `channel.py`): reset = empty buffers + one arrival phase;
each turn = send, then arrive.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from jaxjam.broadcast.channel import (MAX_AGENTS, BroadcastChannel, ChannelParams, bits_to_mask,
                                      check_n_channels, check_p)
from jaxjam.broadcast.limits import MAX_COUNT, as_int, chain_size, check_size

MAX_TABLE_AGENTS = 24  # a decision table has 2**n int32 entries per phase (memory)


def _bits(n: int) -> np.ndarray:
    """`(2**n, n) bool`: bit i of every state."""
    s = np.arange(2 ** n)
    return ((s[:, None] >> np.arange(n)) & 1).astype(bool)


def turn_based_table(n: int) -> np.ndarray:
    """Round-robin `(n, 2**n)`: at phase k agent k sends if it holds a message."""
    n = as_int("n", n, 1, MAX_TABLE_AGENTS, "2**n states per phase: memory")
    check_size(f"turn_based_table(n={n})", 4.0 * n * 2**n)
    s = np.arange(2 ** n)
    return (s[None, :] & (1 << np.arange(n))[:, None]).astype(np.int32)


def send_if_message_table(n: int) -> np.ndarray:
    """`(1, 2**n)`: every agent with a message sends (collides when > K send)."""
    n = as_int("n", n, 1, MAX_TABLE_AGENTS, "2**n states per phase: memory")
    return np.arange(2 ** n, dtype=np.int32)[None, :]


def _validate_table(table: np.ndarray, n: int) -> np.ndarray:
    table = np.asarray(table)
    if table.ndim != 2 or table.shape[1] != 2 ** n or table.shape[0] < 1:
        raise ValueError(f"table must have shape (L >= 1, {2 ** n}), got {table.shape}")
    if table.min() < 0 or table.max() >= 2 ** n:
        raise ValueError(f"table entries must lie in [0, {2 ** n}), got "
                         f"[{table.min()}, {table.max()}]")
    return table.astype(np.int64)


def arrival_matrix(p) -> np.ndarray:
    """`(S, S)` float64: P(s' | buffers u after sending) for one arrival phase."""
    p = np.asarray(p, np.float64)
    b = _bits(p.shape[0])
    u, v = b[:, None, :], b[None, :, :]
    per = np.where(u, v.astype(np.float64), np.where(v, p, 1.0 - p))
    return per.prod(-1)


def _after_send(table_row: np.ndarray, n: int, n_channels: int):
    """Per state: (buffers after the channel `(S,)`, delivered bits `(S, n)` float64)."""
    s = np.arange(2 ** n)
    senders = table_row & s
    count = _bits(n)[senders].sum(-1)
    delivered = np.where(count <= n_channels, senders, 0)
    return s & ~delivered, _bits(n)[delivered].astype(np.float64)


def _chain(p, table: np.ndarray, n_channels: int):
    """Phase matrices `P (L, S, S)`, rewards `R (L, S, n)`, start distribution `d0 (S,)`."""
    n = len(p)
    arr = arrival_matrix(p)
    rows = [_after_send(row, n, n_channels) for row in table]
    P = np.stack([arr[after] for after, _ in rows])
    R = np.stack([rew for _, rew in rows])
    return P, R, arr[0]


def _product(mats: np.ndarray, turns: int) -> np.ndarray:
    """`M_0 M_1 ... M_{turns-1}` with `M_t = mats[t % L]`."""
    L, d, _ = mats.shape
    prefix = [np.eye(d)]
    for k in range(L):
        prefix.append(prefix[-1] @ mats[k])
    q, r = divmod(turns, L)
    return np.linalg.matrix_power(prefix[L], q) @ prefix[r]


def policy_moments(p, table, turns: int, n_channels: int = 1):
    """Exact `(mean (n,) float64, variance of the total () float64)` of delivered messages.

    p: `(n,)` arrival probabilities; table: `(L, 2**n)` decision table;
    turns: number of turns after reset.
    """
    p = check_p(p)
    check_n_channels(n_channels)
    n = p.shape[0]
    turns = as_int("turns", turns, 0, MAX_COUNT)
    table = _validate_table(table, n)
    check_size(f"exact evaluation with n = {n} agents and L = {table.shape[0]} phases",
               *chain_size(n, table.shape[0], turns), hint="use simulate() instead")
    P, R, d0 = _chain(p, table, n_channels)
    L, S = P.shape[0], P.shape[1]
    # Mean: [H; I] <- [[P, R], [0, I]] [H; I].
    mean_mats = np.zeros((L, S + n, S + n))
    mean_mats[:, :S, :S] = P
    mean_mats[:, :S, S:] = R
    mean_mats[:, S:, S:] = np.eye(n)
    H0 = _product(mean_mats, turns)[:S, S:]
    mean = d0 @ H0
    # Variance of the total with rewards centred by the mean rate (no cancellation).
    c = mean.sum() / max(turns, 1)
    r = R.sum(-1) - c
    var_mats = np.zeros((L, 2 * S + 1, 2 * S + 1))
    var_mats[:, :S, :S] = P
    var_mats[:, :S, S:2 * S] = 2.0 * r[:, :, None] * P
    var_mats[:, :S, -1] = r ** 2
    var_mats[:, S:2 * S, S:2 * S] = P
    var_mats[:, S:2 * S, -1] = r
    var_mats[:, -1, -1] = 1.0
    col = _product(var_mats, turns)[:, -1]
    second, first = d0 @ col[:S], d0 @ col[S:2 * S]
    return mean, float(second - first ** 2)


def policy_throughput(p, table, turns: int, n_channels: int = 1) -> np.ndarray:
    """Exact expected delivered messages per agent `(n,)` over `turns` turns."""
    return policy_moments(p, table, turns, n_channels)[0]


def turn_based_throughput(p: float, n_agents: int, turns: int) -> float:
    """Exact expected total delivered by round-robin, equal `p`, empty start buffers."""
    n_agents = as_int("n_agents", n_agents, 1, MAX_AGENTS, "int32 bitmask states")
    turns = as_int("turns", turns, 0, MAX_COUNT)
    check_size(f"turn_based_throughput with n_agents = {n_agents}",
               *chain_size(n_agents, n_agents, turns), hint="use simulate() instead")
    p = check_p(p, n_agents)
    return float(policy_throughput(p, turn_based_table(p.shape[0]), turns).sum())


def optimal_table(p, horizon: int, n_channels: int = 1):
    """Finite-horizon DP for total throughput (exact, float64).

    Returns `(values (horizon+1, S), table (horizon, S))`: `values[t, s]` is the optimal
    expected number of deliveries from turn t to the horizon in state s, `table[t]` the
    optimal sender bitmask at turn t (ties -> smallest bitmask). Actions: every subset
    of the holders.
    """
    p = check_p(p)
    check_n_channels(n_channels)
    horizon = as_int("horizon", horizon, 0, MAX_COUNT)
    n = p.shape[0]
    S = 2 ** n
    check_size(f"optimal_table with n = {n} agents, horizon {horizon}",
               8.0 * (6 * S * S + (horizon + 1) * S), 4.0 * S * S * (horizon + 1))
    s = np.arange(S)
    arr = arrival_matrix(p)
    bits = _bits(n)
    a = np.arange(S)
    valid = (a[None, :] & ~s[:, None]) == 0               # (S, A): a subset of s
    count = bits[a].sum(-1)
    ok = count <= n_channels
    delivered = np.where(ok, a, 0)                          # (A,)
    reward = np.where(valid, bits[delivered].sum(-1)[None, :], 0.0)
    after = s[:, None] & ~delivered[None, :]                # (S, A)
    values = np.zeros((horizon + 1, S))
    table = np.zeros((horizon, S), np.int32)
    for t in range(horizon - 1, -1, -1):
        q = np.where(valid, reward + (arr @ values[t + 1])[after], -np.inf)
        table[t] = q.argmax(1)
        values[t] = q.max(1)
    return values, table


def simulate(key: jax.Array, params: ChannelParams, table: jax.Array, turns: int,
             n_seeds: int) -> jax.Array:
    """Delivered messages per seed and agent, `(n_seeds, n) int32`.

    vmap over seeds of a `lax.scan` over `turns` turns of `BroadcastChannel()`
    driven by the decision table `(L, 2**n)`. `turns` >= 0 and `n_seeds` >= 1 are integers.
    """
    turns = as_int("turns", turns, 0, 2**31 - 1, "int32 turn counter")
    n_seeds = as_int("n_seeds", n_seeds, 1, 2**24, "memory: one buffer state per seed")
    return _simulate(key, params, table, turns, n_seeds)


@partial(jax.jit, static_argnames=("turns", "n_seeds"))
def _simulate(key: jax.Array, params: ChannelParams, table: jax.Array, turns: int,
              n_seeds: int) -> jax.Array:
    env = BroadcastChannel()
    table = jnp.asarray(table, jnp.int32)
    L = table.shape[0]

    def one(k):
        k_reset, k_run = jax.random.split(k)
        _, state = env.reset(k_reset, params)

        def body(carry, t):
            state, total = carry
            action = table[t % L, bits_to_mask(state.buffers)]
            _, state, reward, _, _ = env.step(jax.random.fold_in(k_run, t), state, action,
                                              params)
            return (state, total + reward.astype(jnp.int32)), None

        init = (state, jnp.zeros(params.p.shape, jnp.int32))
        (_, total), _ = jax.lax.scan(body, init, jnp.arange(turns))
        return total

    return jax.vmap(one)(jax.random.split(key, n_seeds))
