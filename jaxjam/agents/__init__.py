"""Agents: shared actor / centralised critic (networks) and the MAPPO learner (mappo)."""

from jaxjam.agents.mappo import (Batch, Optimizer, TrainState, entropy_coef_schedule, gae,
                                 init_train_state, make_networks, make_optimizers, ppo_update)
from jaxjam.agents.networks import Action, Actor, Critic, hybrid_distribution, pooled

__all__ = ["Action", "Actor", "Batch", "Critic", "Optimizer", "TrainState", "entropy_coef_schedule",
           "gae", "hybrid_distribution", "init_train_state", "make_networks", "make_optimizers",
           "pooled", "ppo_update"]
