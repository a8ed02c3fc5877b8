"""Training: learning beats random on a tiny case; seeds via vmap; CLI end to end; smoke run."""

import json
import os

import jax
import numpy as np
import pytest

from jaxjam.cli import main as cli_main
from jaxjam.config import override, preset
from jaxjam.evaluate import actor_policy, compare_policies, random_policy
from jaxjam.train import compile_programs, make_train

TINY = override(preset("default"), {
    "ppo.num_envs": 32, "ppo.rollout_steps": 32, "ppo.total_steps": 32 * 32 * 40, "ppo.lr_actor": 1e-3,
    "ppo.hidden": 64, "ppo.update_epochs": 4, "ppo.num_minibatches": 4,
    "env.max_steps": 64, "run.updates_per_chunk": 40})


PER_AGENT = override(TINY, {"env.credit_weight": 1.0, "env.own_overlap": True,
                            "ppo.critic_obs": "pooled_own"})


TEACHER = override(TINY, {"env.obs": "local_graph", "ppo.imitation_coef": 1.0})


@pytest.mark.slow
@pytest.mark.parametrize("cfg", [TINY, PER_AGENT, TEACHER], ids=["team_reward", "per_agent_rewards",
                                                             "planner_teacher"])
def test_learning_beats_random_on_same_episodes(cfg):
    tr = make_train(cfg)
    runner, metrics = tr.train_chunk(tr.init(jax.random.PRNGKey(0)))
    m = jax.device_get(metrics)
    assert np.all(np.isfinite(m["actor_loss"])) and np.all(np.isfinite(m["critic_loss"]))
    assert m["band_match"][-1] > m["band_match"][0] + 0.2  # the band head learns
    ts = runner.train_state
    res = compare_policies(cfg, {"trained": actor_policy(cfg, ts.actor, ts.actor_params),
                                 "random": random_policy(cfg)}, jax.random.PRNGKey(99), 48)
    trained, rand = res["trained"]["mean_reduction"], res["random"]["mean_reduction"]
    assert trained[0] - trained[1] > rand[0] + rand[1]  # CIs separated
    assert res["trained"]["band_match"][0] > 0.9
    if cfg.ppo.imitation_coef > 0:  # the teacher term is logged and the actor moves towards it
        assert m["imitation_loss"][-1] < 0.7 * m["imitation_loss"][0]
        assert m["imitation_coef"][0] == pytest.approx(1.0) and m["imitation_coef"][-1] < 0.05
    else:
        assert "imitation_loss" not in m


@pytest.mark.slow
def test_seed_vmap_matches_single_seed_runs():
    cfg = override(TINY, {"ppo.total_steps": 32 * 32 * 2, "run.updates_per_chunk": 2})
    tr = make_train(cfg)
    keys = jax.random.split(jax.random.PRNGKey(3), 2)
    batched, mb = tr.train_chunk_seeds(tr.init_seeds(keys))
    for s in range(2):
        single, ms = tr.train_chunk(tr.init(keys[s]))
        for a, b in zip(jax.tree.leaves(single.train_state.actor_params),
                        jax.tree.leaves(batched.train_state.actor_params)):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b)[s], rtol=2e-3, atol=2e-4)
        np.testing.assert_allclose(np.asarray(ms["reward"]), np.asarray(mb["reward"])[s], rtol=1e-3, atol=1e-4)


def _tensorboard_scalars(tb_dir) -> dict[str, list[tuple[int, float]]]:
    """{tag: [(step, value)]} from the event files in `tb_dir` (TFRecord framing, parsed here)."""
    import struct

    from tensorboardX.proto import event_pb2

    out = {}
    for name in sorted(os.listdir(tb_dir)):
        data = open(os.path.join(tb_dir, name), "rb").read()
        pos = 0
        while pos < len(data):
            (length,) = struct.unpack("<Q", data[pos:pos + 8])
            event = event_pb2.Event.FromString(data[pos + 12:pos + 12 + length])
            pos += 12 + length + 4
            for v in event.summary.value:
                out.setdefault(v.tag, []).append((event.step, v.simple_value))
    return out


