"""Sanity of experiments/model_claims.py on a few layouts of the `default` preset."""

import jax
import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components

from experiments.model_claims import (centroid_jammers, fresh_layouts, graph_stats, greedy_jammers,
                                      mean_ci, random_jammers, reductions, reset_states)
from jaxjam.config import preset
from jaxjam.physics import band_ranges_m, jammed_links, link_adjacency

N = 48


@pytest.fixture(scope="module")
def setup():
    cfg = preset("default")
    pos, band = fresh_layouts(jax.random.PRNGKey(3), cfg, N)
    conn, deg, l2 = graph_stats(pos, band, cfg)
    return cfg, pos, band, np.asarray(conn), np.asarray(deg), np.asarray(l2)


def test_connectivity_matches_scipy(setup):
    cfg, pos, band, conn, deg, l2 = setup
    comm = band_ranges_m(cfg.physics)[0]
    ref_conn, ref_deg = [], []
    for p, b in zip(np.asarray(pos, np.float64), np.asarray(band)):
        adj = (np.linalg.norm(p[:, None] - p[None], axis=-1) <= comm[b]) & ~np.eye(len(p), dtype=bool)
        ref_conn.append(connected_components(adj, directed=False)[0] == 1)
        ref_deg.append(adj.sum() / (len(p) * (len(p) - 1)))
    np.testing.assert_array_equal(conn, ref_conn)
    np.testing.assert_allclose(deg, ref_deg, atol=1e-6)
    assert 0.0 < mean_ci(conn)[0] < 1.0  # N=10 in 200 m: some layouts are disconnected
    np.testing.assert_array_equal(l2 > 1e-3, conn)


def test_greedy_beats_random_and_reductions_in_unit_interval(setup):
    cfg, pos, band, conn, _, l2 = setup
    rand = reductions(pos, band, *random_jammers(jax.random.PRNGKey(4), cfg, band), l2, cfg)
    gpos = greedy_jammers(pos, band, cfg)
    gband = np.broadcast_to(np.asarray(band)[:, None], gpos.shape[:2])
    greedy = np.asarray(reductions(pos, band, gpos, gband, l2, cfg))
    rand = np.asarray(rand)
    for red in (rand, greedy):
        assert np.all((red >= 0.0) & (red <= 1.0))
        assert np.all(red[~conn] == 0.0)
    assert greedy.mean() >= rand.mean() + 0.3
    assert np.sum(greedy >= rand) >= 0.9 * N


@pytest.mark.parametrize("shortlist", [0, 4])
def test_greedy_jammer_on_a_midpoint_jams_that_link(setup, shortlist):
    cfg, pos, band, *_ = setup
    pos, band = pos[:8], band[:8]
    gpos = np.asarray(greedy_jammers(pos, band, cfg, shortlist))
    for p, b, jp in zip(np.asarray(pos), np.asarray(band), gpos):
        adj = np.asarray(link_adjacency(p, b, cfg.physics))
        mids = 0.5 * (p[:, None] + p[None])
        for q in jp:
            i, j = np.argwhere(np.all(np.abs(mids - q) < 1e-4, axis=-1))[0]
            assert i != j and adj[i, j]
            assert bool(jammed_links(p, q[None], np.array([b]), b, cfg.physics)[i, j])


def test_reset_layouts_connected_and_heuristic_in_range():
    cfg = preset("default")
    st = reset_states(jax.random.PRNGKey(5), cfg, 32)
    conn, _, l2 = graph_stats(st.enemy_pos, st.enemy_band, cfg)
    assert np.all(np.asarray(conn))
    np.testing.assert_allclose(l2, st.lambda2_reset, rtol=1e-5, atol=1e-6)
    jpos, jband = centroid_jammers(st)
    assert jpos.shape == (32, cfg.env.num_jammers, 2) and np.all(np.asarray(jband) == np.asarray(st.enemy_band)[:, None])
    red = np.asarray(reductions(st.enemy_pos, st.enemy_band, jpos, jband, l2, cfg))
    assert np.all((red >= 0.0) & (red <= 1.0))
