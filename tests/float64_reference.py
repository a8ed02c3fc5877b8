"""Independent float64 NumPy formulas the tests hold the float32 JAX code to."""

import numpy as np

GAP_REL = 1e-5  # docs/model.md, "the Fiedler cut": λ₂ is repeated when λ₃ − λ₂ ≤ 1e-5·‖L‖_F
ZERO_TOL = 1e-3  # |f_i| ≤ 1e-3 (f unit): node i on neither side


def laplacian(adj):
    a = np.asarray(adj, np.float64)
    return np.diag(a.sum(1)) - a


def fiedler_cut(adj):
    """`(λ₂, f, sides, crosses [N, N] bool)` by float64 eigh and the documented rule: f is the
    unit Fiedler vector when the graph is connected and λ₂ simple, else zeros; sides are sign(f)
    with |f_i| ≤ ZERO_TOL on neither side; a link crosses when its ends have opposite sides."""
    lap = laplacian(adj)
    n = lap.shape[0]
    w, v = np.linalg.eigh(lap)
    l2 = w[1] if w[1] >= 2.0 / n**2 else 0.0
    simple = n == 2 or w[2] - w[1] > GAP_REL * np.linalg.norm(lap)
    f = v[:, 1] if (l2 > 0 and simple) else np.zeros(n)
    sides = np.where(np.abs(f) > ZERO_TOL, np.sign(f), 0.0)
    return l2, f, sides, sides[:, None] * sides[None, :] < 0
