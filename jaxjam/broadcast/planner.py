"""Exact multi-objective finite-horizon DP (the report's Algorithms 1-4) in integer arithmetic.

Q(t, s, a) = e_a + sum_{s'} P(s' | s ^ a) V(t-1, s')   (set sum = Minkowski sum, V(-1, .) = {0})
V(t, s)    = Pareto set of the union over legal a of Q(t, s, a)

Probabilities are turned into exact fractions with a common denominator d; level t is
stored as int64 numerators over D_t = d^(n t), so duplicates are detected exactly (float
sums of probability-weighted vectors produce near-duplicates that exact deduplication
keeps). The set sum over successor states is folded one successor at a time, filtering
after each partial sum (dominance is preserved under adding a fixed vector).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from jaxjam.broadcast.model import actions, validate
from jaxjam.broadcast.pareto import _unique_lex_desc, minkowski_front, pareto_filter

MAX_EXACT_AGENTS = 5
MAX_DENOMINATOR = 1000


def _fractions(p: np.ndarray) -> tuple[list[int], int]:
    """Numerators over a common denominator d for each p_i (each p_i must be k/d', d' <= 1000)."""
    fr = []
    for i, x in enumerate(p):
        f = Fraction(float(x)).limit_denominator(MAX_DENOMINATOR)
        if abs(float(f) - x) > 1e-12:
            raise ValueError(f"p[{i}] = {x} is not a fraction with denominator <= {MAX_DENOMINATOR}; "
                             "the exact planner needs rational probabilities")
        fr.append(f)
    d = math.lcm(*(f.denominator for f in fr))
    return [int(f * d) for f in fr], d


@dataclass(frozen=True)
class ParetoSolution:
    """Exact Pareto sets for t = 0..horizon. ``v_int[t][s]``, ``w_int[t][least]``: int64 [k, n] over ``denom[t]``."""

    p: tuple[float, ...]
    horizon: int
    prune: bool
    denom: tuple[int, ...]
    v_int: tuple[tuple[np.ndarray, ...], ...]
    w_int: tuple[tuple[np.ndarray, ...], ...]

    @property
    def n(self) -> int:
        return len(self.p)

    def _check(self, t: int, s: int, a: int | None = None) -> None:
        if not 0 <= t <= self.horizon:
            raise ValueError(f"t must lie in [0, {self.horizon}], got {t}")
        if not 0 <= s < 2**self.n:
            raise ValueError(f"s must lie in [0, {2**self.n - 1}], got {s}")
        if a is not None and a not in actions(s, self.n):
            raise ValueError(f"a = {a} is not legal in s = {s}; legal: {actions(s, self.n)}")

    def Q_int(self, t: int, s: int, a: int) -> np.ndarray:
        """Numerators [k, n] of Q(t, s, a) over ``denom[t]``."""
        self._check(t, s, a)
        q = self.w_int[t][s ^ a].copy()
        if a:
            q[:, a.bit_length() - 1] += self.denom[t]
        return q

    def V(self, t: int, s: int) -> np.ndarray:
        """V(t, s) [k, n] float64 (lexicographically descending)."""
        self._check(t, s)
        return self.v_int[t][s] / self.denom[t]

    def Q(self, t: int, s: int, a: int) -> np.ndarray:
        """Q(t, s, a) [k, n] float64."""
        return self.Q_int(t, s, a) / self.denom[t]

    def sizes(self) -> dict[str, list[int]]:
        """Per t: total |V(t, s)| over states and total |Q(t, s, a)| over legal (s, a)."""
        S = 2**self.n
        return {"V": [sum(len(v) for v in self.v_int[t]) for t in range(self.horizon + 1)],
                "Q": [sum(len(self.w_int[t][s ^ a]) for s in range(S) for a in actions(s, self.n))
                      for t in range(self.horizon + 1)]}


def solve_pareto(p, horizon: int, prune: bool = True) -> ParetoSolution:
    """Exact Q/V sets for arrival probabilities ``p`` [n] and t = 0..``horizon``.

    ``prune=False`` keeps every distinct sum (the report's "without Pareto-optimisation").
    Raises ValueError for p outside [0, 1], n outside [1, 5], horizon < 0, non-rational p,
    or numerators that would overflow int64.
    """
    p = validate(p, horizon, MAX_EXACT_AGENTS)
    n, S = len(p), 2 ** len(p)
    num, d = _fractions(p)
    step = d**n
    if (horizon + 1) * step**horizon >= 2**62:
        raise ValueError(f"horizon = {horizon} too large for exact int64 arithmetic with denominator "
                         f"{d} and n = {n} (needs (horizon+1) * d^(n*horizon) < 2^62)")
    reduce = pareto_filter if prune else _unique_lex_desc
    # integer transition weights over d^n: succ[least] = [(s', weight)]
    succ = []
    for least in range(S):
        free = [i for i in range(n) if not least >> i & 1]
        out = []
        for m in range(S):
            if m & least:
                continue
            w = d ** (n - len(free))
            for i in free:
                w *= num[i] if m >> i & 1 else d - num[i]
            if w:
                out.append((least | m, w))
        succ.append(out)
    zero = np.zeros((1, n), np.int64)
    denom, v_all, w_all = [], [], []
    for t in range(horizon + 1):
        if t == 0:
            w_t = [zero] * S
            denom.append(1)
        else:
            denom.append(denom[-1] * step)
            w_t = []
            for least in range(S):
                parts = sorted((v_all[-1][s2] * w for s2, w in succ[least]), key=len)
                acc = parts[0]
                for part in parts[1:]:
                    acc = minkowski_front(acc, part, prune)
                w_t.append(acc)
        v_t = []
        for s in range(S):
            qs = []
            for a in actions(s, n):
                q = w_t[s ^ a].copy()
                if a:
                    q[:, a.bit_length() - 1] += denom[t]
                qs.append(q)
            v_t.append(reduce(np.concatenate(qs)))
        v_all.append(tuple(v_t))
        w_all.append(tuple(w_t))
    return ParetoSolution(tuple(float(x) for x in p), horizon, prune, tuple(denom), tuple(v_all), tuple(w_all))
