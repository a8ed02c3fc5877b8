"""Pareto filtering: exact NumPy filters, Minkowski fronts, a fixed-capacity JAX pruner, metrics.

Convention: all objectives are maximised. A row ``u`` weakly dominates ``v`` when
``u >= v`` componentwise; the Pareto set of ``X`` is the set of distinct rows not
weakly dominated by any *other distinct* row (exact duplicates are kept once).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from scipy.signal import fftconvolve

_CHUNK = 4_000_000  # candidate rows materialised at once by ``minkowski_front``
_GRID = 1 << 24  # largest lattice grid used by the FFT sumset


def _unique_lex_desc(x: np.ndarray) -> np.ndarray:
    """Distinct rows of ``x`` [k, n], sorted lexicographically in descending order."""
    if len(x) <= 1:
        return x.copy()
    order = np.lexsort(tuple(-x[:, i] for i in range(x.shape[1] - 1, -1, -1)))
    x = x[order]
    keep = np.ones(len(x), bool)
    keep[1:] = np.any(x[1:] != x[:-1], axis=1)
    return x[keep]


def _filter_2d(x: np.ndarray) -> np.ndarray:
    """Sort-based 2-D filter, O(k log k); ``x`` distinct rows in lexicographic descending order."""
    prev_max = np.maximum.accumulate(x[:, 1])
    keep = np.ones(len(x), bool)
    keep[1:] = x[1:, 1] > prev_max[:-1]
    return x[keep]


def _filter_3d(x: np.ndarray) -> np.ndarray:
    """Divide-and-conquer 3-D filter, O(k log^2 k), vectorised level by level.

    With rows distinct and sorted lexicographically descending, a dominator of row j
    precedes j. At each level, rows of the right half of a segment query the left half
    (whose x is >= theirs) for a row with y >= y_j and z >= z_j via a segmented running
    max of z over rows ordered by descending y.
    """
    k = len(x)
    idx = np.arange(k)
    y = x[:, 1]
    zr = np.unique(x[:, 2], return_inverse=True)[1].astype(np.int64)  # ranks 0..k-1
    big = np.int64(k + 2)
    dominated = np.zeros(k, bool)
    size = 1
    while size < k:
        seg = idx // (2 * size)
        right = (idx // size) % 2 == 1
        # order: segment asc, y desc, left rows before right rows on ties
        order = np.lexsort((right, -y, seg))
        s_o, r_o = seg[order], right[order]
        val = np.where(r_o, s_o * big, s_o * big + 1 + zr[order])
        run = np.maximum.accumulate(val)
        hit = r_o & (run >= s_o * big + 1 + zr[order])
        dominated[order[hit]] = True
        size *= 2
    return x[~dominated]


def _filter_nd(x: np.ndarray, block: int = 2048) -> np.ndarray:
    """Block-nested-loop filter for any dimension, O(k * front) vectorised."""
    x = x[np.argsort(-x.sum(axis=1), kind="stable")]
    front = np.empty((0, x.shape[1]), x.dtype)
    for start in range(0, len(x), block):
        b = x[start : start + block]
        dom = np.zeros(len(b), bool)
        for fs in range(0, len(front), block):
            f = front[fs : fs + block]
            dom |= np.all(f[:, None, :] >= b[None, :, :], axis=2).any(axis=0)
        inner = np.all(b[:, None, :] >= b[None, :, :], axis=2)
        np.fill_diagonal(inner, False)
        dom |= inner.any(axis=0)
        front = np.concatenate([front, b[~dom]])
    return _unique_lex_desc(front)


def pareto_filter(x: np.ndarray) -> np.ndarray:
    """Pareto set of the rows of ``x`` [k, n] (duplicates removed), lexicographically descending.

    Exact for integer input; for float input comparisons are exact float comparisons.
    """
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"x must be a 2-D array [k, n], got shape {x.shape}")
    x = _unique_lex_desc(x)
    if len(x) <= 1:
        return x
    n = x.shape[1]
    if n == 1:
        return x[:1]
    if n == 2:
        return _filter_2d(x)
    if n == 3:
        return _filter_3d(x)
    return _filter_nd(x)


def _radix(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """Mixed-radix bases so rows of a + b (non-negative ints) map injectively and linearly to int64 keys."""
    if not (np.issubdtype(a.dtype, np.integer) and a.min() >= 0 and b.min() >= 0):
        return None
    bases = a.max(axis=0).astype(object) + b.max(axis=0).astype(object) + 1
    total = 1
    for r in bases:
        total *= int(r)
    if total >= 2**62:
        return None
    return np.cumprod(np.concatenate([[1], bases[:-1].astype(np.int64)])).astype(np.int64)


def _decode(keys: np.ndarray, place: np.ndarray, bases: np.ndarray) -> np.ndarray:
    return (keys[:, None] // place[None, :]) % bases[None, :]


def _pairwise(a: np.ndarray, b: np.ndarray, prune: bool) -> np.ndarray:
    """Front or distinct rows of all pairwise sums, in chunks, via packed int64 keys when possible."""
    reduce = pareto_filter if prune else _unique_lex_desc
    n = a.shape[1]
    if len(a) < len(b):
        a, b = b, a
    rows = max(1, _CHUNK // len(b))
    place = _radix(a, b)
    parts = []
    if place is None:
        for i in range(0, len(a), rows):
            parts.append(reduce((a[i : i + rows, None, :] + b[None, :, :]).reshape(-1, n)))
    else:
        bases = a.max(axis=0) + b.max(axis=0) + 1
        ka, kb = a @ place, b @ place
        for i in range(0, len(a), rows):
            keys = np.unique((ka[i : i + rows, None] + kb[None, :]).ravel())
            parts.append(reduce(_decode(keys, place, bases).astype(a.dtype)))
    return parts[0] if len(parts) == 1 else reduce(np.concatenate(parts))


def _lattice_sumset(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """Distinct sums of integer rows a [m, d], b [k, d] by FFT convolution of indicator grids on
    the coarsest common lattice; None when that grid is too large to beat pairwise sums."""
    lo_a, lo_b = a.min(axis=0), b.min(axis=0)
    da, db = a - lo_a, b - lo_b
    g = np.gcd(np.gcd.reduce(da, axis=0), np.gcd.reduce(db, axis=0))
    g = np.where(g == 0, 1, g)
    ia, ib = da // g, db // g
    shape = ia.max(axis=0) + ib.max(axis=0) + 1
    size = int(np.prod(shape.astype(np.float64)))
    if size > _GRID or len(a) * len(b) < 8 * size:
        return None
    grid_a = np.zeros(tuple(ia.max(axis=0) + 1))
    grid_b = np.zeros(tuple(ib.max(axis=0) + 1))
    grid_a[tuple(ia.T)] = 1.0
    grid_b[tuple(ib.T)] = 1.0
    hits = np.argwhere(fftconvolve(grid_a, grid_b) > 0.5)
    return lo_a + lo_b + hits * g


def minkowski_front(a: np.ndarray, b: np.ndarray, prune: bool = True) -> np.ndarray:
    """Pareto set (``prune``) or distinct rows (not ``prune``) of {u + v : u in a, v in b}.

    Pairwise candidates are generated in chunks (the front of a union equals the front of the
    union of the chunk fronts); non-negative integer rows are packed into one int64 key each
    (a linear mixed-radix code, key(u + v) = key(u) + key(v)) and deduplicated with a 1-D sort.
    For integer fronts in 2-3 dimensions the rows are grouped by their total (distinct rows
    with equal totals never dominate each other): each pair of groups is summed on its
    reduced lattice by FFT convolution when that is cheaper, then the union is filtered.
    """
    n = a.shape[1]
    if len(a) == 0 or len(b) == 0:
        return np.empty((0, n), a.dtype)
    if not (prune and n in (2, 3) and np.issubdtype(a.dtype, np.integer)):
        return _pairwise(a, b, prune)
    ta, tb = a.sum(axis=1), b.sum(axis=1)
    parts = []
    for ca in np.unique(ta):
        pa = a[ta == ca]
        for cb in np.unique(tb):
            pb = b[tb == cb]
            free = _lattice_sumset(pa[:, :-1], pb[:, :-1]) if len(pa) * len(pb) > 4096 else None
            if free is None:
                parts.append(_pairwise(pa, pb, True))
            else:
                last = (ca + cb - free.sum(axis=1))[:, None]
                parts.append(np.concatenate([free, last], axis=1).astype(a.dtype))
    return pareto_filter(np.concatenate(parts))


def additive_epsilon(exact: np.ndarray, approx: np.ndarray) -> float:
    """max over v in ``exact`` of min over u in ``approx`` of max_i (v_i - u_i)^+."""
    exact, approx = np.asarray(exact, float), np.asarray(approx, float)
    worst = 0.0
    for start in range(0, len(exact), 1024):
        v = exact[start : start + 1024]
        gap = np.maximum(v[:, None, :] - approx[None, :, :], 0.0).max(axis=2).min(axis=1)
        worst = max(worst, float(gap.max()))
    return worst


def hypervolume(x: np.ndarray) -> float:
    """Hypervolume dominated by the rows of ``x`` [k, n] w.r.t. the origin, n in {1, 2, 3}."""
    x = pareto_filter(np.maximum(np.asarray(x, float), 0.0))
    n = x.shape[1]
    if n == 1:
        return float(x[:, 0].max(initial=0.0))
    if n == 2:  # rows sorted by x desc, y asc along the front
        xs, ys = x[:, 0], x[:, 1]
        return float(np.sum(xs * (ys - np.concatenate([[0.0], ys[:-1]]))))
    if n == 3:  # slice along z: area of the 2-D front of rows with z >= level
        zs = np.unique(x[:, 2])[::-1]
        total = 0.0
        for i, z in enumerate(zs):
            nxt = zs[i + 1] if i + 1 < len(zs) else 0.0
            total += hypervolume(x[x[:, 2] >= z][:, :2]) * (z - nxt)
        return total
    raise ValueError(f"hypervolume supports 1 to 3 objectives, got n={n}")


def greedy_prune(cand: jax.Array, mask: jax.Array, capacity: int, tol: float):
    """Fixed-capacity ε-cover of masked candidates by greedy farthest-point selection (JAX).

    cand [m, n], mask [m] bool. Repeatedly selects the candidate with the largest gap
    ``min over selected u of max_i (v_i - u_i)^+`` (ties: largest sum, so every selected row
    is non-dominated among candidates), until ``capacity`` rows are taken or every gap is
    <= ``tol``. Returns (kept [capacity, n], kept_mask [capacity], eps) where ``eps`` is
    the largest remaining gap (0 when the kept rows include the exact Pareto set up to tol).
    """
    m = cand.shape[0]
    neg = jnp.asarray(-jnp.inf, cand.dtype)
    sums = jnp.where(mask, cand.sum(axis=1), neg)
    gap0 = jnp.where(mask, jnp.inf, neg)

    def body(i, carry):
        gap, kept, kmask = carry
        gmax = gap.max()
        take = gmax > tol
        j = jnp.argmax(jnp.where(gap == gmax, sums, neg))
        u = cand[j]
        d = jnp.maximum(cand - u, 0).max(axis=1)
        gap = jnp.where(take, jnp.minimum(gap, d), gap)
        kept = kept.at[i].set(jnp.where(take, u, 0))
        kmask = kmask.at[i].set(take)
        return gap, kept, kmask

    kept0 = jnp.zeros((capacity, cand.shape[1]), cand.dtype)
    gap, kept, kmask = jax.lax.fori_loop(0, min(capacity, m), body, (gap0, kept0, jnp.zeros(capacity, bool)))
    eps = jnp.maximum(gap.max(), 0)
    return kept, kmask, jnp.where(jnp.isfinite(eps), eps, 0)
