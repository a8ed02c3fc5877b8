"""What `env.link_lookahead` costs: one batched entity observation with and without it.

For each scale, the compiled program's scratch memory (XLA's `memory_analysis`, the number that
decided whether Session 22's fine-tune at M=40 fitted a GPU) and the best of three timed calls.
The look-ahead adds M·K + 1 eigensolves of N×N per env (K link tokens per jammer).

    python benchmarks/lookahead_cost.py                           # CPU-sized
    python benchmarks/lookahead_cost.py --scales 40x100 --batch 256
"""

from __future__ import annotations

import argparse

import jax

from _timing import compile_and_time, header
from jaxjam.config import override, preset
from jaxjam.curriculum import parse_scale
from jaxjam.env import reset
from jaxjam.env.jammer_env import _observe_fresh


def measure(m: int, n: int, batch: int, lookahead: bool):
    """`(scratch MB, best call s)` of the batched observation at M=m, N=n."""
    cfg = override(preset("large" if m > 4 else "default"), {
        "env.num_jammers": m, "env.num_enemies": n, "env.obs": "entity", "env.link_lookahead": lookahead})
    states = jax.vmap(lambda k: reset(k, cfg)[1])(jax.random.split(jax.random.PRNGKey(0), batch))
    fn = jax.vmap(lambda s: _observe_fresh(s, cfg))
    scratch = jax.jit(fn).lower(states).compile().memory_analysis().temp_size_in_bytes / 2**20
    return scratch, compile_and_time(fn, states)[1]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", nargs="+", default=["4x10", "40x100"], metavar="MxN")
    ap.add_argument("--batch", type=int, default=16, help="envs observed at once")
    args = ap.parse_args(argv)
    print(header(f"Entity observation with and without env.link_lookahead, {args.batch} envs"))
    print("| M | N | look-ahead | scratch MB | call ms | call ratio |")
    print("|---|---|---|---|---|---|")
    for text in args.scales:
        m, n = parse_scale(text)
        off = measure(m, n, args.batch, False)
        for look, (mb, r) in ((False, off), (True, measure(m, n, args.batch, True))):
            print(f"| {m} | {n} | {'on' if look else 'off'} | {mb:,.1f} | {1e3 * r:.2f} | {r / off[1]:.1f}× |")


if __name__ == "__main__":
    main()
