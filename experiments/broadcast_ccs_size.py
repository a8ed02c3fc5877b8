"""How large is the convex coverage set of the 5-agent broadcast channel at horizon 100?

    PYTHONPATH=. python experiments/broadcast_ccs_size.py            # ~2 min on a 2-core CPU
    PYTHONPATH=. python experiments/broadcast_ccs_size.py --full     # adds tol = 3e-4, 1e-4 (~15 min)
    PYTHONPATH=. python experiments/broadcast_ccs_size.py --random 10000000   # GPU: random weights only

For each p: the certified tol-approximate CCS (``convex_coverage_set(..., tol)``) for decreasing
tol (size, corners, rounds, seconds), then a lower bound on the size of the exact CCS: the final
corner weights of the smallest-tol run are perturbed at random (relative 1e-6), so that each has a
unique optimal value vector with probability 1, and the distinct optimal vectors (merged when
closer than 1e-6) are counted. Each of them must be in every exact CCS.

``--random N`` gives a second lower bound without any OLS run: the distinct optimal vectors at N
weights drawn uniformly from the simplex (float64 ``vector_dp`` in chunks, on the default
device), reported as N grows: if the count keeps growing with N, the CCS is larger still.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import jax
import jax.numpy as jnp

from jaxjam.broadcast.ccs import convex_coverage_set, corner_weights, value_vectors
from jaxjam.broadcast.dp_kernels import vector_dp

P_RANDOM = tuple(np.round(np.random.default_rng(0).uniform(0.05, 0.95, 5), 2).tolist())
CASES = [(0.5,) * 5, (0.1, 0.3, 0.5, 0.7, 0.9), P_RANDOM]


def exact_lower_bound(p, horizon, vecs, seed=0):
    """Distinct optimal vectors at randomly perturbed corner weights of the envelope of vecs."""
    corners = corner_weights(vecs)[0]
    rng = np.random.default_rng(seed)
    w = corners * (1 + 1e-6 * rng.random(corners.shape)) + 1e-9 * rng.random(corners.shape)
    v = value_vectors(p, w / w.sum(axis=1, keepdims=True), horizon)
    return len(np.unique(np.round(v, 6), axis=0)), len(corners)


def random_weights_lower_bound(p, horizon, n_weights, chunk=1 << 16, seed=0):
    """[(weights so far, distinct optimal vectors so far, seconds)] at each doubling of the count."""
    rng, seen, out, t0 = np.random.default_rng(seed), set(), [], time.perf_counter()
    max_len = max(16, 1 << int(horizon).bit_length())
    with jax.enable_x64(True):
        pj, tt, h = jnp.asarray(p), jnp.asarray(1e-11), jnp.asarray(horizon, jnp.int32)
        done, report = 0, chunk
        while done < n_weights:
            w = rng.dirichlet(np.ones(len(p)), chunk)
            v = np.asarray(vector_dp(pj, jnp.asarray(w), h, tt, 0, max_len))
            seen.update(map(tuple, np.unique(np.round(v, 6), axis=0).tolist()))
            done += chunk
            if done >= report or done >= n_weights:
                out.append((done, len(seen), time.perf_counter() - t0))
                print(f"  {p}: {done:,} weights, {len(seen):,} distinct vectors, "
                      f"{time.perf_counter() - t0:.0f} s", flush=True)
                report *= 2
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="also tol = 3e-4 and 1e-4")
    ap.add_argument("--horizon", type=int, default=100)
    ap.add_argument("--random", type=int, default=0, metavar="N",
                    help="only the random-weights lower bound with N weights per p")
    args = ap.parse_args()
    if args.random:
        print(f"device: {jax.devices()[0]}")
        rows = [(p, r) for p in CASES[1:] for r in random_weights_lower_bound(p, args.horizon, args.random)]
        print("\n| p | uniform random weights | distinct optimal vectors (exact CCS >= this) | seconds |")
        print("|---|---|---|---|")
        for p, (n, k, dt) in rows:
            print(f"| {p} | {n:,} | {k:,} | {dt:.0f} |")
        return
    tols = [1e-1, 3e-2, 1e-2, 3e-3, 1e-3] + ([3e-4, 1e-4] if args.full else [])
    print("| p | tol | CCS vectors | final corners | OLS rounds | seconds |")
    print("|---|---|---|---|---|---|")
    bounds = []
    for p in CASES:
        for tol in tols if len(set(p)) > 1 else [1e-9]:
            t0 = time.perf_counter()
            try:
                v, _, info = convex_coverage_set(p, args.horizon, tol=tol, return_info=True)
            except RuntimeError as e:  # too many corners
                print(f"| {p} | {tol:g} | – | – | – | {time.perf_counter() - t0:.1f}: {e} |", flush=True)
                break
            vecs, last = v, tol
            print(f"| {p} | {tol:g} | {len(vecs):,} | {info['corners'][-1]:,} | {info['rounds']} "
                  f"| {time.perf_counter() - t0:.1f} |", flush=True)
        t0 = time.perf_counter()
        lb, m = exact_lower_bound(p, args.horizon, vecs)
        bounds.append((p, last, m, lb, time.perf_counter() - t0))
    print("\n| p | perturbed corners of the tol run | tol | distinct optimal vectors (exact CCS >= this) | seconds |")
    print("|---|---|---|---|---|")
    for p, tol, m, lb, dt in bounds:
        print(f"| {p} | {m:,} | {tol:g} | {lb:,} | {dt:.1f} |")


if __name__ == "__main__":
    main()
