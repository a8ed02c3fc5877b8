"""Changing a config: dotted-key overrides (CLI `--set`), YAML files, plain dicts (JSON)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import fields, replace
from typing import Any, Mapping

from jaxjam.config.checks import validate
from jaxjam.config.presets import preset
from jaxjam.config.schema import Config, PhysicsConfig


def _coerce(name: str, current: Any, value: Any) -> Any:
    """Convert a YAML/CLI value to the type of the current field value."""
    if isinstance(current, bool):
        if isinstance(value, str):
            low = value.strip().lower()
            if low in ("true", "1", "yes", "on"):
                return True
            if low in ("false", "0", "no", "off"):
                return False
            raise ValueError(f"{name} must be true or false, got {value!r}")
        return value
    if isinstance(current, tuple):
        if isinstance(value, str):
            value = [v for v in value.replace(",", " ").split() if v]
        if not isinstance(value, (list, tuple)):
            value = [value] * len(current)
        return tuple(_coerce(name, current[0], v) for v in value)
    if isinstance(current, (int, float)) and isinstance(value, str):
        try:
            num = float(value)
        except ValueError:
            raise ValueError(f"{name} must be a number, got {value!r}") from None
        return int(num) if isinstance(current, int) and num.is_integer() else num
    if isinstance(current, float) and isinstance(value, int):
        return float(value)
    return value


def _range_value(key: str, value: Any) -> float:
    """A derived range (m) from YAML/CLI: a finite number > 0, else ValueError naming `key`."""
    try:
        v = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        v = math.nan
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{key} must be a number in (0, inf) metres, got {value!r}")
    return v


def override(cfg: Config, updates: Mapping[str, Any]) -> Config:
    """Return `cfg` with dotted-key updates, e.g. {"env.num_jammers": 40}; validated.

    Two derived keys are accepted: `physics.comm_range_m` and `physics.jam_range_m`
    rebuild the per-band thresholds so that the range holds on every band.
    """
    parts = {k: getattr(cfg, k) for k in ("physics", "env", "ppo", "run")}
    ranges = {}
    for key, value in updates.items():
        if value is None:
            continue
        if key in ("physics.comm_range_m", "physics.jam_range_m"):
            ranges[key.split(".")[1]] = _range_value(key, value)
            continue
        part, _, name = key.partition(".")
        if part not in parts or name not in {f.name for f in fields(parts[part])}:
            raise ValueError(f"unknown config field {key!r}")
        current = getattr(parts[part], name)
        parts[part] = replace(parts[part], **{name: _coerce(key, current, value)})
    if ranges:
        for k, v in ranges.items():
            if not (math.isfinite(v) and 0 < v <= 1e9):  # metres; beyond, the dBm thresholds underflow
                raise ValueError(f"physics.{k} must be in (0, 1e+09] m, got {v!r}")
        p = parts["physics"]
        comm = ranges.get("comm_range_m", min(p.comm_range_m()))
        jam = ranges.get("jam_range_m", min(p.jam_range_m()))
        keep = {f.name: getattr(p, f.name) for f in fields(p)
                if f.name not in ("sensitivity_dbm", "jam_threshold_dbm")}
        parts["physics"] = PhysicsConfig.from_ranges(comm, jam, **keep)
    return validate(Config(**parts))


def _read_yaml(path: str) -> Any:
    """Parse a YAML file with `yaml.safe_load`; every failure is a one-line ValueError naming
    the file (and the line where YAML knows it): missing, a directory, not UTF-8, bad syntax,
    a tag such as `!!python/object` (never executed)."""
    import yaml

    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except IsADirectoryError:
        raise ValueError(f"config file {path}: is a directory, expected a YAML file") from None
    except OSError as err:
        raise ValueError(f"config file {path}: cannot read it ({err.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"config file {path}: not UTF-8 text (byte {err.start}); "
                         f"expected a YAML file") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        what = getattr(err, "problem", None) or str(err).splitlines()[0]
        if isinstance(err, yaml.constructor.ConstructorError):
            what = f"{what} (only plain YAML values are allowed; tags are not executed)"
        raise ValueError(f"config file {path}:{where} invalid YAML: {what}") from None


def parse_sets(items, flag: str = "--set") -> dict[str, str]:
    """SECTION.FIELD=VALUE strings (a command line's `flag` list) -> {field: value}; ValueError
    naming `flag` and the item when one has no '='. The values are checked by `override`."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"{flag} expects SECTION.FIELD=VALUE, got {item!r}")
        out[key] = value
    return out


def load_yaml(path: str, base: Config | None = None, keep_base: bool = False) -> Config:
    """Apply a YAML file of nested sections ({env: {num_jammers: 40}}) or a `preset:` key.

    The file's `preset:` key replaces `base` unless `keep_base` (a preset named on the command
    line wins over the file's: `--preset large --config small.yaml` is the file at `large`)."""
    import yaml

    data = _read_yaml(path) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of config sections")
    named = data.pop("preset", None)
    if named is not None and (base is None or not keep_base):
        cfg = preset(named)
    else:
        cfg = base or preset("default")
    flat = {}
    for part, values in data.items():
        if not isinstance(values, dict):
            raise ValueError(f"{path}: section {part!r} must be a mapping")
        flat.update({f"{part}.{k}": v for k, v in values.items()})
    return override(cfg, flat)


def to_dict(cfg: Config) -> dict:
    """Nested plain-Python dict (tuples as lists) for JSON/YAML."""
    return dataclasses.asdict(cfg)


def from_dict(data: Mapping[str, Any]) -> Config:
    """Inverse of `to_dict`; validated."""
    parts = {}
    for f in fields(Config):
        sub_cls = type(getattr(Config(), f.name))
        sub = data.get(f.name, {})
        kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in sub.items()}
        parts[f.name] = sub_cls(**kwargs)
    return validate(Config(**parts))
