"""The geometry of the convex coverage set's upper envelope over the weight simplex (used by
`jaxjam.broadcast.ccs`): its corners from qhull's halfspace intersection, local corner updates
when vectors are added, a greedy cover of the open corners, and a batched float64 max-dot.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from scipy.spatial import HalfspaceIntersection, QhullError

QHULL_OPTIONS = ("Qx Q12", "Qx Q12 Q14", "QbB Qx Q12", "QJ")  # tried in order (precision errors)


def corner_weights(vs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Vertices of the upper envelope max_v w·v over the weight simplex.

    vs [k, n] -> (corners [m, n] (rows sum to 1), incidences ci [l], vi [l] (vector vi[j] is one
    of the vectors whose hyperplanes meet at corner ci[j]; ci sorted, every corner listed), qhull
    options used). Vectors at no corner never exceed the envelope of the others. qhull is retried
    with the options in ``QHULL_OPTIONS`` on precision errors ("QJ", joggled input, is the last).
    """
    k, n = vs.shape
    # Subtracting a common vector changes every w·v by the same linear function of w (same
    # corners). Variables z = (w_1..w_{n-1}, y), w_n = 1 - sum; halfspaces A z + b <= 0.
    x = vs - vs.mean(axis=0)
    top = np.abs(x).max() * n + 2.0
    hs_rows = np.concatenate([
        np.concatenate([x[:, :-1] - x[:, -1:], -np.ones((k, 1)), x[:, -1:]], axis=1),  # y >= w·x_j
        np.concatenate([-np.eye(n - 1), np.zeros((n - 1, 2))], axis=1),  # w_i >= 0
        np.concatenate([np.ones((1, n - 1)), [[0.0, -1.0]]], axis=1),  # w_n >= 0
        np.concatenate([np.zeros((1, n - 1)), [[1.0, -top]]], axis=1)])  # y <= top (bounded)
    w0 = np.full(n, 1.0 / n)
    interior = np.concatenate([w0[:-1], [(x @ w0).max() + 1.0]])
    for opts in QHULL_OPTIONS:
        try:
            hs = HalfspaceIntersection(hs_rows, interior, qhull_options=opts)
            break
        except QhullError:
            if opts == QHULL_OPTIONS[-1]:
                raise
    pts = hs.intersections
    lens = np.fromiter(map(len, hs.dual_facets), np.int64, len(pts))
    vi = np.fromiter((j for f in hs.dual_facets for j in f), np.int64, lens.sum())
    ci = np.repeat(np.arange(len(pts)), lens)
    inc = vi < k  # drop the simplex sides and the top
    ci, vi = ci[inc], vi[inc]
    w = np.clip(np.concatenate([pts[:, :-1], 1.0 - pts[:, :-1].sum(axis=1, keepdims=True)], axis=1), 0.0, None)
    w /= w.sum(axis=1, keepdims=True)
    ok = pts[:, -1] < top - 0.5
    ok[np.setdiff1d(np.arange(len(pts)), ci)] = False
    _, first = np.unique(np.round(w, 12), axis=0, return_index=True)
    ok &= np.isin(np.arange(len(pts)), first)
    new_id = np.cumsum(ok) - 1
    inc = ok[ci]
    return w[ok], new_id[ci[inc]], vi[inc], opts


def _envelope(corners: np.ndarray, ci: np.ndarray, vi: np.ndarray, vs: np.ndarray) -> np.ndarray:
    """[m] max over the vectors meeting at each corner of w·v (<= the envelope max_v w·v)."""
    vals = np.einsum("ln,ln->l", corners[ci], vs[vi])
    return np.maximum.reduceat(vals, np.searchsorted(ci, np.arange(len(corners))))


def _grid_unique(v: np.ndarray, cell: float) -> np.ndarray:
    """Indices [j] of one row per occupied cell of a grid of side ``cell`` (rows within a cell
    differ by < cell in every coordinate)."""
    _, idx = np.unique(np.floor(v / cell).astype(np.int64), axis=0, return_index=True)
    return np.sort(idx)


