"""Argument limits of the public broadcast entry points, checked before any work starts.

Counts (agents, horizon, turns, seeds, channels) must be integers: Python/numpy ints or
integral finite floats; 2.7, 2.5, nan, '3' and True are refused with a ValueError naming the
argument, never rounded. Sizes whose dense float64 arrays would exceed `MAX_BYTES` (memory) or
whose dense products would exceed `MAX_FLOPS` (time) are refused with that reason.
"""

from __future__ import annotations

import math
import numbers

MAX_BYTES = 2**30  # 1 GiB of dense float64 arrays per call
MAX_FLOPS = 1e12  # ~ a minute of dense matrix products on a few CPU cores
MAX_COUNT = 2**53  # turns/horizons beyond this are not exactly representable as float64


def as_int(name: str, value, low: int = 0, high: int | None = None, why: str = "",
           say_integer: bool = False) -> int:
    """`value` as an int in [low, high]; ValueError naming `name` otherwise ("must be >= low",
    or "must be an integer >= low" with `say_integer`)."""
    rng = f"in [{low}, {high}]" if high is not None else f">= {low}"
    ok = isinstance(value, numbers.Integral) or (
        isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer())
    if isinstance(value, bool) or not ok:
        raise ValueError(f"{name} must be an integer {rng}, got {value!r}")
    v = int(value)
    if v < low:
        raise ValueError(f"{name} must be {'an integer ' if say_integer else ''}>= {low}, got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high}{f' ({why})' if why else ''}, got {v}")
    return v


def check_size(what: str, n_bytes: float, flops: float = 0.0, hint: str = "") -> None:
    """ValueError if a dense computation needs more than MAX_BYTES or MAX_FLOPS."""
    hint = f"; {hint}" if hint else ""
    if n_bytes > MAX_BYTES:
        raise ValueError(f"{what} needs {n_bytes / 2**30:.3g} GiB of dense float64 arrays "
                         f"(memory limit {MAX_BYTES / 2**30:g} GiB){hint}")
    if flops > MAX_FLOPS:
        raise ValueError(f"{what} needs ~{flops:.2g} floating-point operations "
                         f"(time limit {MAX_FLOPS:.0e}, about a minute){hint}")


def chain_size(n: int, phases: int, turns: int) -> tuple[float, float]:
    """(bytes, flops) of the exact moment evaluation (`policies.policy_moments`): augmented
    matrices of size 2^(n+1)+1 per phase, products by repeated squaring."""
    S = 2.0 ** n
    d = 2 * S + 1
    n_bytes = 8.0 * phases * (d * d + (S + n) ** 2 + 2 * S * S)
    flops = 2.0 * d**3 * (phases + 2 * math.log2(turns // max(phases, 1) + 2))
    return n_bytes, flops
