"""Transition model of the fully observable broadcast channel (shared by the planners).

Conventions (the report's Algorithms 1 and 4): state ``s`` is the bitmask of full buffers
(bit i = agent i); action ``a`` is 0 (nobody sends) or ``1 << i`` for an agent i with a
message; sending gives reward vector e_i; afterwards the sender's buffer is empty
(``least = s ^ a``) and every empty buffer independently receives a message with
probability ``p[i]``. ``t`` counts remaining steps, t = 0 being the last one.
"""

from __future__ import annotations

import numpy as np

from jaxjam.broadcast.limits import as_int

MAX_AGENTS = 10  # dense 2^n x 2^n transition matrices
MAX_HORIZON = 1_000_000  # the planners store per-step tables: memory and time grow with it


def check_weights(weights, n: int) -> np.ndarray:
    """Weight vectors [batch, n] as float64; ValueError unless finite and >= 0."""
    w = np.asarray(weights, np.float64)
    if w.ndim != 2 or w.shape[1] != n:
        raise ValueError(f"weights must have shape [batch, n={n}], got {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and >= 0")
    return w


def validate(p, horizon: int | None = None, max_agents: int = MAX_AGENTS) -> np.ndarray:
    """Check ``p`` (1-D, values in [0, 1], 1 <= n <= max_agents) and ``horizon`` >= 0; return p as float64."""
    try:
        p = np.asarray(p, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"p must be a 1-D sequence of arrival probabilities, got {p!r}") from None
    if p.ndim != 1:
        raise ValueError(f"p must be a 1-D sequence of arrival probabilities, got shape {p.shape}")
    n = p.shape[0]
    if n < 1:
        raise ValueError("number of agents n = len(p) must be >= 1, got 0")
    if n > max_agents:
        raise ValueError(f"number of agents n = len(p) must be <= {max_agents} for this planner, got {n}")
    if not np.all(np.isfinite(p)) or np.any(p < 0) or np.any(p > 1):
        raise ValueError(f"p values must lie in [0, 1], got {p.tolist()}")
    if horizon is not None and as_int("horizon", horizon, -(2**63)) < 0:
        raise ValueError(f"horizon must be an integer >= 0, got {horizon}")
    if horizon is not None:
        as_int("horizon", horizon, 0, MAX_HORIZON, "time and memory grow with it")
    return p


def actions(s: int, n: int) -> list[int]:
    """Legal actions in state ``s``: 0 and ``1 << i`` for each full buffer i."""
    return [0] + [1 << i for i in range(n) if s >> i & 1]


def transition_matrix(p: np.ndarray) -> np.ndarray:
    """T [2^n, 2^n] float64: T[least, s'] = P(s' | buffers ``least`` full after the send)."""
    n = len(p)
    states = np.arange(2**n)
    bits = (states[:, None] >> np.arange(n)) & 1  # [S, n]
    least, nxt = bits[:, None, :], bits[None, :, :]
    per_agent = np.where(least == 1, nxt == 1, np.where(nxt == 1, p, 1 - p))
    return per_agent.prod(axis=2)


def action_table(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(legal [2^n, n+1] bool, least [2^n, n+1] int): action index 0 = idle, j = agent j-1 sends."""
    s = np.arange(2**n)[:, None]
    j = np.arange(n + 1)[None, :]
    bit = np.where(j == 0, 0, 1 << np.maximum(j - 1, 0))
    legal = (j == 0) | ((s & bit) != 0)
    return legal, np.where(legal, s ^ bit, s)
