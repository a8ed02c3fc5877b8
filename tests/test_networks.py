"""Actor / critic / hybrid distribution (spec §10, §14.4, §14.5)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxjam.agents.networks import Action, Actor, Critic, hybrid_distribution, pooled

D, NB = 5, 4


def _np_log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


@pytest.fixture(scope="module")
def dist_params():
    rng = np.random.default_rng(0)
    loc = rng.normal(size=(3, 4, 2)).astype(np.float32) * 3
    log_std = rng.uniform(-1, 0.5, size=(3, 4, 2)).astype(np.float32)
    logits = rng.normal(size=(3, 4, NB)).astype(np.float32)
    vel = rng.normal(size=(3, 4, 2)).astype(np.float32) * 4
    band = rng.integers(0, NB, size=(3, 4)).astype(np.int32)
    return loc, log_std, logits, Action(velocity=vel, band=band)


def test_hybrid_log_prob_matches_hand_formula(dist_params):
    loc, log_std, logits, a = dist_params
    got = np.asarray(hybrid_distribution(loc, log_std, logits).log_prob(a))
    std = np.exp(log_std.astype(np.float64))
    gauss = (-0.5 * ((a.velocity - loc) / std) ** 2 - np.log(std) - 0.5 * math.log(2 * math.pi)).sum(-1)
    cat = np.take_along_axis(_np_log_softmax(logits.astype(np.float64)), a.band[..., None], -1)[..., 0]
    np.testing.assert_allclose(got, gauss + cat, rtol=1e-5, atol=1e-5)


def test_hybrid_entropy_and_mode(dist_params):
    loc, log_std, logits, _ = dist_params
    d = hybrid_distribution(loc, log_std, logits)
    p = np.exp(_np_log_softmax(logits.astype(np.float64)))
    want = (0.5 * np.log(2 * math.pi * math.e) + log_std).sum(-1) - (p * np.log(p)).sum(-1)
    np.testing.assert_allclose(np.asarray(d.entropy()), want, rtol=1e-5, atol=1e-5)
    mode = d.mode()
    np.testing.assert_array_equal(np.asarray(mode.velocity), loc)
    np.testing.assert_array_equal(np.asarray(mode.band), logits.argmax(-1))


def test_hybrid_sample_shapes_dtypes_and_jit(dist_params):
    loc, log_std, logits, _ = dist_params
    d = jax.jit(hybrid_distribution)(loc, log_std, logits)  # distribution leaves jit intact
    a, lp = d.sample_and_log_prob(seed=jax.random.key(0))
    assert a.velocity.shape == (3, 4, 2) and a.velocity.dtype == jnp.float32
    assert a.band.shape == (3, 4) and a.band.dtype == jnp.int32
    np.testing.assert_allclose(np.asarray(lp), np.asarray(d.log_prob(a)), atol=1e-5)


@pytest.fixture(scope="module")
def actor_and_params():
    actor = Actor(hidden=16, num_bands=NB, log_std_min=-1.0, log_std_max=0.5, log_std_init=-0.5)
    return actor, jax.jit(actor.init)(jax.random.key(0), jnp.zeros((D,)))


def test_actor_init_and_shapes(actor_and_params):
    actor, params = actor_and_params
    p = params["params"]
    k0 = np.asarray(p["Dense_0"]["kernel"])  # [D, H], orthogonal rows with gain sqrt(2)
    np.testing.assert_allclose(k0 @ k0.T, 2.0 * np.eye(D), atol=1e-5)
    np.testing.assert_array_equal(np.asarray(p["Dense_0"]["bias"]), 0.0)
    np.testing.assert_array_equal(np.asarray(p["Dense_3"]["bias"]), -0.5)  # log sigma head
    for head in ("Dense_2", "Dense_3", "Dense_4"):
        assert np.abs(np.asarray(p[head]["kernel"])).max() < 0.05
    obs = jax.random.normal(jax.random.key(1), (7, 3, D))
    d = actor.apply(params, obs)
    assert d.batch_shape == (7, 3)
    scale = np.asarray(d.distributions.velocity.distribution.scale)
    np.testing.assert_allclose(scale, np.exp(-0.5), rtol=0.1)


def test_actor_log_std_clamped(actor_and_params):
    actor, params = actor_and_params
    for bias, want in ((5.0, 0.5), (-5.0, -1.0)):
        pushed = jax.tree_util.tree_map_with_path(
            lambda path, x: jnp.full_like(x, bias) if "Dense_3" in str(path) and "bias" in str(path) else x,
            params)
        scale = actor.apply(pushed, jnp.ones((2, D))).distributions.velocity.distribution.scale
        np.testing.assert_allclose(np.log(np.asarray(scale)), want, atol=1e-6)


def test_log_prob_at_stored_raw_action_is_rollout_log_prob(actor_and_params):
    """Spec §14.4: mu pushed to 6 > v_max = 5; the stored raw draw gives ratio 1 at equal params."""
    actor, params = actor_and_params
    pushed = jax.tree_util.tree_map_with_path(
        lambda path, x: jnp.full_like(x, 6.0) if "Dense_2" in str(path) and "bias" in str(path) else x,
        params)
    obs = jax.random.normal(jax.random.key(2), (64, 4, D))
    rollout = jax.jit(lambda p, o, k: actor.apply(p, o).sample_and_log_prob(seed=k))
    action, old_lp = rollout(pushed, obs, jax.random.key(3))
    assert np.abs(np.asarray(action.velocity)).max() > 5.0
    log_prob = jax.jit(lambda p, o, a: actor.apply(p, o).log_prob(a))
    np.testing.assert_allclose(np.exp(np.asarray(log_prob(pushed, obs, action) - old_lp)), 1.0, atol=1e-5)
    clipped = action.replace(velocity=jnp.clip(action.velocity, -5.0, 5.0))  # the reference's stored action
    assert np.abs(np.asarray(log_prob(pushed, obs, clipped) - old_lp)).max() > 0.1


def test_critic_pooled_permutation_invariant_any_m():
    critic = Critic(hidden=16)
    params = jax.jit(critic.init)(jax.random.key(0), jnp.zeros((1, D)))
    out = params["params"]["Dense_2"]["kernel"]
    np.testing.assert_allclose(np.linalg.norm(np.asarray(out)), 1.0, atol=1e-5)  # gain-1 [H, 1] column
    apply = jax.jit(lambda o: critic.apply(params, o))
    for m in (4, 40):
        obs = np.random.default_rng(m).normal(size=(6, m, D)).astype(np.float32)
        v = apply(obs)
        assert v.shape == (6, m)
        np.testing.assert_array_equal(np.asarray(v), np.asarray(v[:, :1]).repeat(m, 1))  # one team value
        perm = np.random.default_rng(1).permutation(m)
        np.testing.assert_allclose(np.asarray(apply(obs[:, perm])), np.asarray(v), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(pooled(jnp.arange(6.0).reshape(3, 2))), [2.0, 3.0])


def test_critic_own_obs_is_permutation_equivariant_and_agent_specific():
    critic = Critic(hidden=16, own_obs=True)
    params = jax.jit(critic.init)(jax.random.key(0), jnp.zeros((1, D)))
    apply = jax.jit(lambda o: critic.apply(params, o))
    for m in (4, 40):
        obs = np.random.default_rng(m).normal(size=(6, m, D)).astype(np.float32)
        v = np.asarray(apply(obs))
        assert v.shape == (6, m) and np.std(v, axis=1).min() > 0  # agents differ
        perm = np.random.default_rng(1).permutation(m)
        np.testing.assert_allclose(np.asarray(apply(obs[:, perm])), v[:, perm], rtol=1e-5, atol=1e-6)
