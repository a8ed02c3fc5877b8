"""The one result type of the broadcast Pareto planners: sets of throughput vectors per (t, s).

`solve_pareto` (exact, rational: `ParetoSolution`) and `bounded_pareto` (fixed capacity, float,
ε-pruned: `BoundedSolution`) both return `ParetoSets`: `V(t, s)` `[k, n]` and `Q(t, s, a)`
`[k, n]`, the Pareto-optimal expected-throughput vectors (messages delivered per agent over the
remaining t steps) from state `s` (bit i set = agent i holds a message) with t steps to go. Any
priority weights are then planned for without solving again: `best_action`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from jaxjam.broadcast.model import actions


@runtime_checkable
class ParetoSets(Protocol):
    """V/Q sets for arrival probabilities `p` [n]; t = 0..horizon steps to go, s in [0, 2^n)."""

    p: tuple[float, ...]

    def V(self, t: int, s: int) -> np.ndarray:
        """Pareto-optimal throughput vectors `[k, n]` of state s with t steps to go."""
        ...

    def Q(self, t: int, s: int, a: int) -> np.ndarray:
        """Throughput vectors `[k, n]` after action a in s (a = 0: nobody sends, else 1 << i)."""
        ...


def best_action(sets: ParetoSets, weights, t: int, s: int) -> tuple[int, float]:
    """(action, value): the action maximising max_{q in Q(t, s, a)} weights · q, for priority
    `weights` [n] ≥ 0 (any, chosen after solving); ties go to the lower action."""
    w = np.asarray(weights, np.float64)
    n = len(sets.p)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"weights must be {n} finite numbers >= 0, got {weights!r}")
    if not 0 <= s < 2**n:
        raise ValueError(f"s must lie in [0, {2**n - 1}], got {s}")
    best = (0, -np.inf)
    for a in actions(s, n):
        q = sets.Q(t, s, a)
        value = float(np.max(q @ w)) if len(q) else -np.inf
        if value > best[1]:
            best = (a, value)
    return best
