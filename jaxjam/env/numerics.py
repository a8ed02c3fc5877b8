"""Arithmetic with config numbers that gives the same float32 bits whether a number is a Python
constant (a static config) or a traced array (`jaxjam.config.traced.EnvNumbers`).

XLA rewrites `x / c` for a constant c into `x * (1/c)` with 1/c rounded to float32, and folds
Python arithmetic on constants in float64 before rounding; a traced c gets neither. Writing the
reciprocal (and products of constants) explicitly in float32 makes both paths compute the same
thing: `x * inverse(c)`, `scale(c, 0.1)`.
"""

from __future__ import annotations

import jax.numpy as jnp


def inverse(c):
    """1 / c in float32 (c: Python number or traced scalar / array)."""
    return 1.0 / jnp.asarray(c, jnp.float32)


def square(c):
    """c² in float32."""
    c = jnp.asarray(c, jnp.float32)
    return c * c


def scale(c, factor: float):
    """factor · c in float32 (factor a Python constant, e.g. 0.1 of the arena side)."""
    return jnp.float32(factor) * jnp.asarray(c, jnp.float32)
