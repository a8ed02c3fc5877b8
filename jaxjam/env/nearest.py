"""Exact k smallest of many: each jammer's nearest live links among all L = N(N−1)/2 pairs.

`lax.top_k` over `[M, L]` rows is the entity observation's costliest step at M=40, N=100 on a
GPU (docs/benchmarks.md, Session 17). `smallest_k` gives the same picks with less work when L is
large: each chunk of C values is reduced to its minimum, `top_k` over those L/C minima picks the k
chunks that can hold the k smallest values, and `top_k` over those k·C values picks them.

Exact, ties included: at most k − 1 chunks have a minimum below the k-th smallest value τ, the
chunks tied at τ are taken lowest index first, and the chosen chunks are visited in index order,
so the picks (and their order) equal `lax.top_k(-values, k)` on the whole row.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

CHUNK = 32  # values per chunk of the chunked selection (benchmarks/nearest_links.py)
METHODS = ("auto", "top_k", "chunk")


def smallest_k(values, k: int, method: str = "auto", chunk: int = CHUNK):
    """Indices `[..., k]` (int32, in [0, L)) and values `[..., k]` of the k smallest entries of
    `values [..., L]` (float; +inf marks an absent entry), ascending, ties lowest index first —
    the same as `lax.top_k(-values, k)` with the values negated back (where a picked value is
    +inf, its index is unspecified). Requires 1 ≤ k ≤ L.

    method: "top_k" (one `lax.top_k`), "chunk" (chunk minima, module docstring), or "auto"
    (chunk when it prunes: L ≥ 4·k·chunk)."""
    width = values.shape[-1]
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not 0 < k <= width:
        raise ValueError(f"k must be in [1, {width}] (the row length), got {k}")
    n_chunks = -(-width // chunk)
    if method == "auto":
        method = "chunk" if width >= 4 * k * chunk else "top_k"
    if method == "top_k" or k >= n_chunks:
        neg, idx = jax.lax.top_k(-values, k)
        return idx.astype(jnp.int32), -neg
    lead = values.shape[:-1]
    padded = jnp.pad(values, [(0, 0)] * len(lead) + [(0, n_chunks * chunk - width)],
                     constant_values=jnp.inf)
    blocks = padded.reshape(lead + (n_chunks, chunk))
    _, picked = jax.lax.top_k(-blocks.min(axis=-1), k)  # [..., k] chunks holding the k smallest
    picked = jnp.sort(picked, axis=-1)  # index order: ties resolve as in one top_k
    cand = jnp.take_along_axis(blocks, picked[..., None], axis=-2).reshape(lead + (k * chunk,))
    neg, j = jax.lax.top_k(-cand, k)
    lanes = (picked[..., None] * chunk + jnp.arange(chunk, dtype=picked.dtype)).reshape(cand.shape)
    idx = jnp.minimum(jnp.take_along_axis(lanes, j, axis=-1), width - 1)  # padding lanes hold +inf
    return idx.astype(jnp.int32), -neg
