"""TensorBoard event files beside `metrics.csv` (`<out>/tb/`), when tensorboardX is installed.

Every column of the CSV (return, λ₂ reduction, losses, entropy per head, KL, clip fraction,
gradient norms, learning rates, ...) becomes a scalar at its env step, and each chunk adds
`perf/update_s` (wall time per update, including the rollout's env steps and λ₂ solves),
`perf/env_steps_per_s` (all seeds) and, on devices that report it, `perf/peak_memory_gib`;
`constant(name, value)` adds a once-measured number (e.g. `perf/lambda2_batch_ms`, the batched
λ₂ solve alone, `jaxjam.physics.probe`).
`run.tensorboard = false` turns it off; without tensorboardX it is off and says so once.

    tensorboard --logdir runs/demo/tb
"""

from __future__ import annotations

import os

import jax


def peak_memory_gib() -> float | None:
    """Peak bytes in use on the first local device (GiB), or None where the backend has no stats."""
    try:
        stats = jax.local_devices()[0].memory_stats() or {}
    except Exception:  # noqa: BLE001 - backends without memory stats raise or return None
        return None
    peak = stats.get("peak_bytes_in_use")
    return None if peak is None else peak / 2**30


class TensorBoardLog:
    """Writes the rows of each chunk to `<out>/tb/` (a no-op when disabled)."""

    def __init__(self, out: str, enabled: bool, say=print):
        self.writer = None
        if not enabled:
            return
        try:
            from tensorboardX import SummaryWriter
        except ImportError:
            say("TensorBoard: off (pip install tensorboardX to write tb/ event files)")
            return
        self.writer = SummaryWriter(os.path.join(out, "tb"))

    def chunk(self, rows: list[dict[str, float]], chunk_s: float, env_steps: int) -> None:
        """Log one chunk: `rows` (one per update, with `env_steps`), its wall time `chunk_s` and
        the env steps it took over all seeds."""
        if self.writer is None or not rows:
            return
        for row in rows:
            for name, value in row.items():
                if name != "env_steps":
                    self.writer.add_scalar(name, value, int(row["env_steps"]))
        step = int(rows[-1]["env_steps"])
        self.writer.add_scalar("perf/update_s", chunk_s / len(rows), step)
        self.writer.add_scalar("perf/env_steps_per_s", env_steps / max(chunk_s, 1e-9), step)
        mem = peak_memory_gib()
        if mem is not None:
            self.writer.add_scalar("perf/peak_memory_gib", mem, step)
        self.writer.flush()

    def constant(self, name: str, value: float, step: int = 0) -> None:
        """One scalar measured once (shown at `step`)."""
        if self.writer is not None:
            self.writer.add_scalar(name, float(value), step)
            self.writer.flush()

    @property
    def enabled(self) -> bool:
        return self.writer is not None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