@pytest.mark.slow
def test_cli_train_resume_eval_and_errors(tmp_path, capsys):
    out = str(tmp_path / "run")
    args = ["train", "--total-steps", "512", "--num-envs", "8", "--rollout-steps", "16",
            "--max-steps", "16", "--hidden", "16", "--updates-per-chunk", "2", "--eval-episodes", "4",
            "--set", "ppo.num_minibatches=2", "ppo.update_epochs=1", "--out", out]
    assert cli_main(args) == 0
    text = capsys.readouterr().out
    assert "100.0%" in text and "steps/s" in text and "heuristic" in text
    assert "best scripted policy" in text and "full-state planners: cut seek (checked) " in text and ", planner " in text
    for f in ("metrics.csv", "learning_curve.png", "eval.json", "config.json"):
        assert os.path.getsize(os.path.join(out, f)) > 0
    rows = open(os.path.join(out, "metrics.csv")).read().strip().splitlines()
    assert len(rows) == 1 + 4  # header + 4 updates
    tags = _tensorboard_scalars(os.path.join(out, "tb"))  # every CSV column, per update, + perf
    header = rows[0].split(",")
    for col in set(header) - {"env_steps"}:
        assert [step for step, _ in tags[col]] == [128, 256, 384, 512], col  # 8 envs × 16 steps
    assert {"perf/update_s", "perf/env_steps_per_s", "perf/lambda2_batch_ms"} <= set(tags)
    assert tags["perf/lambda2_batch_ms"][0][1] > 0.0
    np.testing.assert_allclose([v for _, v in tags["episode_mean_reduction"]],
                               [float(r.split(",")[header.index("episode_mean_reduction")]) for r in rows[1:]],
                               rtol=1e-6)
    basic = ["--set", "ppo.num_minibatches=2", "ppo.update_epochs=1", "run.baselines=basic"]
    assert cli_main(args + ["--resume"] + basic) == 0  # already finished: resumes, only evaluates
    text = capsys.readouterr().out
    assert "resumed from" in text and "planner" not in text
    assert set(json.load(open(os.path.join(out, "eval.json")))) == {
        "trained (mode)", "trained (sampled)", "random", "heuristic"}
    assert cli_main(["eval", "--checkpoint", out, "--episodes", "4"]) == 0
    assert set(json.load(open(os.path.join(out, "eval_chunk1_4eps.json")))) >= {
        "random", "heuristic", "stay", "disperse 30 m", "planner"}
    assert "planner" not in json.load(open(os.path.join(out, "eval.json")))  # training's, kept
    assert cli_main(["train", "--num-jammers", "0", "--out", out]) == 2
    assert "env.num_jammers must be in [1" in capsys.readouterr().err
    assert cli_main(["eval", "--checkpoint", str(tmp_path / "missing")]) == 2


@pytest.mark.slow
def test_large_scale_smoke(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXJAM_XLA_DEFAULTS", "off")  # keep this process's env as it is
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "large_scale", os.path.join(os.path.dirname(__file__), "..", "experiments", "large_scale.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    tuned = os.path.join(os.path.dirname(__file__), "..", "experiments", "configs", "large_tuned.yaml")
    out = mod.main(["--smoke", "--config", tuned, "--out", str(tmp_path / "large")])
    assert out["env_steps"] > 0 and "random" in out["results"] and "trained (sampled)" in out["results"]
    used = json.load(open(tmp_path / "large" / "config.json"))
    assert used["env"]["obs"] == "local_graph" and used["ppo"]["band_entropy_scale"] == 0.03


def test_compile_programs_equal_the_jitted_ones_and_take_host_runners():
    cfg = override(TINY, {"ppo.total_steps": 32 * 32 * 2, "run.updates_per_chunk": 2})
    tr = make_train(cfg)
    key = jax.random.PRNGKey(4)
    init, chunk = compile_programs(tr, key)
    fast, _ = chunk(init(key))
    slow, _ = tr.train_chunk(tr.init(key))
    for a, b in zip(jax.tree.leaves(fast), jax.tree.leaves(slow)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    again, _ = chunk(jax.device_get(slow))  # a restored (host) runner runs through it too
    assert int(again.env_steps) == 2 * int(slow.env_steps)


def test_staggered_episodes_start_at_spread_steps_and_end_at_different_times():
    cfg = override(TINY, {"ppo.stagger_episodes": True, "ppo.total_steps": 32 * 32,
                          "run.updates_per_chunk": 1})
    tr = make_train(cfg)
    runner = tr.init(jax.random.PRNGKey(5))
    start = np.asarray(runner.env_state.step)
    assert start.min() >= 0 and start.max() < cfg.env.max_steps and len(np.unique(start)) > 8
    runner, _ = tr.train_chunk(runner)
    # after 32 steps the envs that started late (step ≥ 32) finished once, the others not yet
    finished = np.asarray(runner.log.episodes)
    np.testing.assert_array_equal(finished, (start >= cfg.env.max_steps - 32).astype(np.int32))
    plain = make_train(override(cfg, {"ppo.stagger_episodes": False})).init(jax.random.PRNGKey(5))
    np.testing.assert_array_equal(np.asarray(plain.env_state.step), 0)


def test_teacher_on_a_subset_of_envs():
    """ppo.teacher_envs = K: the planner labels K of the envs; the term is logged and finite;
    K above ppo.num_envs is refused by name before anything compiles."""
    cfg = override(TEACHER, {"ppo.teacher_envs": 8, "ppo.total_steps": 32 * 32 * 2,
                             "run.updates_per_chunk": 2})
    tr = make_train(cfg)
    _, m = tr.train_chunk(tr.init(jax.random.PRNGKey(0)))
    assert np.all(np.isfinite(np.asarray(m["imitation_loss"])))
    with pytest.raises(ValueError, match="ppo.teacher_envs"):
        override(TEACHER, {"ppo.teacher_envs": 33})
