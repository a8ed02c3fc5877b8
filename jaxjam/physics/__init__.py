"""Pure radio and graph physics: no state, no RNG."""

from jaxjam.physics.geometry import (
    distance,
    link_midpoints,
    midpoints,
    offsets,
    pairwise_dist,
    pairwise_sq_dist,
    sq_norm,
)
from jaxjam.physics.graph import (
    band_ranges_m,
    comm_graph,
    connected_components,
    crosses_fiedler_cut,
    fiedler_sides,
    jammed_links,
    jamming_masks,
    jamming_masks_within,
    lambda2,
    lambda2_and_fiedler,
    lambda2_if_jammed_from,
    laplacian,
    link_adjacency,
    num_components,
    others_leave,
)
from jaxjam.physics.rf import dbm_to_w, fspl_db, range_m, received_power_w, w_to_dbm

__all__ = [
    "band_ranges_m", "comm_graph", "connected_components", "crosses_fiedler_cut", "dbm_to_w", "fiedler_sides", "fspl_db", "jammed_links",
    "jamming_masks", "jamming_masks_within", "lambda2", "lambda2_and_fiedler", "lambda2_if_jammed_from", "laplacian", "link_adjacency",
    "num_components", "others_leave", "range_m", "received_power_w", "w_to_dbm",
    # geometry
    "distance", "link_midpoints", "midpoints", "offsets", "pairwise_dist", "pairwise_sq_dist",
    "sq_norm",
]
