"""The environment's API (shapes, dtypes, auto-reset), each test run jitted and op by op.

chex variants: `with_jit` wraps the env functions in one more `jax.jit`; `without_jit` runs them
under `jax.disable_jit()`, so the env's own jitted `reset`/`step` execute eagerly too (chex's
plain `without_jit` would leave those inner jits in place).
"""

import chex
import jax
import jax.numpy as jnp
import numpy as np
from absl.testing import parameterized

from jaxjam.config import override, preset
from jaxjam.env import obs_dim, random_actions, reset, step

SHORT = override(preset("default"), {"env.max_steps": 3})
REF = override(preset("reference"), {"env.max_steps": 3})
LOCAL = override(preset("default"), {"env.obs": "local_graph", "env.local_graph_k": 6})


class TestEnvApi(chex.TestCase):

    def _fn(self, fn):
        """`fn` as this variant runs it (config passed by keyword, static under jit)."""
        f = self.variant(fn, static_argnames="config")
        if self.variant.type != chex.ChexVariantType.WITHOUT_JIT:
            return f

        def eager(*args, **kwargs):
            with jax.disable_jit():
                return f(*args, **kwargs)
        return eager

    @chex.variants(with_jit=True, without_jit=True)
    @parameterized.named_parameters(("default", SHORT), ("reference", REF), ("local_graph", LOCAL))
    def test_shapes_and_dtypes(self, cfg):
        reset_, step_ = self._fn(reset), self._fn(step)
        obs, state = reset_(jax.random.PRNGKey(0), config=cfg)
        m = cfg.env.num_jammers
        chex.assert_shape(obs, (m, obs_dim(cfg)))
        chex.assert_type(obs, jnp.float32)
        act = random_actions(jax.random.PRNGKey(2), cfg)
        obs, state, r, d, info = step_(jax.random.PRNGKey(1), state, act, config=cfg)
        chex.assert_shape([r, d, info.final_obs, info.reward_terms], [(), (), obs.shape, (5,)])
        chex.assert_type(d, jnp.bool_)
        assert np.isfinite(float(r)) and 0.0 <= float(info.lambda2_reduction) <= 1.0

    @chex.variants(with_jit=True, without_jit=True)
    def test_truncation_autoreset_and_final_obs(self):
        cfg, step_ = SHORT, self._fn(step)
        obs, state = self._fn(reset)(jax.random.PRNGKey(0), config=cfg)
        act = random_actions(jax.random.PRNGKey(1), cfg)
        dones = []
        for t in range(7):
            obs, state, r, d, info = step_(jax.random.PRNGKey(10 + t), state, act, config=cfg)
            dones.append(bool(d))
            assert bool(info.truncated) == bool(d) and not bool(info.terminated)
            if d:
                assert int(state.step) == 0  # fresh episode
                assert not np.allclose(np.asarray(obs), np.asarray(info.final_obs))
            else:
                np.testing.assert_array_equal(np.asarray(obs), np.asarray(info.final_obs))
        assert dones == [False, False, True, False, False, True, False]
