"""BLAS threads inside jaxlib's batched CPU LAPACK: one per call (jaxjam's default) vs OpenBLAS's own.

jaxlib spreads a batched eigh's matrices over XLA:CPU's pool (NPROC threads; jaxjam raises it to
`jaxjam.xla_flags.MIN_CPU_THREADS` on small machines), and inside each call scipy's OpenBLAS may
start threads of its own. Each setting runs in a fresh interpreter (the variables are read when
the libraries load): a batched `[B, N, N]` eigh, then M=40, N=100 episodes (T steps) of the
`stay` and `cut seek (others)` policies, each timed once after its compile.

    python benchmarks/cpu_blas_threads.py                  # NPROC as jaxjam sets it
    python benchmarks/cpu_blas_threads.py --nproc 2 32     # also other pool sizes
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CHILD = r"""
import json, sys, time
import jaxjam, jax, jax.numpy as jnp
from jaxjam.config import override, preset
from jaxjam.evaluate import episode_metrics
from jaxjam.policies import baselines
B, N, T, E = (int(x) for x in sys.argv[1:5])
def best(f, *a):
    jax.block_until_ready(f(*a))  # compile
    t0 = time.perf_counter(); jax.block_until_ready(f(*a))
    return time.perf_counter() - t0
a = jax.random.normal(jax.random.PRNGKey(0), (B, N, N)); a = a + a.swapaxes(1, 2)
out = {"eigh_ms": 1e3 * best(jax.jit(jnp.linalg.eigh), a) / B}
c = override(preset("large"), {"env.max_steps": T})
for name in ("stay", "cut seek (others)"):
    p = baselines(c)[name]
    f = jax.jit(lambda k: episode_metrics(c, p, k, E))
    out[name] = 1e3 * best(f, jax.random.PRNGKey(1)) / (T * E)
print(json.dumps(out))
"""


def run(env_over: dict[str, str], args) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                             "MKL_NUM_THREADS", "NPROC")}
    env.update(env_over)
    out = subprocess.run([sys.executable, "-c", CHILD, str(args.batch), str(args.n), str(args.steps),
                          str(args.episodes)], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=160, help="matrices in the batched eigh")
    ap.add_argument("--n", type=int, default=100, help="matrix size")
    ap.add_argument("--steps", type=int, default=10, help="steps per M=40 episode")
    ap.add_argument("--episodes", type=int, default=2)
    ap.add_argument("--nproc", type=int, nargs="*", default=[], help="also these XLA:CPU pool sizes")
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    settings = [("jaxjam default (NPROC floor, 1 BLAS thread)", {}),
                (f"OpenBLAS's own ({cores} threads)", {"OPENBLAS_NUM_THREADS": str(cores)})]
    for n in args.nproc:
        settings += [(f"NPROC={n}, 1 BLAS thread", {"NPROC": str(n), "OPENBLAS_NUM_THREADS": "1"}),
                     (f"NPROC={n}, {cores} BLAS threads", {"NPROC": str(n), "OPENBLAS_NUM_THREADS": str(cores)})]
    print(f"{cores} cores; eigh of [{args.batch}, {args.n}, {args.n}] float32; M=40, N=100 episodes: "
          f"{args.episodes} × {args.steps} steps\n")
    print("| setting | eigh ms/matrix | stay ms/episode-step | cut seek (others) ms/episode-step |")
    print("|---|---|---|---|")
    base = None
    for label, over in settings:
        r = run(over, args)
        base = base or r
        print(f"| {label} | {r['eigh_ms']:.2f} ({r['eigh_ms'] / base['eigh_ms']:.0f}×) | "
              f"{r['stay']:.1f} ({r['stay'] / base['stay']:.1f}×) | "
              f"{r['cut seek (others)']:.1f} ({r['cut seek (others)'] / base['cut seek (others)']:.0f}×) |",
              flush=True)


if __name__ == "__main__":
    main()
