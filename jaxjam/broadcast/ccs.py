"""Convex coverage set (CCS) of the multi-objective broadcast-channel planning problem.

Batched Optimistic Linear Support (OLS). The CCS is kept as the upper envelope
``max_v w·v`` over the weight simplex; its vertices ("corners", from scipy/qhull
``HalfspaceIntersection``) are where the optimal scalarised value can exceed the envelope.
Each round

* solves the scalarised problem (scalar value only) at every corner not checked before: only
  corners incident to a vector added in the previous round are new;
* computes optimal value vectors at the open corners (gain > ``tol``) and keeps a greedy subset
  that leaves every open corner within ``tol`` (corners by decreasing gain);
* updates the corners locally: only the region where a new vector beats the envelope changes,
  so only the new vectors and the old vectors at the corners in that region go through qhull;
* drops vectors at no corner (they never exceed the envelope of the others).

It stops when no corner is open: the optimal scalarised value is convex in w and the envelope is
linear between corners, so the envelope is then within ``tol`` of the optimum for every weight.

The scalarised solvers are the float64 kernels of ``jaxjam.broadcast.dp_kernels`` (scalar values
for the checks, value vectors from the start state for the open corners). Batches run in
fixed-size chunks (one compiled shape) on a small thread pool.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from jaxjam.broadcast.corners import (_add_vectors, _envelope, _greedy_cover, _grid_unique,
                                      corner_weights)
from jaxjam.broadcast.dp_kernels import scalar_dp, vector_dp
from jaxjam.broadcast.model import check_weights, validate

CHUNK_SCALAR, CHUNK_VECTOR = 512, 256  # weights per DP call (cache-sized; one compiled shape)
TIE_TOL = 1e-11  # near-ties in w·Q go to the larger total; the policy loses <= (horizon+1)·TIE_TOL


_POOL: ThreadPoolExecutor | None = None


def _run_batched(fn, w: np.ndarray, chunk: int) -> np.ndarray:
    """Concatenated fn(w_chunk) [m, ..] over chunks of ``chunk`` weights (the last one padded, so
    one shape is compiled); chunks run on a small thread pool (XLA CPU runs one small computation
    per thread, so this uses the cores)."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max(1, min(4, os.cpu_count() or 1)))

    def one(i):
        wc = w[i:i + chunk]
        m = len(wc)
        with jax.enable_x64(True):
            return np.asarray(fn(jnp.asarray(np.concatenate([wc, np.repeat(wc[:1], chunk - m, axis=0)]))))[:m]

    return np.concatenate(list(_POOL.map(one, range(0, len(w), chunk))))


def _check(p, weights, horizon: int, s: int) -> tuple[np.ndarray, np.ndarray]:
    p = validate(p, horizon)
    n = len(p)
    if not 0 <= s < 2**n:
        raise ValueError(f"s must lie in [0, {2**n - 1}], got {s}")
    return p, check_weights(weights, n)


def scalar_values(p, weights, horizon: int, s: int = 0) -> np.ndarray:
    """Optimal scalarised values [B] = max over policies of w·V(horizon, s) (float64), weights [B, n]."""
    p, w = _check(p, weights, horizon, s)
    if not len(w):
        return np.zeros(0)
    with jax.enable_x64(True):
        pj = jnp.asarray(p)
        h = jnp.asarray(int(horizon), jnp.int32)
    return _run_batched(lambda wc: scalar_dp(pj, wc, h)[s], w, CHUNK_SCALAR)


def value_vectors(p, weights, horizon: int, s: int = 0, tie_tol: float = TIE_TOL) -> np.ndarray:
    """Value vectors [B, n] at (horizon, s) of scalarised-optimal policies for weights [B, n]
    (float64; near-ties in w·Q within ``tie_tol`` go to the largest total throughput)."""
    p, w = _check(p, weights, horizon, s)
    if not len(w):
        return np.zeros((0, len(p)))
    with jax.enable_x64(True):
        pj, tt, h = jnp.asarray(p), jnp.asarray(tie_tol, jnp.float64), jnp.asarray(int(horizon), jnp.int32)
    max_len = max(16, 1 << int(horizon).bit_length())  # decision buffer: one compile per power of 2
    return _run_batched(lambda wc: vector_dp(pj, wc, h, tt, s, max_len), w, CHUNK_VECTOR)


