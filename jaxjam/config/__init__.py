"""Configuration: frozen dataclasses, presets, YAML/CLI overrides, validation.

Everything static about a run lives here. `preset(name)` returns a validated `Config`;
`override(config, {"env.num_jammers": 40, ...})` returns a new one. Each field is declared
once, in `schema`, with its default, its allowed range or choices and its meaning; `validate`
checks every field before anything compiles, and a bad value raises `ValueError` naming the
field and its allowed range.

    schema.py     the dataclasses (PhysicsConfig, EnvConfig, PPOConfig, RunConfig, Config)
    checks.py     validate: ranges and choices from schema, then relations between fields
    presets.py    preset(name), PRESETS
    overrides.py  override, load_yaml, to_dict, from_dict
    traced.py     EnvNumbers, static_env, with_numbers: the `traced=True` fields as a pytree
                  the programs take as input (imports JAX, so not re-exported here)
"""

from jaxjam.config.checks import validate
from jaxjam.config.overrides import from_dict, load_yaml, override, parse_sets, to_dict
from jaxjam.config.presets import PRESETS, preset
from jaxjam.config.schema import (BAND_FREQS_HZ, SPEED_OF_LIGHT_M_S, Config, EnvConfig, PhysicsConfig,
                                  PPOConfig, RunConfig)

__all__ = ["BAND_FREQS_HZ", "SPEED_OF_LIGHT_M_S", "Config", "EnvConfig", "PhysicsConfig", "PPOConfig",
           "PRESETS", "RunConfig", "from_dict", "load_yaml", "override", "parse_sets", "preset", "to_dict", "validate"]
