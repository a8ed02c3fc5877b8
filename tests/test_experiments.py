"""The experiment scripts' own logic: the scripted-baselines script, the seed-sweep entry point, the CCS bound."""

import json
import os
import pickle

import jax
import numpy as np
import pytest

from experiments.scripted_baselines import scripted_policies
from experiments.seed_sweep import main as seed_sweep_main
from jaxjam.config import override, parse_sets, preset

CFG = override(preset("default"), {"env.num_jammers": 6, "env.max_steps": 20})


def test_scripted_baselines_script_lists_the_library_policies():
    assert set(scripted_policies(CFG)) >= {"random", "heuristic", "stay", "disperse 30 m", "diffuse 1.65"}


@pytest.mark.slow
def test_seed_sweep_trains_two_seeds_and_reports_both_policies(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JAXJAM_XLA_DEFAULTS", "off")  # keep this process's env as it is
    out = str(tmp_path / "sweep")
    from experiments.curriculum import SMOKE
    from jaxjam.curriculum import arena_for

    # the smoke configs of the curriculum and scaling runs at M=3, N=8: their programs are cached
    seed_sweep_main(["--seeds", "2", "--total-steps", "64", "--episodes", "2", "--out", out, "--set",
                     *SMOKE["base"], "env.num_jammers=3", "env.num_enemies=8",
                     f"env.arena_m={arena_for(8)!r}", "run.baselines=basic", "ppo.band_entropy_scale=0.5"])
    text = capsys.readouterr().out
    assert "2 seeds, preset default" in text and "mode" in text and "sampled" in text
    res = json.load(open(os.path.join(out, "seed_sweep.json")))
    assert len(res["per_seed"]) == 2 and res["env_steps"] == 2 * 64
    assert json.load(open(os.path.join(out, "config.json")))["ppo"]["band_entropy_scale"] == 0.5


def test_random_weights_lower_bound_never_exceeds_the_exact_ccs():
    from experiments.broadcast_ccs_size import random_weights_lower_bound
    from jaxjam.broadcast.ccs import convex_coverage_set

    p, horizon = (0.1, 0.3, 0.5), 6
    exact = convex_coverage_set(p, horizon)[0]
    rows = random_weights_lower_bound(p, horizon, 4096, chunk=1024)
    assert [n for n, _, _ in rows] == [1024, 2048, 4096]
    counts = [k for _, k, _ in rows]
    assert counts == sorted(counts) and len(exact) // 4 <= counts[-1] <= len(exact), (counts, len(exact))


@pytest.mark.slow
def test_curriculum_smoke_trains_two_stages_and_evaluates_zero_shot(tmp_path, monkeypatch, capsys):
    from experiments.curriculum import main as curriculum_main

    monkeypatch.setenv("JAXJAM_XLA_DEFAULTS", "off")
    out = curriculum_main(["--smoke", "--later-set", "ppo.lr_actor=1e-4", "--out", str(tmp_path / "c.json")])
    text = capsys.readouterr().out
    assert "stage 2: M=3 N=8" in text and "zero-shot" in text
    rows = json.load(open(tmp_path / "c.json"))["rows"]
    assert [(r["M"], r["N"]) for r in rows] == [(2, 6), (3, 8)] == [(r["M"], r["N"]) for r in out["rows"]]
    for row in rows:  # both stages' policies at both scales, and the baselines, as percentages
        for name in ("after stage 1", "after stage 2", "heuristic"):
            assert 0.0 <= row[name][0] <= 100.0
    assert "best scripted (heuristic)" in rows[0] and "planner" not in rows[0]
    assert out["later_set"] == ["ppo.lr_actor=1e-4"]


def test_curriculum_stages_parse_and_scale_the_arena():
    from jaxjam.curriculum import parse_stages, stage_configs

    cfgs = stage_configs(preset("default"), parse_stages("4x10:64, 10x25:128"))
    assert [(c.env.num_jammers, c.env.num_enemies, c.ppo.total_steps) for c in cfgs] == [(4, 10, 64), (10, 25, 128)]
    assert cfgs[0].env.arena_m == 200.0 and 200.0 < cfgs[1].env.arena_m < 500.0
    later = {"ppo.lr_actor": "1e-4", "ppo.imitation_coef": "0"}  # the stages that fine-tune
    tuned = stage_configs(override(preset("default"), {"ppo.imitation_coef": 1}),
                          parse_stages("4x10:64,10x25:128,20x50:64"), later)
    assert [(c.ppo.lr_actor, c.ppo.imitation_coef) for c in tuned] == [(3e-4, 1.0), (1e-4, 0.0), (1e-4, 0.0)]
    assert tuned[1].env.num_jammers == 10 and tuned[1].ppo.total_steps == 128
    with pytest.raises(ValueError, match="ppo.lr_actor"):
        stage_configs(preset("default"), parse_stages("4x10:64,10x25:64"), {"ppo.lr_actor": "-1"})
    with pytest.raises(ValueError, match="MxN"):
        parse_stages("4by10:64")
    assert parse_stages("4x10@150:64")[0].arena_m == 150.0
    assert abs(parse_stages("40x100:64")[0].arena_m - 500.0) < 1e-6
    with pytest.raises(ValueError, match="N >= 2"):
        parse_stages("4x1:64")


@pytest.mark.slow
def test_scaling_smoke_writes_each_experiment_with_milestones(tmp_path, monkeypatch, capsys):
    from experiments.scaling import main as scaling_main

    monkeypatch.setenv("JAXJAM_XLA_DEFAULTS", "off")
    out = scaling_main(["--smoke", "--exp", "2", "3", "--out", str(tmp_path)])
    assert [(r["M"], r["N"]) for r in out["exp2"]] == [(2, 6), (3, 8)]
    steps = [r["env_steps"] for r in out["exp3"]]
    assert len(steps) == 2 and 32 <= steps[0] < steps[1] and steps[1] >= 64  # one run, two milestones
    for exp in ("exp2", "exp3"):
        saved = json.load(open(tmp_path / f"{exp}.json"))
        assert saved["seeds"] == 2 and (tmp_path / f"{exp}.png").stat().st_size > 0
        for row in saved["rows"]:
            assert 0.0 <= row["trained (mode)"][0] <= 100.0 and row["best scripted"] in row
    assert "M=  3 N=  8" in capsys.readouterr().out


@pytest.mark.slow
def test_transfer_smoke_zero_shot_then_the_arms_then_a_split_run_merged(tmp_path, monkeypatch, capsys):
    """experiments/transfer.py: zero-shot rows at every scale; fine-tuned, from-scratch and
    curriculum ('via') rows at equal target steps; the fine-tuned run starts from the source
    parameters, so its evaluations differ from the scratch run's. A second process that starts
    from the saved source (`--source-from`) fine-tunes to the same numbers, and `--merge`
    combines the two runs' arms into one JSON and figure."""
    import experiments.transfer as transfer

    real, on_disk = transfer.train_and_score, []

    def spy(*args, **kwargs):  # what a run cut off before this stage would have kept
        path = tmp_path / "a" / "transfer.json"
        on_disk.append(json.load(open(path)) if path.exists() else None)
        return real(*args, **kwargs)

    monkeypatch.setattr(transfer, "train_and_score", spy)
    monkeypatch.setenv("JAXJAM_XLA_DEFAULTS", "off")
    src = tmp_path / "source.pkl"
    out = transfer.main(["--smoke", "--arms", "tune", "scratch", "via", "--via", "3x8:64",
                         "--save-source", str(src), "--out", str(tmp_path / "a")])
    assert on_disk[0] is None and "fine_tuned" not in on_disk[1]  # source, then the three arms
    assert on_disk[1]["source"][0]["env_steps"] == 64 and on_disk[1]["zero_shot"] == out["zero_shot"]
    assert "scratch" not in on_disk[2] and "via" not in on_disk[3] and "via" in out["start"]
    assert on_disk[3]["start"]["via"] == out["start"]["via"]  # kept before the target's training
    assert [(r["M"], r["N"]) for r in out["zero_shot"]] == [(2, 6), (3, 8)]
    for rows in (out["fine_tuned"], out["scratch"], out["via"]):
        assert [r["env_steps"] for r in rows] == [32, 64] and all(r["M"] == 3 for r in rows)
    assert out["fine_tuned"] != out["scratch"]
    assert out["start"]["tune"] == out["zero_shot"][-1]["zero-shot (mode)"]
    saved = json.load(open(tmp_path / "a" / "transfer.json"))
    assert saved["source_steps"] == 64 and saved["source_scale"] == [2, 6]
    assert (tmp_path / "a" / "transfer.png").stat().st_size > 0
    printed = capsys.readouterr().out
    assert "fine-tuned at M=3" in printed and "via, zero-shot at M=3" in printed

    split = transfer.main(["--smoke", "--arms", "tune", "--zero-shot", "none", "--source-from", str(src),
                           "--save-trained", str(tmp_path / "t"), "--out", str(tmp_path / "b")])
    assert "source" not in split and "zero_shot" not in split
    template = transfer.abstract_train_state(override(preset("default"), parse_sets(transfer.SMOKE["base"], "--base")))
    tuned = transfer.load_source(tmp_path / "t" / "tune.pkl", template, 2)  # fine-tuned: no longer the source
    before = transfer.load_source(src, template, 2)
    assert not all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(tuned), jax.tree.leaves(before)))
    assert [r["trained (mode)"] for r in split["fine_tuned"]] == [r["trained (mode)"] for r in out["fine_tuned"]]
    merged = transfer.main(["--merge", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "m")])
    assert {"source", "zero_shot", "fine_tuned", "scratch", "via"} <= set(merged)
    assert set(merged["start"]) == {"tune", "via"} and (tmp_path / "m" / "transfer.png").stat().st_size > 0
    assert merged["arms"] == ["tune", "scratch", "via"]  # every run's arms, not the last run's
    one_seed = tmp_path / "one_seed.pkl"
    with open(src, "rb") as fh, open(one_seed, "wb") as out_fh:
        pickle.dump(jax.tree.map(lambda x: x[:1], pickle.load(fh)), out_fh)
    with pytest.raises(ValueError, match="--source-from .* do not match --base and --seeds 2"):
        transfer.main(["--smoke", "--arms", "tune", "--zero-shot", "none", "--source-from", str(one_seed)])
    with pytest.raises(ValueError, match="--via"):
        transfer.main(["--smoke", "--arms", "via"])
    with pytest.raises(ValueError, match="--target must look like MxN"):
        transfer.main(["--smoke", "--target", "4by10"])

    # a file with more seeds gives its first ones; --target 2x6 fine-tunes at the source's own scale
    three_seeds = tmp_path / "three_seeds.pkl"
    with open(src, "rb") as fh, open(three_seeds, "wb") as out_fh:
        pickle.dump(jax.tree.map(lambda x: np.concatenate([x, x[:1]]), pickle.load(fh)), out_fh)
    same = transfer.main(["--smoke", "--arms", "tune", "--zero-shot", "target", "--target", "2x6",
                          "--source-from", str(three_seeds), "--out", str(tmp_path / "c")])
    assert same["target"] == [2, 6] and all((r["M"], r["N"]) == (2, 6) for r in same["fine_tuned"])
    assert same["start"]["tune"] == out["zero_shot"][0]["zero-shot (mode)"]  # the same two seeds
    with pytest.raises(ValueError, match="MxN"):
        transfer.main(["--smoke", "--arms", "via", "--via", "3by8:64"])


