"""experiments/teacher_strength.py: cut seek against cut seek (checked) at each K, the same episodes."""

import json

import numpy as np
import pytest


def test_strength_rows_by_hand_and_bad_arguments():
    """The paired difference is checked K minus cut seek per episode (CI over episodes), the
    win share counts strict wins; bad flags are ValueErrors, a bad K before anything compiles."""
    from experiments.teacher_strength import format_rows, main, parse_args, strength_rows

    res = {"cut seek": np.array([0.1, 0.2, 0.6]), "cut seek (checked) K=1": np.array([0.4, 0.2, 0.5])}
    rows = strength_rows(res, [1, 8], {"cut seek": 1.0, "cut seek (checked) K=1": 2.0})
    assert [r["checks"] for r in rows] == [None, 1]  # K=8 not run yet: left out
    assert rows[0]["mean"][0] == pytest.approx(30.0) and rows[1]["mean"][0] == pytest.approx(110 / 3)
    d = np.array([30.0, 0.0, -10.0])
    assert rows[1]["difference"][0] == pytest.approx(d.mean())
    assert rows[1]["difference"][1] == pytest.approx(4.303 * d.std(ddof=1) / np.sqrt(3))
    assert rows[1]["won"] == pytest.approx(1 / 3)  # a tie is not a win
    text = format_rows(rows)
    assert "| cut seek | 30.0 ± " in text and "| 1 | 36.7 ± " in text and "+6.7 ± " in text and "| 33 % | 2 |" in text
    args = parse_args([])
    assert args.scale == (4, 10) and args.episodes == 32 and args.checks == [1, 2, 4, 8, 16] and args.key == 10_000
    with pytest.raises(ValueError, match="--episodes must be ≥ 2"):
        parse_args(["--episodes", "1"])
    with pytest.raises(ValueError, match="--scale must look like MxN"):
        parse_args(["--scale", "4by10"])
    with pytest.raises(ValueError, match="--checks: each K once"):
        parse_args(["--checks", "2", "2"])
    with pytest.raises(ValueError, match="checks must be an int >= 1"):
        main(["--checks", "1", "0"])


@pytest.mark.slow
def test_teacher_strength_smoke_writes_the_table_and_json(tmp_path, monkeypatch, capsys):
    """--smoke: cut seek and K = 1, 2 on the same 2 episodes at 4x10; one table row and one
    JSON row each, and the per-episode numbers the rows come from."""
    import experiments.teacher_strength as ts

    monkeypatch.setenv("JAXJAM_XLA_DEFAULTS", "off")
    out = ts.main(["--smoke", "--out", str(tmp_path)])
    saved = json.load(open(tmp_path / "teacher_strength.json"))
    assert set(saved) == {"scale", "episodes", "key", "run_seed", "base", "checks", "rows", "per_episode"}
    assert saved["scale"] == [4, 10] and saved["episodes"] == 2 and saved["checks"] == [1, 2]
    assert saved["key"] == 10_000 and saved["base"] == ["env.max_steps=8"]
    assert [r["policy"] for r in saved["rows"]] == ["cut seek", "cut seek (checked) K=1", "cut seek (checked) K=2"]
    assert list(saved["per_episode"]) == [r["policy"] for r in saved["rows"]]
    for r in saved["rows"]:
        x = np.array(saved["per_episode"][r["policy"]])
        assert x.shape == (2,) and r["mean"][0] == pytest.approx(100 * x.mean()) and r["seconds"] > 0
        if r["checks"] is not None:
            d = 100 * (x - np.array(saved["per_episode"]["cut seek"]))
            assert r["difference"][0] == pytest.approx(d.mean()) and r["won"] == np.mean(d > 0)
    assert json.loads(json.dumps(out["rows"])) == saved["rows"]
    text = capsys.readouterr().out
    table = [ln for ln in text.splitlines() if ln.startswith("| ")]
    assert table[0].startswith("| K | mean λ₂ reduction %") and len(table) == 4  # header, cut seek, K=1, K=2
    assert table[1].startswith("| cut seek |") and table[2].startswith("| 1 |") and table[3].startswith("| 2 |")
    assert "cut seek (checked) K=2:" in text and "M=4 N=10, 2 episodes" in text


