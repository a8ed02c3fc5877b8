"""The jamming environment, written for one episode (vmap makes batches)."""

from jaxjam.env.jammer_env import random_actions, reset, step, step_batch, step_no_reset
from jaxjam.env.observations import obs_dim
from jaxjam.env.state import Action, EnvState, StepInfo

__all__ = ["Action", "EnvState", "StepInfo", "obs_dim", "random_actions", "reset", "step",
           "step_batch", "step_no_reset"]
