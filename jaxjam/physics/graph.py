"""Enemy communication graph, jamming rule, Laplacian and λ₂.

All functions take ONE configuration (vmap for batches) except `lambda2`,
`laplacian` and `connected_components`, which accept any leading batch dims.
Thresholds are compared in squared-distance form: received power ≥ threshold
⇔ d² ≤ R², with R = c/(4πf)·sqrt(P/threshold) (identical to the power test).
"""

from __future__ import annotations

import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import eigh_tridiagonal

from jaxjam.config import PhysicsConfig
from jaxjam.physics import fiedler_kernel
from jaxjam.physics.geometry import midpoints, pairwise_sq_dist


def band_ranges_m(physics: PhysicsConfig) -> tuple[np.ndarray, np.ndarray]:
    """Per-band (communication range, jamming range) in metres, `[B]` each: float64 from the
    constants (`PhysicsConfig.comm_range_m` / `jam_range_m`, the one range formula), or the
    traced float32 ranges inside a program whose physics numbers are traced
    (`jaxjam.config.traced.TracedPhysics`)."""
    comm, jam = physics.comm_range_m(), physics.jam_range_m()
    if isinstance(comm, tuple):
        return np.asarray(comm), np.asarray(jam)
    return comm, jam


def link_adjacency(enemy_pos, enemy_band, physics: PhysicsConfig):
    """Unjammed links `[N, N]` bool: received power ≥ sensitivity on the enemy band; no self loops."""
    comm_m, _ = band_ranges_m(physics)
    r = jnp.asarray(comm_m, jnp.float32)[enemy_band]
    d2 = jnp.maximum(pairwise_sq_dist(enemy_pos, enemy_pos), physics.min_distance_m ** 2)
    n = enemy_pos.shape[0]
    return (d2 <= r * r) & ~jnp.eye(n, dtype=bool)


def jamming_masks(enemy_pos, jammer_pos, jammer_band, enemy_band, physics: PhysicsConfig):
    """Per-jammer jammed masks `[M, N, N]` bool: jammer m, on the enemy band, delivers ≥ the
    threshold at the link's midpoint. Symmetric, false diagonal; an off-band jammer jams nothing.
    """
    _, jam_m = band_ranges_m(physics)
    return jamming_masks_within(enemy_pos, jammer_pos, jammer_band, enemy_band, jam_m,
                                physics.min_distance_m)


def jamming_masks_within(enemy_pos, jammer_pos, jammer_band, enemy_band, jam_range_m,
                         min_distance_m):
    """`jamming_masks` for given per-band jamming ranges `jam_range_m [B]` (m): jammer m, on the
    enemy band, within the range of the link's midpoint (distances below `min_distance_m`
    count as that distance). The one statement of the rule (analyses pass their own ranges)."""
    r = jnp.asarray(jam_range_m, jnp.float32)[enemy_band]
    n = enemy_pos.shape[0]
    mid = midpoints(enemy_pos).reshape(n * n, 2)  # link midpoints
    d2 = pairwise_sq_dist(jammer_pos, mid).reshape(-1, n, n)  # [M, N, N] m²
    d2 = jnp.maximum(d2, min_distance_m ** 2)
    on_band = (jammer_band == enemy_band)[:, None, None]
    return on_band & (d2 <= r * r) & ~jnp.eye(n, dtype=bool)


def jammed_links(enemy_pos, jammer_pos, jammer_band, enemy_band, physics: PhysicsConfig):
    """Jammed mask `[N, N]` bool: some jammer jams the link (OR over `jamming_masks`)."""
    return jnp.any(jamming_masks(enemy_pos, jammer_pos, jammer_band, enemy_band, physics), axis=0)


def others_leave(adjacency, masks):
    """`[M, N, N]` bool: for each jammer m, `adjacency [N, N]` less the links some OTHER jammer
    jams (`masks [M, N, N]`, `jamming_masks`): the graph m's own choice acts on."""
    count = jnp.sum(masks, axis=0, dtype=jnp.int32)
    return adjacency[None] & ~((count[None] - masks) > 0)


def lambda2_if_jammed_from(enemy_pos, graph, cands, band, physics: PhysicsConfig, solver: str = "auto"):
    """One jammer on the enemy `band` at each candidate position `cands [C, 2]` (m), alone, on
    `graph [N, N]` bool: `(graph left [C, N, N], its λ₂ [C], links it cuts [C] int32)` (C
    eigensolves; the planner's test of a target)."""
    cover = jax.vmap(lambda c: jammed_links(enemy_pos, c[None], jnp.full((1,), band, jnp.int32),
                                            band, physics))(cands)  # [C, N, N]
    new = graph[None] & ~cover
    return new, lambda2(new, solver=solver), jnp.sum(graph[None] & cover, axis=(1, 2)) // 2


