"""Data-parallel training on 2 fake CPU devices (env batch sharded, the rest replicated).

The device count is fixed when JAX initialises, and this pytest process already has one
device (conftest.py), so each check runs in a subprocess with
XLA_FLAGS=--xla_force_host_platform_device_count=2 (~35-60 s each on a loaded 2-core box: it
compiles the sharded and the single-device programs). Per-device env batches stay tiny: larger
ones can hang fake CPU devices inside jaxlib's LAPACK kernel (docs/architecture.md).
"""

import os
import subprocess
import sys
import textwrap

import pytest

from conftest import FAST_TEST_COMPILE
from jaxjam.sharding import check_divisible

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHECK = textwrap.dedent(r"""
    import sys
    import jax, jax.numpy as jnp, numpy as np
    from jax.sharding import PartitionSpec as P
    from jaxjam.checkpoint import CheckpointStore
    from jaxjam.config import override, preset
    from jaxjam.sharding import env_mesh, shard_runner
    from jaxjam.train import make_train

    assert len(jax.devices()) == 2, jax.devices()
    cfg = override(preset("default"), {
        "ppo.num_envs": 4, "ppo.rollout_steps": 8, "ppo.total_steps": 4 * 8 * 2,
        "ppo.num_minibatches": 2, "ppo.update_epochs": 1, "ppo.hidden": 16,
        "run.updates_per_chunk": 2, "env.max_steps": 5})
    mesh = env_mesh(0)
    assert mesh.size == 2 and mesh.axis_names == ("envs",)

    def assert_layout(runner):
        for name in ("env_state", "obs", "log"):
            for x in jax.tree.leaves(getattr(runner, name)):
                assert x.sharding.spec == P("envs") and len(x.sharding.device_set) == 2, (name, x.sharding)
                assert x.addressable_shards[0].data.shape[0] == 2, (name, x.shape)  # 4 envs / 2 devices
        for x in jax.tree.leaves((runner.train_state, runner.key, runner.env_steps)):
            assert x.sharding.is_fully_replicated and len(x.sharding.device_set) == 2, x.sharding

    # Errors before any compilation.
    for bad, msg in (({"ppo.num_envs": 3, "ppo.num_minibatches": 1}, "ppo.num_envs (3) must be divisible"),):
        try:
            make_train(override(cfg, bad), mesh=mesh)
        except ValueError as err:
            assert msg in str(err), err
        else:
            raise AssertionError("no ValueError for num_envs not divisible by the device count")
    try:
        env_mesh(3)
    except ValueError as err:
        assert "run.devices must be in [0, 2]" in str(err), err
    else:
        raise AssertionError("no ValueError for 3 of 2 devices")

    sharded = make_train(cfg, mesh=mesh)
    runner = sharded.init(jax.random.PRNGKey(0))
    assert_layout(runner)
    single = make_train(cfg)  # the reference: today's single-device programs, same initial runner
    host = lambda r: jax.tree.map(lambda x: jnp.asarray(np.asarray(x)), r)  # uncommitted, device 0
    ref, ref_m = single.train_chunk(host(runner))
    out, m = sharded.train_chunk(runner)
    assert runner.obs.is_deleted()  # donated
    assert_layout(out)
    # Same PRNG streams (threefry is partitionable), only reductions are reordered -> ~1e-8.
    for a, b in zip(jax.tree.leaves(ref.train_state.actor_params), jax.tree.leaves(out.train_state.actor_params)):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-3, atol=1e-4)
    for a, b in zip(jax.tree.leaves(ref.env_state), jax.tree.leaves(out.env_state)):
        np.testing.assert_allclose(np.asarray(b, np.float64), np.asarray(a, np.float64), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(np.asarray(m["reward"]), np.asarray(ref_m["reward"]), rtol=1e-3, atol=1e-4)
    assert int(out.env_steps) == 2 * 32

    # The env batch steps per device (shard_map): no collective at all, same result as one device.
    from functools import partial
    from jaxjam.env import random_actions, step_batch
    from jaxjam.sharding import on_each_device
    keys = jax.random.split(jax.random.PRNGKey(3), 4)
    acts = jax.vmap(partial(random_actions, config=cfg))(keys)
    per_device = jax.jit(on_each_device(partial(step_batch, config=cfg), mesh))
    hlo = per_device.lower(keys, out.env_state, acts).compile().as_text()
    assert not any(op in hlo for op in ("all-reduce", "all-gather", "all-to-all")), "collective in env step"
    got = per_device(keys, out.env_state, acts)
    want = jax.jit(partial(step_batch, config=cfg))(keys, host(out.env_state), acts)
    assert got[1].jammer_pos.sharding.spec == P("envs")
    for a, b in zip(jax.tree.leaves(want), jax.tree.leaves(got)):
        np.testing.assert_allclose(np.asarray(b, np.float64), np.asarray(a, np.float64), rtol=1e-5, atol=1e-6)

    # Checkpoint a sharded runner, restore (host arrays), re-shard, continue without recompiling.
    store = CheckpointStore(sys.argv[1], cfg)
    store.save(out, 1, {"r": 0.0}, None)
    restored, meta = store.restore_latest(jax.eval_shape(single.init, jax.random.PRNGKey(5)))
    restored = shard_runner(restored, mesh)
    assert_layout(restored)
    for a, b in zip(jax.tree.leaves(out), jax.tree.leaves(restored)):
        assert np.array_equal(np.asarray(a), np.asarray(b))
    # Into a template already on the mesh (the CLI's resume): restored straight into its layout.
    direct, _ = store.restore_latest(sharded.init(jax.random.PRNGKey(5)))
    assert_layout(direct)
    for a, b in zip(jax.tree.leaves(out), jax.tree.leaves(direct)):
        assert np.array_equal(np.asarray(a), np.asarray(b))
    again, _ = sharded.train_chunk(direct)
    assert_layout(again)
    again, _ = sharded.train_chunk(restored)
    assert_layout(again)
    assert sharded.train_chunk._cache_size() == 1
    assert int(again.env_steps) == 4 * 32
    print("SHARDING OK")
""")


