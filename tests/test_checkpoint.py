"""Checkpointing: bit-exact round trips, kill-and-resume, retention, and clear errors.

Compiling `init` + `train_chunk` takes ~30-50 s on a loaded 2-core box, so the module shares
one Trainer and a persistent XLA compilation cache (a fresh temp dir): the second, independent
Trainer of the resume test then loads its executables from disk instead of recompiling.
"""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.experimental.compilation_cache import compilation_cache as cc

from jaxjam.checkpoint import CheckpointStore, load_config
from jaxjam.config import override, preset
from jaxjam.train import Runner, make_train

SMALL = {"ppo.num_envs": 4, "ppo.rollout_steps": 8, "ppo.total_steps": 4 * 8 * 6,
         "ppo.num_minibatches": 2, "ppo.update_epochs": 1, "ppo.hidden": 16,
         "run.updates_per_chunk": 1, "env.max_steps": 5}
CFG = override(preset("default"), SMALL)


@pytest.fixture(scope="module", autouse=True)
def compile_cache(tmp_path_factory):
    old = {k: getattr(jax.config, k) for k in ("jax_compilation_cache_dir",
                                          "jax_persistent_cache_min_compile_time_secs")}
    cc.reset_cache()
    jax.config.update("jax_compilation_cache_dir", str(tmp_path_factory.mktemp("xla_cache")))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    yield
    for k, v in old.items():
        jax.config.update(k, v)
    cc.reset_cache()


@pytest.fixture(scope="module")
def trainer():
    return make_train(CFG)


def run_chunks(trainer, runner, n):
    for _ in range(n):
        runner, metrics = trainer.train_chunk(runner)  # donates `runner`
    return runner, metrics


@pytest.fixture(scope="module")
def trained(trainer):
    """Six chunks from seed 0 without interruption (the reference for resume)."""
    return run_chunks(trainer, trainer.init(jax.random.PRNGKey(0)), 6)[0]


def assert_identical(a, b):
    assert jax.tree.structure(a) == jax.tree.structure(b)  # includes the static actor/critic modules
    for (path, x), y in zip(jax.tree_util.tree_leaves_with_path(a), jax.tree.leaves(b)):
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype and np.array_equal(x, y), jax.tree_util.keystr(path)


def test_round_trip_bit_identical(tmp_path, trainer, trained):
    store = CheckpointStore(tmp_path / "ck", CFG)
    assert not store.has_checkpoint() and store.latest_chunk() is None
    store.save(trained, 6, {"reward": 0.5, "per_seed": np.array([1.0, 2.0])}, best_metric=0.5)
    assert store.has_checkpoint() and store.latest_chunk() == 6
    template = trainer.init(jax.random.PRNGKey(1))  # different values: everything must come from disk
    restored, meta = CheckpointStore(tmp_path / "ck", CFG).restore_latest(template)
    assert isinstance(restored, Runner)
    assert_identical(restored, trained)
    assert meta["chunk"] == 6 and meta["env_steps"] == int(trained.env_steps) == 6 * 32
    assert meta["metrics"] == {"reward": 0.5, "per_seed": [1.0, 2.0]}
    assert load_config(tmp_path / "ck") == CFG
    # Restored arrays must look like `init`'s (uncommitted) so train_chunk is not recompiled.
    compiled = trainer.train_chunk._cache_size()
    trainer.train_chunk(restored)
    assert trainer.train_chunk._cache_size() == compiled == 1


def test_kill_and_resume_bit_identical(tmp_path, trainer, trained):
    store = CheckpointStore(tmp_path / "ck", CFG)
    runner = trainer.init(jax.random.PRNGKey(0))
    for chunk in range(1, 4):
        runner, metrics = trainer.train_chunk(runner)
        store.save(runner, chunk, {k: float(v[-1]) for k, v in metrics.items()},
                   float(metrics["episode_return"][-1]))
    del store, runner, metrics  # the "killed" process keeps nothing but the directory

    fresh = make_train(load_config(tmp_path / "ck"))  # a new Trainer: new jit functions
    assert fresh.train_chunk is not trainer.train_chunk
    store = CheckpointStore(tmp_path / "ck", fresh.config)
    runner, meta = store.restore_latest(fresh.init(jax.random.PRNGKey(123)))
    assert meta["chunk"] == 3 and int(runner.env_steps) == 3 * 32
    resumed, _ = run_chunks(fresh, runner, 3)
    assert_identical(resumed, trained)


def test_keeps_latest_n_plus_best(tmp_path, trainer):
    base = trainer.init(jax.random.PRNGKey(0))
    tagged = lambda c: base.replace(env_steps=jnp.int32(1000 + c))
    store = CheckpointStore(tmp_path / "ck", CFG, keep=2)
    for chunk, metric in zip(range(1, 6), [1.0, 9.0, 2.0, None, 3.0]):
        store.save(tagged(chunk), chunk, {"m": metric or 0.0}, metric)
    assert sorted(p.name for p in (tmp_path / "ck").iterdir() if p.name.isdigit()) == ["2", "4", "5"]
    assert store.steps() == [2, 4, 5] and store.latest_chunk() == 5
    # A restarted process must still know which step is best (metrics persisted on disk).
    store = CheckpointStore(tmp_path / "ck", CFG, keep=2)
    store.save(tagged(6), 6, {}, 0.5)
    assert store.steps() == [2, 5, 6]
    best, meta = store.restore_best(base)
    assert meta["chunk"] == 2 and int(best.env_steps) == 1002
    assert_identical(best, tagged(2))
    latest, meta = store.restore_latest(base)
    assert meta["chunk"] == 6 and int(latest.env_steps) == 1006
    with pytest.raises(ValueError, match="cannot save chunk 4, latest saved chunk is 6"):
        store.save(base, 4, {}, None)


