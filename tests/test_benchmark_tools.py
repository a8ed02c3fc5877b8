"""The benchmark scripts' own logic: what they time must be what they say they time."""

from __future__ import annotations

import os
import sys
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")
sys.path.insert(0, BENCH)


def test_env_rollout_outputs_its_observations():
    """env_throughput.random_rollout returns the observations' sum beside the rewards', so XLA
    cannot drop the observation as dead code; both match a Python loop of the same steps."""
    from env_throughput import random_actions, random_rollout

    from jaxjam.config import override, preset
    from jaxjam.env import reset, step_batch
    cfg = override(preset("default"), {"env.obs": "entity"})
    batch, steps = 3, 4
    _, states = jax.vmap(partial(reset, config=cfg))(jax.random.split(jax.random.PRNGKey(0), batch))
    rewards, obs = jax.jit(random_rollout(cfg, batch, steps, partial(step_batch, config=cfg)))(
        jax.random.PRNGKey(1), states)
    key, want_r, want_o = jax.random.PRNGKey(1), 0.0, 0.0
    for _ in range(steps):
        key, ka, ks = jax.random.split(key, 3)
        acts = jax.vmap(partial(random_actions, config=cfg))(jax.random.split(ka, batch))
        o, states, r, _, _ = step_batch(jax.random.split(ks, batch), states, acts, cfg)
        want_r, want_o = want_r + float(r.mean()), want_o + float(o.mean())
    assert float(jnp.abs(obs)) > 0
    np.testing.assert_allclose([float(rewards), float(obs)], [want_r, want_o], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("op_name, want", [
    ("jit(run_updates)/while/body/rollout/while/body/vmap(jit(step_batch))/top_k", ("rollout", "step_batch: top_k")),
    ("jit(run_updates)/while/body/ppo_update/while/body/transpose(jvp(AttentionActor))/"
     "AttentionActor.encode/TokenEncoder_0/Dense_1/dot_general", ("ppo_update", "AttentionActor: dot_general")),
    ("jit(run_updates)/while/body/rollout/while/body", ("rollout", "loop plumbing")),
    ("jit(run_updates)/while/body/jit(gae)/mul", ("other", "gae: mul")),
])
def test_train_trace_attributes_kernels_to_phase_and_source(op_name, want):
    from train_trace import scope_of
    assert scope_of(op_name) == want


def test_train_trace_splits_a_cpu_chunk_into_rollout_and_update(tmp_path, capsys):
    """A tiny CPU chunk under the profiler: both phases get time, and the shares add up."""
    from train_trace import main
    main(["--base", "ppo.num_envs=4", "ppo.rollout_steps=4", "ppo.num_minibatches=2", "--top", "3",
          "--out", str(tmp_path)])
    out = capsys.readouterr().out
    rows = {line.split("|")[1].strip(): line.split("|")[2:4] for line in out.splitlines()
            if line.startswith("| ") and line.count("|") == 4 and "%" in line and ":" not in line}
    assert {"rollout", "ppo_update"} <= rows.keys(), out
    assert all(float(ms) > 0 for ms, _ in (rows["rollout"], rows["ppo_update"])), out
    assert abs(sum(float(share.strip().rstrip("%")) for _, share in rows.values()) - 100) <= len(rows), out


@pytest.mark.parametrize("live_share", [0.002, 0.08, 1.0])
def test_nearest_link_selections_agree_with_top_k(live_share):
    """benchmarks/nearest_links.py: every alternative picks the same valid links, in the same
    order, as `lax.top_k`, also when fewer than k links are live."""
    import nearest_links as nl
    b, m, n, k = 3, 5, 30, 6
    l = n * (n - 1) // 2
    kj, km, kl = jax.random.split(jax.random.PRNGKey(3), 3)
    jpos = jax.random.uniform(kj, (b, m, 2), maxval=100.0)
    mid = jax.random.uniform(km, (b, l, 2), maxval=100.0)
    live = jax.random.uniform(kl, (b, l)) < live_share
    ref_idx, ref_ok = map(np.asarray, nl.by_top_k(jpos, mid, live, k))
    assert ref_ok.any() and (live_share > 0.01 or not ref_ok.all())  # the rarest: < k live
    for fn in (nl.by_argmin, nl.by_two_stage, nl.by_chunk_min):
        idx, ok = map(np.asarray, fn(jpos, mid, live, k))
        np.testing.assert_array_equal(ok, ref_ok, err_msg=fn.__name__)
        np.testing.assert_array_equal(np.where(ok, idx, -1), np.where(ref_ok, ref_idx, -1),
                                      err_msg=fn.__name__)
