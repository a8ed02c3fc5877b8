"""experiments/scaling.py --replot: figures from saved JSON; exp 2 borrows its missing largest
setting from exp 3 only when both ran the same config (no training: synthetic rows)."""

import json

import pytest

from experiments.scaling import main as scaling_main


def _row(m, n, steps, value):
    return {"M": m, "N": n, "arena_m": 200.0, "env_steps": steps, "train_s": 1.0,
            "trained (mode)": [value, 1.0], "heuristic": [10.0, 2.0], "disperse 30 m": [20.0, 2.0],
            "best scripted": "disperse 30 m"}


def _write(path, steps, config, rows):
    path.write_text(json.dumps({"seeds": 8, "episodes": 32, "base": [], "steps": steps,
                                "config": config, "rows": rows}))


@pytest.mark.parametrize("config3, borrowed", [("a.yaml", True), ("b.yaml", False)])
def test_replot_borrows_exp3_row_only_for_the_same_config(tmp_path, config3, borrowed):
    _write(tmp_path / "exp2.json", 500, "a.yaml", [_row(10, 25, 512, 30.0), _row(4, 10, 512, 40.0)])
    _write(tmp_path / "exp3.json", None, config3,
           [_row(40, 100, s, v) for s, v in ((200, 10.0), (516, 21.0), (1000, 25.0))])
    data = scaling_main(["--replot", "--out", str(tmp_path)])
    rows = json.loads((tmp_path / "exp2.json").read_text())["rows"]
    assert rows == data[2]["rows"]
    assert [(r["M"], r["N"]) for r in rows] == ([(4, 10), (10, 25), (40, 100)] if borrowed
                                                else [(10, 25), (4, 10)])
    if borrowed:  # the first exp-3 milestone at or past exp 2's budget, marked as borrowed
        assert rows[-1]["env_steps"] == 516 and rows[-1]["from"] == "exp3"
    for exp in (2, 3):
        assert (tmp_path / f"exp{exp}.png").stat().st_size > 10_000
