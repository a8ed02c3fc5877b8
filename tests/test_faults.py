"""Fault injection on run directories (issue 16): a run directory nobody can break (bad inputs:
test_input_faults.py).

Nothing here compiles a training program: one module fixture writes a run directory of three
checkpoints from a traced (not compiled) runner, and every CLI call fails before compiling —
a lock, a refused resume, a corrupt checkpoint (read into a traced template), a bad flag.
Each test copies the fixture before damaging it. ~20-40 s on a loaded 2-core box.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxjam.checkpoint import CheckpointStore
from jaxjam.cli import FLAGS, build_config, main
from jaxjam.config import Config, override, to_dict
from jaxjam.resume import check_config_change, restore_checked, truncate_csv
from jaxjam.rundir import LOCK_NAME, RunDirLocked, acquire_lock, clean_orbax_tmp
from jaxjam.train import make_train

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--total-steps", "64", "--num-envs", "2", "--rollout-steps", "8", "--hidden", "8",
        "--updates-per-chunk", "1", "--max-steps", "8", "--eval-episodes", "2",
        "--set", "run.baselines=basic"]


def tiny_config(out: str) -> Config:
    """The config `jaxjam train *TINY --out out` builds."""
    flags = dict(zip(TINY[:-2:2], TINY[1:-2:2]))
    args = SimpleNamespace(preset="default", config=None, set=[TINY[-1]],
                           **{f: flags.get("--" + f.replace("_", "-")) for f in FLAGS})
    args.out = out
    return build_config(args)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run directory with checkpoints of chunks 0, 1, 2 (random values, real layout)."""
    out = str(tmp_path_factory.mktemp("faults") / "run")
    cfg = tiny_config(out)
    shape = jax.eval_shape(make_train(cfg).init, jax.random.PRNGKey(0))
    rng = np.random.default_rng(0)
    runner = jax.tree.map(lambda s: jnp.asarray(rng.integers(0, 100, s.shape).astype(s.dtype)), shape)
    store = CheckpointStore(os.path.join(out, "checkpoints"), cfg)
    for chunk in range(3):
        store.save(runner.replace(env_steps=jnp.int32(16 * (chunk + 1))), chunk, {"x": 1.0}, chunk)
    with open(os.path.join(out, "config.json"), "w") as fh:
        json.dump(to_dict(cfg), fh)
    return out


@pytest.fixture
def copy(run_dir, tmp_path):
    dst = str(tmp_path / "run")
    shutil.copytree(run_dir, dst)
    return dst


def cli(capsys, *argv):
    """(exit status, stderr) of `jaxjam *argv` in this process; stderr must be one line."""
    try:
        rc = main(list(argv))
    except SystemExit as err:  # argparse
        rc = err.code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err[-3000:]
    return rc, err


# --------------------------------------------------------------------------- the lock

def test_lock_refuses_a_second_writer_and_frees_on_release(tmp_path):
    lock = acquire_lock(str(tmp_path))
    with pytest.raises(RunDirLocked, match=f"in use by pid {os.getpid()} on {socket.gethostname()}"):
        acquire_lock(str(tmp_path))
    lock.release()
    assert not (tmp_path / LOCK_NAME).exists()
    acquire_lock(str(tmp_path)).release()


def test_stale_lock_is_taken_over_but_another_hosts_is_not(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname()}))
    acquire_lock(str(tmp_path)).release()  # dead pid on this host: stale
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": 1, "host": "elsewhere", "since": "x"}))
    with pytest.raises(RunDirLocked, match=f"on elsewhere.*delete {tmp_path / LOCK_NAME}"):
        acquire_lock(str(tmp_path))


RACER = """
import sys, time
from jaxjam.rundir import acquire_lock, RunDirLocked
while time.time() < float(sys.argv[2]):
    pass
try:
    lock = acquire_lock(sys.argv[1])
    print("won", flush=True)
    time.sleep(1.5)
except RunDirLocked:
    print("refused", flush=True)
"""


