"""Exact planning for the two-agent decentralised broadcast-channel Dec-POMDP.

Model: `problems/broadcastChannel.dpomdp` of the MADP toolbox
(github.com/MADPToolbox/MADP), the benchmark of Hansen, Bernstein & Zilberstein
(AAAI 2004). States S00 S01 S10 S11 (`Sab`: a = agent 1 holds a message, b =
agent 2), start S11, actions {send, wait}, observations {Collision,
No-Collision} per agent, undiscounted. As in the file:
  * transitions factor per agent: an agent that sends (alone or in a collision)
    has its buffer emptied and refilled with probability p_i; one that waits keeps
    a message or receives one with probability p_i; p = (0.9, 0.1);
  * observations depend on the joint action only: each agent independently sees
    Collision with probability 0.9 if both sent, 0.1 otherwise;
  * reward 1 iff exactly one agent sends and its buffer is full.
(The file, unlike `channel.py`, loses both messages in a collision.)

Method: GMAA* (Oliehoek, Spaan & Vlassis, JAIR 2008) with lossless clustering
of observation histories (Oliehoek, Whiteson & Spaan, AAMAS 2009). A node is a
partial joint policy for the first t stages, represented by its joint types
(clusters of individual histories, with probability and state belief); its
children fix one more joint decision rule (every map cluster -> action, for
both agents). Priority = value so far + Q_POMDP of the joint-type beliefs, an
admissible upper bound (Q* <= Q_BG <= Q_POMDP), so the first complete policy
popped is optimal. Lossless clustering merges two histories of one agent when
they induce the same distribution over (state, other agent's history); the
optimal value is unchanged (Oliehoek et al. 2009). Beliefs are identified up to
rounding (1e-12 keys, 1e-9 matching; clusters likewise match within 1e-9), so
values are exact to float precision.
In this model observations depend on the joint action only, so clusters always
collapse to one per agent, Q_POMDP is tight and the search expands `h` nodes.

Published optimal values (undiscounted): masplan.org/optimal_values -- 2.000000,
2.990000, 3.890000 for h = 2, 3, 4 (first solved by Hansen et al. 2004), 4.79 (h=5),
..., 9.29 (h=10), 13.79 (h=15), 18.313228 (h=20), 90.760423 (h=100), ...
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools

import numpy as np

from jaxjam.broadcast.limits import as_int
from jaxjam.broadcast.qbounds import QMDP, QPOMDP

MAX_HORIZON = 100_000  # GMAA* with Q_POMDP: time and memory linear in the horizon

SEND, WAIT = 0, 1
COLLISION_OBS, NO_COLLISION_OBS = 0, 1


@dataclasses.dataclass(frozen=True)
class DecPOMDP:
    """Two-agent finite Dec-POMDP, float64.

    T `(A1, A2, S, S)` P(s'|s,a); O `(A1, A2, S, O1, O2)` P(o|a,s'); R `(A1, A2, S)`; b0 `(S,)`.
    """

    T: np.ndarray
    O: np.ndarray
    R: np.ndarray
    b0: np.ndarray


def broadcast_channel(p=(0.9, 0.1), p_collision_obs: float = 0.9,
                      p_false_alarm: float = 0.1) -> DecPOMDP:
    """The MADP `broadcastChannel.dpomdp` model (defaults = the file's numbers).

    State index `2 * a + b` for `Sab` (file order S00, S01, S10, S11).
    """
    full = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], bool)     # (S, agent)
    T = np.zeros((2, 2, 4, 4))
    O = np.zeros((2, 2, 4, 2, 2))
    R = np.zeros((2, 2, 4))
    for a1, a2 in itertools.product((SEND, WAIT), repeat=2):
        acts = (a1, a2)
        for s, s2 in itertools.product(range(4), repeat=2):
            prob = 1.0
            for i in range(2):
                keeps = acts[i] == WAIT and full[s, i]
                p_full = 1.0 if keeps else p[i]
                prob *= p_full if full[s2, i] else 1.0 - p_full
            T[a1, a2, s, s2] = prob
        pc = p_collision_obs if (a1, a2) == (SEND, SEND) else p_false_alarm
        per = np.array([pc, 1.0 - pc])                             # (Collision, No-Collision)
        O[a1, a2] = np.outer(per, per)[None]
        if (a1, a2) != (SEND, SEND) and SEND in acts:
            R[a1, a2] = full[:, acts.index(SEND)]
    b0 = np.array([0.0, 0.0, 0.0, 1.0])
    return DecPOMDP(T=T, O=O, R=R, b0=b0)


@dataclasses.dataclass
class _Node:
    """Partial joint policy for `depth` stages, as joint types over the clusters."""

    depth: int
    g: float
    prob: np.ndarray          # (J,)
    belief: np.ndarray        # (J, S)
    c1: np.ndarray            # (J,) cluster of agent 1
    c2: np.ndarray            # (J,) cluster of agent 2
    n1: int
    n2: int
    parent: "_Node | None" = None
    rule: tuple = ()          # last stage: (rule1 (n1,), rule2 (n2,), map1, map2)

    def rules(self) -> tuple:
        """Per stage `(rule1, rule2, map1, map2)`, root first."""
        out, node = [], self
        while node.parent is not None:
            out.append(node.rule)
            node = node.parent
        return tuple(reversed(out))


def _cluster(raw_self: np.ndarray, raw_other: np.ndarray, prob: np.ndarray,
             belief: np.ndarray, n_raw_other: int, tol: float = 1e-9):
    """Lossless clustering of one agent's raw types -> (cluster per joint type, count, map).

    Two raw types share a cluster when their distributions over (other agent's raw
    type, state) agree within `tol` (max-norm; exact up to floating-point noise).
    """
    S = belief.shape[1]
    reps: list[np.ndarray] = []
    cluster_of_raw = {}
    for r in np.unique(raw_self):
        sel = raw_self == r
        cond = np.zeros((n_raw_other, S))
        np.add.at(cond, raw_other[sel], prob[sel, None] * belief[sel])
        cond /= cond.sum()
        match = [c for c, rep in enumerate(reps) if np.abs(rep - cond).max() < tol]
        if not match:
            reps.append(cond)
        cluster_of_raw[int(r)] = match[0] if match else len(reps) - 1
    return np.array([cluster_of_raw[int(r)] for r in raw_self]), len(reps), cluster_of_raw


def _expand(model: DecPOMDP, node: _Node, rule1: np.ndarray, rule2: np.ndarray) -> _Node:
    """Child node after one more joint decision rule (types clustered losslessly)."""
    a1, a2 = rule1[node.c1], rule2[node.c2]                         # (J,)
    reward = np.einsum("js,js->j", node.belief, model.R[a1, a2])
    pred = np.einsum("js,jst->jt", node.belief, model.T[a1, a2])    # (J, S)
    w = pred[:, :, None, None] * model.O[a1, a2]                    # (J, S, O1, O2)
    n_o1, n_o2 = w.shape[2], w.shape[3]
    po = w.sum(1)                                                   # (J, O1, O2)
    j, o1, o2 = np.nonzero(po > 0)
    prob = node.prob[j] * po[j, o1, o2]
    belief = w[j, :, o1, o2] / po[j, o1, o2][:, None]
    raw1, raw2 = node.c1[j] * n_o1 + o1, node.c2[j] * n_o2 + o2
    c1, n1, map1 = _cluster(raw1, raw2, prob, belief, node.n2 * n_o2)
    c2, n2, map2 = _cluster(raw2, raw1, prob, belief, node.n1 * n_o1)
    joint = c1 * n2 + c2
    uniq, inv = np.unique(joint, return_inverse=True)
    p_merged = np.bincount(inv, weights=prob)
    b_merged = np.zeros((uniq.size, belief.shape[1]))
    np.add.at(b_merged, inv, prob[:, None] * belief)
    b_merged /= p_merged[:, None]
    return _Node(depth=node.depth + 1, g=node.g + float(node.prob @ reward), prob=p_merged,
                 belief=b_merged, c1=uniq // n2, c2=uniq % n2, n1=n1, n2=n2,
                 parent=node, rule=(rule1, rule2, map1, map2))


def _all_rules(n: int, n_actions: int) -> np.ndarray:
    """`(n_actions**n, n)`: every map cluster -> action."""
    return np.array(list(itertools.product(range(n_actions), repeat=n)),
                    np.int64).reshape(-1, n)


def solve(model: DecPOMDP, horizon: int, heuristic: str = "pomdp"):
    """GMAA* with lossless clustering and an admissible heuristic ("pomdp" or "mdp").

    Returns `(value, rules, expanded)`: the optimal expected total reward, the joint
    policy (per stage: agent rules over clusters and the history -> cluster maps) and
    the number of expanded nodes. Priorities are compared on a grid of
    `tie_tol = 1e-15 (h + 1)^2` (a bound on the rounding error accumulated over h
    stages) so that float noise does not break ties between equally good partial
    policies; the value returned is optimal to within `tie_tol`.
    """
    horizon = as_int("horizon", horizon, 0, MAX_HORIZON,
                     "time and memory grow linearly, ~0.7 s and 0.2 GiB at 500")
    root = _Node(depth=0, g=0.0, prob=np.ones(1), belief=model.b0[None, :].astype(float),
                 c1=np.zeros(1, np.int64), c2=np.zeros(1, np.int64), n1=1, n2=1)
    if horizon == 0:
        return 0.0, (), 0
    if heuristic not in ("pomdp", "mdp"):
        raise ValueError(f"heuristic must be 'pomdp' or 'mdp', got {heuristic!r}")
    heur = QPOMDP(model, horizon) if heuristic == "pomdp" else QMDP(model, horizon)
    tie_tol = 1e-15 * (horizon + 1) ** 2
    counter = itertools.count()
    heap = [(0.0, 0, next(counter), root, None)]
    expanded = 0
    while True:
        _, _, _, node, rule = heapq.heappop(heap)
        if rule is not None:                                        # materialise lazily
            node = _expand(model, node, *rule)
        if node.depth == horizon:
            return node.g, node.rules(), expanded
        expanded += 1
        k = horizon - node.depth
        q = np.stack([heur.q(b, k) for b in node.belief])           # (J, A1, A2)
        W = np.zeros((node.n1, node.n2) + model.T.shape[:2])
        np.add.at(W, (node.c1, node.c2), node.prob[:, None, None] * q)
        R1 = _all_rules(node.n1, model.T.shape[0])
        R2 = _all_rules(node.n2, model.T.shape[1])
        i1, i2 = np.arange(node.n1)[:, None], np.arange(node.n2)[None, :]
        for r1 in R1:
            f = node.g + W[i1, i2, r1[:, None], R2[:, None, :]].sum((1, 2))   # (len(R2),)
            for r2, fv in zip(R2, f):
                heapq.heappush(heap, (-round(float(fv) / tie_tol), -(node.depth + 1),
                                      next(counter), node, (r1, r2)))


def decpomdp_optimal_value(horizon: int) -> float:
    """Optimal expected total reward of the MADP broadcast-channel Dec-POMDP over `horizon`."""
    return solve(broadcast_channel(), horizon)[0]


def policy_value(model: DecPOMDP, rules, horizon: int) -> float:
    """Exact value of a clustered joint policy by enumerating joint observation histories."""
    if len(rules) != horizon:
        raise ValueError(f"policy has {len(rules)} stages, horizon is {horizon}")
    total = 0.0
    frontier = [(1.0, model.b0.astype(float), 0, 0)]                # (prob, belief, c1, c2)
    for rule1, rule2, map1, map2 in rules:
        nxt = []
        for pr, b, c1, c2 in frontier:
            a1, a2 = rule1[c1], rule2[c2]
            total += pr * float(b @ model.R[a1, a2])
            pred = b @ model.T[a1, a2]
            n_o1, n_o2 = model.O.shape[3], model.O.shape[4]
            for o1, o2 in itertools.product(range(n_o1), range(n_o2)):
                w = pred * model.O[a1, a2, :, o1, o2]
                if w.sum() > 0:
                    nxt.append((pr * w.sum(), w / w.sum(), map1[c1 * n_o1 + o1],
                                map2[c2 * n_o2 + o2]))
        frontier = nxt
    return total
