"""λ₂ solvers: `jnp.linalg.eigvalsh` (JAX's default path) vs explicit QR and Jacobi
implementations of `lax.linalg.eigh`, jaxjam's tridiagonalisation + bisection for the
second eigenvalue only, and the fused Pallas kernel (`kernel`, `kernel4`/`kernel8` = warps
per matrix; GPU only), over N, with accuracy against float64 numpy. `pair-eigh` and
`pair-kernel` also compute the Fiedler vector (the `local_graph` observation's need).

cuSOLVER's batched Jacobi kernel serves N ≤ 32; above that each matrix is solved
separately, which is the step in the curve the issue asks to record.

    python benchmarks/lambda2_solvers.py --batch 4096
    python benchmarks/lambda2_solvers.py --batch 8192 --solvers default,kernel4,kernel8   # GPU
"""

from __future__ import annotations

import argparse
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from _timing import compile_and_time, header
from jaxjam.physics import fiedler_kernel
from jaxjam.physics.graph import _second_eigenvalue_bisection, laplacian


def solver(name: str):
    if name == "tridiagonal":  # what jaxjam.physics.lambda2 uses on CPU
        return _second_eigenvalue_bisection
    if name == "pair-eigh":  # λ₂ and Fiedler vector, as the local_graph observation needs
        return lambda lap: jnp.linalg.eigh(lap)[0][..., 1]
    if name == "pair-kernel":
        return lambda lap: fiedler_kernel.laplacian_fiedler_pair(lap)[0]
    if name.startswith("kernel"):  # fused Pallas kernel (GPU); "kernel4" = 4 warps per matrix
        warps = int(name[6:]) if name[6:] else None
        return partial(fiedler_kernel.second_eigenvalue, num_warps=warps)
    impl = {"default": None, "qr": lax.linalg.EighImplementation.QR,
            "jacobi": lax.linalg.EighImplementation.JACOBI}[name]
    return lambda lap: lax.linalg.eigh(lap, implementation=impl)[1][..., 1]


def random_adjacency(n: int, batch: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    a = np.triu(rng.random((batch, n, n)) < rng.uniform(0.05, 0.6, (batch, 1, 1)), 1)
    return jnp.asarray(a | np.swapaxes(a, 1, 2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=4096)
    ap.add_argument("--ns", default="10,16,32,33,40,64,100")
    ap.add_argument("--solvers", default="default,qr,jacobi,tridiagonal")
    args = ap.parse_args()
    print(header(f"λ₂ eigensolvers, batch {args.batch}"))
    print("| N | solver | compile s | solves/s | µs/solve | max abs err vs float64 |")
    print("|---|---|---|---|---|---|")
    for n in map(int, args.ns.split(",")):
        adj = random_adjacency(n, args.batch)
        lap = laplacian(adj)
        ref = np.linalg.eigvalsh(np.asarray(lap, np.float64)[:256])[:, 1]
        for name in args.solvers.split(","):
            try:
                c, t, out = compile_and_time(solver(name), lap, repeats=5)
            except Exception as err:  # e.g. Jacobi on CPU
                print(f"| {n} | {name} | – | unsupported: {type(err).__name__} | | |")
                continue
            err = np.abs(np.asarray(out)[:256] - ref).max()
            print(f"| {n} | {name} | {c:.2f} | {args.batch / t:,.0f} | {1e6 * t / args.batch:.2f} | {err:.1e} |",
                  flush=True)


if __name__ == "__main__":
    main()