def test_writers_started_together_exactly_one_wins(tmp_path):
    stale = subprocess.Popen(["true"])
    stale.wait()  # a stale lock as well, so the racers also race to break it
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": stale.pid, "host": socket.gethostname()}))
    start = str(time.time() + 1.0)
    env = {**os.environ, "PYTHONPATH": REPO}
    procs = [subprocess.Popen([sys.executable, "-c", RACER, str(tmp_path), start], env=env,
                              stdout=subprocess.PIPE, text=True) for _ in range(4)]
    outs = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert outs == ["refused"] * 3 + ["won"], outs
    assert not (tmp_path / LOCK_NAME).exists()  # released at exit


def test_train_refused_in_one_line_while_another_writer_holds_the_run(copy, capsys):
    with acquire_lock(copy):
        rc, err = cli(capsys, "train", *TINY, "--out", copy, "--resume")
    assert rc == 2 and f"{copy} is in use by pid {os.getpid()}" in err


# --------------------------------------------------------------------------- one-line errors

def _files(tmp_path):
    (tmp_path / "bad.yaml").write_text("env: {num_jammers: [1, 2\n")
    (tmp_path / "tag.yaml").write_text("env: !!python/object/apply:os.system ['touch pwned']\n")
    (tmp_path / "bin.yaml").write_bytes(b"env:\n  model: \xff\xfe jaxjam\n")
    (tmp_path / "file").write_text("x")
    return tmp_path


@pytest.mark.parametrize("argv, expect", [
    (["--config", "{d}/bad.yaml"], ["config file {d}/bad.yaml: line 2", "invalid YAML"]),
    (["--config", "{d}/tag.yaml"], ["{d}/tag.yaml: line 1", "python/object", "not executed"]),
    (["--config", "{d}/bin.yaml"], ["{d}/bin.yaml: not UTF-8"]),
    (["--config", "{d}"], ["config file {d}: is a directory"]),
    (["--config", "{d}/missing.yaml"], ["{d}/missing.yaml: cannot read"]),
    (["--out", "{d}/file/sub"], ["--out {d}/file/sub: cannot create", "Not a directory"]),
    (["--out", "{d}/file"], ["--out {d}/file: is a file"]),
    (["--comm-range-m", "abc"], ["--comm-range-m abc: physics.comm_range_m must be a number"]),
    (["--num-jammers", "2.7"], ["--num-jammers 2.7: env.num_jammers must be an integer"]),
    (["--set", "ppo.gamma=nan"], ["ppo.gamma must be in [0, 1], got nan"]),
    (["--set", "ppo.hidden"], ["--set expects SECTION.FIELD=VALUE"]),
    (["--resume", "--out", "{d}/nothing"], ["--resume: nothing to resume"]),
    (["--step", "1", "--out", "{d}/x"], ["--step 1 needs --resume"]),
    (["--bogus"], ["unrecognized arguments: --bogus"]),
])
def test_train_errors_are_one_line_naming_the_culprit(tmp_path, capsys, argv, expect):
    d = str(_files(tmp_path))
    rc, err = cli(capsys, "train", *TINY, *[a.format(d=d) for a in argv])
    assert rc == 2 and err.startswith("jaxjam")
    for text in expect:
        assert text.format(d=d) in err, err
    assert not os.path.exists("pwned") and not (tmp_path / "nothing").exists()


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(ValueError, match="invalid YAML"):
        main(["train", "--config", str(_files(tmp_path) / "bad.yaml"), "--debug"])


def test_ctrl_c_says_what_was_kept_and_how_to_resume(tmp_path, capsys, monkeypatch):
    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr("jaxjam.run.train_and_evaluate", interrupted)
    rc, err = cli(capsys, "train", *TINY, "--out", str(tmp_path / "r"))
    assert rc == 130 and "nothing half-written is kept" in err
    assert f"--out {tmp_path / 'r'} --resume" in err


# --------------------------------------------------------------------------- resume and eval

def test_resume_with_a_changed_config_names_it(copy, capsys):
    rc, err = cli(capsys, "train", *TINY, "--out", copy, "--resume", "--lr-actor", "0.1")
    assert rc == 2 and "ppo.lr_actor: 0.0003 -> 0.1" in err and "--allow-config-change" in err
    saved = json.load(open(os.path.join(copy, "config.json")))
    assert saved["ppo"]["lr_actor"] == 0.0003  # not overwritten
    changed = override(tiny_config(saved["run"]["out"]), {"ppo.total_steps": 128})
    assert check_config_change(saved, changed, allow=False) == ["ppo.total_steps: 64 -> 128"]
    lr = override(changed, {"ppo.lr_actor": 0.1})
    assert len(check_config_change(saved, lr, allow=True)) == 2


