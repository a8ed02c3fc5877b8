"""Upper bounds on the Dec-POMDP's Q-values, the heuristics of GMAA* (`decpomdp.solve`):
Q_POMDP (centralised planning on the joint belief, observations shared; tight for the
broadcast channel) and Q_MDP (the state revealed after every step, looser)."""

from __future__ import annotations

import itertools
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from jaxjam.broadcast.decpomdp import DecPOMDP


def _key(b: np.ndarray) -> bytes:
    return np.round(b, 12).tobytes()


class QPOMDP:
    """Q_POMDP (centralised planning on the joint belief, observations shared), bottom-up.

    The joint beliefs reachable from `b0` (rounded to 1e-12 for identification) are
    indexed once; `V[k, i]` is the optimal value of belief i with k stages to go,
    computed level by level with numpy over all beliefs. A queried belief is matched
    to an indexed one within 1e-9 (max-norm; only rounding differs); otherwise it is
    added with its successors and the table recomputed.
    """

    def __init__(self, model: DecPOMDP, horizon: int):
        self.m = model
        self.index: dict[bytes, int] = {}
        self.beliefs: list[np.ndarray] = []
        self.need: list[int] = []              # largest k for which V[k, i] is queried
        self.reward: list[np.ndarray] = []     # (A,) per belief
        self.succ: list[list | None] = []      # per joint action: [(prob, index)]
        self._require(model.b0, horizon)
        self._solve()

    def _lookup(self, b: np.ndarray) -> int:
        key = _key(b)
        if key not in self.index:
            self.index[key] = len(self.beliefs)
            self.beliefs.append(b)
            self.need.append(0)
            self.reward.append((self.m.R @ b).ravel())
            self.succ.append(None)
        return self.index[key]

    def _require(self, b: np.ndarray, k: int) -> None:
        """Index `b` and everything V_k(b) depends on (FIFO worklist)."""
        m = self.m
        S = b.shape[0]
        work = deque([(b, k)])
        while work:
            bb, kk = work.popleft()
            i = self._lookup(bb)
            if kk <= self.need[i]:
                continue
            self.need[i] = kk
            if kk < 2:
                continue
            if self.succ[i] is None:
                out = []
                for a1, a2 in itertools.product(range(m.T.shape[0]), range(m.T.shape[1])):
                    w = ((bb @ m.T[a1, a2])[:, None, None] * m.O[a1, a2]).reshape(S, -1)
                    po = w.sum(0)
                    merged: dict[int, float] = {}
                    for o in np.nonzero(po > 0)[0]:
                        j = self._lookup(w[:, o] / po[o])
                        merged[j] = merged.get(j, 0.0) + po[o]
                    out.append(list(merged.items()))
                self.succ[i] = out
            work.extend((self.beliefs[j], kk - 1) for per_a in self.succ[i] for j, _ in per_a)

    def _solve(self) -> None:
        """Fill `V (K+1, nB)`; entries beyond a belief's `need` are never read."""
        nB, A = len(self.beliefs), self.m.T.shape[0] * self.m.T.shape[1]
        M = max((len(per_a) for sc in self.succ if sc for per_a in sc), default=1)
        prob, idx = np.zeros((nB, A, M)), np.zeros((nB, A, M), np.int64)
        for i, sc in enumerate(self.succ):
            for a, per_a in enumerate(sc or ()):
                for slot, (j, pr) in enumerate(per_a):
                    prob[i, a, slot], idx[i, a, slot] = pr, j
        reward = np.stack(self.reward)
        K = max(self.need)
        self.V = np.zeros((K + 1, nB))
        for k in range(1, K + 1):
            self.V[k] = (reward + (prob * self.V[k - 1][idx]).sum(-1)).max(-1)
        self.tables = (reward, prob, idx)
        self.stacked = np.stack(self.beliefs)

    def _find(self, b: np.ndarray, k: int) -> int | None:
        i = self.index.get(_key(b))
        if i is None:
            dist = np.abs(self.stacked - b).max(-1)
            i = int(dist.argmin()) if dist.min() < 1e-9 else None
        return i if i is not None and self.need[i] >= k else None

    def q(self, b: np.ndarray, k: int) -> np.ndarray:
        """`(A1, A2)` Q-values with k >= 1 stages to go (this one included)."""
        i = self._find(b, k)
        if i is None:
            self._require(b, k)
            self._solve()
            i = self.index[_key(b)]
        reward, prob, idx = self.tables
        q = reward[i] + (prob[i] * self.V[k - 1][idx[i]]).sum(-1)
        return q.reshape(self.m.T.shape[:2])


class QMDP:
    """Q_MDP: the state is revealed after every step (looser upper bound than Q_POMDP)."""

    def __init__(self, model: DecPOMDP, horizon: int):
        v = np.zeros(model.b0.shape[0])
        self.qs = [None]
        for _ in range(horizon):
            q = model.R + model.T @ v                                  # (A1, A2, S)
            self.qs.append(q)
            v = q.max((0, 1))

    def q(self, b: np.ndarray, k: int) -> np.ndarray:
        """`(A1, A2)` Q-values with k >= 1 stages to go."""
        return self.qs[k] @ b
