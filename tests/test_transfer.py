"""A trained policy elsewhere: `jaxjam eval` at another scale (zero-shot) and `jaxjam train
--init-from` (fine-tuning), on one tiny attention run shared by the module."""

import json
import os

import jax
import numpy as np
import pytest

from jaxjam.cli import main as cli_main
from jaxjam.config import override, preset
from jaxjam.train import make_train
from jaxjam.transfer import at_scale, init_params, restore_run, scale_note, scale_updates

TINY = ["--obs", "entity", "--hidden", "8", "--total-steps", "64", "--num-envs", "4",
        "--rollout-steps", "8", "--max-steps", "8", "--updates-per-chunk", "2",
        "--eval-episodes", "2", "--num-jammers", "3", "--num-enemies", "8",
        "--set", "ppo.network=attention", "ppo.attention_heads=2", "ppo.attention_layers=1",
        "env.entity_links=4", "env.entity_top_links=2", "env.entity_enemies=3",
        "env.entity_jammers=2", "run.baselines=basic", "ppo.num_minibatches=2"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("transfer") / "run")
    assert cli_main(["train", *TINY, "--out", out]) == 0
    return out


@pytest.mark.slow
def test_eval_at_another_scale_writes_its_own_file(run_dir, capsys):
    capsys.readouterr()
    assert cli_main(["eval", "--checkpoint", run_dir, "--num-jammers", "5", "--num-enemies", "12",
                     "--arena-m", "260", "--episodes", "2"]) == 0
    text = capsys.readouterr().out
    assert "trained at M=3 N=8" in text and "evaluated at M=5 N=12 arena 260 m (zero-shot)" in text
    assert "note:" not in text  # entity offsets are in radio ranges: no arena caveat
    files = [f for f in os.listdir(run_dir) if f.endswith("_M5N12.json")]
    assert len(files) == 1, os.listdir(run_dir)
    res = json.load(open(os.path.join(run_dir, files[0])))
    assert {"trained (mode)", "random", "heuristic"} <= set(res)
    assert json.load(open(os.path.join(run_dir, "config.json")))["env"]["num_jammers"] == 3


@pytest.mark.slow
def test_fine_tuning_starts_from_the_checkpoint_networks(run_dir, tmp_path, capsys):
    cfg, src, _, _ = restore_run(run_dir)
    new = override(cfg, {"env.num_jammers": 5, "env.num_enemies": 12, "run.num_seeds": 2})
    template = jax.eval_shape(make_train(new).init_seeds, jax.random.split(jax.random.PRNGKey(1), 2))
    actor, critic = init_params(template, new, run_dir)  # checked and copied to both seeds, uncompiled
    for got, want in ((actor, src.train_state.actor_params), (critic, src.train_state.critic_params)):
        for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
            assert a.shape == (2,) + b.shape
            np.testing.assert_array_equal(np.asarray(a[1]), np.asarray(b))
    out = str(tmp_path / "tuned")  # the fixture's scale: its compiled programs are in the cache
    assert cli_main(["train", *TINY, "--init-from", run_dir, "--out", out]) == 0
    assert f"networks initialised from {run_dir}" in capsys.readouterr().out
    assert json.load(open(os.path.join(out, "config.json")))["run"]["init_from"] == run_dir


