"""`jaxjam train` over 2 processes with `jax.distributed`, as on 2 hosts (CPU, gloo collectives).

Each process owns one CPU device and the mesh spans both (`--devices 0`); process 0 alone writes
the CSV, config, evaluation and plot, every process takes part in the Orbax checkpoints. The run
must give the numbers of the same mesh inside one process (2 fake devices, itself checked against
one device in test_sharding.py), and a killed run must resume to the same end. ~2-3 min on a
loaded 2-core box (the first two launches compile; the resume loads their persistent cache).
"""

import csv
import json
import os
import shutil
import socket
import subprocess
import sys

import numpy as np
import pytest

from conftest import FAST_TEST_COMPILE

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN = ["--total-steps", "384", "--num-envs", "4", "--rollout-steps", "8", "--hidden", "16",
         "--updates-per-chunk", "4", "--max-steps", "10", "--eval-episodes", "4",
         "--set", "run.baselines=basic"]  # 3 chunks


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _train(*args: str, cache: str = "off", processes: int = 2,
           devices_per_process: int = 1) -> list[tuple[int, str]]:
    """(returncode, stdout+stderr) of each process of one `jaxjam train` run.

    One retry when gloo could not connect the processes (its 30 s TCP connect timeout, hit once
    in CI on a loaded 2-core box before any file was written): an environment flake, not jaxjam's.
    """
    results = _launch(*args, cache=cache, processes=processes, devices_per_process=devices_per_process)
    if any(rc and "Gloo context initialization failed" in out for rc, out in results):
        results = _launch(*args, cache=cache, processes=processes,
                          devices_per_process=devices_per_process)
    return results


def _launch(*args: str, cache: str, processes: int, devices_per_process: int) -> list[tuple[int, str]]:
    cmd = [sys.executable, "-m", "jaxjam.cli", "train", *TRAIN, *args]
    port = _free_port()
    env = lambda i: {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONPATH": REPO, "JAXJAM_CACHE_DIR": cache,
                     "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices_per_process} "
                                  + FAST_TEST_COMPILE,
                     **({"JAX_COORDINATOR_ADDRESS": f"localhost:{port}", "JAX_PROCESS_ID": str(i),
                         "JAX_NUM_PROCESSES": str(processes)} if processes > 1 else {})}
    procs = [subprocess.Popen(cmd, env=env(i), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for i in range(processes)]
    try:
        outs = [p.communicate(timeout=600)[0] for p in procs]
    finally:
        for p in procs:
            p.kill()
    return [(p.returncode, out) for p, out in zip(procs, outs)]


def _rows(run_dir) -> tuple[list[str], np.ndarray]:
    with open(os.path.join(run_dir, "metrics.csv"), newline="") as fh:
        rows = list(csv.DictReader(fh))
    return list(rows[0]), np.array([[float(v) for v in row.values()] for row in rows])


def _ok(results) -> None:
    for i, (rc, out) in enumerate(results):
        assert rc == 0, f"process {i} exited with {rc}:\n{out[-4000:]}"


@pytest.mark.slow
def test_two_processes_match_one_process_mesh_and_resume_after_a_kill(tmp_path):
    multi, single, cache = tmp_path / "multi", tmp_path / "single", str(tmp_path / "xla")
    results = _train("--devices", "0", "--out", str(multi), cache=cache)
    _ok(results)
    (_, out0), (_, out1) = results
    assert "device=cpu×2 over 2 processes" in out0 and "evaluation on 4 identical episodes" in out0
    assert "steps/s" not in out1 and "evaluation" not in out1, out1[-2000:]  # only process 0 reports
    assert (multi / "learning_curve.png").is_file() and (multi / "config.json").is_file()
    header, rows = _rows(multi)
    steps = rows[:, header.index("env_steps")]
    np.testing.assert_array_equal(steps, 32 * np.arange(1, 13))  # each update once, not per process
    assert sorted(os.listdir(multi / "checkpoints")) == ["0", "1", "2"]

    _ok(_train("--devices", "0", "--out", str(single), processes=1, devices_per_process=2))
    header_1, rows_1 = _rows(single)
    assert header_1 == header
    np.testing.assert_allclose(rows, rows_1, rtol=1e-5, atol=1e-6)  # same program, same numbers
    eval_multi = json.loads((multi / "eval.json").read_text())
    eval_single = json.loads((single / "eval.json").read_text())
    for policy in eval_multi:
        np.testing.assert_allclose(eval_multi[policy]["mean_reduction"],
                                   eval_single[policy]["mean_reduction"], rtol=1e-4, atol=1e-6)

    # Killed after chunk 2's CSV rows were written but before its checkpoint: resume redoes it.
    shutil.rmtree(multi / "checkpoints" / "2")
    results = _train("--devices", "0", "--out", str(multi), "--resume", cache=cache)  # no compiling
    _ok(results)
    assert "resumed from" in results[0][1] and "at chunk 1 (256 env steps per seed)" in results[0][1]
    _, resumed = _rows(multi)
    np.testing.assert_allclose(resumed, rows, rtol=1e-6, atol=0)  # rows 9-12 redone, once
    assert json.loads((multi / "eval.json").read_text()) == eval_multi


def test_several_processes_need_all_devices():
    results = _train("--devices", "1", "--out", "unused")
    for rc, out in results:
        assert rc != 0 and "run.devices must be 0 (all 2 devices) when training over 2 processes" in out