def test_missing_and_empty_directory(tmp_path, trainer):
    template = trainer.init(jax.random.PRNGKey(0))
    missing = tmp_path / "nope"
    store = CheckpointStore(missing, CFG)
    assert not store.has_checkpoint() and store.latest_chunk() is None
    for call in (store.restore_latest, store.restore_best, lambda _: load_config(missing)):
        with pytest.raises(FileNotFoundError, match=f"{re.escape(str(missing))} does not exist"):
            call(template)
    assert not missing.exists()  # reading never creates the directory
    (tmp_path / "empty").mkdir()
    empty = re.escape(str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match=f"no checkpoints in {empty}"):
        CheckpointStore(tmp_path / "empty", CFG).restore_latest(template)
    with pytest.raises(FileNotFoundError, match="no checkpoint with a best_metric"):
        CheckpointStore(tmp_path / "empty", CFG).restore_best(template)


def _array_files(step_dir):
    files = [p for p in (step_dir / "state").rglob("*") if p.is_file() and p.parent.name == "d"]
    assert files
    return files


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


CORRUPTIONS = {
    "deleted_arrays": lambda d: [p.unlink() for p in _array_files(d)],
    "truncated_arrays": lambda d: [_truncate(p) for p in _array_files(d)],
    "missing_meta_json": lambda d: (d / "meta" / "metadata").unlink(),
}


# A failed tensorstore read leaves callbacks that hit Orbax's closed event loop (harmless noise).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("corrupt", list(CORRUPTIONS))
def test_corrupt_newest_names_it_and_keeps_older(tmp_path, trainer, corrupt):
    base = trainer.init(jax.random.PRNGKey(0))
    store = CheckpointStore(tmp_path / "ck", CFG)
    for chunk in (1, 2, 3):
        store.save(base.replace(env_steps=jnp.int32(chunk)), chunk, {}, float(chunk))
    CORRUPTIONS[corrupt](tmp_path / "ck" / "3")
    (tmp_path / "ck" / "4.orbax-checkpoint-tmp-123").mkdir()  # a save killed before Orbax's rename
    store = CheckpointStore(tmp_path / "ck", CFG)
    newest = re.escape(str(tmp_path / "ck" / "3"))
    with pytest.raises(ValueError, match=f"(?s){newest} is corrupt or partial.*nothing was deleted; "
                                         r"newest readable checkpoint is chunk 2"):
        store.restore_latest(base)
    assert store.steps() == [1, 2, 3] and store.latest_chunk() == 3 and (tmp_path / "ck" / "1").is_dir()
    runner, meta = store.restore(base, step=2)
    assert meta["chunk"] == 2 and int(runner.env_steps) == 2
    assert_identical(runner, base.replace(env_steps=jnp.int32(2)))


def test_mismatched_config_is_a_clear_error(tmp_path, trainer):
    store = CheckpointStore(tmp_path / "ck", CFG)
    store.save(trainer.init(jax.random.PRNGKey(0)), 1, {}, None)
    other = override(CFG, {"ppo.hidden": 32})
    template = jax.eval_shape(make_train(other).init, jax.random.PRNGKey(0))  # traced, not compiled
    path = re.escape(str(tmp_path / "ck" / "1"))
    with pytest.raises(ValueError, match=(f"(?s){path} does not match.*"
                                          r"saved \(8, 16\) float32, expected \(8, 32\).*"
                                          r"ppo.hidden: saved 16, now 32")):
        CheckpointStore(tmp_path / "ck", other).restore_latest(template)
    assert store.steps() == [1]


def test_seed_batched_round_trip(tmp_path, trainer, trained):
    keys = jax.random.split(jax.random.PRNGKey(0), 2)
    # Same pytree as `trainer.init_seeds(keys)` (checked below) without compiling the vmapped init;
    # seed 0 is the trained runner so optimiser states and counters are non-trivial.
    stack = lambda rs: jax.tree.map(lambda *xs: jnp.stack(xs), *rs)
    seeds = stack([trained, trainer.init(keys[1])])
    spec = jax.eval_shape(trainer.init_seeds, keys)
    assert jax.tree.structure(spec) == jax.tree.structure(seeds)
    assert all(a.shape == b.shape and a.dtype == b.dtype
               for a, b in zip(jax.tree.leaves(spec), jax.tree.leaves(seeds)))
    store = CheckpointStore(tmp_path / "ck", CFG)
    store.save(seeds, 1, {"reward": np.array([0.1, 0.2])}, None)
    template = stack([trainer.init(k) for k in jax.random.split(jax.random.PRNGKey(9), 2)])
    restored, meta = store.restore_latest(template)
    assert_identical(restored, seeds)
    assert meta["env_steps"] == [6 * 32, 0] and meta["metrics"] == {"reward": [0.1, 0.2]}
    single = r"env_numbers.comm_range_m: saved \(2, 4\) float32, expected \(4,\) float32"  # first of 5
    with pytest.raises(ValueError, match=single):
        store.restore_latest(trainer.init(keys[0]))  # single-seed template for a batched checkpoint