@pytest.mark.slow
def test_transfer_zero_shot_target_only(tmp_path, monkeypatch):
    """`--zero-shot target` evaluates the source policy only at the target scale (the start of
    the fine-tuning curve), after the source row is saved."""
    import experiments.transfer as transfer

    class Stop(Exception):
        """The zero-shot stage is all this test needs."""

    seen = []

    def stop(cfg, actor, params, scales, *args, **kwargs):
        seen.append(list(scales))
        raise Stop

    monkeypatch.setattr(transfer, "zero_shot", stop)
    monkeypatch.setenv("JAXJAM_XLA_DEFAULTS", "off")
    with pytest.raises(Stop):
        transfer.main(["--smoke", "--zero-shot", "target", "--out", str(tmp_path)])
    assert seen == [[(3, 8)]]
    assert json.load(open(tmp_path / "transfer.json"))["source"][0]["M"] == 2


@pytest.mark.slow
def test_obs_capacity_smoke_same_parameters_more_tokens(tmp_path, monkeypatch, capsys):
    """experiments/obs_capacity.py: the source's own capacities first, then each variant, with
    the same parameters; capacities beyond what exists (16 enemy slots with 8 enemies) are
    padding, so they leave the policy's score exactly as with every enemy seen (8 slots)."""
    import experiments.obs_capacity as cap

    monkeypatch.setenv("JAXJAM_XLA_DEFAULTS", "off")
    out = cap.main(["--smoke", "--variants", "env.entity_enemies=8", "env.entity_enemies=16",
                    "env.entity_top_links=4,env.entity_jammers=1", "--out", str(tmp_path)])
    rows = out["variants"]
    assert [r["entity_enemies"] for r in rows] == [3, 8, 16, 3]
    assert rows[3]["entity_top_links"] == 4 and rows[3]["entity_jammers"] == 1
    assert rows[1]["zero-shot (mode)"] == rows[2]["zero-shot (mode)"]  # padding only
    assert json.load(open(tmp_path / "capacity.json"))["variants"] == rows
    assert out["best scripted"] in out["baselines"] and "planner" not in out["baselines"]
    assert "enemies=16" in capsys.readouterr().out
    with pytest.raises(ValueError, match="only env.*entity_links.* may change"):
        cap.main(["--smoke", "--variants", "env.num_enemies=20"])
    with pytest.raises(ValueError, match="--source-from FILE is required"):
        cap.main([])
    with pytest.raises(ValueError, match="ppo.network=attention"):
        cap.main(["--smoke", "--base", "ppo.network=mlp", "--variants", "env.entity_enemies=8"])


