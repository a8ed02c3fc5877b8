"""Cost of the attention actor + critic per agent row: one forward and backward over a batch.

Entity rows of real observations (reset states of the preset, tiled to `--rows` agent rows);
the loss is the actor's log-prob of its own mode plus the critic's value, so both networks'
gradients are computed as in a PPO minibatch. Variants are PPO overrides
(`ppo.attention_mode`, `ppo.attention_heads`, `ppo.attention_layers`, `ppo.hidden`,
`ppo.compute_dtype`); every row is timed in this one process, ratios against the first.

    python benchmarks/attention_cost.py --rows 32768 \
        --variant "self:" --variant "query:ppo.attention_mode=query" \
        --variant "self-bf16:ppo.compute_dtype=bfloat16"
"""

from __future__ import annotations

import argparse
from functools import partial

import jax
import jax.numpy as jnp

from _timing import compile_and_time, header
from train_profile import parse_variant
from jaxjam.agents.mappo import init_train_state
from jaxjam.config import override, preset
from jaxjam.env import obs_dim, reset
from jaxjam.train import network_spec


def rows_of(cfg, rows: int):
    """Entity observations `[rows // M, M, D]` of reset states (tiled)."""
    m = cfg.env.num_jammers
    envs = max(1, rows // m)
    base = min(envs, 256)
    obs, _ = jax.jit(jax.vmap(partial(reset, config=cfg)))(jax.random.split(jax.random.PRNGKey(0), base))
    reps = -(-envs // base)
    return jnp.tile(obs, (reps, 1, 1))[:envs]


def cost(cfg, obs):
    ts = init_train_state(jax.random.PRNGKey(1), cfg.ppo, obs_dim(cfg), cfg.physics.num_bands, 10,
                          **network_spec(cfg))

    def loss(params, obs):
        actor_p, critic_p = params
        dist = ts.actor.apply(actor_p, obs)
        return dist.log_prob(jax.lax.stop_gradient(dist.mode())).mean() + ts.critic.apply(critic_p, obs).mean()

    grad = jax.grad(loss)
    return compile_and_time(lambda p, o: jax.tree.map(jnp.sum, grad(p, o)),
                            (ts.actor_params, ts.critic_params), obs, repeats=5)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="default")
    ap.add_argument("--rows", type=int, default=32768, help="agent rows per batch (a PPO minibatch)")
    ap.add_argument("--base", nargs="*", default=["env.obs=entity", "ppo.network=attention", "ppo.hidden=64"])
    ap.add_argument("--variant", action="append", default=[], metavar="NAME:K=V,K=V")
    args = ap.parse_args()
    base = override(preset(args.preset), dict(kv.split("=", 1) for kv in args.base))
    obs = rows_of(base, args.rows)
    print(header(f"Attention actor + critic, forward + backward, {obs.shape[0] * obs.shape[1]:,} agent rows "
                 f"({args.preset}, {' '.join(args.base)})"))
    print("| variant | compile s | ms per batch | ns per agent row | × first |")
    print("|---|---|---|---|---|")
    first = None
    for text in args.variant or ["base:"]:
        name, _, sets = parse_variant(text)
        cfg = override(base, sets)
        c, t, _ = cost(cfg, obs)
        first = first or t
        print(f"| {name} | {c:.1f} | {1e3 * t:.1f} | {1e9 * t / obs.shape[0] / obs.shape[1]:,.0f} | "
              f"{t / first:.2f} |", flush=True)


if __name__ == "__main__":
    main()
