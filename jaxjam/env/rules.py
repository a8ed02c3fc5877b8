"""Where the `reference` model's rules differ from `jaxjam`'s, resolved once (docs/model.md).

    r = model_rules(config.env)      # one place; the env never compares env.model itself

Adding a model = one entry in `MODEL_RULES` (and its name in the config schema's choices).
"""

from __future__ import annotations

from typing import NamedTuple

from jaxjam.config import EnvConfig

LAMBDA2_EPS = 1e-3  # a baseline λ₂ at or below this is "already disconnected": no credit
REFERENCE_ACCEPT_LAMBDA2 = 0.5  # spec §5: a reset layout is accepted when λ₂(0) ≥ 0.5


class ModelRules(NamedTuple):
    """The rule choices of one environment model (all static Python values)."""

    accept_lambda2: float  # a reset layout is kept when its unjammed λ₂ is at least this
    baseline_is_reset: bool  # λ₂ reduction against λ₂(0) (reference) or the same-step unjammed λ₂
    noise_slot: bool  # the DBSCAN noise points' mean is a centroid slot (reference) or the swarm
                      # mean is, only when there is no cluster (jaxjam)
    empty_start_map: bool  # random jammer start: the assignment map starts empty (spec §5)
    stale_centroids: bool  # between fits the last fit's centroids stay (spec §6) or follow members
    energy_scale: float  # r4 = energy_scale · mean |v|² / v_max² (1 reference, 1/2 jaxjam: in [0, 1])


MODEL_RULES = {
    "jaxjam": ModelRules(accept_lambda2=LAMBDA2_EPS, baseline_is_reset=False, noise_slot=False,
                         empty_start_map=False, stale_centroids=False, energy_scale=0.5),
    "reference": ModelRules(accept_lambda2=REFERENCE_ACCEPT_LAMBDA2, baseline_is_reset=True,
                            noise_slot=True, empty_start_map=True, stale_centroids=True,
                            energy_scale=1.0),
}


def model_rules(cfg: EnvConfig) -> ModelRules:
    """The rules of `cfg.model` (validated by the config: always a known name)."""
    return MODEL_RULES[cfg.model]