def test_load_source_reads_xz_like_a_plain_pickle_and_checks_shapes(tmp_path):
    """transfer.load_source: a .xz file (the shipped source) gives the same parameters as the
    plain pickle; a file of other networks is refused before anything compiles."""
    import lzma

    from experiments.curriculum import SMOKE
    from experiments.transfer import abstract_train_state, load_source
    from jaxjam.config import parse_sets
    from jaxjam.curriculum import scaled

    cfg = scaled(override(preset("default"), parse_sets(SMOKE["base"], "--base")), 2, 6)
    ts = abstract_train_state(cfg)
    rng = np.random.default_rng(0)
    params = jax.tree.map(lambda x: rng.normal(size=(3, *x.shape)).astype(np.float32),
                          (ts.actor_params, ts.critic_params))
    with open(tmp_path / "s.pkl", "wb") as fh, lzma.open(tmp_path / "s.pkl.xz", "wb") as xz:
        pickle.dump(params, fh)
        pickle.dump(params, xz)
    plain = load_source(str(tmp_path / "s.pkl"), ts, 2)
    packed = load_source(str(tmp_path / "s.pkl.xz"), ts, 2)
    for a, b, c in zip(jax.tree.leaves(plain), jax.tree.leaves(packed), jax.tree.leaves(params)):
        assert a.shape[0] == 2 and np.array_equal(a, b) and np.array_equal(a, c[:2])
    wider = abstract_train_state(override(cfg, {"ppo.hidden": 16}))
    with pytest.raises(ValueError, match="do not match --base"):
        load_source(str(tmp_path / "s.pkl.xz"), wider, 2)


