"""Golden values: a fixed-seed short training run, an evaluation and a few env steps reproduce
the numbers stored in tests/golden/*.json bit for bit (CPU, the test suite's XLA flags).

A refactor that should not change any number (moving helpers, renaming, splitting modules)
must leave these equal. A change that is meant to alter numbers regenerates them on purpose:

    JAXJAM_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py -n 0

tests/golden/toolchain.json records the JAX, jaxlib, CPU architecture, instruction-set flags
and XLA:CPU thread count (`NPROC`: the attention case's parallel reductions split by it) they
were made with;
elsewhere the test skips (XLA may round differently there). Floats are stored losslessly
(`float.hex` of the float64 of each value); large arrays (network parameters, observations)
as a SHA-256 of their bytes plus a float64 sum for the diagnosis.
"""

import hashlib
import json
import os
import platform
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import jax
import numpy as np
import pytest

from jaxjam.config import override, preset
from jaxjam.env import random_actions, reset, step
from jaxjam.evaluate import actor_policy, compare_policies, heuristic_policy
from jaxjam.train import make_train

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("JAXJAM_UPDATE_GOLDEN") == "1"

SMALL = {"ppo.num_envs": 8, "ppo.rollout_steps": 8, "ppo.total_steps": 8 * 8 * 2,
         "ppo.hidden": 16, "ppo.update_epochs": 1, "ppo.num_minibatches": 2,
         "env.max_steps": 12, "run.updates_per_chunk": 2}
CASES = {
    "mlp_local_graph_teacher": override(preset("default"), {
        **SMALL, "env.obs": "local_graph", "ppo.imitation_coef": 1.0}),
    "attention_entity": override(preset("default"), {
        **SMALL, "env.obs": "entity", "ppo.network": "attention", "ppo.attention_heads": 2,
        "ppo.attention_layers": 1}),
}
ENV_STEPS = 4
EVAL_EPISODES = 3

pytestmark = pytest.mark.skipif(jax.default_backend() != "cpu",
                                reason="golden values are bit-exact for XLA:CPU only")


def _encode(x):
    """JSON-able, lossless: {'dtype', 'shape', 'hex'} or, for > 64 values, {'sha256', 'sum'}."""
    a = np.asarray(x)
    out = {"dtype": str(a.dtype), "shape": list(a.shape)}
    if a.size > 64:
        out["sha256"] = hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()
        out["sum"] = float(np.sum(a, dtype=np.float64)).hex()
    elif a.dtype.kind == "f":
        out["hex"] = [float(v).hex() for v in a.astype(np.float64).ravel()]
    else:
        out["values"] = a.ravel().tolist()
    return out


def _flat(tree, prefix=""):
    """{path: array} of a pytree, paths joined with '/'."""
    leaves = jax.tree_util.tree_leaves_with_path(tree)
    return {prefix + jax.tree_util.keystr(p): np.asarray(v) for p, v in leaves}


def _check(name: str, values: dict):
    """Compare `values` ({key: array}) with tests/golden/<name>.json; rewrite it when updating."""
    path = GOLDEN / f"{name}.json"
    got = {k: _encode(v) for k, v in sorted(values.items())}
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
        return
    assert path.exists(), f"{path} missing: run with JAXJAM_UPDATE_GOLDEN=1 to create it"
    want = json.loads(path.read_text())
    assert sorted(got) == sorted(want), f"{name}: keys differ"
    diff = [f"{k} {_delta(got[k], want[k])}" for k in got if got[k] != want[k]]
    assert not diff, f"{name}: {len(diff)} not bit-identical to the golden values: {diff[:10]}"


def _delta(got: dict, want: dict) -> str:
    """How far apart two encodings are, for the failure message."""
    if "hex" in got and "hex" in want and len(got["hex"]) == len(want["hex"]):
        g, w = ([float.fromhex(v) for v in e["hex"]] for e in (got, want))
        return f"max |Δ| {max(abs(a - b) for a, b in zip(g, w)):.3g}"
    if "sum" in got and "sum" in want:
        return f"sum {float.fromhex(got['sum']):.9g} vs {float.fromhex(want['sum']):.9g}"
    return f"{got.get('values')} vs {want.get('values')}"


