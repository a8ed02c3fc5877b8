"""Radio-frequency maths: unit conversions, free-space path loss, ranges.

Pure array functions (numpy or JAX inputs), no state, no RNG.
"""

from __future__ import annotations

import math

import jax.numpy as jnp


def dbm_to_w(p_dbm):
    """Power in watts from dBm: 10^((P_dBm − 30)/10)."""
    return 10.0 ** ((p_dbm - 30.0) / 10.0)


def w_to_dbm(p_w):
    """Power in dBm from watts: 10·log10(P_W) + 30."""
    return 10.0 * jnp.log10(p_w) + 30.0


def fspl_db(distance_m, freq_hz, c_m_s: float = 3.0e8, min_distance_m: float = 1e-10):
    """Free-space path loss in dB: 20 log10(d) + 20 log10(f) + 20 log10(4π/c)."""
    d = jnp.maximum(distance_m, min_distance_m)
    return 20.0 * jnp.log10(d) + 20.0 * jnp.log10(freq_hz) + 20.0 * math.log10(4.0 * math.pi / c_m_s)


def received_power_w(tx_power_w, distance_m, freq_hz, c_m_s: float = 3.0e8,
                     min_distance_m: float = 1e-10):
    """Friis free-space received power (W): P_t · (c / (4π f d))², d floored at min_distance_m."""
    d = jnp.maximum(distance_m, min_distance_m)
    return tx_power_w * (c_m_s / (4.0 * math.pi * freq_hz * d)) ** 2


def range_m(tx_power_w: float, threshold_w: float, freq_hz: float, c_m_s: float = 3.0e8) -> float:
    """Distance (m) at which free-space received power equals `threshold_w`."""
    return c_m_s / (4.0 * math.pi * freq_hz) * math.sqrt(tx_power_w / threshold_w)