def comm_graph(enemy_pos, jammer_pos, jammer_band, enemy_band, physics: PhysicsConfig):
    """`(adjacency, adjacency_jammed)`, each `[N, N]` bool, for one configuration.

    enemy_pos `[N, 2]` m, jammer_pos `[M, 2]` m, jammer_band `[M]` int, enemy_band int.
    """
    adj = link_adjacency(enemy_pos, enemy_band, physics)
    jam = jammed_links(enemy_pos, jammer_pos, jammer_band, enemy_band, physics)
    return adj, adj & ~jam


def laplacian(adjacency, dtype=jnp.float32):
    """Combinatorial Laplacian L = D − A, `[..., N, N]`."""
    a = adjacency.astype(dtype)
    return jnp.eye(a.shape[-1], dtype=dtype) * jnp.sum(a, axis=-1, keepdims=True) - a


def _snap(l2, n: int):
    """Exact 0 for disconnected graphs: a connected graph on n nodes has λ₂ ≥ 4/(n·diam)
    > 4/n² (Mohar 1991), so values below 2/n² are eigensolver round-off around 0
    (float32 error is ~1e-7·2n, far below 2/n² for n ≤ ~300; use float64 beyond)."""
    return jnp.where(l2 < 2.0 / (n * n), 0.0, l2).astype(l2.dtype)


def _second_eigenvalue_bisection(lap):
    """Householder tridiagonalisation + bisection for the 2nd eigenvalue only `[B]` of `[B, N, N]`."""
    _, diag, off, _ = jax.lax.linalg.tridiagonal(lap)
    return jax.vmap(lambda d, e: eigh_tridiagonal(d, e, eigvals_only=True, select="i",
                                                  select_range=(1, 1))[0])(diag, off)


def _second_eigenvalue_eigh(lap):
    return jnp.linalg.eigvalsh(lap)[..., 1]


def _anywhere(kernel_fn):
    """`kernel_fn` compiled for CUDA, through the Pallas interpreter elsewhere (tests)."""
    return lambda lap: jax.lax.platform_dependent(
        lap, cuda=kernel_fn, default=lambda x: kernel_fn(x, interpret=True))


_SOLVERS = {"eigh": _second_eigenvalue_eigh, "bisection": _second_eigenvalue_bisection,
            "kernel": _anywhere(fiedler_kernel.second_eigenvalue)}


def _flat_laplacians(adjacency, dtype, solver: str):
    """Validated solver name, and the Laplacians of `[..., N, N]` adjacency as `[B, N, N]`."""
    if solver not in (*_SOLVERS, "auto"):
        raise ValueError(f"solver must be one of auto, {', '.join(_SOLVERS)}; got {solver!r}")
    n = adjacency.shape[-1]
    chex.assert_shape(adjacency, (..., n, n))  # [..., N, N]; trace time only
    return laplacian(adjacency, dtype).reshape((-1, n, n))


def lambda2(adjacency, dtype=jnp.float32, solver: str = "auto"):
    """Fiedler value (second-smallest Laplacian eigenvalue) `[...]` for `[..., N, N]` adjacency.

    ``solver``: ``"eigh"`` (`eigvalsh`: LAPACK / cuSOLVER), ``"bisection"``
    (tridiagonalisation + bisection for the second eigenvalue alone), ``"kernel"`` (the fused
    Pallas GPU kernel of `jaxjam.physics.fiedler_kernel`, float32; interpreted, hence slow,
    off CUDA) or ``"auto"``, chosen per backend when the program is compiled
    (`lax.platform_dependent`): bisection on CPU (2× faster than eigvalsh at N=10, 4× at
    N=100 there), the kernel on CUDA for float32 (1.2-8.7× faster than cuSOLVER at N = 10-100,
    benchmarks/lambda2_solvers.py), eigvalsh elsewhere. Exactly 0 for disconnected graphs.
    """
    flat = _flat_laplacians(adjacency, dtype, solver)
    if solver == "auto":
        gpu = fiedler_kernel.second_eigenvalue if jnp.dtype(dtype) == jnp.float32 else _second_eigenvalue_eigh
        second = jax.lax.platform_dependent(flat, cpu=_second_eigenvalue_bisection, cuda=gpu,
                                            default=_second_eigenvalue_eigh)
    else:
        second = _SOLVERS[solver](flat)
    return _snap(second.reshape(adjacency.shape[:-2]), adjacency.shape[-1])


def _pair_eigh(lap):
    w, v = jnp.linalg.eigh(lap)
    n = lap.shape[-1]
    if n == 2:
        return w[..., 1], v[..., :, 1], jnp.ones(w.shape[:-1], bool)
    frob = jnp.sqrt(jnp.sum(lap * lap, axis=(-2, -1)))
    return w[..., 1], v[..., :, 1], w[..., 2] - w[..., 1] > fiedler_kernel.GAP_REL * frob


