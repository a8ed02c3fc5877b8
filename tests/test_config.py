"""Config presets, overrides and validation errors."""

import math

import pytest

from jaxjam.config import from_dict, load_yaml, override, preset, to_dict


def test_presets():
    d, l, r = preset("default"), preset("large"), preset("reference")
    assert (d.env.num_jammers, d.env.num_enemies, d.env.model) == (4, 10, "jaxjam")
    assert (l.env.num_jammers, l.env.num_enemies, l.env.arena_m) == (40, 100, 500.0)
    assert l.env.reward_weights[4] == 0.05 and l.env.dbscan_eps_m == 20.0 and l.env.dbscan_min_samples == 3
    assert l.ppo.num_envs * l.ppo.rollout_steps == 4096 and l.ppo.lr_actor == 5e-5
    assert r.env.model == "reference" and r.physics.sensitivity_dbm == (-90.0,) * 4
    assert r.physics.jam_threshold_dbm == (-30.0,) * 4 and r.env.arena_m == 100.0
    for name in ("tx_power_dbm", "sensitivity_dbm", "jammer_power_dbm", "jam_threshold_dbm", "band_freqs_hz"):
        assert hasattr(d.physics, name)
    with pytest.raises(ValueError, match="preset"):
        preset("huge")


@pytest.mark.parametrize("key,value,match", [
    ("env.num_jammers", 0, r"env.num_jammers must be in \[1"),
    ("env.num_enemies", 1, r"env.num_enemies must be in \[2"),
    ("physics.tx_power_dbm", math.nan, "physics.tx_power_dbm"),
    ("physics.jammer_power_dbm", -100.0, r"physics.jammer_power_dbm must be in \[-50"),
    ("physics.band_freqs_hz", (433e6, -1.0, 2.4e9, 5.8e9), r"physics.band_freqs_hz\[1\]"),
    ("env.dbscan_eps_m", 0.0, r"env.dbscan_eps_m must be in \(0"),
    ("env.dbscan_eps_m", -3.0, "env.dbscan_eps_m"),
    ("env.arena_m", math.inf, "env.arena_m"),
    ("env.model", "magic", "env.model must be one of"),
    ("env.motion", "static", "env.motion must be one of"),
    ("physics.eigensolver", "lanczos", "physics.eigensolver must be one of"),
    ("ppo.gamma", 1.5, r"ppo.gamma must be in \[0, 1\]"),
    ("ppo.band_entropy_scale", -0.1, r"ppo.band_entropy_scale must be in \[0"),
    ("ppo.num_minibatches", 7, "ppo.num_minibatches must divide"),
    ("env.num_jammers", 2.5, "must be an integer"),
    ("env.reward_weights", (1.0, 0.3), "5 values"),
    ("physics.jam_range_m", -1.0, "physics.jam_range_m"),
])
def test_bad_values_raise_named_errors(key, value, match):
    with pytest.raises(ValueError, match=match):
        override(preset("default"), {key: value})


def test_unknown_field_and_model_obs_mismatch():
    with pytest.raises(ValueError, match="unknown config field"):
        override(preset("default"), {"env.jammers": 3})
    with pytest.raises(ValueError, match="env.obs"):
        override(preset("reference"), {"env.obs": "seed"})


def test_overrides_strings_yaml_and_roundtrip(tmp_path):
    cfg = override(preset("default"), {"env.num_jammers": "40", "env.random_jammer_start": "true",
                                       "physics.jam_range_m": "20"})
    assert cfg.env.num_jammers == 40 and cfg.env.random_jammer_start is True
    assert max(cfg.physics.jam_range_m()) == pytest.approx(20.0)
    assert max(cfg.physics.comm_range_m()) == pytest.approx(86.0)
    p = tmp_path / "c.yaml"
    p.write_text("preset: large\nenv:\n  num_enemies: 50\nppo:\n  lr_actor: 1.0e-4\n")
    y = load_yaml(str(p))
    assert y.env.num_enemies == 50 and y.env.num_jammers == 40 and y.ppo.lr_actor == 1e-4
    assert from_dict(to_dict(y)) == y
    hash(y)  # static jit argument


def test_credit_weight_and_critic_obs_are_validated():
    with pytest.raises(ValueError, match="env.credit_weight"):
        override(preset("default"), {"env.credit_weight": -1.0})
    with pytest.raises(ValueError, match="env.credit_weight must be 0 when env.model is 'reference'"):
        override(preset("reference"), {"env.credit_weight": 1.0})
    with pytest.raises(ValueError, match="ppo.critic_obs must be one of"):
        override(preset("default"), {"ppo.critic_obs": "own"})
    cfg = override(preset("large"), {"env.credit_weight": "2", "ppo.critic_obs": "pooled_own"})
    assert cfg.env.credit_weight == 2.0 and cfg.ppo.critic_obs == "pooled_own"


