"""Data-parallel training over several devices with JAX's own sharding (SPMD, no pmap).

    mesh = env_mesh(num_devices=4)                 # 1-D mesh, axis "envs"
    trainer = make_train(config, mesh=mesh)        # jitted with these shardings
    runner = trainer.init(key)                     # already sharded
    runner = shard_runner(restored_runner, mesh)   # e.g. after a checkpoint restore
    runner, metrics = trainer.train_chunk(runner)  # same program, partitioned by XLA

Layout: the env-batched fields of a `Runner` (`env_state`, `obs`, `log`: leading axis
`ppo.num_envs`, or `[num_seeds, num_envs, ...]` for seed sweeps) are split over the mesh axis
"envs"; everything else (parameters, optimiser states, PRNG key, env_steps) is replicated.
Which leaves are env-batched is decided by the Runner's fields, not by their shapes. Every
device steps `num_envs / devices` envs; the PPO losses are means over the whole batch, so
XLA's partitioner inserts the cross-device reductions (the gradient all-reduce) itself.

Several hosts: call `maybe_initialize_distributed()` before anything touches JAX; the mesh then
spans `jax.devices()` of all processes (`run.devices` 0), every process runs the same programs,
and `jaxjam train` lets only process 0 write files (tests/test_multihost.py: 2 CPU processes).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import jax
import numpy as np
from jax.sharding import AxisType, Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from jaxjam.runner import Runner

ENV_AXIS = "envs"  # the mesh axis the env batch is split over
ENV_BATCHED_FIELDS = ("env_state", "obs", "log")  # Runner fields with a leading num_envs axis


def resolve_devices(num_devices: int = 0, devices: Sequence[jax.Device] | None = None) -> list:
    """The first `num_devices` of `devices` (default `jax.devices()`, all processes); 0 = all."""
    if devices is None and jax.process_count() > 1 and num_devices not in (0, jax.device_count()):
        raise ValueError(f"run.devices must be 0 (all {jax.device_count()} devices) when training "
                         f"over {jax.process_count()} processes, got {num_devices}")
    devices = list(jax.devices() if devices is None else devices)
    if num_devices < 0 or num_devices > len(devices):
        raise ValueError(f"run.devices must be in [0, {len(devices)}] (0 = all {len(devices)} "
                         f"available {devices[0].platform} devices), got {num_devices}")
    return devices[:num_devices or len(devices)]


def check_divisible(num_envs: int, num_devices: int) -> None:
    """ValueError naming ppo.num_envs unless the env batch splits evenly over the devices."""
    if num_envs % num_devices:
        raise ValueError(f"ppo.num_envs ({num_envs}) must be divisible by the number of devices "
                         f"({num_devices}) to shard the env batch over them")


def env_mesh(num_devices: int = 0, devices: Sequence[jax.Device] | None = None) -> Mesh:
    """A 1-D mesh with axis "envs" over the first `num_devices` devices (0 = all)."""
    devs = resolve_devices(num_devices, devices)
    return Mesh(np.array(devs), (ENV_AXIS,), axis_types=(AxisType.Auto,))


def replicated(mesh: Mesh) -> NamedSharding:
    return NamedSharding(mesh, P())


def env_sharding(mesh: Mesh, seed_axis: bool = False) -> NamedSharding:
    """Split the env axis: axis 0, or axis 1 under a leading seed axis."""
    return NamedSharding(mesh, P(None, ENV_AXIS) if seed_axis else P(ENV_AXIS))


def runner_shardings(mesh: Mesh, seed_axis: bool = False):
    """A `Runner` holding one sharding per field: a pytree prefix of any Runner.

    Usable as `jit` in/out_shardings and with `jax.device_put`. Env-batched fields are split
    over "envs" (under the seed axis when `seed_axis`), the rest is replicated.
    """
    env, rep = env_sharding(mesh, seed_axis), replicated(mesh)
    fields = {f: (env if f in ENV_BATCHED_FIELDS else rep) for f in Runner.__dataclass_fields__}
    return Runner(**fields)


def shard_runner(runner, mesh: Mesh, seed_axis: bool | None = None):
    """`runner` placed with `runner_shardings` (a copy; the input stays valid).

    `seed_axis` defaults to whether the runner has a leading seed axis (env_steps not a scalar).
    Raises the ppo.num_envs ValueError if the env batch does not split over the mesh.
    """
    if seed_axis is None:
        seed_axis = np.ndim(runner.env_steps) == 1
    num_envs = runner.obs.shape[1 if seed_axis else 0]
    check_divisible(num_envs, mesh.size)
    return jax.device_put(runner, runner_shardings(mesh, seed_axis))


def on_each_device(fn, mesh: Mesh | None, replicated: int = 0):
    """`fn` run by every device on its own envs: all inputs (but the last `replicated`, which
    every device gets whole: traced numbers) and all outputs are env-batched along axis 0 and
    split over "envs" (`jax.shard_map`); `fn` itself when `mesh` is None.

    Exact for per-env functions (`jaxjam.env.step_batch`: its reset predicate becomes each
    device's own, which changes no result), and needed for speed: XLA's partitioner cannot
    split a custom call such as the Pallas λ₂ kernel, so under plain `jit` every device would
    gather and solve the whole batch (docs/benchmarks.md, 2-GPU training 1.24× → 1.76×).
    """
    if mesh is None:
        return fn

    def run(*args):
        specs = (P(ENV_AXIS),) * (len(args) - replicated) + (P(),) * replicated
        return jax.shard_map(fn, mesh=mesh, in_specs=specs, out_specs=P(ENV_AXIS),
                             check_vma=False)(*args)  # every output is per env: nothing to check
    return run


def maybe_initialize_distributed() -> bool:
    """`jax.distributed.initialize()` for several hosts, only when JAX_COORDINATOR_ADDRESS is set.

    JAX_NUM_PROCESSES and JAX_PROCESS_ID (optional on Slurm/Open MPI, where JAX detects them)
    give the process count and this process's index. Returns True if it initialised. Must run
    before any JAX computation; a no-op on a single host or when already initialised.
    """
    if not os.environ.get("JAX_COORDINATOR_ADDRESS") or jax.distributed.is_initialized():
        return False
    get = lambda name: int(os.environ[name]) if os.environ.get(name) else None
    jax.distributed.initialize(coordinator_address=os.environ["JAX_COORDINATOR_ADDRESS"],
                               num_processes=get("JAX_NUM_PROCESSES"),
                               process_id=get("JAX_PROCESS_ID"))
    return True
