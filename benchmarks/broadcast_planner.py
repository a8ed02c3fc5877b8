"""Benchmark the broadcast planners; prints a markdown table.

    PYTHONPATH=. python benchmarks/broadcast_planner.py --quick     # CPU, about a minute
    PYTHONPATH=. python benchmarks/broadcast_planner.py             # CPU, full exact/baseline cases
    PYTHONPATH=. python benchmarks/broadcast_planner.py --gpu       # large bounded + scalarised cases
    PYTHONPATH=. python benchmarks/broadcast_planner.py --ccs       # CCS, 5 agents, horizon 100 (~6 min)

Exact cases run t = 0, 1, ... until a solve exceeds ``--limit`` seconds or t_max is done; the
baseline (straightforward Python port) gets the same per-solve limit and is reported as
"> limit" when it is cut off.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time

import jax
import numpy as np

from jaxjam.broadcast.bounded import bounded_pareto
from jaxjam.broadcast.pareto import additive_epsilon, hypervolume
from jaxjam.broadcast.planner import solve_pareto
from jaxjam.broadcast.scalarised import (convex_coverage_set, evaluate_policy, scalarised_dp, simulate_policy,
                                         switching_policy)

from baseline_numpy import baseline_sizes, solve_pareto_baseline  # beside this script

REPORT_CASES = [((0.1, 0.2), 4), ((0.1, 0.3), 4), ((0.2, 0.6), 4), ((0.2, 0.8), 4), ((0.4, 0.7), 4),
                ((0.5, 0.5), 4), ((0.5, 0.5, 0.5), 3)]
P5 = (0.1, 0.2, 0.3, 0.4, 0.5)
P_RANDOM = tuple(np.round(np.random.default_rng(0).uniform(0.05, 0.95, 5), 2).tolist())  # (.62,.29,.09,.06,.78)
CCS_TARGET = [((0.5,) * 5, 1e-9), ((0.1, 0.3, 0.5, 0.7, 0.9), 1e-9), (P_RANDOM, 1e-9), (P5, 1e-9),
              ((0.1, 0.3, 0.5, 0.7, 0.9), 1e-2), ((0.1, 0.3, 0.5, 0.7, 0.9), 1e-3),
              (P_RANDOM, 1e-2), (P_RANDOM, 3e-3), (P_RANDOM, 1e-3), (P5, 1e-2), (P5, 1e-3)]


def row(case, method, t, sizes, seconds, note=""):
    print(f"| {case} | {method} | {t} | {sizes} | {seconds} | {note} |", flush=True)


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t0


def exact_cases(cases, limit, baseline: bool, unpruned: bool):
    for p, t_max in cases:
        for t in range(t_max + 1):
            sol, dt = timed(solve_pareto, p, t)
            sizes = sol.sizes()["V"][-1]
            row(p, "jaxjam exact", t, f"sum_s V={sizes}, max_s V={max(len(v) for v in sol.v_int[-1])}", f"{dt:.2f}")
            if dt > limit:
                break
        if unpruned:
            sol = None
            for t in range(t_max + 1):
                bound = 1.0 if sol is None else float(np.prod([len(v) for v in sol.v_int[-1]], dtype=float))
                if bound > 1e16:  # W(t, least=0) sums one vector from every V(t-1, s')
                    row(p, "jaxjam no pruning", t, "-", "skipped", f"{bound:.1e} candidate sums for s=0")
                    break
                sol, dt = timed(solve_pareto, p, t, prune=False)
                row(p, "jaxjam no pruning", t, f"sum_s V={sol.sizes()['V'][-1]}", f"{dt:.2f}")
                if dt > limit:
                    break
        if baseline:
            for t in range(t_max + 1):
                try:
                    (_, V), dt = timed(solve_pareto_baseline, p, t, time_limit=limit)
                except TimeoutError:
                    row(p, "numpy baseline", t, "-", f"> {limit:g}")
                    break
                row(p, "numpy baseline", t, f"sum_s V={baseline_sizes(V)[-1]}", f"{dt:.2f}", "float dedup")


def ccs_cases(cases):
    for p, horizon in cases:
        (vecs, _), dt = timed(convex_coverage_set, p, horizon)
        row(p, "CCS (OLS, exact)", horizon, f"CCS={len(vecs)}", f"{dt:.2f}")


def _ccs_worker(p, horizon, tol, queue, progress):
    """Cold call (fresh process: includes jit compilation) then warm call; sends the stats."""
    t0 = time.perf_counter()
    vecs, _, info = convex_coverage_set(p, horizon, tol=tol, return_info=True, verbose=progress.put)
    cold = time.perf_counter() - t0
    (_, _, info), warm = timed(convex_coverage_set, p, horizon, tol=tol, return_info=True)
    queue.put((len(vecs), cold, warm, info))


def ccs_target(cases, horizon=100, limit=60.0):
    """CCS time for 5 agents; each case in a fresh process, cut off after ``limit`` seconds."""
    print("| p | tol | CCS vectors | OLS rounds | final corners | scalar DP solves | vector DP solves "
          "| s, cold (incl. compile) | s, warm | max gain left |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    ctx = mp.get_context("spawn")
    for p, tol in cases:
        queue, progress = ctx.Queue(), ctx.Queue()
        proc = ctx.Process(target=_ccs_worker, args=(p, horizon, tol, queue, progress))
        proc.start()
        try:
            k, cold, warm, info = queue.get(timeout=limit)
        except Exception:  # queue.Empty: cut off
            proc.terminate()
            proc.join()
            last = "no round finished"
            while True:
                try:
                    last = progress.get(timeout=0.5)
                except Exception:  # queue.Empty
                    break
            print(f"| {p} | {tol:g} | – | – | – | – | – | > {limit:g}, not finished (last: {last}) | – | – |",
                  flush=True)
            continue
        proc.join()
        print(f"| {p} | {tol:g} | {k:,} | {info['rounds']} | {info['corners'][-1]:,} | {info['scalar_solves']:,} "
              f"| {info['vector_solves']:,} | {cold:.2f} | {warm:.2f} | {info['max_gain']:.1e} |", flush=True)


def bounded_accuracy(cases, dtype=np.float64):
    for p, horizon, capacity in cases:
        sol = solve_pareto(p, horizon)
        b, dt = timed(bounded_pareto, p, horizon, capacity, dtype)
        ex, ap = sol.V(horizon, 0), b.V(horizon, 0)
        hv = hypervolume(ap) / hypervolume(ex) if len(p) <= 3 else float("nan")
        row(p, f"bounded K={capacity}", horizon, f"exact V(t,0)={len(ex)}, kept={len(ap)}",
            f"{dt:.2f}", f"eps measured {additive_epsilon(ex, ap):.2e} <= claimed {b.v_eps[horizon, 0]:.2e}; HV ratio {hv:.6f}")


def bounded_speed(p, horizon, capacity):
    _, dt_first = timed(bounded_pareto, p, horizon, capacity)
    b, dt = timed(bounded_pareto, p, horizon, capacity)
    row(p, f"bounded K={capacity} float32", horizon, f"kept V(t,0)={int(b.v_mask[-1, 0].sum())}",
        f"{dt:.2f}", f"first call incl. compile {dt_first:.2f}; claimed eps V(t,0) {b.v_eps[-1, 0]:.3g}")


def scalarised_speed(p, horizon, batch):
    w = np.random.default_rng(0).random((batch, len(p)))
    _, dt_first = timed(scalarised_dp, p, w, horizon)
    _, dt = timed(scalarised_dp, p, w, horizon)
    row(p, f"scalarised DP, {batch} weights float32", horizon, "-", f"{dt:.2f}", f"first call incl. compile {dt_first:.2f}")


def alarm_call(p=(0.4, 0.4, 0.4), horizon=29, switch_step=15):
    """Weights (1, .9, .8) for the first ``switch_step`` steps, then an alarm raises agent 2 to 5."""
    before, after = np.array([1.0, 0.9, 0.8]), np.array([1.0, 0.9, 5.0])
    for name, w2 in (("no alarm", before), (f"alarm at step {switch_step}", after)):
        pol, dt = timed(switching_policy, p, before, w2, horizon, switch_step)
        exact = evaluate_policy(p, pol)[-1, 0]
        sim = simulate_policy(jax.random.key(0), p, pol, n_episodes=20_000)
        se = sim.std(axis=0) / np.sqrt(len(sim))
        row(p, f"weight switch: {name}", horizon, f"exact {np.round(exact, 4).tolist()}", f"{dt:.2f}",
            f"simulated {np.round(sim.mean(axis=0).astype(float), 4).tolist()} +- {np.round(se, 4).tolist()} (20k episodes)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="CPU-minute subset")
    ap.add_argument("--gpu", action="store_true", help="large bounded / scalarised cases only")
    ap.add_argument("--ccs", action="store_true", help="CCS table for 5 agents, horizon 100 only")
    ap.add_argument("--ccs-limit", type=float, default=60.0, help="per-case limit of the CCS table (s)")
    ap.add_argument("--limit", type=float, default=60.0, help="per-solve time limit in seconds")
    args = ap.parse_args()
    if args.ccs:
        ccs_target(CCS_TARGET, limit=args.ccs_limit)
        return
    print("| case p | method | t | set sizes | seconds | note |")
    print("|---|---|---|---|---|---|")
    if args.gpu:
        bounded_speed(P5, 50, 256)
        scalarised_speed(P5, 100, 10_000)
        return
    if args.quick:
        exact_cases([((0.1, 0.3), 4), ((0.5, 0.5, 0.5), 2)], min(args.limit, 10.0), True, True)
        ccs_cases([((0.5,) * 5, 100), ((0.1, 0.3), 100)])
        bounded_accuracy([((0.1, 0.3), 3, 32)])
        bounded_speed(P5, 3, 32)
        scalarised_speed(P5, 100, 1000)
        alarm_call()
        return
    exact_cases(REPORT_CASES, args.limit, True, True)
    ccs_cases([((0.5,) * 5, 100), ((0.1, 0.3), 100), ((0.2, 0.8), 100), ((0.1, 0.2, 0.3), 10)])
    ccs_target(CCS_TARGET, limit=args.ccs_limit)
    bounded_accuracy([((0.1, 0.3), 3, 32), ((0.1, 0.3), 3, 256), ((0.4, 0.7), 4, 256), ((0.5, 0.5, 0.5), 2, 64)])
    bounded_speed(P5, 5, 64)
    scalarised_speed(P5, 100, 10_000)
    alarm_call()


if __name__ == "__main__":
    main()
