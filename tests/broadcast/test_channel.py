"""Channel dynamics vs a plain-Python model driven by the same random draws."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxjam.broadcast.channel import (COLLISION, SILENCE, SUCCESS, BroadcastChannel,
                                      make_params)


def python_step(buffers, send, u, p, k):
    """Reference: send, then arrive (`u < p` fills an empty buffer)."""
    senders = [b and s for b, s in zip(buffers, send)]
    count = sum(senders)
    ok = count <= k
    delivered = [s and ok for s in senders]
    outcome = SILENCE if count == 0 else (SUCCESS if ok else COLLISION)
    left = [b and not d for b, d in zip(buffers, delivered)]
    new = [b or (ui < pi) for b, ui, pi in zip(left, u, p)]
    return new, [float(d) for d in delivered], outcome


@pytest.mark.parametrize("k", [1, 2])
def test_central_matches_python_model(k):
    p = [0.2, 0.5, 0.9]
    n = len(p)
    params = make_params(p, n_channels=k, max_steps=40)
    p32 = np.asarray(params.p)
    env = BroadcastChannel()
    step = jax.jit(env.step)
    key = jax.random.PRNGKey(k)
    key, k0 = jax.random.split(key)
    obs, state = env.reset(k0, params)
    buffers = list(np.asarray(jax.random.uniform(k0, (n,))) < p32)
    assert obs.tolist() == [int(b) for b in buffers]
    rng = np.random.default_rng(0)
    for t in range(40):
        action = int(rng.integers(0, 2 ** n))
        key, sub = jax.random.split(key)
        obs, state, reward, done, info = step(sub, state, jnp.int32(action), params)
        u = np.asarray(jax.random.uniform(sub, (n,)))
        send = [bool((action >> i) & 1) for i in range(n)]
        buffers, ref_reward, outcome = python_step(buffers, send, u, p32, k)
        assert state.buffers.tolist() == buffers
        assert reward.tolist() == ref_reward
        assert int(info["outcome"]) == outcome
        assert bool(done) == (t + 1 >= 40)


def test_decentralised_matches_central_and_observes_outcome():
    params = make_params(0.6, n_agents=3)
    central, decentral = BroadcastChannel(), BroadcastChannel(decentralised=True)
    key = jax.random.PRNGKey(3)
    _, sc = central.reset(key, params)
    obs, sd = decentral.reset(key, params)
    assert obs.shape == (3, 2)
    for t in range(30):
        sub = jax.random.fold_in(key, t)
        send = obs[:, 0]                       # "send if you have a message", per agent
        action = jnp.sum(send << jnp.arange(3))
        _, sc, rc, _, _ = central.step(sub, sc, action, params)
        obs, sd, rd, _, info = decentral.step(sub, sd, send, params)
        assert sc.buffers.tolist() == sd.buffers.tolist()
        assert rc.tolist() == rd.tolist()
        assert obs[:, 0].tolist() == sd.buffers.astype(int).tolist()
        assert obs[:, 1].tolist() == [int(info["outcome"])] * 3


def test_vmap_jit_static_shapes():
    params = make_params([0.1, 0.4], n_channels=1)
    env = BroadcastChannel()
    keys = jax.random.split(jax.random.PRNGKey(0), 8)
    obs, state = jax.vmap(env.reset, in_axes=(0, None))(keys, params)
    actions = jnp.arange(8, dtype=jnp.int32) % 4
    out = jax.jit(jax.vmap(env.step, in_axes=(0, 0, 0, None)))(keys, state, actions, params)
    obs, state, reward, done, _ = out
    assert obs.shape == (8, 2) and reward.shape == (8, 2) and done.shape == (8,)
    # Single-channel: at most one delivery per step, never with action 0.
    assert float(reward.sum(-1).max()) <= 1.0
    assert float(reward[actions == 0].sum()) == 0.0


def test_bad_params_raise():
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\]"):
        make_params([0.5, 1.2])
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\]"):
        make_params(-0.1, n_agents=2)
    with pytest.raises(ValueError, match="n_agents must be >= 1"):
        make_params(0.5, n_agents=0)
    with pytest.raises(ValueError, match="n_channels must be >= 1"):
        make_params(0.5, n_agents=2, n_channels=0)