def lambda2_and_fiedler(adjacency, dtype=jnp.float32, solver: str = "auto"):
    """`(λ₂ [...], Fiedler vector [..., N])` of `[..., N, N]` adjacency.

    The vector is the unit eigenvector of λ₂ (sign arbitrary) where it is defined: the graph is
    connected (λ₂ > 0) and λ₂ is simple (λ₃ − λ₂ > `fiedler_kernel.GAP_REL`·‖L‖_F). Elsewhere
    it is all zeros, the same for every solver and dtype: a disconnected graph has no single
    Fiedler vector (any mix of its component indicators), a repeated λ₂ has a whole eigenspace,
    and which vector a solver returned there is rounding (docs/model.md, "the Fiedler cut").
    ``solver`` as in `lambda2`: ``"kernel"`` (and ``"auto"`` on CUDA for float32) uses the fused
    Pallas kernel (inverse iteration on the tridiagonal form); everything else `eigh`.
    """
    flat = _flat_laplacians(adjacency, dtype, solver)
    if solver == "kernel":
        l2, vec, simple = _anywhere(fiedler_kernel.laplacian_fiedler_pair)(flat)
    elif solver == "auto" and jnp.dtype(dtype) == jnp.float32:
        l2, vec, simple = jax.lax.platform_dependent(
            flat, cuda=fiedler_kernel.laplacian_fiedler_pair, default=_pair_eigh)
    else:
        l2, vec, simple = _pair_eigh(flat)
    l2 = _snap(l2.reshape(adjacency.shape[:-2]), adjacency.shape[-1])
    defined = (l2 > 0) & simple.reshape(l2.shape)
    vec = jnp.where(defined[..., None], vec.reshape(adjacency.shape[:-1]), 0.0)
    return l2, vec.astype(l2.dtype)


FIEDLER_ZERO_TOL = 1e-3  # |f_i| at or below this (f unit) puts node i on neither side of the cut


def fiedler_sides(fiedler):
    """Side of the Fiedler cut `[..., N]` int32 in {−1, 0, +1} for a Fiedler vector `[..., N]`
    from `lambda2_and_fiedler`: sign(f_i), but 0 where |f_i| ≤ `FIEDLER_ZERO_TOL`, so a
    component that is zero by symmetry (and whose sign is rounding noise) is on neither side.
    All zeros where the vector is undefined. Which side is −1 is arbitrary (the sign of f)."""
    return jnp.where(jnp.abs(fiedler) > FIEDLER_ZERO_TOL, jnp.sign(fiedler), 0).astype(jnp.int32)


def crosses_fiedler_cut(fiedler, i, j):
    """Whether the node pairs `(i, j)` (index arrays) lie on opposite sides of the Fiedler cut
    (bool, shape of `i`): both nodes off the cut and of opposite sign. Invariant to the sign of f."""
    sides = fiedler_sides(fiedler)
    return sides[..., i] * sides[..., j] < 0


def _components_one(adjacency, member):
    """`(labels [N] int32, rounds int32)` of one graph; see `connected_components`."""
    n = adjacency.shape[-1]
    sentinel = jnp.int32(n)
    adjacency = adjacency & member[:, None] & member[None, :]
    idx = jnp.arange(n, dtype=jnp.int32)
    # label array of length N + 1; slot N is a fixed sentinel (the label of non-members)
    lab0 = jnp.concatenate([jnp.where(member, idx, sentinel), sentinel[None]])
    n_jumps = max(1, math.ceil(math.log2(max(n, 2)))) + 1

    def body(state):
        lab, _, rounds = state
        cur = lab[:n]
        nb = jnp.min(jnp.where(adjacency, cur[None, :], sentinel), axis=1)  # smallest neighbour label
        new = lab.at[cur].min(nb)  # hook the current root of i onto nb (same component)
        new = new.at[:n].min(nb)
        new = jax.lax.fori_loop(0, n_jumps, lambda _, l: l[l], new)  # full pointer jumping
        return new, jnp.any(new != lab), rounds + 1

    lab, _, rounds = jax.lax.while_loop(lambda s: s[1] & (s[2] <= n), body,
                                        (lab0, jnp.bool_(True), jnp.int32(0)))
    return lab[:n], rounds


def connected_components(adjacency, mask=None, with_rounds: bool = False):
    """Component labels `[..., N]` int32: the smallest node index in each node's component.

    adjacency `[..., N, N]` bool (symmetric; the diagonal is ignored). mask `[..., N]` bool
    (optional): only these nodes and the links between them take part; the others get label
    N. Min-label propagation with parent hooking and full pointer jumping in a
    `lax.while_loop` until a fixed point, exact for any graph (every component ends on its
    smallest index); a path of N nodes takes O(log N) rounds. `with_rounds`: also return the
    rounds `[...]` int32 the loop took.
    """
    n = adjacency.shape[-1]
    lead = adjacency.shape[:-2]
    member = jnp.ones(lead + (n,), bool) if mask is None else jnp.broadcast_to(mask, lead + (n,))
    fn = _components_one
    for _ in lead:
        fn = jax.vmap(fn)
    labels, rounds = fn(adjacency, member)
    return (labels, rounds) if with_rounds else labels


def num_components(adjacency):
    """Number of connected components `[...]` int32 (isolated nodes count as components)."""
    labels = connected_components(adjacency)
    n = adjacency.shape[-1]
    return jnp.sum(labels == jnp.arange(n, dtype=jnp.int32), axis=-1).astype(jnp.int32)
