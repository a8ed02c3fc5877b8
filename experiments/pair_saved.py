"""Pair policies measured in different runs on the same episodes, from their saved per-episode numbers.

`paired.py` (its `per_episode`: "learned" `[S, E]`, the seed mean is taken, and each baseline
`[E]`), `joint_teacher.py` and `teacher_strength.py` (`per_episode`: {name: `[E]`}) save λ₂
reductions per episode. Runs at the same scale with the same episode count and key pair episode
by episode. Each argument is `LABEL=FILE:NAME` (LABEL without "=", NAME a key of FILE's
per_episode, "learned" for a paired.py learner); the first is compared with every other: its
mean, the paired difference ± 95 % CI over episodes and the share of episodes it wins. Runs that
disagree on scale or episode count are refused, and so is a shared policy that differs between
the files (other episodes).

    python experiments/pair_saved.py "P=runs/s23/pair_P/paired.json:learned" \\
        "src=runs/s23/pair_src/paired.json:learned" \\
        "predicted=docs/data/predicted_teacher_session22_m40_k16_cpu.json:predicted 3 steps K=16"
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from experiments.paired import format_rows, paired_rows  # noqa: E402


def load(spec: str) -> tuple[str, np.ndarray, dict]:
    """`LABEL=FILE:NAME` -> (label, `[S, E]` fractions, the file's JSON)."""
    label, sep, rest = spec.partition("=")
    path, sep2, name = rest.rpartition(":")
    if not (sep and sep2 and label and path and name):
        raise ValueError(f"each policy must be LABEL=FILE:NAME, got {spec!r}")
    with open(path) as fh:
        data = json.load(fh)
    per = data.get("per_episode")
    if per is None or name not in per:
        raise ValueError(f"{path}: no per-episode numbers for {name!r} (has {sorted(per or {})})")
    x = np.asarray(per[name], np.float64)
    return label, (x if x.ndim == 2 else x[None]), data


def pair_saved(specs: list[str]) -> list[dict]:
    """The first policy against every other, paired by episode (`paired_rows`), labels as given."""
    if len(specs) < 2:
        raise ValueError(f"give at least two policies (LABEL=FILE:NAME), got {len(specs)}")
    loaded = [load(s) for s in specs]
    _, first, ref = loaded[0]
    for label, x, data in loaded[1:]:
        if (list(data.get("scale", [])), x.shape[-1]) != (list(ref.get("scale", [])), first.shape[-1]):
            raise ValueError(f"{label}: scale {data.get('scale')} with {x.shape[-1]} episodes, but "
                             f"{loaded[0][0]}: {ref.get('scale')} with {first.shape[-1]}: not the same episodes")
        for name in set(data["per_episode"]) & set(ref["per_episode"]) - {"learned"}:
            if not np.allclose(data["per_episode"][name], ref["per_episode"][name], atol=1e-6):
                raise ValueError(f"{label}: {name!r} differs per episode from {loaded[0][0]}'s: not the same episodes")
    rows = paired_rows(first, {label: x.mean(0) for label, x, _ in loaded[1:]})
    rows[0]["policy"] = loaded[0][0]
    return rows


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("policies", nargs="+", metavar="LABEL=FILE:NAME")
    rows = pair_saved(ap.parse_args(argv).policies)
    print(format_rows(rows))
    return rows


if __name__ == "__main__":
    main()
