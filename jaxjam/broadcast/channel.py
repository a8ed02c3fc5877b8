"""Multi-access broadcast channel as a pure, gymnax-style JAX environment.

Model (Ooi & Wornell 1996; Hansen, Bernstein & Zilberstein 2004; Kooijman's
report): `n` agents each hold a single-message buffer; `K` identical channels.
Each step the agents chosen to send *and holding a message* transmit; if their
number is ≤ K every one of them delivers (reward 1 in its own dimension, buffer
emptied), otherwise all collide, nothing is delivered and the messages stay.
Selected agents with an empty buffer transmit nothing.

Within-step order (this reproduces the report's Table 1, see
docs/broadcast-channel.md): **send, then arrive** -- after the channel is
resolved every empty buffer (including one emptied by this step's delivery)
receives a message with probability `p_i`; a message that arrives in step t can
be sent from step t+1 on. This is the order of the report's `trans_rewards`
(`least_state = s xor a`, then arrivals into every 0 bit). `reset` starts from
empty buffers and applies one arrival phase, so `T` steps after `reset` are
exactly `T` turns of "arrive, then send" from empty buffers.

Two variants share the dynamics:
  * `BroadcastChannel()` -- centrally scheduled, fully observable.
    obs: buffers `(n,) int32`; action: `() int32` bitmask of senders in
    `[0, 2**n)`, bit i = agent i (0 = nobody; the report's convention, e.g.
    0b0100 = the third agent).
  * `BroadcastChannel(decentralised=True)` -- each agent sees only its own
    buffer and last step's channel outcome.
    obs: `(n, 2) int32` rows `[own buffer, last outcome]`; action: `(n,) int32`
    in {0 = wait, 1 = send}.
Outcome codes: 0 = silence, 1 = success, 2 = collision (`OUTCOME_*`).
Reward: `(n,) float32`, 1 in each delivering agent's dimension.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from jaxjam.broadcast.limits import as_int

MAX_AGENTS = 30  # buffer states are int32 bitmasks

SILENCE, SUCCESS, COLLISION = 0, 1, 2


@struct.dataclass
class ChannelParams:
    """Static channel parameters (a pytree; build with `make_params`).

    p: `(n,) float32` per-agent arrival probabilities; n_channels: K;
    max_steps: episode length (`done` once `time == max_steps`).
    """

    p: jax.Array
    n_channels: int = struct.field(pytree_node=False, default=1)
    max_steps: int = struct.field(pytree_node=False, default=1_000_000)


@struct.dataclass
class ChannelState:
    """buffers `(n,) bool`; outcome `() int32` of the last step; time `() int32`."""

    buffers: jax.Array
    outcome: jax.Array
    time: jax.Array


def check_p(p, n_agents: int | None = None) -> np.ndarray:
    """Validate arrival probabilities; return them as float64 `(n,)`.

    `p` is a scalar (broadcast to `n_agents`) or `(n,)`. Raises ValueError naming
    the field and its allowed range.
    """
    try:
        p_arr = np.atleast_1d(np.asarray(p, dtype=np.float64))
    except (TypeError, ValueError):
        raise ValueError(f"p must be a number or 1-d array of numbers in [0, 1], got {p!r}") from None
    if p_arr.ndim != 1:
        raise ValueError(f"p must be a scalar or a 1-d array, got shape {p_arr.shape}")
    if n_agents is not None:
        n_agents = as_int("n_agents", n_agents, 1, MAX_AGENTS, "int32 bitmask states")
        if p_arr.shape[0] == 1:
            p_arr = np.repeat(p_arr, int(n_agents))
        elif p_arr.shape[0] != int(n_agents):
            raise ValueError(f"p has {p_arr.shape[0]} entries but n_agents={n_agents}")
    if p_arr.shape[0] < 1:
        raise ValueError("n_agents must be >= 1, got 0 (empty p)")
    if p_arr.shape[0] > MAX_AGENTS:
        raise ValueError(f"n_agents must be <= {MAX_AGENTS} (int32 bitmask states), got {p_arr.shape[0]}")
    if not np.all((p_arr >= 0.0) & (p_arr <= 1.0)):
        raise ValueError(f"p must lie in [0, 1], got {p_arr.tolist()}")
    return p_arr


def check_n_channels(n_channels: int) -> int:
    """Validate K >= 1 (ValueError otherwise)."""
    return as_int("n_channels", n_channels, 1)


def make_params(p, n_agents: int | None = None, n_channels: int = 1,
                max_steps: int = 1_000_000) -> ChannelParams:
    """Validated `ChannelParams` (see `check_p`); ValueError names the bad field and range."""
    p_arr = check_p(p, n_agents)
    max_steps = as_int("max_steps", max_steps, 1, 2**31 - 1, "int32 time counter")
    return ChannelParams(p=jnp.asarray(p_arr, jnp.float32),
                         n_channels=check_n_channels(n_channels), max_steps=int(max_steps))


def bits_to_mask(bits: jax.Array) -> jax.Array:
    """`(..., n) bool/int` -> `(...) int32` bitmask (bit i = entry i)."""
    n = bits.shape[-1]
    return jnp.sum(bits.astype(jnp.int32) << jnp.arange(n, dtype=jnp.int32), axis=-1)


def mask_to_bits(mask: jax.Array, n: int) -> jax.Array:
    """`(...) int` bitmask -> `(..., n) bool`."""
    return ((jnp.asarray(mask, jnp.int32)[..., None] >> jnp.arange(n, dtype=jnp.int32)) & 1) == 1


def transmit(buffers: jax.Array, send: jax.Array, n_channels: int):
    """Resolve the channel. buffers, send: `(n,) bool` -> (delivered `(n,) bool`, outcome `()`)."""
    senders = send & buffers
    k = jnp.sum(senders.astype(jnp.int32))
    ok = k <= n_channels
    outcome = jnp.where(k == 0, SILENCE, jnp.where(ok, SUCCESS, COLLISION)).astype(jnp.int32)
    return senders & ok, outcome


def arrive(key: jax.Array, buffers: jax.Array, p: jax.Array) -> jax.Array:
    """Each empty buffer gets a message iff `uniform(key, (n,)) < p`."""
    return buffers | (jax.random.uniform(key, p.shape) < p)


@dataclasses.dataclass(frozen=True)
class BroadcastChannel:
    """The environment; `decentralised` selects the observation/action variant (see module doc)."""

    decentralised: bool = False

    def reset(self, key: jax.Array, params: ChannelParams):
        """Empty buffers, then one arrival phase. Returns `(obs, state)`."""
        empty = jnp.zeros(params.p.shape, bool)
        state = ChannelState(buffers=arrive(key, empty, params.p),
                             outcome=jnp.int32(SILENCE), time=jnp.int32(0))
        return self.observe(state), state

    def step(self, key: jax.Array, state: ChannelState, action: jax.Array,
             params: ChannelParams):
        """One turn: send, then arrive. Returns `(obs, state, reward (n,), done, info)`."""
        n = params.p.shape[0]
        if self.decentralised:
            send = jnp.asarray(action).astype(bool)
        else:
            send = mask_to_bits(action, n)
        delivered, outcome = transmit(state.buffers, send, params.n_channels)
        buffers = arrive(key, state.buffers & ~delivered, params.p)
        new = ChannelState(buffers=buffers, outcome=outcome, time=state.time + 1)
        done = new.time >= params.max_steps
        return (self.observe(new), new, delivered.astype(jnp.float32), done,
                {"outcome": outcome})

    def observe(self, state: ChannelState) -> jax.Array:
        """Central: buffers `(n,) int32`; decentralised: `(n, 2) int32` [own buffer, outcome]."""
        buf = state.buffers.astype(jnp.int32)
        if not self.decentralised:
            return buf
        return jnp.stack([buf, jnp.broadcast_to(state.outcome, buf.shape)], axis=-1)