def test_checkpoints_without_resume_and_a_missing_step_are_refused(copy, capsys):
    rc, err = cli(capsys, "train", *TINY, "--out", copy)
    assert rc == 2 and "holds checkpoints of an earlier run: pass --resume" in err
    rc, err = cli(capsys, "train", *TINY, "--out", copy, "--resume", "--step", "7")
    assert rc == 2 and "--step 7: no checkpoint for chunk 7" in err and "available: 0, 1, 2" in err
    rc, err = cli(capsys, "eval", "--checkpoint", copy, "--step", "7")
    assert rc == 2 and "--step 7: no checkpoint for chunk 7" in err
    rc, err = cli(capsys, "eval", "--checkpoint", copy, "--episodes", "0")
    assert rc == 2 and "argument --episodes: must be an integer >= 1, got 0" in err


def _d_files(step_dir):
    return [os.path.join(root, f) for root, _, files in os.walk(os.path.join(step_dir, "state"))
            if os.path.basename(root) == "d" for f in files]


def _random_bytes(step_dir):
    for f in _d_files(step_dir):
        with open(f, "r+b") as fh:
            fh.write(os.urandom(os.path.getsize(f)))


CORRUPTIONS = {
    "random_bytes": _random_bytes,
    "truncated": lambda d: [os.truncate(f, os.path.getsize(f) // 2) for f in _d_files(d)],
    "no_meta": lambda d: os.remove(os.path.join(d, "meta", "metadata")),
    "no_manifest": lambda d: os.remove(os.path.join(d, "state", "manifest.ocdbt")),
}


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_corrupt_latest_checkpoint_is_one_clear_line(copy, capsys, kind):
    newest = os.path.join(copy, "checkpoints", "2")
    CORRUPTIONS[kind](newest)
    rc, err = cli(capsys, "eval", "--checkpoint", copy)
    assert rc == 2 and f"checkpoint {newest} is corrupt or partial (" in err, err
    assert "pass --step 1 or --last-good to use it" in err and "nothing was deleted" in err
    assert "'driver'" not in err and len(err) < 1500  # no TensorStore spec dump
    assert sorted(os.listdir(os.path.join(copy, "checkpoints"))) == ["0", "1", "2"]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_last_good_falls_back_only_when_asked_and_deletes_nothing(copy):
    _random_bytes(os.path.join(copy, "checkpoints", "2"))
    cfg = tiny_config(copy)
    template = jax.eval_shape(make_train(cfg).init, jax.random.PRNGKey(0))
    store = CheckpointStore(os.path.join(copy, "checkpoints"), cfg)
    with pytest.raises(ValueError, match="--resume-from-last-good to use it"):
        restore_checked(store, template, 2, last_good=False, say=print)
    said = []
    runner, meta = restore_checked(store, template, 2, last_good=True, say=said.append)
    assert meta["chunk"] == 1 and int(runner.env_steps) == 32 and "using chunk 1" in said[0]
    assert store.steps() == [0, 1, 2]


def test_orbax_temp_leftovers_are_cleaned_and_nothing_else(copy):
    ckpt = os.path.join(copy, "checkpoints")
    os.makedirs(os.path.join(ckpt, "3.orbax-checkpoint-tmp-1700000000"))
    assert [os.path.basename(p) for p in clean_orbax_tmp(ckpt)] == ["3.orbax-checkpoint-tmp-1700000000"]
    assert sorted(os.listdir(ckpt)) == ["0", "1", "2"]


def test_half_written_csv_row_is_dropped_on_resume(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("loss,env_steps\n0.5,16\n0.4,32\n0.3,48\n0.2,6")  # killed mid-row
    truncate_csv(str(path), 32)
    assert path.read_text().splitlines() == ["loss,env_steps", "0.5,16", "0.4,32"]
    path.write_text("loss,env_steps\n0.5,16\n0.4,")
    truncate_csv(str(path), 10**9)
    assert path.read_text().splitlines() == ["loss,env_steps", "0.5,16"]