def _train_and_evaluate(case: str) -> dict:
    """Two updates (init and updates in one program), then the trained actor (and, for the MLP
    case, the heuristic) on the same evaluation episodes."""
    cfg = CASES[case]
    runner, metrics = make_train(cfg).train(jax.random.PRNGKey(0))
    ts = runner.train_state
    values = {f"metric/{k}": v for k, v in jax.device_get(metrics).items()}
    values.update(_flat(jax.device_get(ts.actor_params), "actor"))
    values.update(_flat(jax.device_get(ts.critic_params), "critic"))
    values.update(_flat(jax.device_get(runner.env_state), "env_state"))
    values["obs"] = jax.device_get(runner.obs)
    policies = {"trained": actor_policy(cfg, ts.actor, ts.actor_params)}
    if case.startswith("mlp"):
        policies["heuristic"] = heuristic_policy(cfg)
    res = compare_policies(cfg, policies, jax.random.PRNGKey(7), EVAL_EPISODES)
    for pol, m in res.items():
        for k, (mean, ci) in m.items():
            values[f"eval/{pol}/{k}"] = np.array([mean, ci], np.float64)
    return values


def _env_steps() -> dict:
    """A few steps of the `reference` model (its own observation and reward) with random
    actions: λ₂ with and without jamming, components, rewards, observations."""
    cfg = preset("reference")

    @jax.jit
    def run(key):
        k0, k1 = jax.random.split(key)
        o, state = reset(k0, cfg)

        def body(state, k):
            ka, ks = jax.random.split(k)
            o, state, r, done, info = step(ks, state, random_actions(ka, cfg), cfg)
            return state, (o, r, info.lambda2, info.lambda2_unjammed, info.num_components,
                           info.agent_reward, info.reward_terms)

        return o, jax.lax.scan(body, state, jax.random.split(k1, ENV_STEPS))[1]

    obs0, (o, r, l2, l2u, nc, ar, terms) = jax.device_get(run(jax.random.PRNGKey(5)))
    return {"obs0": obs0, "obs": o, "reward": r, "lambda2": l2, "lambda2_unjammed": l2u,
            "num_components": nc, "agent_reward": ar, "reward_terms": terms}


def _toolchain() -> dict:
    """What the bits depend on besides the code: JAX, jaxlib, the CPU architecture and
    XLA:CPU's thread count (conftest's floor sets it on small machines)."""
    import jaxlib
    return {"jax": jax.__version__, "jaxlib": jaxlib.__version__, "machine": platform.machine(),
            "cpu_features": _cpu_features(), "nproc": os.environ.get("NPROC", str(os.cpu_count()))}


def _cpu_features() -> str:
    """A digest of the CPU's instruction-set flags: XLA:CPU compiles for the host's features
    (AVX2, AVX-512, FMA ...), and other features may round differently."""
    try:
        with open("/proc/cpuinfo") as fh:
            flags = next((line.split(":", 1)[1] for line in fh if line.startswith("flags")), "")
    except OSError:
        flags = platform.processor()
    return hashlib.sha256(" ".join(sorted(flags.split())).encode()).hexdigest()[:16]


@pytest.fixture(scope="module")
def computed():
    """{golden file name: values}, the programs built side by side: XLA releases the GIL while
    it compiles, and compiling is nearly all of this file's time. Skipped when the golden values
    come from another JAX/jaxlib or CPU architecture (their bits may differ there: regenerate
    them from a commit known to be good)."""
    meta = GOLDEN / "toolchain.json"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        meta.write_text(json.dumps(_toolchain(), indent=1, sort_keys=True) + "\n")
    elif meta.exists() and json.loads(meta.read_text()) != _toolchain():
        pytest.skip(f"golden values made with {json.loads(meta.read_text())}, this is {_toolchain()}")
    jobs = {f"train_{c}": partial(_train_and_evaluate, c) for c in sorted(CASES)}
    jobs["env_reference"] = _env_steps
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = {name: pool.submit(fn) for name, fn in jobs.items()}
        return {name: f.result() for name, f in futures.items()}


@pytest.mark.slow
@pytest.mark.parametrize("name", [f"train_{c}" for c in sorted(CASES)] + ["env_reference"])
def test_matches_golden(computed, name):
    _check(name, computed[name])
