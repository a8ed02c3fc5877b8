"""Reproduce Table 1 of Kooijman's report (round-robin throughput after 1e6 turns).

For every cell: the report's number, the exact expectation and standard deviation
of the total from the policy's Markov chain (`policy_moments`: float64, exact
additive-functional variance, no sampling), one simulated run of 1e6 turns
(`simulate`, one seed per cell) and the report's deviation from the exact mean in
standard deviations. A second table compares the exact expected totals of
round-robin, "send if you have a message" and the optimal stationary rule (the
finite-horizon DP's first rule at 200 turns to go), with the DP's bounds
min/max_s [V_200(s) - V_199(s)] on the optimal average throughput per turn.
Prints markdown.

    PYTHONPATH=. .venv/bin/python experiments/broadcast_table1.py [--turns 1000000] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import jax
import numpy as np

from jaxjam.broadcast import (make_params, optimal_table, policy_moments, policy_throughput,
                              send_if_message_table, simulate, turn_based_table)

P_VALUES = (0.1, 0.2, 0.5, 0.7)
TABLE1 = {
    0.1: (100157, 190211, 271604, 344064, 410397),
    0.2: (200015, 360030, 488788, 590683, 672028),
    0.5: (500050, 749407, 875208, 937568, 968696),
    0.7: (699996, 909630, 972937, 991940, 997638),
}


def simulated_totals(turns: int, seed: int) -> np.ndarray:
    """One run per cell, `(len(P_VALUES), 5)` totals, all cells in one vmapped call.

    Every cell runs on a 5-agent channel whose agents >= n have p = 0 (they never
    hold a message) with the round-robin table of period 60 = lcm(1..5), which at
    turn t lets agent t mod n send: the same process as the n-agent channel.
    """
    cells = [(p, n) for p in P_VALUES for n in range(1, 6)]
    p = np.array([[p] * n + [0.0] * (5 - n) for p, n in cells], np.float32)
    t, s = np.arange(60)[:, None], np.arange(32)[None, :]
    tables = np.stack([s & (1 << (t % n)) for _, n in cells]).astype(np.int32)
    params = jax.vmap(lambda q: make_params(np.zeros(5)).replace(p=q))(p)
    keys = jax.random.split(jax.random.PRNGKey(seed), len(cells))
    run = jax.vmap(simulate, in_axes=(0, 0, 0, None, None))
    totals = np.asarray(run(keys, params, tables, turns, 1)).sum(-1)[:, 0]
    return totals.reshape(len(P_VALUES), 5)


def policy_table(turns: int) -> None:
    """Exact expected totals of three policies (K = 1, equal p, empty start buffers)."""
    print("\n| p | agents | round-robin | send if message | optimal stationary "
          "| optimal gain per turn (DP bounds) |")
    print("|---|---|---|---|---|---|")
    for p in P_VALUES:
        for n in range(1, 6):
            ps = np.full(n, p)
            values, table = optimal_table(ps, 200)
            gap = values[0] - values[1]
            totals = [policy_throughput(ps, tab, turns).sum()
                      for tab in (turn_based_table(n), send_if_message_table(n), table[:1])]
            print(f"| {p} | {n} | " + " | ".join(f"{x:.2f}" for x in totals)
                  + f" | [{gap.min():.6f}, {gap.max():.6f}] |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.perf_counter()
    sims = simulated_totals(args.turns, args.seed)
    t_sim = time.perf_counter() - t0
    print("| p | agents | report | exact mean | exact σ | simulated (1 seed) "
          "| (report − exact)/σ | (sim − exact)/σ |")
    print("|---|---|---|---|---|---|---|---|")
    z_report = []
    for i, p in enumerate(P_VALUES):
        for n in range(1, 6):
            mean, var = policy_moments(np.full(n, p), turn_based_table(n), args.turns)
            mu, sd = mean.sum(), np.sqrt(var)
            rep, sim = TABLE1[p][n - 1], sims[i, n - 1]
            z_report.append((rep - mu) / sd)
            print(f"| {p} | {n} | {rep} | {mu:.2f} | {sd:.2f} | {sim} "
                  f"| {(rep - mu) / sd:+.2f} | {(sim - mu) / sd:+.2f} |")
    policy_table(args.turns)
    z = np.asarray(z_report)
    print(f"\nreport vs exact: max |z| = {np.abs(z).max():.2f}, "
          f"sum z^2 = {np.sum(z ** 2):.2f} (chi-square, 20 dof: 95% quantile 31.4)")
    print(f"simulation: {5 * len(P_VALUES) * args.turns / t_sim / 1e6:.2f} M turns/s "
          f"including compilation ({t_sim:.1f} s); total {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
