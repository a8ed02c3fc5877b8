"""GAE and the PPO update (spec §11, §14.3, §14.14, §14.16)."""

import dataclasses

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxjam.agents.mappo import (Batch, _actor_loss, entropy_coef_schedule, gae, init_train_state,
                                 make_optimizers, ppo_update)
from jaxjam.config import PPOConfig
from jaxjam.env.state import Action

S, M, D, NB = 32, 3, 5, 4
CFG = PPOConfig(hidden=16, update_epochs=2, num_minibatches=4, entropy_coef=0.01, target_kl=0.0)
NUM_UPDATES = 10


class TestGae(chex.TestCase):
    """GAE, each test run jitted and un-jitted (chex variants)."""

    def _gae(self, *args, gamma=0.99, lam=0.95):
        return [np.asarray(x) for x in self.variant(gae)(*map(jnp.asarray, args), gamma, lam)]

    @chex.variants(with_jit=True, without_jit=True)
    def test_gae_spec_example_two_step_episodes(self):
        """Spec §14.3: γ = λ = 1, zero values, reward 1 on each episode's last step -> all ones."""
        r = np.array([[0.0], [1.0], [0.0], [1.0]], np.float32)
        z = np.zeros_like(r)
        done = np.array([[False], [True], [False], [True]])
        adv, ret = self._gae(r, z, z, done, done, gamma=1.0, lam=1.0)
        np.testing.assert_allclose(adv[:, 0], [1, 1, 1, 1])
        np.testing.assert_allclose(ret, adv)

    @chex.variants(with_jit=True, without_jit=True)
    def test_truncation_bootstraps_final_value_termination_does_not(self):
        gamma, lam, t_end = 0.9, 0.8, 2
        rng = np.random.default_rng(0)
        r, v, nv = (rng.normal(size=(5, 2)).astype(np.float32) for _ in range(3))
        done = np.zeros((5, 2), bool)
        done[t_end] = True
        adv_trunc, _ = self._gae(r, v, nv, np.zeros_like(done), done, gamma=gamma, lam=lam)
        adv_term, _ = self._gae(r, v, nv, done, done, gamma=gamma, lam=lam)
        diff = adv_trunc - adv_term
        for t in range(t_end + 1):
            np.testing.assert_allclose(diff[t], (gamma * lam) ** (t_end - t) * gamma * nv[t_end], rtol=1e-5)
        np.testing.assert_array_equal(diff[t_end + 1:], 0.0)

    @chex.variants(with_jit=True, without_jit=True)
    def test_gae_no_leakage_across_reset(self):
        rng = np.random.default_rng(1)
        r, v, nv = (rng.normal(size=(6, 3)).astype(np.float32) for _ in range(3))
        done = np.zeros((6, 3), bool)
        done[2] = True
        r2, v2, nv2 = r.copy(), v.copy(), nv.copy()
        r2[3:] += 5.0
        v2[3:] -= 2.0
        nv2[3:] += 7.0
        for term in (done, np.zeros_like(done)):
            a, _ = self._gae(r, v, nv, term, done)
            b, _ = self._gae(r2, v2, nv2, term, done)
            np.testing.assert_array_equal(a[:3], b[:3])

    @chex.variants(with_jit=True, without_jit=True)
    def test_gae_matches_numpy_loop(self):
        rng = np.random.default_rng(2)
        T, B, gamma, lam = 17, 5, 0.97, 0.9
        r, v, nv = (rng.normal(size=(T, B)).astype(np.float32) for _ in range(3))
        done = rng.random((T, B)) < 0.3
        term = done & (rng.random((T, B)) < 0.5)
        adv, ret = self._gae(r, v, nv, term, done, gamma=gamma, lam=lam)
        want = np.zeros((T, B))
        nxt = np.zeros(B)
        for t in reversed(range(T)):
            delta = r[t] + gamma * (1 - term[t]) * nv[t] - v[t]
            nxt = delta + gamma * lam * (1 - done[t]) * nxt
            want[t] = nxt
        np.testing.assert_allclose(adv, want, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(ret, want + v, rtol=1e-5, atol=1e-5)

    @chex.variants(with_jit=True, without_jit=True)
    def test_gae_agent_axis_equals_per_agent_runs(self):
        """[T, B, M] rewards with [T, B, 1] episode flags = M separate [T, B] computations."""
        rng = np.random.default_rng(3)
        T, B, m = 9, 4, 3
        r, v, nv = (rng.normal(size=(T, B, m)).astype(np.float32) for _ in range(3))
        done = rng.random((T, B, 1)) < 0.3
        term = done & (rng.random((T, B, 1)) < 0.5)
        adv, ret = self._gae(r, v, nv, term, done)
        for a in range(m):
            want_adv, want_ret = self._gae(r[..., a], v[..., a], nv[..., a], term[..., 0], done[..., 0])
            np.testing.assert_allclose(adv[..., a], want_adv, rtol=1e-6)
            np.testing.assert_allclose(ret[..., a], want_ret, rtol=1e-6)


def test_ppo_update_per_agent_advantages_move_each_agent_its_own_way():
    """With agent-specific advantages (credit), agent 0's log-prob rises and agent 1's falls."""
    cfg = dataclasses.replace(CFG, critic_obs="pooled_own")
    ts = init_train_state(jax.random.key(5), cfg, D, NB, NUM_UPDATES)
    batch = _batch(ts, jax.random.key(6))
    adv = jnp.zeros((S, M)).at[:, 0].set(1.0).at[:, 1].set(-1.0)
    batch = batch.replace(advantages=adv, returns=adv)
    new, _ = _update(jax.random.key(7), ts, batch, cfg, NUM_UPDATES)
    delta = np.asarray(new.actor.apply(new.actor_params, batch.obs).log_prob(batch.action) - batch.log_prob)
    assert delta[:, 0].mean() > 0 > delta[:, 1].mean()
    values = lambda s: np.asarray(s.critic.apply(s.critic_params, batch.obs))
    assert values(ts).shape == (S, M)
    assert np.mean((values(new) - np.asarray(adv)) ** 2) < np.mean((values(ts) - np.asarray(adv)) ** 2)


def _batch(ts, key):
    """Actions sampled from the current policy, random advantages/returns."""
    k_obs, k_act, k_adv = jax.random.split(key, 3)
    obs = jax.random.normal(k_obs, (S, M, D))
    action, log_prob = ts.actor.apply(ts.actor_params, obs).sample_and_log_prob(seed=k_act)
    adv = jnp.broadcast_to(jax.random.normal(k_adv, (S, 1)), (S, M))  # a team advantage
    return Batch(obs=obs, action=action, log_prob=log_prob, advantages=adv,
                 returns=adv + 1.0, values=jnp.zeros((S, M)))


def _setup():
    ts = jax.jit(init_train_state, static_argnums=(1, 2, 3, 4))(jax.random.key(0), CFG, D, NB, NUM_UPDATES)
    return ts, jax.jit(_batch)(ts, jax.random.key(1))


@pytest.fixture(scope="module")
def setup():
    return _setup()


_update = jax.jit(ppo_update, static_argnums=(3, 4))


def test_ppo_update_moves_log_probs_with_advantage_and_fits_critic(setup):
    ts, batch = setup
    new, metrics = _update(jax.random.key(2), ts, batch, CFG, NUM_UPDATES)
    assert int(new.update) == 1 and int(metrics["minibatch_steps"]) == CFG.update_epochs * CFG.num_minibatches
    delta = np.asarray(new.actor.apply(new.actor_params, batch.obs).log_prob(batch.action) - batch.log_prob)
    adv = np.asarray(batch.advantages)
    assert (delta * np.sign(adv)).mean() > 0
    assert delta[adv > 0].mean() > 0 > delta[adv < 0].mean()
    crit = lambda s: float(jnp.mean((s.critic.apply(s.critic_params, batch.obs) - batch.returns) ** 2))
    assert crit(new) < crit(ts)
    for k in ("actor_loss", "critic_loss", "entropy", "approx_kl", "clip_frac", "actor_grad_norm",
              "critic_grad_norm", "explained_variance", "lr_actor", "lr_critic", "entropy_coef"):
        assert np.isfinite(float(metrics[k])), k


def test_ppo_update_deterministic_given_key(setup):
    ts, batch = setup
    a, ma = _update(jax.random.key(3), ts, batch, CFG, NUM_UPDATES)
    b, mb = _update(jax.random.key(3), ts, batch, CFG, NUM_UPDATES)
    c, _ = _update(jax.random.key(4), ts, batch, CFG, NUM_UPDATES)
    leaves = lambda s: jax.tree.leaves((s.actor_params, s.critic_params))
    for x, y in zip(leaves(a), leaves(b)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    assert any(not np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(leaves(a), leaves(c)))
    assert ma["actor_loss"] == mb["actor_loss"]


def test_kl_early_stop(setup):
    ts, batch = setup
    new, m = _update(jax.random.key(5), ts, batch, dataclasses.replace(CFG, target_kl=1e-12), NUM_UPDATES)
    assert int(m["minibatch_steps"]) == 1  # the first step sees ratio 1, the second exceeds the target
    assert int(new.update) == 1


def test_schedules_decay_to_final_fraction(setup):
    actor_opt, critic_opt = make_optimizers(CFG, NUM_UPDATES)
    for opt, lr in ((actor_opt, CFG.lr_actor), (critic_opt, CFG.lr_critic)):
        np.testing.assert_allclose(float(opt.lr(0)), lr, rtol=1e-6)
        np.testing.assert_allclose(float(opt.lr(NUM_UPDATES // 2)), lr * (1 + CFG.lr_final_frac) / 2, rtol=1e-6)
        np.testing.assert_allclose(float(opt.lr(NUM_UPDATES)), lr * CFG.lr_final_frac, rtol=1e-6)
    ent = entropy_coef_schedule(CFG, NUM_UPDATES)
    np.testing.assert_allclose(float(ent(NUM_UPDATES)), CFG.entropy_coef * CFG.entropy_coef_final_frac, rtol=1e-6)
    # The update really uses the scheduled rate: Adam's first step moves each weight by about lr.
    ts, batch = setup
    cfg1 = dataclasses.replace(CFG, update_epochs=1, num_minibatches=1)
    ts_end = ts.replace(update=jnp.asarray(NUM_UPDATES, jnp.int32))
    new, m = _update(jax.random.key(6), ts_end, batch, cfg1, NUM_UPDATES)
    np.testing.assert_allclose(float(m["lr_critic"]), CFG.lr_critic * CFG.lr_final_frac, rtol=1e-6)
    step = max(float(jnp.abs(x - y).max()) for x, y in
               zip(jax.tree.leaves(new.critic_params), jax.tree.leaves(ts.critic_params)))
    np.testing.assert_allclose(step, CFG.lr_critic * CFG.lr_final_frac, rtol=1e-3)


def test_band_entropy_scale_weights_only_the_band_head():
    """With zero advantages only the entropy bonus moves the actor: scale 0 leaves the band
    head's weights untouched while the velocity σ still grows; scale 1 raises the band entropy."""
    ts = init_train_state(jax.random.key(8), CFG, D, NB, NUM_UPDATES)
    params = ts.actor_params["params"]
    peaked = {**params, "Dense_4": {**params["Dense_4"], "bias": jnp.array([2.0, 0.0, 0.0, 0.0])}}
    ts = ts.replace(actor_params={"params": peaked})  # band entropy below its maximum ln 4
    batch = _batch(ts, jax.random.key(9)).replace(advantages=jnp.zeros((S, M)))
    cfg = dataclasses.replace(CFG, entropy_coef=1.0, entropy_coef_final_frac=1.0)
    band_head = lambda s: s.actor_params["params"]["Dense_4"]  # trunk ×2, μ, log σ, band logits
    std = lambda s: float(jnp.mean(s.actor.apply(s.actor_params, batch.obs).distributions.velocity.stddev()))
    band_h = lambda s: float(jnp.mean(s.actor.apply(s.actor_params, batch.obs).distributions.band.entropy()))
    off, m_off = _update(jax.random.key(10), ts, batch, dataclasses.replace(cfg, band_entropy_scale=0.0), NUM_UPDATES)
    on, m_on = _update(jax.random.key(10), ts, batch, cfg, NUM_UPDATES)
    for x, y in zip(jax.tree.leaves(band_head(off)), jax.tree.leaves(band_head(ts))):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    assert std(off) > std(ts) and std(on) > std(ts)
    assert band_h(on) > band_h(ts) + 1e-3
    assert 0.0 < float(m_on["entropy_band"]) < float(m_on["entropy"])


class TestActorLoss(chex.TestCase):
    """The actor loss's teacher term, each test run jitted and un-jitted (chex variants)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ts, cls.batch = _setup()

    def _loss(self, *args):
        return self.variant(_actor_loss, static_argnums=1)(*args)  # arg 1: the actor module

    @chex.variants(with_jit=True, without_jit=True)
    def test_teacher_term_is_squared_mean_error_plus_band_cross_entropy(self):
        """_actor_loss with a teacher = without one + coef · (|μ − v_T|² + −log π(band_T)), means over
        [S, M]; no teacher in the batch: no term and no metric."""
        ts, batch = self.ts, self.batch
        k_v, k_b = jax.random.split(jax.random.key(11))
        teacher = Action(velocity=jax.random.uniform(k_v, (S, M, 2), minval=-1.0, maxval=1.0),
                         band=jax.random.randint(k_b, (S, M), 0, NB))
        args = (ts.actor_params, ts.actor)
        plain, aux = self._loss(*args, batch, 0.2, 0.01, 1.0)
        with_t, aux_t = self._loss(*args, batch.replace(teacher=teacher), 0.2, 0.01, 1.0, 2.5)
        dist = ts.actor.apply(ts.actor_params, batch.obs).distributions
        mu, logits = np.asarray(dist.velocity.mode(), np.float64), np.asarray(dist.band.logits, np.float64)
        logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        ce = -np.take_along_axis(logp, np.asarray(teacher.band)[..., None], -1).mean()
        want = np.mean(np.sum((mu - np.asarray(teacher.velocity)) ** 2, -1)) + ce
        assert "imitation_loss" not in aux
        np.testing.assert_allclose(float(aux_t["imitation_loss"]), want, rtol=1e-5)
        np.testing.assert_allclose(float(with_t) - float(plain), 2.5 * want, rtol=1e-4)

    @chex.variants(with_jit=True, without_jit=True)
    def test_teacher_weight_averages_the_labelled_steps_only(self):
        """With `teacher_weight` [S] (ppo.teacher_envs), the imitation term is the mean over the
        labelled steps only: labels at weight-0 steps never matter, all-ones weights equal none."""
        ts, batch = self.ts, self.batch
        k_v, k_b, k_w = jax.random.split(jax.random.key(12), 3)
        teacher = Action(velocity=jax.random.uniform(k_v, (S, M, 2), minval=-1.0, maxval=1.0),
                         band=jax.random.randint(k_b, (S, M), 0, NB))
        w = (jnp.arange(S) % 3 == 0).astype(jnp.float32)
        args = (ts.actor_params, ts.actor)
        loss = lambda b: self._loss(*args, b, 0.2, 0.01, 1.0, 1.0)[1]["imitation_loss"]
        full = float(loss(batch.replace(teacher=teacher)))
        ones = float(loss(batch.replace(teacher=teacher, teacher_weight=jnp.ones((S,)))))
        np.testing.assert_allclose(ones, full, rtol=1e-5)
        weighted = float(loss(batch.replace(teacher=teacher, teacher_weight=w)))
        scrambled = teacher.replace(velocity=jnp.where(w[:, None, None] > 0, teacher.velocity, 9.0),
                                    band=jnp.where(w[:, None] > 0, teacher.band, 0))
        np.testing.assert_allclose(float(loss(batch.replace(teacher=scrambled, teacher_weight=w))),
                                   weighted, rtol=1e-6)
        keep = np.asarray(w) > 0
        sub = jax.tree.map(lambda x: x[keep], batch.replace(teacher=teacher))
        np.testing.assert_allclose(weighted, float(loss(sub)), rtol=1e-5)
