"""Largest horizon of the broadcast-channel Dec-POMDP solved exactly within a time budget.

Runs `solve` (GMAA* + lossless clustering + Q_POMDP) on growing horizons and
prints a markdown table horizon -> optimal value, published value, seconds,
expanded nodes, peak memory. A horizon is attempted only if extrapolating the
last one (time ∝ h^1.5, memory ∝ h; both measured ≈ linear) stays within
`--budget` seconds (default 600) and `--max-gib` GiB of peak RSS (default 4);
the last line names the largest horizon solved and which limit stopped the run.

    PYTHONPATH=. .venv/bin/python benchmarks/decpomdp_horizon.py [--budget 600] [--max-gib 4]
"""

from __future__ import annotations

import argparse
import resource
import time

from jaxjam.broadcast.decpomdp import broadcast_channel, solve

# masplan.org/optimal_values (undiscounted broadcast channel).
PUBLISHED = {2: 2.0, 3: 2.99, 4: 3.89, 5: 4.79, 6: 5.69, 7: 6.59, 8: 7.49, 9: 8.39,
             10: 9.29, 15: 13.79, 20: 18.313228, 25: 22.881523, 30: 27.42185,
             50: 45.501604, 100: 90.760423, 250: 226.500545, 500: 452.738119,
             600: 543.228071, 700: 633.724279, 900: 814.709393}
FIXED = [2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 50, 100, 250, 500, 600, 700, 900, 1000]


def horizons():
    """The published horizons, then x1.5 steps without end (the limits stop them)."""
    yield from FIXED
    h = FIXED[-1]
    while True:
        h = int(round(h * 1.5, -2))
        yield h


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=600.0, help="seconds per horizon")
    ap.add_argument("--max-gib", type=float, default=4.0, help="peak memory limit")
    args = ap.parse_args()
    model = broadcast_channel()
    print("| horizon | optimal value | published | seconds | expanded nodes | peak GiB |")
    print("|---|---|---|---|---|---|")
    last, stop = None, ""
    for h in horizons():
        if last is not None:
            h0, t0, mem0 = last
            if t0 * (h / h0) ** 1.5 > args.budget:
                stop = f"time: h = {h} extrapolates to > {args.budget:.0f} s"
                break
            if mem0 * h / h0 > args.max_gib:
                stop = f"memory: h = {h} extrapolates to > {args.max_gib:.1f} GiB"
                break
        start = time.perf_counter()
        value, _, expanded = solve(model, h)
        seconds = time.perf_counter() - start
        pub = f"{PUBLISHED[h]:.6f}" if h in PUBLISHED else "–"
        print(f"| {h} | {value:.6f} | {pub} | {seconds:.2f} | {expanded} | {peak_gib():.2f} |",
              flush=True)
        last = (h, seconds, peak_gib())
    print(f"\nlargest horizon solved: {last[0]} in {last[1]:.1f} s; stopped by {stop}")


if __name__ == "__main__":
    main()
