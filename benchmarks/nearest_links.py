"""The entity observation's costliest step: each jammer's k nearest live links among all L = N(N−1)/2.

Four exact ways to pick them, timed side by side on one batch (`[B]` envs × M jammers × L links):

* `top_k`: `lax.top_k` over the `[B, M, L]` negated squared distances (what `entity_obs` does);
* `argmin×k`: k passes, each the smallest (d², index) pair above the previous pick, the
  distances recomputed inside each pass from the `[B, L, 2]` midpoints;
* `two-stage`: `top_k` within chunks of C links, then `top_k` over the chunks' winners;
* `chunk-min C`: `jaxjam.env.nearest.smallest_k` ("chunk", what `env.link_select` uses): each
  chunk's nearest link (a plain min), `top_k` over those minima picks k chunks, and `top_k` over
  those k chunks' links; exact, ties included (the module's docstring says why).

    python benchmarks/nearest_links.py --batch 2048 --jammers 40 --enemies 100 --k 12
"""

from __future__ import annotations

import argparse
import functools
import time

import jax
import jax.numpy as jnp
import numpy as np

from jaxjam.env.nearest import smallest_k


def d2_of(jpos, mid):
    """`[B, M, L]` squared distances (m²) from jammers `[B, M, 2]` to midpoints `[B, L, 2]`."""
    rel = mid[:, None, :, :] - jpos[:, :, None, :]
    return jnp.sum(rel * rel, axis=-1)


def by_top_k(jpos, mid, live, k):
    vals, idx = jax.lax.top_k(-jnp.where(live[:, None, :], d2_of(jpos, mid), jnp.inf), k)
    return idx, jnp.isfinite(vals)


def by_argmin(jpos, mid, live, k):
    big = jnp.float32(jnp.inf)
    lane = jnp.arange(mid.shape[1], dtype=jnp.int32)

    def one(carry, _):
        prev_d, prev_i = carry  # [B, M]
        d2 = d2_of(jpos, mid)
        after = (d2 > prev_d[..., None]) | ((d2 == prev_d[..., None]) & (lane > prev_i[..., None]))
        key = jnp.where(live[:, None, :] & after, d2, big)
        i = jnp.argmin(key, axis=-1).astype(jnp.int32)
        d = jnp.take_along_axis(key, i[..., None], axis=-1)[..., 0]
        return (d, i), (i, jnp.isfinite(d))

    start = (jnp.full(jpos.shape[:2], -1.0, jnp.float32), jnp.full(jpos.shape[:2], -1, jnp.int32))
    _, (idx, ok) = jax.lax.scan(one, start, None, length=k)
    return jnp.moveaxis(idx, 0, -1), jnp.moveaxis(ok, 0, -1)


def by_two_stage(jpos, mid, live, k, chunk=128):
    score = -jnp.where(live[:, None, :], d2_of(jpos, mid), jnp.inf)
    b, m, l = score.shape
    pad = -l % chunk
    score = jnp.pad(score, ((0, 0), (0, 0), (0, pad)), constant_values=-jnp.inf)
    v1, i1 = jax.lax.top_k(score.reshape(b, m, -1, chunk), min(k, chunk))
    i1 = i1 + (jnp.arange(score.shape[-1] // chunk) * chunk)[:, None]
    v2, j = jax.lax.top_k(v1.reshape(b, m, -1), k)
    return jnp.take_along_axis(i1.reshape(b, m, -1), j, axis=-1), jnp.isfinite(v2)


def by_chunk_min(jpos, mid, live, k, chunk=64):
    """`jaxjam.env.nearest.smallest_k` with method "chunk" (what `env.link_select` picks)."""
    idx, vals = smallest_k(jnp.where(live[:, None, :], d2_of(jpos, mid), jnp.inf), k, "chunk", chunk)
    return idx, jnp.isfinite(vals)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=2048)
    ap.add_argument("--jammers", type=int, default=40)
    ap.add_argument("--enemies", type=int, default=100)
    ap.add_argument("--k", type=int, default=12)
    ap.add_argument("--live", type=float, default=0.08, help="share of enemy pairs that are links")
    ap.add_argument("--repeats", type=int, default=20)
    a = ap.parse_args()
    l = a.enemies * (a.enemies - 1) // 2
    kj, km, kl = jax.random.split(jax.random.PRNGKey(0), 3)
    jpos = jax.random.uniform(kj, (a.batch, a.jammers, 2), maxval=500.0)
    mid = jax.random.uniform(km, (a.batch, l, 2), maxval=500.0)
    live = jax.random.uniform(kl, (a.batch, l)) < a.live
    print(f"device: {jax.devices()[0].device_kind} · jax {jax.__version__} · B={a.batch} M={a.jammers} "
          f"N={a.enemies} (L={l}) k={a.k} live {a.live:.0%}")
    ref = None
    print("| method | ms per call | × top_k | same picks |\n|---|---|---|---|")
    base = None
    methods = (("top_k", by_top_k), ("argmin×k", by_argmin), ("two-stage", by_two_stage))
    methods += tuple((f"chunk-min {c}", functools.partial(by_chunk_min, chunk=c)) for c in (32, 64, 128))
    for name, fn in methods:
        f = jax.jit(fn, static_argnums=3)  # partial keeps k the 4th positional argument
        idx, ok = jax.block_until_ready(f(jpos, mid, live, a.k))
        t = time.perf_counter()
        for _ in range(a.repeats):
            out = f(jpos, mid, live, a.k)
        jax.block_until_ready(out)
        ms = (time.perf_counter() - t) / a.repeats * 1e3
        base = base or ms
        idx, ok = np.asarray(idx), np.asarray(ok)
        if ref is None:
            ref = (idx, ok)
        same = bool((ok == ref[1]).all() and (np.where(ok, idx, -1) == np.where(ref[1], ref[0], -1)).all())
        print(f"| {name} | {ms:.2f} | {base / ms:.2f}× | {same} |", flush=True)


if __name__ == "__main__":
    main()
