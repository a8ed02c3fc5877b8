"""Dynamic-priority broadcast channels: channel environment, fixed policies, planners."""

from jaxjam.broadcast.channel import BroadcastChannel, ChannelParams, ChannelState, make_params
from jaxjam.broadcast.policies import (optimal_table, policy_moments, policy_throughput,
                                       send_if_message_table, simulate, turn_based_table,
                                       turn_based_throughput)
from jaxjam.broadcast.decpomdp import decpomdp_optimal_value
from jaxjam.broadcast.planner import solve_pareto
from jaxjam.broadcast.scalarised import convex_coverage_set, scalarised_dp
from jaxjam.broadcast.bounded import bounded_pareto
from jaxjam.broadcast.results import ParetoSets, best_action
