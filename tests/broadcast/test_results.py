"""One result type for the Pareto planners: exact and bounded sets both answer `ParetoSets`, and
planning for any priority weights from them matches the scalarised DP solved for those weights."""

import numpy as np
import pytest

from jaxjam.broadcast import ParetoSets, best_action, bounded_pareto, scalarised_dp, solve_pareto

P, H = (0.5, 0.5), 2  # small enough that capacity 16 keeps every bounded vector (exact)
WEIGHTS = np.array([[1.0, 1.0], [1.0, 0.0], [0.2, 1.0], [0.0, 3.0]])


def test_both_planners_return_pareto_sets_that_plan_for_any_weights():
    exact, bounded = solve_pareto(P, H), bounded_pareto(P, H, capacity=16, dtype=np.float64)
    assert isinstance(exact, ParetoSets) and isinstance(bounded, ParetoSets)
    _, values = scalarised_dp(P, WEIGHTS, H, dtype=np.float64)  # [B, S, n] at t = H
    for b, w in enumerate(WEIGHTS):
        for s in range(2 ** len(P)):
            want = float(values[b, s] @ w)
            for sets in (exact, bounded):
                a, v = best_action(sets, w, H, s)
                assert v == pytest.approx(want, abs=1e-9)
                assert v == pytest.approx(float(np.max(sets.V(H, s) @ w)), abs=1e-9)
                assert a == 0 or s & a  # a legal action


def test_bad_weights_and_states_are_refused():
    sets = solve_pareto(P, 1)
    with pytest.raises(ValueError, match="weights must be 2 finite numbers >= 0"):
        best_action(sets, [1.0, -1.0], 1, 0)
    with pytest.raises(ValueError, match="weights must be 2"):
        best_action(sets, [1.0, 1.0, 1.0], 1, 0)
    with pytest.raises(ValueError, match=r"s must lie in \[0, 3\]"):
        best_action(sets, [1.0, 1.0], 1, 4)
