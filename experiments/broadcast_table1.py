"""Reproduce Table 1 of Kooijman's report (round-robin throughput after 1e6 turns).

For every cell: the report's number, the exact expectation and standard deviation
of the total from the policy's Markov chain (`policy_moments`: float64, exact
additive-functional variance, no sampling), one simulated run of 1e6 turns
(`simulate`, one seed per cell) and the report's deviation from the exact mean in
standard deviations. Prints a markdown table.

    PYTHONPATH=. .venv/bin/python experiments/broadcast_table1.py [--turns 1000000] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import jax
import numpy as np

from jaxjam.broadcast import make_params, policy_moments, simulate, turn_based_table

P_VALUES = (0.1, 0.2, 0.5, 0.7)
TABLE1 = {
    0.1: (100157, 190211, 271604, 344064, 410397),
    0.2: (200015, 360030, 488788, 590683, 672028),
    0.5: (500050, 749407, 875208, 937568, 968696),
    0.7: (699996, 909630, 972937, 991940, 997638),
}


def simulated_totals(n: int, turns: int, seed: int) -> np.ndarray:
    """One run per p value (vmapped over p), `(len(P_VALUES),)` totals."""
    params = jax.vmap(lambda p: make_params(0.5, n_agents=n).replace(p=p))(
        np.repeat(np.asarray(P_VALUES, np.float32)[:, None], n, axis=1))
    keys = jax.random.split(jax.random.PRNGKey(seed), len(P_VALUES))
    run = jax.vmap(simulate, in_axes=(0, 0, None, None, None))
    return np.asarray(run(keys, params, turn_based_table(n), turns, 1)).sum(-1)[:, 0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.perf_counter()
    sims = {n: simulated_totals(n, args.turns, args.seed + n) for n in range(1, 6)}
    t_sim = time.perf_counter() - t0
    print("| p | agents | report | exact mean | exact σ | simulated (1 seed) "
          "| (report − exact)/σ | (sim − exact)/σ |")
    print("|---|---|---|---|---|---|---|---|")
    z_report = []
    for i, p in enumerate(P_VALUES):
        for n in range(1, 6):
            mean, var = policy_moments(np.full(n, p), turn_based_table(n), args.turns)
            mu, sd = mean.sum(), np.sqrt(var)
            rep, sim = TABLE1[p][n - 1], sims[n][i]
            z_report.append((rep - mu) / sd)
            print(f"| {p} | {n} | {rep} | {mu:.2f} | {sd:.2f} | {sim} "
                  f"| {(rep - mu) / sd:+.2f} | {(sim - mu) / sd:+.2f} |")
    z = np.asarray(z_report)
    print(f"\nreport vs exact: max |z| = {np.abs(z).max():.2f}, "
          f"sum z^2 = {np.sum(z ** 2):.2f} (chi-square, 20 dof: 95% quantile 31.4)")
    print(f"simulation: {5 * len(P_VALUES) * args.turns / t_sim / 1e6:.2f} M turns/s "
          f"including compilation ({t_sim:.1f} s); total {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
