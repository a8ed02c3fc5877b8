"""jaxjam.env.nearest.smallest_k: the same picks as one lax.top_k (ties included), and the entity
observation identical with either `env.link_select` at a size where the chunked path runs."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxjam.config import override, preset
from jaxjam.env import random_actions, reset, step_no_reset
from jaxjam.env.nearest import smallest_k


@pytest.mark.parametrize("chunk", [4, 32, 64])
def test_chunked_picks_equal_top_k_with_ties_and_absent_entries(chunk):
    rng = np.random.default_rng(chunk)
    for _ in range(12):
        width = int(rng.integers(2, 3000))
        k = int(rng.integers(1, min(width, 24) + 1))
        vals = rng.integers(0, 30, size=(3, width)).astype(np.float32)  # many exact ties
        vals[rng.random((3, width)) < rng.random()] = np.inf  # absent entries (dead links)
        idx, got = smallest_k(jnp.asarray(vals), k, "chunk", chunk)
        neg, ref = jax.lax.top_k(-jnp.asarray(vals), k)
        idx, got, ref, want = map(np.asarray, (idx, got, ref, -neg))
        np.testing.assert_array_equal(got, want)
        finite = np.isfinite(want)
        np.testing.assert_array_equal(np.where(finite, idx, -1), np.where(finite, ref, -1))
        assert idx.dtype == np.int32 and (idx >= 0).all() and (idx < width).all()  # padding lanes never leak
        np.testing.assert_array_equal(np.take_along_axis(vals, idx, -1)[finite], want[finite])


def test_auto_chunks_only_when_it_prunes_and_bad_arguments_are_refused():
    low = jax.make_jaxpr(lambda v: smallest_k(v, 12, "auto"))
    assert "reduce_min" in str(low(jnp.zeros((2, 4950))))  # L=4950 ≥ 4·12·32: chunk minima
    assert "reduce_min" not in str(low(jnp.zeros((2, 45))))  # M=4, N=10: one top_k
    with pytest.raises(ValueError, match="method must be one of"):
        smallest_k(jnp.zeros(8), 2, "heap")
    with pytest.raises(ValueError, match=r"k must be in \[1, 8\]"):
        smallest_k(jnp.zeros(8), 9)
    with pytest.raises(ValueError, match="env.link_select"):
        override(preset("default"), {"env.link_select": "heap"})


def test_entity_obs_is_the_same_with_either_link_select_at_n100():
    """M=6, N=100 (L = 4950 links): the observation after reset and three random steps is
    bit-identical with env.link_select chunk and top_k."""
    base = override(preset("large"), {"env.num_jammers": 6, "env.obs": "entity"})
    cfgs = [override(base, {"env.link_select": s}) for s in ("chunk", "top_k")]
    runs = []
    for cfg in cfgs:
        obs, state = reset(jax.random.PRNGKey(3), cfg)
        seen = [obs]
        for t in range(3):
            act = random_actions(jax.random.PRNGKey(10 + t), cfg)
            obs, state, *_ = step_no_reset(jax.random.PRNGKey(20 + t), state, act, cfg)
            seen.append(obs)
        runs.append(np.stack([np.asarray(o) for o in seen]))
    valid = runs[0][..., 4 + cfgs[0].physics.num_bands + 2]  # the first link token's valid flag
    assert valid.any()  # the near-link slots hold live links
    np.testing.assert_array_equal(runs[0], runs[1])
