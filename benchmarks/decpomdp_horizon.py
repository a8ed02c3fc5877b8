"""Largest horizon of the broadcast-channel Dec-POMDP solved exactly within a time budget.

Runs `solve` (GMAA* + lossless clustering + Q_POMDP) on growing horizons and
prints a markdown table horizon -> optimal value, published value, seconds,
expanded nodes. The next horizon is attempted only if a cubic extrapolation of
the last time fits in the budget left, so the last row is the largest horizon
solved within `--budget` seconds of wall time (default 600 s).

    PYTHONPATH=. .venv/bin/python benchmarks/decpomdp_horizon.py [--budget 600]
"""

from __future__ import annotations

import argparse
import time

from jaxjam.broadcast.decpomdp import broadcast_channel, solve

# masplan.org/optimal_values (undiscounted broadcast channel).
PUBLISHED = {2: 2.0, 3: 2.99, 4: 3.89, 5: 4.79, 6: 5.69, 7: 6.59, 8: 7.49, 9: 8.39,
             10: 9.29, 15: 13.79, 20: 18.313228, 25: 22.881523, 30: 27.42185,
             50: 45.501604, 100: 90.760423, 250: 226.500545, 500: 452.738119,
             600: 543.228071, 700: 633.724279, 900: 814.709393}
HORIZONS = [2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 50, 100, 250, 500, 600, 700, 900,
            1000, 1500, 2000, 3000]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=600.0, help="seconds per horizon")
    args = ap.parse_args()
    model = broadcast_channel()
    print("| horizon | optimal value | published | seconds | expanded nodes |")
    print("|---|---|---|---|---|")
    last_h, last_t = None, 0.0
    for h in HORIZONS:
        if last_h is not None and last_t * (h / last_h) ** 3 > args.budget:
            break
        t0 = time.perf_counter()
        value, _, expanded = solve(model, h)
        last_h, last_t = h, time.perf_counter() - t0
        pub = f"{PUBLISHED[h]:.6f}" if h in PUBLISHED else "–"
        print(f"| {h} | {value:.6f} | {pub} | {last_t:.2f} | {expanded} |", flush=True)
        if last_t > args.budget:
            break
    print(f"\nlargest horizon attempted: {last_h} ({last_t:.1f} s, budget {args.budget:.0f} s)")


if __name__ == "__main__":
    main()