def convex_coverage_set(p, horizon: int, s: int = 0, tol: float = 1e-9, max_iter: int = 100,
                        max_corners: int = 2_000_000, return_info: bool = False, verbose=False):
    """Convex coverage set of V(horizon, s) by batched Optimistic Linear Support.

    p [n], start state s. Returns (vectors [k, n], weights [k, n]): each vector is the value
    vector of a policy optimal (to (horizon+1)·1e-11) for its weight, near-ties in w·v going to
    the largest total throughput. Every w in the simplex has max_k w·vectors[k] >= max over
    policies of w·V(horizon, s) - tol, checked at all corners of the final envelope (enough, as
    the optimal scalarised value is convex in w and the envelope linear between corners).
    Vectors at no corner of the envelope are dropped.

    ``tol`` = 1e-9 is the exact CCS up to float64 rounding. For generic p with several agents the
    exact CCS is huge (5 agents, horizon 100: tens of thousands of vectors or more, see
    docs/broadcast-planner.md); a larger ``tol`` gives a certified ``tol``-approximate CCS with
    far fewer vectors. RuntimeError when the envelope has more than ``max_corners`` corners.

    With ``return_info`` a third value, a dict: rounds, corners / checked corners / added vectors
    per round, scalar_solves, vector_solves, seconds per phase, qhull options used and max_gain
    (the largest gain left at a corner checked in the last round; <= tol unless a near-tie
    policy falls short). ``verbose``: print one line per round (or pass it to a callable).
    """
    p = validate(p, horizon)
    n = len(p)
    if not 0 <= s < 2**n:
        raise ValueError(f"s must lie in [0, {2**n - 1}], got {s}")
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol}")
    info = {"rounds": 0, "corners": [], "checked": [], "added": [], "vector_solves": 0,
            "qhull_options": set(), "seconds": {"scalar_dp": 0.0, "vector_dp": 0.0, "corners": 0.0}}

    def timed(key, fn, *a):
        t0 = time.perf_counter()
        out = fn(*a)
        info["seconds"][key] += time.perf_counter() - t0
        return out

    def finish(vecs, wts):
        info["qhull_options"] = sorted(info["qhull_options"])
        info["scalar_solves"] = sum(info["checked"])
        return (vecs, wts, info) if return_info else (vecs, wts)

    t_start = time.perf_counter()
    log = verbose if callable(verbose) else partial(print, flush=True)
    wts = np.concatenate([np.eye(n), np.full((1, n), 1.0 / n)])
    vecs = timed("vector_dp", value_vectors, p, wts, horizon, s)
    info["vector_solves"] += len(wts)
    keep = _grid_unique(vecs, tol / 2)
    vecs, wts = vecs[keep], wts[keep]
    if n == 1:
        info["max_gain"] = 0.0
        return finish(vecs[:1], wts[:1])
    corners, ci, vi, opts = timed("corners", corner_weights, vecs)
    fresh = np.ones(len(corners), bool)  # corners not checked in an earlier round
    for _ in range(max_iter):
        info["rounds"] += 1
        info["qhull_options"].add(opts)
        if len(corners) > max_corners:
            raise RuntimeError(f"the envelope has {len(corners)} > max_corners={max_corners} corners "
                               f"({len(vecs)} vectors); pass a larger tol for a certified approximation")
        used = np.unique(vi)  # drop vectors at no corner
        vecs, wts, vi = vecs[used], wts[used], np.searchsorted(used, vi)
        info["corners"].append(len(corners))
        info["checked"].append(int(fresh.sum()))
        best = timed("scalar_dp", scalar_values, p, corners[fresh], horizon, s)
        env = _envelope(corners, ci, vi, vecs)[fresh]
        gain = best - env
        info["max_gain"] = float(gain.max())
        open_ = gain > tol
        if verbose:
            log(f"OLS round {info['rounds']}: {len(vecs)} vectors, {len(corners)} corners, {len(gain)} checked, "
                f"{int(open_.sum())} open, max gain {gain.max():.3g}, {time.perf_counter() - t_start:.1f} s")
        new_w = corners[fresh][open_]
        new_v = timed("vector_dp", value_vectors, p, new_w, horizon, s)
        info["vector_solves"] += len(new_w)
        # vectors needed to bring every open corner within tol (a policy chosen with near-ties
        # may fall short of the scalar optimum by (horizon+1)·TIE_TOL: such corners count closed)
        keep = _greedy_cover(new_w, new_v, best[open_], env[open_], tol)
        info["added"].append(len(keep))
        if not len(keep):
            return finish(vecs, wts)
        k_old = len(vecs)
        vecs, wts = np.concatenate([vecs, new_v[keep]]), np.concatenate([wts, new_w[keep]])
        corners, ci, vi, fresh, opts = timed("corners", _add_vectors, vecs, k_old, corners, ci, vi)
    raise RuntimeError(f"OLS did not converge in max_iter={max_iter} rounds")