def test_plot_finetune_draws_each_recipe_from_the_zero_shot_start(tmp_path, capsys):
    """experiments/plot_finetune.py: each run's fine_tuned rows after the --start run's zero-shot
    row at the same target; a run without rows, or at another target, is refused by name."""
    from experiments.plot_finetune import main as plot_main

    base = {"planner": [52.0, 6.0], "disperse 30 m": [30.0, 4.0], "best scripted": "disperse 30 m"}
    start = {"zero_shot": [{"M": 40, "N": 100, "zero-shot (mode)": [47.0, 0.5], **base}]}
    run = {"fine_tuned": [{"M": 40, "N": 100, "env_steps": s, "trained (mode)": [v, 0.4]}
                          for s, v in ((100, 48.0), (200, 49.0))]}
    files = {}
    own = dict(run, zero_shot=[{"M": 40, "N": 100, "zero-shot (mode)": [45.0, 0.7]},
                               {"M": 10, "N": 25, "zero-shot (mode)": [44.0, 0.7]}])  # its own source
    for name, d in (("start", start), ("run", run), ("empty", {"fine_tuned": []}), ("own", own),
                    ("other", {"fine_tuned": [dict(run["fine_tuned"][0], M=10, N=25)]})):
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(json.dumps(d))
    out = tmp_path / "ft.png"
    lines = plot_main(["--start", str(files["start"]), "--run", str(files["run"]), "A",
                       "--out", str(out)])
    assert lines == {"A": [(0, [47.0, 0.5]), (100, [48.0, 0.4]), (200, [49.0, 0.4])]}
    assert out.stat().st_size > 0 and "200 49.0 ± 0.4" in capsys.readouterr().out
    both = plot_main(["--start", str(files["start"]), "--run", str(files["run"]), "A",
                      "--run", str(files["own"]), "E", "--out", str(out)])
    assert both["A"][0] == (0, [47.0, 0.5]) and both["E"][0] == (0, [45.0, 0.7])  # E: its own start
    with pytest.raises(ValueError, match="'B': no fine_tuned rows"):
        plot_main(["--start", str(files["start"]), "--run", str(files["empty"]), "B"])
    with pytest.raises(ValueError, match="no zero_shot row at M=10, N=25"):
        plot_main(["--start", str(files["start"]), "--run", str(files["other"]), "C"])
    with pytest.raises(ValueError, match="'D': its target is not M=40"):
        plot_main(["--start", str(files["start"]), "--run", str(files["run"]), "A",
                   "--run", str(files["other"]), "D"])