def _greedy_cover(w, v, best, env, tol: float, block: int = 512) -> np.ndarray:
    """Indices of a subset of the new vectors v [m, n] (optimal at corners w [m, n], optimum best
    [m], envelope env [m]) leaving every corner within ``tol``: corners by decreasing gain, a
    corner's vector is taken when the vectors taken so far leave it open by > tol (and it lifts
    its corner by > tol/2); blocks of ``block`` corners share one matrix product."""
    order = np.argsort(env - best)
    w, v, best, cover = w[order], v[order], best[order], env[order].copy()
    own = np.einsum("mn,mn->m", w, v)
    taken = []
    for b0 in range(0, len(w), block):
        b1 = min(b0 + block, len(w))
        g = w[b0:b1] @ v[b0:b1].T  # g[i, j] = w_i · v_j
        c = cover[b0:b1].copy()
        sel = []
        for i in range(b1 - b0):
            if best[b0 + i] - c[i] > tol and own[b0 + i] - c[i] > tol / 2:
                sel.append(i)
                np.maximum(c, g[:, i], out=c)
        if sel and b1 < len(w):
            np.maximum(cover[b1:], _max_dot(w[b1:], v[b0:b1][sel]), out=cover[b1:])
        taken += [b0 + i for i in sel]
    return np.sort(order[taken])


@jax.jit
def _max_dot_xla(a, b):
    return (a @ b.T).max(axis=1)


def _max_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """[m] max_j a[i]·b[j] for a [m, n], b [k, n] (float64, XLA; rows of b padded to a power of
    two, a in power-of-two chunks of bounded size, so few shapes are compiled)."""
    if not len(a):
        return np.zeros(0)
    kp = max(64, 1 << (len(b) - 1).bit_length())
    chunk = max(256, (1 << 24) // kp)
    out = []
    with jax.enable_x64(True):
        bj = jnp.asarray(np.concatenate([b, np.repeat(b[:1], kp - len(b), axis=0)]))
        for i in range(0, len(a), chunk):
            x = a[i:i + chunk]
            pad = np.zeros((max(256, 1 << (len(x) - 1).bit_length()) - len(x), a.shape[1]))
            out.append(np.asarray(_max_dot_xla(jnp.asarray(np.concatenate([x, pad])), bj))[:len(x)])
    return np.concatenate(out)


def _add_vectors(vs: np.ndarray, k_old: int, corners, ci, vi, local_max: float = 0.3):
    """Envelope corners after appending vs[k_old:] to vs[:k_old] (whose corners, ci, vi are given).

    Returns (corners, ci, vi, fresh [m] bool: corner incident to a new vector, qhull options).
    Only the region R where a new vector beats the old envelope changes: its new corners
    are the corners, in the closure of R, of the envelope of the new vectors and the old vectors
    at the old corners in R (any old cell that meets R has a vertex in R). That smaller hull is
    used when at most ``local_max`` of the old corners lie in R; otherwise everything is redone.
    Corners not incident to a new vector are corners of the old envelope, already checked.
    """
    new = vs[k_old:]
    scale = 1e-12 * max(1.0, np.abs(vs).max())
    env = _envelope(corners, ci, vi, vs)
    cut = _max_dot(corners, new) > env - scale
    if cut.mean() > local_max:
        c, ci, vi, opts = corner_weights(vs)
        return c, ci, vi, np.isin(np.arange(len(c)), ci[vi >= k_old]), opts
    local = np.concatenate([np.unique(vi[cut[ci]]), np.arange(k_old, len(vs))])
    lc, lci, lvi, opts = corner_weights(vs[local])
    lvi = local[lvi]
    inside = _max_dot(lc, new) >= _max_dot(lc, vs[:k_old]) - scale  # closure of R
    inc = inside[lci]
    keep_old = ~cut
    old_id = np.cumsum(keep_old) - 1
    old_inc = keep_old[ci]
    m_old = int(keep_old.sum())
    c = np.concatenate([corners[keep_old], lc[inside]])
    ci = np.concatenate([old_id[ci[old_inc]], m_old + (np.cumsum(inside) - 1)[lci[inc]]])
    vi = np.concatenate([vi[old_inc], lvi[inc]])
    order = np.argsort(ci, kind="stable")
    ci, vi = ci[order], vi[order]
    return c, ci, vi, np.isin(np.arange(len(c)), ci[vi >= k_old]), opts