def test_plot_strength_draws_the_curve_sorted_by_k_and_refuses_an_empty_run(tmp_path, capsys):
    """plot_strength: one point per checked K (ascending, the paired gain and its CI as saved),
    a learner line, a PNG; a run without checked rows is a ValueError naming it."""
    from experiments.plot_strength import main, strength_curve

    rows = [{"policy": "cut seek", "checks": None, "mean": [50.0, 4.0]},
            {"policy": "cut seek (checked) K=8", "checks": 8, "difference": [3.3, 0.9]},
            {"policy": "cut seek (checked) K=2", "checks": 2, "difference": [1.9, 1.0]}]
    assert strength_curve({"rows": rows}) == [(2, 1.9, 1.0), (8, 3.3, 0.9)]
    with pytest.raises(ValueError, match="without checked rows"):
        strength_curve({"rows": rows[:1]})
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"rows": rows}))
    out = tmp_path / "s.png"
    main(["--run", str(path), "M=40", "--learner", "learner", "-0.5", "0.7", "--out", str(out)])
    assert out.stat().st_size > 1000 and "M=40: K=2 +1.9 ± 1.0, K=8 +3.3 ± 0.9" in capsys.readouterr().out


def test_joint_teacher_is_the_check_for_one_jammer_and_its_first_jammer_decides_alike():
    """experiments/joint_teacher.planned_policy: with one jammer it is cut seek (checked); with
    several, the first jammer in the order sees exactly what the simultaneous check sees (the
    others where they are), so its velocity is the same; later jammers' may differ. Bad
    checks/sweeps and --plans are ValueErrors before anything compiles."""
    import jax
    import jax.numpy as jnp

    from experiments.joint_teacher import parse_args, planned_policy
    from jaxjam.config import override, preset
    from jaxjam.env import reset
    from jaxjam.policies import cut_seek_policy

    for m, key in ((1, 3), (4, 5)):
        cfg = override(preset("default"), {"env.num_jammers": m, "physics.eigensolver": "eigh"})
        _, state = reset(jax.random.PRNGKey(key), cfg)
        ref = np.asarray(cut_seek_policy(cfg, "checked", checks=4)(None, None, state).velocity)
        for sweeps in (1, 2):
            got = planned_policy(cfg, 4, sweeps)(None, None, state)
            np.testing.assert_allclose(np.asarray(got.velocity)[0], ref[0], atol=1e-4)
            np.testing.assert_array_equal(np.asarray(got.band), int(state.enemy_band))
    # a layout where the order matters: the four jammers together at the swarm's centre
    centre = jnp.broadcast_to(jnp.mean(state.enemy_pos, axis=0), (4, 2))
    state = state.replace(jammer_pos=centre)
    ref = np.asarray(cut_seek_policy(cfg, "checked", checks=4)(None, None, state).velocity)
    got = np.asarray(planned_policy(cfg, 4)(None, None, state).velocity)
    np.testing.assert_allclose(got[0], ref[0], atol=1e-4)
    assert np.isfinite(got).all() and not np.allclose(got, ref, atol=1e-3)
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="checks must be an int >= 1"):
            planned_policy(cfg, bad)
        with pytest.raises(ValueError, match="sweeps must be an int >= 1"):
            planned_policy(cfg, 4, bad)
    with pytest.raises(ValueError, match="--plans: each K,SWEEPS two ints"):
        parse_args(["--plans", "4"])
    with pytest.raises(ValueError, match="--plans: each K,SWEEPS two ints"):
        parse_args(["--plans", "4,x"])


@pytest.mark.slow
def test_joint_teacher_smoke_writes_its_rows(tmp_path):
    """--smoke: cut seek, the check and two planned policies on the same 2 episodes; each row's
    paired difference is its per-episode numbers minus cut seek's."""
    from experiments.joint_teacher import main

    out = main(["--smoke", "--predict", "3", "--out", str(tmp_path)])
    saved = json.load(open(tmp_path / "joint_teacher.json"))
    assert [r["policy"] for r in saved["rows"]] == ["cut seek", "cut seek (checked) K=2", "planned K=2 sweeps=1",
                                                   "planned K=2 sweeps=2", "predicted 3 steps K=4"]
    per = {k: np.array(v) for k, v in out["per_episode"].items()}
    for r in saved["rows"]:
        assert r["difference"][0] == pytest.approx(100 * np.mean(per[r["policy"]] - per["cut seek"]))