def test_plot_finetune_baselines_from_fills_only_what_start_lacks():
    """plot_finetune.fill_baselines: another run's zero_shot row at the same target adds the
    baselines --start lacks (the planner of a --no-planner run); --start's own values stay."""
    from experiments.plot_finetune import fill_baselines

    ref = {"M": 40, "N": 100, "zero-shot (mode)": [53.7, 0.3], "cut seek": [54.5, 6.7], "best scripted": "cut seek"}
    other = {"zero_shot": [{"M": 4, "N": 10, "planner": [47.0, 5.9]},
                           {"M": 40, "N": 100, "zero-shot (mode)": [47.2, 0.6], "planner": [52.3, 6.3],
                            "cut seek": [0.0, 0.0], "best scripted": "disperse 30 m"}]}
    got = fill_baselines(ref, other)
    assert got["planner"] == [52.3, 6.3] and got["cut seek"] == [54.5, 6.7]
    assert got["zero-shot (mode)"] == [53.7, 0.3] and got["best scripted"] == "cut seek"
    with pytest.raises(ValueError, match="--baselines-from: no zero_shot row at M=40, N=100"):
        fill_baselines(ref, {"zero_shot": other["zero_shot"][:1]})


def test_finetune_study_script_passes_valid_arguments_to_every_job(tmp_path):
    """experiments/finetune_study.sh: each job's transfer.py arguments parse (parse_args) and its
    --base/--target-set items are config fields with valid values; an unknown job is refused.
    A stand-in `python3` on PATH checks the arguments instead of training."""
    import stat
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    checker = tmp_path / "check.py"
    checker.write_text(
        "import sys\n"
        "from experiments.transfer import parse_args\n"
        "from jaxjam.config import override, parse_sets, preset\n"
        "a = parse_args(sys.argv[2:])\n"
        "s = override(preset('default'), parse_sets(a.base, '--base'))\n"
        "t = override(override(preset('default'), parse_sets(a.base, '--base')), "
        "parse_sets(a.target_set, '--target-set'))\n"
        "print('OK', a.arms[0], a.source_from is not None, t.ppo.lr_actor, t.ppo.imitation_coef, "
        "t.env.credit_weight, t.env.cut_graph, t.ppo.update_epochs, t.ppo.hidden, "
        "t.ppo.attention_layers, t.env.credit_mode, s.ppo.teacher)\n")
    fake = tmp_path / "bin" / "python3"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\nPYTHONPATH={root} exec {sys.executable} {checker} \"$@\"\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ, PATH=f"{fake.parent}:{os.environ['PATH']}", PAR="5")
    script = os.path.join(root, "experiments", "finetune_study.sh")
    jobs = ["recipe", "long1m", "credit", "via", "longsrc", "cutsrc", "ctlsrc", "ep1", "ep2",
            "smallsrc", "fastown", "fastuniq", "seeksrc", "seekctl", "seekft", "seekteach", "othsrc", "chksrc"]
    run = subprocess.run(["bash", script, str(tmp_path / "out")] + jobs, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    logs = {j: (tmp_path / "out" / j / "log").read_text().split()
            for j in jobs}
    assert all(words[0] == "OK" for words in logs.values()), logs
    assert logs["recipe"][1:] == ["tune", "True", "0.0001", "0.0", "0.0", "unjammed", "4", "64", "2", "own", "planner"]
    assert logs["cutsrc"][1:] == ["tune", "False", "0.0003", "0.0", "0.0", "jammed", "4", "64", "2", "own", "planner"]
    assert logs["ctlsrc"][2:] == ["False", "0.0003", "0.0", "0.0", "unjammed", "4", "64", "2", "own", "planner"]
    assert logs["ep1"][1:] == ["tune", "True", "0.0003", "0.0", "0.0", "unjammed", "1", "64", "2", "own", "planner"]
    assert logs["ep2"][-5] == "2"
    for job, teacher in (("seeksrc", "cut_seek"), ("seekctl", "planner"), ("othsrc", "cut_seek_others"),
                          ("chksrc", "cut_seek_checked")):
        assert logs[job][2:] == ["False", "0.0003", "0.0", "0.0", "unjammed", "1", "32", "1", "own", teacher]
    for job, mode in (("fastown", "own"), ("fastuniq", "unique")):  # the shipped fast source, credit on
        assert logs[job][1:] == ["tune", "True", "0.0003", "0.0", "1.0", "unjammed", "1", "32", "1", mode, "planner"]
    for job, coef in (("seekft", "0.0"), ("seekteach", "1.0")):  # the shipped cut-seek source at M=40
        assert logs[job][1:] == ["tune", "True", "0.0003", coef, "0.0", "unjammed", "1", "32", "1", "own", "cut_seek"]
    assert logs["smallsrc"][2:] == ["False", "0.0003", "0.0", "0.0", "unjammed", "1", "32", "1", "own", "planner"]
    assert logs["credit"][5] == "1.0" and logs["via"][1] == "via" and logs["longsrc"][2] == "False"
    bad = subprocess.run(["bash", script, str(tmp_path / "bad"), "bogus"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "unknown job bogus" in bad.stderr


def test_behaviour_trace_stats_by_hand():
    """experiments/behaviour.trace_stats on a two-step hand-made trace: shares of jammed live and
    cut links, band match, the median nearest-jammer distance, each averaged over steps 1..T."""
    from experiments.behaviour import STATS, trace_stats
    from jaxjam.animate import Trace

    n, m = 3, 3
    live = np.zeros((3, n, n), bool)
    live[:, 0, 1] = live[:, 1, 0] = live[:, 1, 2] = live[:, 2, 1] = True  # 2 links, both ways
    jammed = np.zeros_like(live)
    jammed[1, 0, 1] = jammed[1, 1, 0] = True  # step 1: one of two links; step 2: none
    cut = np.zeros_like(live)
    cut[1:, 0, 1] = cut[1:, 1, 0] = True  # the 0-1 link crosses the cut at steps 1 and 2
    jp = np.array([[[0, 0], [3, 4], [30, 40]]] * 3, float)  # nearest: 5, 5, 45 m -> median 5
    tr = Trace(enemy_pos=np.zeros((3, n, 2)), jammer_pos=jp, jammer_band=np.array([[0, 0, 0], [1, 1, 0], [1, 1, 1]]),
               enemy_band=np.array([0, 1, 1]), centroids=np.zeros((3, n + 1, 2)),
               centroid_valid=np.zeros((3, n + 1), bool), live=live, jammed=jammed, cut=cut,
               lambda2=np.zeros(3), lambda2_unjammed=np.ones(3), reduction=np.array([0.0, 0.5, 0.3]))
    # jam range 3 m on band 1 (the enemies sit at the origin, so every midpoint does): only
    # jammer 0 (0 m) reaches; it is on the band at steps 1 and 2 and jams both live links alone
    got = trace_stats(tr, np.array([100.0, 3.0]))
    want = {STATS[0]: 40.0, STATS[1]: 25.0, STATS[2]: 50.0, STATS[3]: 100 * 5 / 6, STATS[4]: 5.0,
            STATS[5]: 100 / 3, STATS[6]: 100 / 3, STATS[7]: 1.0}
    assert got.keys() == want.keys() and all(abs(got[k] - v) < 1e-9 for k, v in want.items()), got
    # range 6 m: jammers 0 and 1 (5 m) both jam both links: none alone, two per link; from step 2
    got = trace_stats(tr, np.array([100.0, 6.0]), from_step=2)
    np.testing.assert_allclose([got[STATS[i]] for i in (0, 5, 6, 7)], [30.0, 200 / 3, 0.0, 2.0])
    # enemy band 0, range 100 m: only jammer 2 is on it (step 1 only), alone on both links
    got = trace_stats(tr._replace(enemy_band=np.array([0, 0, 0])), np.array([100.0, 3.0]))
    assert abs(got[STATS[5]] - 100 / 6) < 1e-9 and abs(got[STATS[6]] - 100 / 6) < 1e-9 and got[STATS[7]] == 1.0


@pytest.mark.slow
def test_behaviour_smoke_vmapped_traces_match_one_episode_each(tmp_path, monkeypatch, capsys):
    """experiments/behaviour.py: every policy's statistics and a figure; the vmapped episodes
    (trace_program) equal animate.episode_trace run one key at a time; errors are named."""
    import experiments.behaviour as beh
    from jaxjam.animate import episode_trace, trace_program
    from jaxjam.policies import baselines

    monkeypatch.setenv("JAXJAM_XLA_DEFAULTS", "off")
    out = beh.main(["--smoke", "--policies", "planner", "stay", "--planner-shortlist", "2",
                    "--out", str(tmp_path)])
    assert list(out["stats"]) == ["trained (mode)", "planner", "stay"]
    for stats in out["stats"].values():
        assert list(stats) == list(beh.STATS) and 0 <= stats[beh.STATS[3]][0] <= 100
    assert (tmp_path / "behaviour.png").stat().st_size > 0 and "planner" in capsys.readouterr().out
    cfg = override(preset("default"), {"env.num_jammers": 2, "env.num_enemies": 6, "env.max_steps": 5})
    policy, keys = baselines(cfg)["disperse 30 m"], jax.random.split(jax.random.PRNGKey(3), 2)
    batch = jax.jit(jax.vmap(trace_program(cfg, policy, 5)))(keys)
    for e in range(2):
        one = episode_trace(cfg, policy, keys[e])
        for field, x in zip(one._fields, batch):
            np.testing.assert_allclose(np.asarray(x[e]), getattr(one, field), rtol=1e-5, atol=1e-5, err_msg=field)
    with pytest.raises(ValueError, match="--policies: unknown"):
        beh.main(["--smoke", "--policies", "oracle"])
    with pytest.raises(ValueError, match="--source-from FILE is required"):
        beh.main([])
    with pytest.raises(ValueError, match="--episodes must be >= 2"):
        beh.main(["--smoke", "--episodes", "1"])
    with pytest.raises(ValueError, match="planner shortlist must be an int >= 0"):
        beh.main(["--smoke", "--planner-shortlist", "-1"])
    with pytest.raises(ValueError, match=r"--from-step must be in \[1, env.max_steps"):
        beh.main(["--smoke", "--from-step", "0"])


def test_parse_scale_reads_mxn_and_names_the_flag():
    """jaxjam.curriculum.parse_scale: "MxN" -> (M, N); anything else, or M < 1, N < 2, is a
    ValueError naming the flag (the --target of transfer, obs_capacity and behaviour)."""
    from jaxjam.curriculum import parse_scale

    assert parse_scale("40x100") == (40, 100) and parse_scale("1X2") == (1, 2)
    for bad in ("4by10", "0x10", "4x1", "4x10:5", ""):
        with pytest.raises(ValueError, match="--where must look like MxN"):
            parse_scale(bad, "--where")


@pytest.mark.parametrize("name, sets, sha", [
    ("attention_m4_2M_8seeds.pkl.xz", {}, "4a1de0a2d1974f2ac5867881018da0b89da713330a492e729b89d3fd45b952bf"),
    ("attention_fast_m4_2M_8seeds.pkl.xz", {"ppo.hidden": 32, "ppo.attention_layers": 1},
     "41b65bd00d88c91ffcbc672df38aeeb1ad6f9088f8cec1e705a4b884cf3da4d9"),
    ("attention_seek_m4_2M_8seeds.pkl.xz", {"ppo.hidden": 32, "ppo.attention_layers": 1},
     "c44c93ab48b21a7efba29546e7d3aceca2a31457bf5a3d963b9207bf6d2bf980"),
    ("attention_look_m4_2M_8seeds.pkl.xz", {"ppo.hidden": 32, "ppo.attention_layers": 1, "env.link_lookahead": True},
     "305acd5afe7818fea5e340500446220ec85bd4d6f8c8389690d39d8f149baa92")])
def test_shipped_sources_load_against_their_documented_networks(name, sets, sha):
    """experiments/sources/*: the SHA-256 its README states, and `--source-from` accepts it with
    the --base written there (8 seeds of finite parameters); the other network is refused."""
    import hashlib
    import lzma

    from experiments.transfer import abstract_train_state, load_source

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "experiments", "sources", name)
    with lzma.open(path, "rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == sha
    base = override(preset("default"), {"env.obs": "entity", "ppo.network": "attention", "ppo.hidden": 64,
                                        "ppo.attention_mode": "query"})
    params = load_source(path, abstract_train_state(override(base, sets)), 8)
    assert all(np.isfinite(np.asarray(x)).all() and x.shape[0] == 8 for x in jax.tree.leaves(params))
    other = {"ppo.hidden": 48} if sets else {"ppo.hidden": 32, "ppo.attention_layers": 1}
    with pytest.raises(ValueError, match="do not match --base"):
        load_source(path, abstract_train_state(override(base, other)), 8)


def test_paired_rows_by_hand_and_bad_arguments():
    """experiments/paired.py: the paired difference is the seed mean minus the baseline per
    episode (CI over episodes), the win share counts strict wins; bad flags are ValueErrors."""
    from experiments.paired import format_rows, paired_rows, parse_args

    learned = np.array([[0.5, 0.2, 0.4], [0.3, 0.2, 0.6]])  # [S=2, E=3]: seed means per episode .4 .2 .5
    rows = paired_rows(learned, {"a": np.array([0.1, 0.2, 0.6])})
    assert rows[0]["mean"][0] == pytest.approx(100 * 1.1 / 3)
    assert rows[0]["seeds"][0] == pytest.approx(100 * 1.1 / 3)  # the same mean, a CI over seeds
    d = np.array([30.0, 0.0, -10.0])
    assert rows[1]["difference"][0] == pytest.approx(d.mean())
    assert rows[1]["difference"][1] == pytest.approx(4.303 * d.std(ddof=1) / np.sqrt(3))
    assert rows[1]["won"] == pytest.approx(1 / 3)  # a tie is not a win
    assert "| a | 30.0 ± " in format_rows(rows) and "+6.7 ± " in format_rows(rows)
    with pytest.raises(ValueError, match="--source-from FILE is required"):
        parse_args([])
    with pytest.raises(ValueError, match="--episodes ≥ 2"):
        parse_args(["--smoke", "--episodes", "1"])
    with pytest.raises(ValueError, match="--scale must look like MxN"):
        parse_args(["--smoke", "--scale", "40by100"])
    with pytest.raises(ValueError, match=r"--against: unknown baseline\(s\) \['oracle'\]"):
        parse_args(["--smoke", "--against", "cut seek", "oracle"])
    from experiments.paired import BASELINE_NAMES
    from jaxjam.policies import baselines
    assert list(baselines(preset("default"))) == BASELINE_NAMES  # the registry's names, in order
    from experiments.paired import chosen_baselines
    cfg = preset("default")
    assert list(chosen_baselines(cfg, parse_args(["--smoke", "--against", "cut seek (checked)", "stay"]))) == [
        "stay", "cut seek (checked)"]  # a planner asked for by name runs without "planner"
    assert list(chosen_baselines(cfg, parse_args(["--smoke"]))) == BASELINE_NAMES
    assert "planner" not in chosen_baselines(cfg, parse_args(["--smoke", "--no-planner"]))
    with pytest.raises(ValueError, match="needs the planners: drop --no-planner"):
        chosen_baselines(cfg, parse_args(["--smoke", "--no-planner", "--against", "planner"]))


def test_pair_saved_pairs_runs_by_episode_and_refuses_other_episodes(tmp_path):
    """experiments/pair_saved.py: a paired.py learner (seed mean of `[S, E]`) against a policy
    saved by another run on the same episodes gives the per-episode difference's mean and CI by
    hand; other scales, other episode counts, a shared policy that differs per episode, a
    missing name and a malformed spec are ValueErrors naming the cause."""
    from experiments.pair_saved import main, pair_saved
    from jaxjam.evaluate import ci95

    def save(name, data):
        (tmp_path / name).write_text(json.dumps(data))
        return str(tmp_path / name)

    a = save("a.json", {"scale": [40, 100], "per_episode": {"learned": [[0.5, 0.6, 0.7], [0.7, 0.6, 0.5]],
                                                            "cut seek": [0.5, 0.5, 0.5]}})
    b = save("b.json", {"scale": [40, 100], "per_episode": {"cut seek": [0.5, 0.5, 0.5], "teacher": [0.7, 0.5, 0.6]}})
    rows = main([f"L={a}:learned", f"T={b}:teacher", f"C={b}:cut seek"])
    assert [r["policy"] for r in rows] == ["L", "T", "C"]
    d = 100 * (np.array([0.6, 0.6, 0.6]) - np.array([0.7, 0.5, 0.6]))
    assert rows[1]["difference"][0] == pytest.approx(d.mean())
    assert rows[1]["difference"][1] == pytest.approx(ci95(d)[1])
    assert rows[1]["won"] == pytest.approx(1 / 3) and rows[2]["difference"][0] == pytest.approx(10.0)
    other = save("c.json", {"scale": [4, 10], "per_episode": {"x": [0.1, 0.2, 0.3]}})
    with pytest.raises(ValueError, match="not the same episodes"):
        pair_saved([f"L={a}:learned", f"X={other}:x"])
    short = save("d.json", {"scale": [40, 100], "per_episode": {"x": [0.1, 0.2]}})
    with pytest.raises(ValueError, match="not the same episodes"):
        pair_saved([f"L={a}:learned", f"X={short}:x"])
    moved = save("e.json", {"scale": [40, 100], "per_episode": {"cut seek": [0.5, 0.5, 0.4], "x": [0.1, 0.2, 0.3]}})
    with pytest.raises(ValueError, match="'cut seek' differs per episode"):
        pair_saved([f"L={a}:learned", f"X={moved}:x"])
    with pytest.raises(ValueError, match="no per-episode numbers for 'nope'"):
        pair_saved([f"L={a}:learned", f"X={b}:nope"])
    with pytest.raises(ValueError, match="LABEL=FILE:NAME"):
        pair_saved([f"L={a}:learned", "justafile.json"])
    with pytest.raises(ValueError, match="at least two"):
        pair_saved([f"L={a}:learned"])
