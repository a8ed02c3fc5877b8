"""Baseline policies for evaluation, rendering and tests: `policy(key, obs, state) -> Action`.

`baselines(config)` gives every baseline by name, in the order `jaxjam eval` prints them:
random (a floor), heuristic, the scripted motions, cut seek and its best-response variant
"cut seek (others)" (the strongest scripted policies) and the centralised planners: the
planner, "cut seek (checked)" (cut seek (others) with its candidates checked by the λ₂
they leave, the planner's test; jaxjam.policies.scripted) and "cut seek (predicted)" (that
check with 16 candidates, aimed at where the enemies will be 3 steps ahead).
"""

from __future__ import annotations

from jaxjam.config import Config
from jaxjam.policies.planner import greedy_targets, match_targets, planner_policy
from jaxjam.policies.scripted import (
    PREDICTED_LINKS, PREDICTED_STEPS, Policy, cut_seek_policy, diffuse_policy, disperse_policy, heuristic_policy, random_policy,
)

SCRIPTED = ("stay", "diffuse 0.6", "disperse 30 m", "disperse 40 m", "cut seek", "cut seek (others)")  # the best is reported too


def baselines(config: Config, planner: bool = True) -> dict[str, Policy]:
    """Every baseline by name: random, heuristic, scripted motions, and (`planner`) the planners."""
    out = {"random": random_policy(config), "heuristic": heuristic_policy(config),
           "stay": diffuse_policy(config, 0.0), "diffuse 0.6": diffuse_policy(config, 0.6),
           "disperse 30 m": disperse_policy(config, 30.0), "disperse 40 m": disperse_policy(config, 40.0),
           "cut seek": cut_seek_policy(config), "cut seek (others)": cut_seek_policy(config, "others")}
    if planner:  # the centralised planners (many eigensolves per step)
        out["cut seek (checked)"] = cut_seek_policy(config, "checked")
        out["cut seek (predicted)"] = cut_seek_policy(config, "checked", PREDICTED_LINKS, PREDICTED_STEPS)
        out["planner"] = planner_policy(config)
    return out


def by_name(config: Config, name: str) -> Policy:
    """One baseline by its `baselines` name (ValueError listing the names otherwise)."""
    table = baselines(config)
    if name not in table:
        raise ValueError(f"policy must be one of {', '.join(table)}; got {name!r}")
    return table[name]


__all__ = ["PREDICTED_LINKS", "PREDICTED_STEPS", "Policy", "SCRIPTED", "baselines", "by_name", "cut_seek_policy", "diffuse_policy", "disperse_policy",
           "greedy_targets", "heuristic_policy", "match_targets", "planner_policy", "random_policy"]
