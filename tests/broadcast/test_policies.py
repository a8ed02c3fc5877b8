"""Exact Markov-chain throughput vs closed forms, simulation, Table 1 and brute force."""

import itertools

import jax
import numpy as np
import pytest

from jaxjam.broadcast import (make_params, optimal_table, policy_moments, policy_throughput,
                              send_if_message_table, simulate, turn_based_table,
                              turn_based_throughput)
from jaxjam.broadcast.policies import arrival_matrix

# Kooijman's report, Table 1: total throughput of round-robin after 1e6 turns.
TABLE1 = {
    0.1: [100157, 190211, 271604, 344064, 410397],
    0.2: [200015, 360030, 488788, 590683, 672028],
    0.5: [500050, 749407, 875208, 937568, 968696],
    0.7: [699996, 909630, 972937, 991940, 997638],
}


def closed_form_turn_based(p, n, turns):
    """Round-robin successes are independent: turn t succeeds w.p. 1-(1-p)^min(t+1, n)."""
    t = np.arange(turns)
    q = 1.0 - (1.0 - p) ** np.minimum(t + 1, n)
    return q.sum(), (q * (1 - q)).sum()


@pytest.mark.parametrize("p,n,turns", [(0.1, 1, 10), (0.3, 3, 1000), (0.7, 5, 10**6)])
def test_turn_based_exact_matches_closed_form(p, n, turns):
    mean, var = policy_moments(np.full(n, p), turn_based_table(n), turns)
    ref_mean, ref_var = closed_form_turn_based(p, n, turns)
    assert mean.sum() == pytest.approx(ref_mean, rel=1e-10)
    assert var == pytest.approx(ref_var, rel=1e-7)
    assert turn_based_throughput(p, n, turns) == pytest.approx(ref_mean, rel=1e-10)


def test_table1_within_three_sigma():
    for p, row in TABLE1.items():
        for n, reported in enumerate(row, start=1):
            _, var = policy_moments(np.full(n, p), turn_based_table(n), 10**6)
            mean = turn_based_throughput(p, n, 10**6)
            assert abs(reported - mean) < 3.0 * np.sqrt(var), (p, n)


def test_exact_matches_vmapped_simulation():
    p = [0.3, 0.6, 0.8]
    params = make_params(p)
    turns, seeds = 2000, 256
    _, stationary = optimal_table(p, 60)
    for i, table in enumerate([turn_based_table(3), send_if_message_table(3), stationary[:1]]):
        mean, var = policy_moments(p, table, turns)
        totals = np.asarray(simulate(jax.random.PRNGKey(i), params, table, turns, seeds))
        z = (totals.sum(1).mean() - mean.sum()) / np.sqrt(var / seeds)
        assert abs(z) < 4.0, (i, z)
        assert totals.sum(1).var(ddof=1) == pytest.approx(var, rel=0.4)
        per_agent_sd = np.sqrt(totals.var(0, ddof=1) / seeds) + 1e-9
        assert np.all(np.abs(totals.mean(0) - mean) < 5 * per_agent_sd + 1e-9), i


def test_per_agent_vector_and_symmetry():
    vec = policy_throughput(np.full(4, 0.4), send_if_message_table(4), 500)
    assert vec.shape == (4,)
    assert np.allclose(vec, vec[0])
    rr = policy_throughput(np.full(3, 0.4), turn_based_table(3), 300)
    assert rr.sum() == pytest.approx(turn_based_throughput(0.4, 3, 300))


@pytest.mark.parametrize("k", [1, 2])
def test_optimal_dominates_and_is_consistent(k):
    p = [0.3, 0.6, 0.8]
    horizon = 25
    values, table = optimal_table(p, horizon, n_channels=k)
    d0 = arrival_matrix(p)[0]
    best = d0 @ values[0]
    assert policy_throughput(p, table, horizon, n_channels=k).sum() == pytest.approx(best)
    for other in (turn_based_table(3), send_if_message_table(3)):
        assert policy_throughput(p, other, horizon, n_channels=k).sum() <= best + 1e-12


def test_optimal_equals_brute_force_over_deterministic_policies():
    p, horizon = [0.3, 0.7], 3
    arr = arrival_matrix(p)
    choices = [[a for a in range(4) if a & ~s == 0] for s in range(4)]   # senders ⊆ holders
    rules = list(itertools.product(*choices))                           # 16 decision rules
    best = -1.0
    for policy in itertools.product(rules, repeat=horizon):
        d, total = arr[0], 0.0
        for rule in policy:
            nxt = np.zeros(4)
            for s, a in enumerate(rule):
                ok = a in (1, 2)                                        # exactly one sender
                total += d[s] * ok
                nxt += d[s] * arr[s & ~a if ok else s]
            d = nxt
        best = max(best, total)
    values, _ = optimal_table(p, horizon)
    assert arr[0] @ values[0] == pytest.approx(best, abs=1e-12)


def test_bad_input_raises():
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\]"):
        turn_based_throughput(1.5, 2, 10)
    with pytest.raises(ValueError, match="n_agents must be >= 1"):
        turn_based_throughput(0.5, 0, 10)
    with pytest.raises(ValueError, match="horizon must be >= 0"):
        optimal_table([0.5], -1)
    with pytest.raises(ValueError, match="turns must be >= 0"):
        policy_moments([0.5], turn_based_table(1), -3)
    with pytest.raises(ValueError, match="table must have shape"):
        policy_moments([0.5, 0.5], turn_based_table(3), 3)