def test_init_from_other_networks_is_refused_by_name(run_dir, tmp_path, capsys):
    capsys.readouterr()
    rc = cli_main(["train", *TINY, "--hidden", "16", "--init-from", run_dir,
                   "--out", str(tmp_path / "bad")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "its networks differ" in err and "ppo.hidden" in err \
        and "ppo.attention_mode" in err


def test_scales_a_policy_cannot_run_at_are_refused_with_the_reason():
    lg = override(preset("default"), {"env.obs": "local_graph"})  # K = 8 link slots
    with pytest.raises(ValueError, match="cannot run at this scale: env.local_graph_k"):
        at_scale(lg, scale_updates(num_enemies=4))  # 6 links < 8 slots
    with pytest.raises(ValueError, match="only the scale"):
        at_scale(lg, {"env.obs": "seed"})
    big = at_scale(lg, scale_updates("large"))
    assert (big.env.num_jammers, big.env.num_enemies, big.env.arena_m) == (40, 100, 500.0)
    assert big.env.obs == "local_graph" and big.ppo == lg.ppo
    assert "arena sides" in scale_note(lg, big)
    assert scale_note(lg, at_scale(lg, scale_updates(num_jammers=6))) is None


@pytest.mark.slow
def test_render_animates_the_trained_policy_and_a_baseline_on_the_same_episode(run_dir, tmp_path, capsys):
    from PIL import Image

    from jaxjam.animate import episode_trace
    from jaxjam.policies import by_name

    gif = str(tmp_path / "trained.gif")
    assert cli_main(["render", "--checkpoint", run_dir, "--out", gif, "--steps", "6", "--every", "2",
                     "--num-jammers", "4"]) == 0
    assert "4 frames of episode 0 (trained (mode))" in capsys.readouterr().out
    with Image.open(gif) as im:
        assert im.n_frames == 4 and im.size[0] > im.size[1] > 100
        first = np.asarray(im.convert("RGB"))
        im.seek(3)
        assert not np.array_equal(first, np.asarray(im.convert("RGB")))  # the jammers move
    # the same episode for two policies: same enemies at every step, different jammers
    cfg = restore_run(run_dir)[0]
    key = jax.random.PRNGKey(7)
    a = episode_trace(cfg, by_name(cfg, "planner"), key, steps=5)
    b = episode_trace(cfg, by_name(cfg, "random"), key, steps=5)
    np.testing.assert_array_equal(a.enemy_pos, b.enemy_pos)
    assert not np.allclose(a.jammer_pos[1:], b.jammer_pos[1:])
    assert a.reduction[0] == 0.0 and np.all((a.reduction >= 0) & (a.reduction <= 1))
    np.testing.assert_array_equal(a.jammed & ~a.live, False)  # only live links are jammed
    png = str(tmp_path / "reset.png")
    assert cli_main(["render", "--preset", "default", "--out", png]) == 0 and os.path.getsize(png) > 0
    rc = cli_main(["render", "--checkpoint", run_dir, "--out", gif, "--set", "ppo.hidden=4"])
    assert rc == 2 and "only --preset, --num-jammers" in capsys.readouterr().err
    rc = cli_main(["render", "--policy", "trained", "--out", gif])
    assert rc == 2 and "needs --checkpoint" in capsys.readouterr().err
    rc = cli_main(["render", "--policy", "planner", "--out", str(tmp_path / "x.avi")])
    assert rc == 2 and ".gif or .mp4" in capsys.readouterr().err


@pytest.mark.slow
def test_paired_takes_a_train_run_and_another_run_as_a_competitor(run_dir, tmp_path, capsys):
    """experiments/paired.py --run DIR: the run's policy on the same episodes as a baseline and
    as `run:DIR` (itself: a paired difference of exactly 0, no episode won); a competitor run
    whose env differs beyond the observation is refused by field, an observation setting is not;
    --run with --source-from is refused."""
    from experiments.paired import main as paired_main, parse_args, run_policy

    out = paired_main(["--run", run_dir, "--scale", "3x8", "--episodes", "2", "--against", "stay",
                       f"run:{run_dir}", "--out", str(tmp_path)])
    rows = {r["policy"]: r for r in out["rows"]}
    assert set(rows) == {"trained (mode, seed mean)", "stay", f"run:{run_dir}"} and out["seeds"] == 1
    assert rows[f"run:{run_dir}"]["difference"][0] == 0.0 and rows[f"run:{run_dir}"]["won"] == 0.0
    assert rows[f"run:{run_dir}"]["mean"] == rows["trained (mode, seed mean)"]["mean"]
    per = out["per_episode"]  # saved per episode, so later runs on the same episodes pair with it
    assert set(per) == {"learned", "stay", f"run:{run_dir}"} and np.shape(per["learned"]) == (1, 2)
    assert per[f"run:{run_dir}"] == per["learned"][0]
    assert "(1 seed)" in capsys.readouterr().out
    _, _, cfg = run_policy(run_dir, None, (3, 8))
    run_policy(run_dir, override(cfg, {"env.entity_links": 5}), (3, 8))  # what it sees may differ
    with pytest.raises(ValueError, match=r"env.max_steps = 8 differs .* \(not the same episodes\)"):
        run_policy(run_dir, override(cfg, {"env.max_steps": 9}), (3, 8))
    with pytest.raises(ValueError, match="--run and --source-from"):
        parse_args(["--run", run_dir, "--source-from", "x.pkl"])
