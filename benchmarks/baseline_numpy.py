"""Baseline: a straightforward Python port of the report's Algorithms 1-4 (float arithmetic).

Sets are Python lists/sets of float tuples; ``add_sets`` forms every sum over the successor
sets (Algorithm 3) and ``try_add`` (Algorithm 2) inserts each into Q(t, s, a) and V(t, s)
by pairwise comparison. Differences from the printed pseudo-code: the idle action is also
added (Algorithm 1 only adds when a != 0), and arrivals use p (Algorithm 4 as printed
multiplies by 1 - p when a buffer fills). Exact float equality is used for duplicates, so
near-duplicates from rounding are kept (as in the report's C++ implementation).
"""

from __future__ import annotations

import itertools
import time

import numpy as np

from jaxjam.broadcast.model import actions, transition_matrix, validate


def _try_add(front: list, r: tuple) -> bool:
    """Algorithm 2: insert ``r`` unless an equal or better vector is present; drop worse ones."""
    keep = []
    for old in front:
        if old == r or all(o >= x for o, x in zip(old, r)):
            return False
        if not all(x >= o for o, x in zip(old, r)):
            keep.append(old)
    front[:] = keep + [r]
    return True


def solve_pareto_baseline(p, horizon: int, prune: bool = True, time_limit: float | None = None):
    """Q[t][s][a] and V[t][s] as lists of float tuples. Raises TimeoutError past ``time_limit`` seconds."""
    p = validate(p, horizon)
    n, S = len(p), 2 ** len(p)
    trans = transition_matrix(p)
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    Q, V = [], []
    for t in range(horizon + 1):
        Qt, Vt = [], []
        for s in range(S):
            Qs, Vs = {}, []
            for a in actions(s, n):
                least = s ^ a
                if t == 0:
                    sums = {(0.0,) * n}
                else:  # trans_rewards + add_sets: every sum of probability-weighted successor vectors
                    sets = [[tuple(pr * x for x in v) for v in V[t - 1][s2]]
                            for s2, pr in enumerate(trans[least]) if pr > 0]
                    sums = set()
                    for count, combo in enumerate(itertools.product(*sets)):
                        sums.add(tuple(map(sum, zip(*combo))))
                        if deadline is not None and count % 4096 == 0 and time.perf_counter() > deadline:
                            raise TimeoutError(f"baseline exceeded {time_limit} s at t={t}")
                Qs[a] = []
                for r in sums:
                    r = tuple(x + (1.0 if a and i == a.bit_length() - 1 else 0.0) for i, x in enumerate(r))
                    if not prune:
                        Qs[a].append(r)
                        Vs.append(r)
                    elif _try_add(Qs[a], r):
                        _try_add(Vs, r)
                    if deadline is not None and time.perf_counter() > deadline:
                        raise TimeoutError(f"baseline exceeded {time_limit} s at t={t}")
            Qt.append(Qs)
            Vt.append(Vs if prune else list(dict.fromkeys(Vs)))
        Q.append(Qt)
        V.append(Vt)
    return Q, V


def baseline_sizes(V) -> list[int]:
    """Total |V(t, s)| over states, per t."""
    return [sum(len(v) for v in Vt) for Vt in V]


def as_array(front) -> np.ndarray:
    """A list of tuples as a [k, n] float64 array."""
    return np.array(sorted(front, reverse=True), np.float64)
