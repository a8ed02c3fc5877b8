"""Dec-POMDP planner: the MADP model, published optimal values, brute force."""

import itertools

import numpy as np
import pytest

from jaxjam.broadcast import decpomdp_optimal_value
from jaxjam.broadcast.decpomdp import (COLLISION_OBS, NO_COLLISION_OBS, SEND, WAIT, DecPOMDP,
                                       broadcast_channel, policy_value, solve)

# masplan.org/optimal_values, broadcast channel, undiscounted (h = 2..4: Hansen et al. 2004).
PUBLISHED = {2: 2.0, 3: 2.99, 4: 3.89, 5: 4.79, 6: 5.69, 7: 6.59, 8: 7.49, 9: 8.39,
             10: 9.29, 15: 13.79, 20: 18.313228, 25: 22.881523, 30: 27.421850,
             50: 45.501604}

S00, S01, S10, S11 = range(4)


def test_model_matches_madp_file():
    m = broadcast_channel()
    assert np.allclose(m.T.sum(-1), 1.0) and np.allclose(m.O.sum((-2, -1)), 1.0)
    # A few lines of problems/broadcastChannel.dpomdp.
    assert np.allclose(m.T[SEND, SEND][:, S10], 0.81) and np.allclose(m.T[SEND, SEND][:, S01], 0.01)
    assert m.T[SEND, WAIT, S10, S01] == pytest.approx(0.01)
    assert m.T[SEND, WAIT, S11, S01] == pytest.approx(0.1)
    assert m.T[WAIT, SEND, S11, S10] == pytest.approx(0.9)
    assert m.T[WAIT, WAIT, S11, S11] == 1.0
    assert m.T[WAIT, WAIT, S00, S10] == pytest.approx(0.81)
    C, N = COLLISION_OBS, NO_COLLISION_OBS
    assert np.allclose(m.O[SEND, SEND, :, C, C], 0.81) and np.allclose(m.O[WAIT, SEND, :, C, C], 0.01)
    assert np.allclose(m.O[SEND, WAIT, :, N, C], 0.09) and np.allclose(m.O[WAIT, WAIT, :, N, N], 0.81)
    assert m.R[SEND, WAIT].tolist() == [0, 0, 1, 1] and m.R[WAIT, SEND].tolist() == [0, 1, 0, 1]
    assert not m.R[SEND, SEND].any() and not m.R[WAIT, WAIT].any()
    assert m.b0.tolist() == [0, 0, 0, 1]


@pytest.mark.parametrize("h", sorted(PUBLISHED))
def test_published_values(h):
    assert round(decpomdp_optimal_value(h), 6) == pytest.approx(PUBLISHED[h], abs=1e-9)


@pytest.mark.parametrize("h", [1, 2, 3, 4, 6])
def test_weaker_heuristic_same_value_and_policy_value(h):
    m = broadcast_channel()
    v, rules, _ = solve(m, h, heuristic="mdp")
    assert v == pytest.approx(decpomdp_optimal_value(h), abs=1e-12)
    assert policy_value(m, rules, h) == pytest.approx(v, abs=1e-12)


def random_model(seed: int, S: int = 3) -> DecPOMDP:
    """Random two-agent model with state-dependent observations (histories do matter)."""
    rng = np.random.default_rng(seed)
    T = rng.dirichlet(np.ones(S), size=(2, 2, S))
    O = rng.dirichlet(0.5 * np.ones(4), size=(2, 2, S)).reshape(2, 2, S, 2, 2)
    R = rng.uniform(-1.0, 1.0, size=(2, 2, S))
    return DecPOMDP(T=T, O=O, R=R, b0=rng.dirichlet(np.ones(S)))


def brute_force(m: DecPOMDP, h: int) -> float:
    """Max over all pairs of deterministic policy trees (2**(2**h - 1) per agent)."""
    trees = np.array(list(itertools.product(range(2), repeat=2 ** h - 1)))   # (N, nodes)
    N, S = len(trees), m.b0.shape[0]
    alpha = np.broadcast_to(m.b0, (N, N, 1, 1, S)).copy()      # P(s, joint obs history)
    total = np.zeros((N, N))
    for t in range(h):
        k = 2 ** t
        a1 = trees[:, k - 1:2 * k - 1][:, None, :, None]           # (N, 1, k, 1)
        a2 = trees[:, k - 1:2 * k - 1][None, :, None, :]           # (1, N, 1, k)
        total += np.einsum("xyijs,xyijs->xy", alpha, m.R[a1, a2])
        nxt = np.einsum("xyijs,xyijst,xyijtab->xyiajbt", alpha, m.T[a1, a2], m.O[a1, a2])
        alpha = nxt.reshape(N, N, 2 * k, 2 * k, S)
    return float(total.max())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_search_equals_brute_force_on_random_models(seed):
    m = random_model(seed)
    for h in (1, 2, 3):
        ref = brute_force(m, h)
        for heuristic in ("pomdp", "mdp"):
            v, rules, _ = solve(m, h, heuristic=heuristic)
            assert v == pytest.approx(ref, abs=1e-10), (h, heuristic)
            assert policy_value(m, rules, h) == pytest.approx(ref, abs=1e-10)


def test_clusters_split_on_informative_observations():
    m = random_model(0)
    _, rules, _ = solve(m, 3)
    assert max(len(r1) + len(r2) for r1, r2, _, _ in rules) > 2


def test_bad_horizon_raises():
    assert decpomdp_optimal_value(0) == 0.0
    with pytest.raises(ValueError, match="horizon must be >= 0"):
        decpomdp_optimal_value(-1)
    with pytest.raises(ValueError, match="heuristic must be"):
        solve(broadcast_channel(), 2, heuristic="qbg")