SEEDS_CHECK = textwrap.dedent(r"""
    import jax, jax.numpy as jnp, numpy as np
    from jax.sharding import PartitionSpec as P
    from jaxjam.config import override, preset
    from jaxjam.sharding import env_mesh
    from jaxjam.train import compile_programs, make_train

    cfg = override(preset("default"), {
        "ppo.num_envs": 4, "ppo.rollout_steps": 8, "ppo.total_steps": 4 * 8 * 2,
        "ppo.num_minibatches": 2, "ppo.update_epochs": 1, "ppo.hidden": 16,
        "run.updates_per_chunk": 2, "env.max_steps": 5})
    key = jax.random.PRNGKey(0)
    init, chunk = compile_programs(make_train(cfg, mesh=env_mesh(2)), key, seeds=2)  # as the CLI
    runner = init(jax.random.split(key, 2))
    assert runner.obs.sharding.spec == P(None, "envs") and runner.obs.shape[:2] == (2, 4)
    host = lambda r: jax.tree.map(lambda x: jnp.asarray(np.asarray(x)), r)  # uncommitted, device 0
    ref, ref_m = make_train(cfg).train_chunk_seeds(host(runner))  # the seeds without a mesh
    out, m = chunk(runner)
    assert out.obs.sharding.spec == P(None, "envs") and out.train_state.actor_params is not None
    for a, b in zip(jax.tree.leaves((ref.train_state, ref.env_state)), jax.tree.leaves((out.train_state, out.env_state))):
        np.testing.assert_allclose(np.asarray(b, np.float64), np.asarray(a, np.float64), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(np.asarray(m["reward"]), np.asarray(ref_m["reward"]), rtol=1e-3, atol=1e-4)
    assert np.asarray(m["reward"]).shape == (2, 2) and not np.allclose(*np.asarray(m["reward"]))
    assert np.asarray(out.env_steps).tolist() == [2 * 32, 2 * 32]
    print("SEEDS OK")
""")


def _run_on_two_devices(script: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2 " + FAST_TEST_COMPILE,
           "JAX_PLATFORMS": "cpu", "PYTHONPATH": REPO}
    return subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.slow
def test_two_device_data_parallel_matches_single_device(tmp_path):
    proc = _run_on_two_devices(CHECK, str(tmp_path / "ck"))
    assert proc.returncode == 0 and "SHARDING OK" in proc.stdout, proc.stdout + proc.stderr[-4000:]


@pytest.mark.slow
def test_two_seeds_on_two_devices_match_the_seeds_without_a_mesh():
    proc = _run_on_two_devices(SEEDS_CHECK)
    assert proc.returncode == 0 and "SEEDS OK" in proc.stdout, proc.stdout + proc.stderr[-4000:]


def test_num_envs_must_divide_device_count():
    check_divisible(8, 2)
    with pytest.raises(ValueError, match=r"ppo.num_envs \(6\) must be divisible by the number of "
                                         r"devices \(4\)"):
        check_divisible(6, 4)
