"""Exact set DP, baseline port, scalarised DP, CCS, weight switching, bounded sets, input checks."""

import itertools

import jax
import numpy as np
import pytest

from benchmarks.baseline_numpy import as_array, solve_pareto_baseline  # the benchmark's baseline port
from jaxjam.broadcast.bounded import bounded_pareto
from jaxjam.broadcast.model import actions, transition_matrix
from jaxjam.broadcast.pareto import additive_epsilon, pareto_filter
from jaxjam.broadcast.planner import solve_pareto
from jaxjam.broadcast.scalarised import (convex_coverage_set, evaluate_policy, scalarised_dp,
                                         simulate_policy, switching_policy)

# Table 2 of the report (s=(e,e), p=(.1 .3 .8), t=2), columns as printed.
TABLE2 = [(0, .1, 1.9), (0, 1, 1), (0, 1.7, .3), (.1, 0, 1.9), (.1, .9, 1), (.3, 1, .7), (.3, 1.7, 0),
          (.7, 1, .3), (.9, .1, 1), (1, 0, 1), (1, .2, .8), (1, .8, .2), (1, 1, 0), (1.2, 0, .8), (1.2, .8, 0)]


def as_set(x, digits=9):
    return {tuple(np.round(r, digits)) for r in np.asarray(x, float)}


def test_table2_front():
    # Column j is the agent with report probability (.8, .3, .1)[j]; its refill probability is
    # 1 - p (Algorithm 4 as printed); all buffers full; two remaining steps (t = 1 here).
    sol = solve_pareto([1 - 0.8, 1 - 0.3, 1 - 0.1], 1)
    assert as_set(sol.V(1, 0b111)) == as_set(TABLE2)


def test_report_sizes_small():
    assert solve_pareto((0.5, 0.5), 4).sizes()["V"] == [5, 9, 34, 162, 786]
    assert solve_pareto((0.5, 0.5, 0.5), 1).sizes()["V"] == [13, 105]


def markov_policies(n, horizon):
    S = 2**n
    per_state = [list(range(len(actions(s, n)))) for s in range(S)]  # action indices, idle first
    per_t = list(itertools.product(*per_state))
    index = [[0] + [i + 1 for i in range(n) if s >> i & 1] for s in range(S)]
    for combo in itertools.product(per_t, repeat=horizon + 1):
        yield np.array([[index[s][c[s]] for s in range(S)] for c in combo])


@pytest.mark.parametrize("p,horizon", [((0.1, 0.3), 1), ((0.2, 0.6), 2)])
def test_markov_policies_dominated_by_V(p, horizon):
    sol = solve_pareto(p, horizon)
    vals = np.stack([evaluate_policy(p, pol)[-1] for pol in markov_policies(len(p), horizon)])  # [P, S, n]
    for s in range(2 ** len(p)):
        V = sol.V(horizon, s)
        covered = np.all(V[None, :, :] >= vals[:, s, None, :] - 1e-12, axis=2).any(axis=1)
        assert covered.all()
        if horizon == 1:  # one step of look-ahead: Markov policies are all deterministic policies
            assert as_set(pareto_filter(np.round(vals[:, s], 9))) == as_set(V)


def test_three_agents_one_step_all_policies():
    # every first action a from s combined with every t=0 Markov policy (all 1728 of them)
    p = (0.5, 0.2, 0.7)
    sol, T = solve_pareto(p, 1), transition_matrix(np.array(p))
    rewards = np.concatenate([np.zeros((1, 3)), np.eye(3)])
    last = np.stack([rewards[pol[0]] for pol in markov_policies(3, 0)])  # [P, S, n]
    for s in range(8):
        vals = np.concatenate([(a > 0) * np.eye(3)[max(a.bit_length() - 1, 0)] + np.einsum("k,pkn->pn", T[s ^ a], last)
                               for a in actions(s, 3)])
        assert as_set(pareto_filter(np.round(vals, 9))) == as_set(sol.V(1, s))


@pytest.mark.parametrize("p,horizon", [((0.1, 0.3), 2), ((0.5, 0.5, 0.5), 1)])
def test_V_is_front_of_all_deterministic_values(p, horizon):
    # without pruning the DP enumerates the values of all deterministic (history-dependent) policies
    full, pruned = solve_pareto(p, horizon, prune=False), solve_pareto(p, horizon)
    for s in range(2 ** len(p)):
        assert as_set(pareto_filter(full.v_int[horizon][s])) == as_set(pruned.v_int[horizon][s])
        for a in actions(s, len(p)):
            assert as_set(pareto_filter(full.Q_int(horizon, s, a))) == as_set(pruned.Q_int(horizon, s, a))


def test_baseline_agrees():
    _, V = solve_pareto_baseline((0.5, 0.5), 3)
    sol = solve_pareto((0.5, 0.5), 3)
    for s in range(4):
        assert as_set(as_array(V[3][s])) == as_set(sol.V(3, s))
    _, V = solve_pareto_baseline((0.1, 0.3), 2)
    sol = solve_pareto((0.1, 0.3), 2)
    for s in range(4):  # float near-duplicates: the baseline keeps at least the exact vectors
        assert as_set(as_array(V[2][s])) >= as_set(sol.V(2, s)) and len(V[2][s]) >= len(sol.V(2, s))