def test_local_graph_cut_k_at_most_k():
    with pytest.raises(ValueError, match=r"env.local_graph_cut_k must be in \[0, env.local_graph_k = 8\]"):
        override(preset("default"), {"env.local_graph_cut_k": 9})


def test_large_tuned_yaml_is_the_documented_8_seed_setting():
    import os
    path = os.path.join(os.path.dirname(__file__), "..", "experiments", "configs", "large_tuned.yaml")
    want = override(preset("large"), {  # the --set list of docs/results.md's 8-seed command
        "env.obs": "local_graph", "env.reward_weights": "1,0.3,0,0.1,0.2", "env.local_graph_k": 8,
        "env.local_graph_cut_k": 4, "ppo.lr_actor": 3e-4, "ppo.lr_critic": 1e-3,
        "ppo.entropy_coef": 0.1, "ppo.band_entropy_scale": 0.03, "ppo.num_minibatches": 32,
        "env.own_overlap": True, "ppo.critic_obs": "pooled_own", "run.updates_per_chunk": 49})
    assert load_yaml(path, preset("default")) == want


def test_attention_yaml_is_the_documented_setting():
    """experiments/configs/attention.yaml = the screen command of docs/results.md (Session 9);
    attention_fast.yaml, attention_seek.yaml and attention_look.yaml differ from it by what their
    comments say."""
    import os
    path = os.path.join(os.path.dirname(__file__), "..", "experiments", "configs", "attention.yaml")
    want = override(preset("default"), {
        "env.obs": "entity", "ppo.network": "attention", "ppo.hidden": 64, "ppo.imitation_coef": 1.0,
        "ppo.attention_mode": "query", "ppo.lr_actor": 1e-3, "ppo.num_envs": 256,
        "ppo.rollout_steps": 64, "ppo.num_minibatches": 16, "ppo.total_steps": 2097152,
        "run.updates_per_chunk": 8})
    assert load_yaml(path, preset("default")) == want
    fast = os.path.join(os.path.dirname(path), "attention_fast.yaml")  # Session 18: 1 block of 32
    assert load_yaml(fast, preset("default")) == override(want, {"ppo.hidden": 32, "ppo.attention_layers": 1})
    seek = os.path.join(os.path.dirname(path), "attention_seek.yaml")  # Session 19: cut-seek teacher
    assert load_yaml(seek, preset("default")) == override(
        want, {"ppo.hidden": 32, "ppo.attention_layers": 1, "ppo.teacher": "cut_seek"})
    look = os.path.join(os.path.dirname(path), "attention_look.yaml")  # Session 22: the look-ahead
    assert load_yaml(look, preset("default")) == override(want, {
        "ppo.hidden": 32, "ppo.attention_layers": 1, "ppo.teacher": "cut_seek_checked",
        "env.link_lookahead": True})


def test_a_preset_named_on_the_command_line_wins_over_the_files_key(tmp_path):
    """`jaxjam train --config F --preset large` is F's sections at the `large` preset (the
    README's fine-tuning command); without --preset the file's own `preset:` key stands."""
    import argparse

    from jaxjam.cli import _config_args, build_config
    p = tmp_path / "c.yaml"
    p.write_text("preset: default\nppo:\n  hidden: 64\n")
    ap = argparse.ArgumentParser()
    _config_args(ap)
    cfg = lambda *argv: build_config(ap.parse_args(["--config", str(p), *argv]))
    assert cfg() == override(preset("default"), {"ppo.hidden": 64})
    assert cfg("--preset", "large") == override(preset("large"), {"ppo.hidden": 64})
    assert cfg("--preset", "large", "--set", "ppo.hidden=32").ppo.hidden == 32  # --set still last
    assert load_yaml(str(p), preset("large")).env.num_jammers == 4  # the file's key, unless keep_base
    assert load_yaml(str(p), preset("large"), keep_base=True).env.num_jammers == 40


def test_parse_sets_names_the_flag_of_an_item_without_a_value():
    from jaxjam.config import parse_sets
    assert parse_sets(["ppo.lr_actor=1e-4", "env.reward_weights=1,0.3,0,0.1,0.2"]) == {
        "ppo.lr_actor": "1e-4", "env.reward_weights": "1,0.3,0,0.1,0.2"}
    with pytest.raises(ValueError, match=r"--later-set expects SECTION.FIELD=VALUE, got 'ppo.lr_actor'"):
        parse_sets(["ppo.lr_actor"], "--later-set")
