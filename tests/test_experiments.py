"""The experiment scripts' own logic: the scripted-baselines script, the seed-sweep entry point, the CCS bound."""

import json
import os

from experiments.scripted_baselines import scripted_policies
from experiments.seed_sweep import main as seed_sweep_main
from jaxjam.config import override, preset

CFG = override(preset("default"), {"env.num_jammers": 6, "env.max_steps": 20})


def test_scripted_baselines_script_lists_the_library_policies():
    assert set(scripted_policies(CFG)) >= {"random", "heuristic", "stay", "disperse 30 m", "diffuse 1.65"}


def test_seed_sweep_trains_two_seeds_and_reports_both_policies(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JAXJAM_XLA_DEFAULTS", "off")  # keep this process's env as it is
    out = str(tmp_path / "sweep")
    seed_sweep_main(["--seeds", "2", "--total-steps", "2048", "--num-envs", "16", "--episodes", "4",
                     "--out", out, "--set", "ppo.rollout_steps=32", "ppo.hidden=16", "run.baselines=basic",
                     "run.updates_per_chunk=2", "ppo.band_entropy_scale=0.5"])
    text = capsys.readouterr().out
    assert "2 seeds, preset default" in text and "mode" in text and "sampled" in text
    res = json.load(open(os.path.join(out, "seed_sweep.json")))
    assert len(res["per_seed"]) == 2 and res["env_steps"] == 2 * 2048
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