@pytest.mark.parametrize("p,horizon", [((0.1, 0.3), 3), ((0.2, 0.6, 0.5), 1), ((0.5, 0.5, 0.5), 2)])
def test_scalarisation_identity(p, horizon):
    sol = solve_pareto(p, horizon)
    w = np.random.default_rng(0).random((64, len(p)))
    _, v = scalarised_dp(p, w, horizon, np.float64)
    for s in range(2 ** len(p)):
        best = (sol.V(horizon, s) @ w.T).max(axis=0)
        np.testing.assert_allclose(np.einsum("bn,bn->b", v[:, s], w), best, rtol=0, atol=1e-12)


def test_policy_evaluation_matches_dp_and_float32():
    p, w = (0.3, 0.6, 0.2), np.random.default_rng(1).random((8, 3))
    pol, v = scalarised_dp(p, w, 6, np.float64)
    for b in range(8):
        np.testing.assert_allclose(evaluate_policy(p, pol[b])[-1], v[b], atol=1e-12)
    _, v32 = scalarised_dp(p, w, 6)
    np.testing.assert_allclose(v32, v, atol=1e-4)


@pytest.mark.parametrize("p,horizon", [((0.1, 0.3), 3), ((0.1, 0.2, 0.3), 1)])
def test_ccs_subset_of_front_and_covers_weights(p, horizon):
    sol = solve_pareto(p, horizon)
    vecs, ws = convex_coverage_set(p, horizon)
    V = sol.V(horizon, 0)
    assert np.abs(V[None] - vecs[:, None]).max(axis=2).min(axis=1).max() < 1e-9
    np.testing.assert_allclose(np.einsum("kn,kn->k", vecs, ws), (V @ ws.T).max(axis=0), atol=1e-9)  # optimal at its weight
    w = np.random.default_rng(2).random((200, len(p)))
    np.testing.assert_allclose((vecs @ w.T).max(axis=0), (V @ w.T).max(axis=0), atol=1e-9)
    assert len(vecs) < len(V)


def test_switching_policy_exact_and_simulated():
    p, horizon = (0.4, 0.4), 20
    pol = switching_policy(p, np.array([1.0, 0.1]), np.array([0.1, 1.0]), horizon, switch_step=10)
    exact = evaluate_policy(p, pol)[-1, 0]
    before = evaluate_policy(p, switching_policy(p, np.array([1.0, 0.1]), np.array([1.0, 0.1]), horizon, 10))[-1, 0]
    assert exact[1] > before[1] and exact[0] < before[0]  # the alarm raises agent 1's throughput
    sim = simulate_policy(jax.random.key(0), p, pol, n_episodes=4000)
    se = sim.std(axis=0) / np.sqrt(len(sim))
    assert np.all(np.abs(sim.mean(axis=0) - exact) < 5 * se)


def test_bounded_epsilon_guarantee_and_capacity():
    p, horizon = (0.1, 0.3), 3
    sol = solve_pareto(p, horizon)
    b = bounded_pareto(p, horizon, capacity=8, dtype=np.float64)
    assert b.v_mask.sum(axis=-1).max() <= 8 and b.w_mask.sum(axis=-1).max() <= 8
    for t in range(horizon + 1):
        for s in range(4):
            assert additive_epsilon(sol.V(t, s), b.V(t, s)) <= b.v_eps[t, s] + 1e-12
            for a in actions(s, 2):
                assert additive_epsilon(sol.Q(t, s, a), b.Q(t, s, a)) <= b.w_eps[t, s ^ a] + 1e-12
            # kept vectors are achievable: weakly dominated by the exact front
            assert np.all(np.all(sol.V(t, s)[None] >= b.V(t, s)[:, None] - 1e-12, axis=2).any(axis=1))


def test_bounded_exact_when_capacity_suffices():
    p = (0.5, 0.5)
    sol, b = solve_pareto(p, 2), bounded_pareto(p, 2, capacity=16, dtype=np.float64)
    for s in range(4):
        assert as_set(b.V(2, s)) == as_set(sol.V(2, s)) and b.v_eps[2, s] <= 1e-10


@pytest.mark.parametrize("call,match", [
    (lambda: solve_pareto([0.5, 1.2], 2), r"p values must lie in \[0, 1\]"),
    (lambda: solve_pareto([], 2), r"n = len\(p\) must be >= 1"),
    (lambda: solve_pareto([0.5], -1), r"horizon must be an integer >= 0"),
    (lambda: solve_pareto([0.5] * 6, 1), r"must be <= 5"),
    (lambda: solve_pareto([0.1, 0.3], 9), r"too large for exact int64"),
    (lambda: solve_pareto([1 / 3 + 1e-7], 1), r"not a fraction"),
    (lambda: bounded_pareto([0.5] * 9, 1), r"must be <= 8"),
    (lambda: bounded_pareto([0.5], 1, capacity=0), r"capacity must be an integer >= 1"),
    (lambda: scalarised_dp([0.5, 0.5], np.ones((3, 3)), 2), r"weights must have shape"),
    (lambda: scalarised_dp([0.5, -0.1], np.ones((3, 2)), 2), r"p values"),
    (lambda: convex_coverage_set([0.5, 0.5], 2, s=4), r"s must lie in"),
    (lambda: solve_pareto([0.5], 1).V(2, 0), r"t must lie in"),
    (lambda: solve_pareto([0.5, 0.5], 1).Q(1, 1, 2), r"not legal"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_transition_rows_sum_to_one():
    T = transition_matrix(np.array([0.1, 0.7, 0.4]))
    np.testing.assert_allclose(T.sum(axis=1), 1.0)
    assert np.all(T[np.arange(8)[:, None] & ~np.arange(8)[None, :] != 0] == 0)  # buffers never empty by arrivals
