"""Where a training chunk's device time goes, kernel by kernel: a profiler trace, summed by phase.

Compiles the training chunk as `jaxjam train` does (`--updates` updates over `--seeds` vmapped
seeds), runs it once to warm up, then once under `jax.profiler.trace`. Every kernel of the
trace is attributed through the compiled HLO's metadata: its phase (`rollout`, the env steps
and the policy's forward passes; `ppo_update`, the epochs; `other`, GAE and bookkeeping, from
the named scopes in `jaxjam/train.py`) and its source, the innermost Flax module or JAX
primitive. XLA's command buffers (CUDA graphs) are switched off so that every kernel keeps its
HLO instruction's name. Prints one table per phase and writes the trace (Perfetto, `--out`).

    python benchmarks/train_trace.py --preset large --seeds 8 --base env.obs=entity \\
        ppo.network=attention ppo.hidden=64 ppo.attention_mode=query ppo.compute_dtype=bfloat16 \\
        ppo.num_envs=256 ppo.rollout_steps=64 ppo.num_minibatches=32 ppo.update_epochs=1
"""

from __future__ import annotations

import argparse
import collections
import glob
import gzip
import json
import os
import re
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHASES = ("rollout", "ppo_update")
NOISE = re.compile(r"^(jit\(|pjit|while|body|cond|branch|vmap\(|jvp\(|transpose\(|checkpoint|"
                   r"remat|closed_call|eval_jaxpr|custom_jvp_call|custom_vjp_call)")


CONTROL = re.compile(r"^(while|conditional|call|command_buffer)")  # CPU spans that contain others
WRAPPER = re.compile(r"^(?:jvp|transpose|vmap|remat|checkpoint)\((.*)\)$")


def scope_of(op_name: str) -> tuple[str, str]:
    """HLO `op_name` metadata -> (phase, source): the phase scope it runs under, and its
    outermost Flax module (else its innermost jitted function) with its JAX primitive, e.g.
    ('rollout', 'AttentionActor: dot_general'), ('rollout', 'step_batch: top_k')."""
    parts = []
    for part in op_name.split("/")[1:]:  # [0]: the program itself
        while WRAPPER.match(part):
            part = WRAPPER.match(part).group(1)
        parts.append(part)
    phase = next((p for p in PHASES if p in parts), "other")
    modules = [p for p in parts[:-1] if p[:1].isupper() and "." not in p]
    jitted = [m.group(1) for p in parts[:-1] for m in [re.match(r"^p?jit\((\w+)\)$", p)] if m]
    owner = modules[0] if modules else (jitted[-1] if jitted else "")
    last = parts[-1] if parts else ""
    prim = "loop plumbing" if not last or NOISE.match(last) or last in PHASES else last
    return phase, (f"{owner}: {prim}" if owner else prim)[:90]


def hlo_scopes(hlo_text: str) -> dict[str, str]:
    """Instruction name -> op_name metadata, for every instruction of the compiled HLO that has one."""
    out = {}
    for m in re.finditer(r"^\s*(?:ROOT )?%?([\w.\-]+) = [^\n]*?metadata=\{[^}]*?op_name=\"([^\"]*)\"",
                         hlo_text, re.M):
        out[m.group(1)] = m.group(2)
    return out


def kernel_events(trace_dir: str, scopes: dict[str, str]) -> list[tuple[float, str, str]]:
    """(duration µs, kernel name, HLO instruction) of the device's kernels in the newest trace
    under `trace_dir`. Without a device lane (CPU) the XLA ops are host spans: those named after
    an instruction of `scopes`, less the control-flow ones that contain the others."""
    path = sorted(glob.glob(f"{trace_dir}/**/*.trace.json.gz", recursive=True), key=os.path.getmtime)[-1]
    with gzip.open(path) as fh:
        data = json.load(fh)
    events = data["traceEvents"] if isinstance(data, dict) else data
    names = {e["pid"]: e["args"]["name"] for e in events
             if e.get("ph") == "M" and e.get("name") == "process_name"}
    device = {p for p, n in names.items() if "/device:" in n and "CPU" not in n}
    spans = [e for e in events if e.get("ph") == "X" and "dur" in e]
    if device:
        return [(e["dur"], e["name"], e.get("args", {}).get("hlo_op", e["name"]))
                for e in spans if e["pid"] in device]
    return [(e["dur"], e["name"], e["name"]) for e in spans
            if e["name"] in scopes and not CONTROL.match(e["name"])]


def summarise(events, scopes: dict[str, str], top: int) -> str:
    """Markdown tables: per phase, the sources of most device time (ms and share)."""
    by = collections.defaultdict(collections.Counter)
    for dur, name, op in events:
        meta = scopes.get(op)
        phase, source = scope_of(meta) if meta else ("unattributed", name[:60])
        by[phase][source] += dur
    total = sum(sum(c.values()) for c in by.values())
    lines = [f"device time {total / 1e3:.1f} ms in {len(events)} kernels\n",
             "| phase | ms | share |", "|---|---|---|"]
    lines += [f"| {ph} | {sum(c.values()) / 1e3:.1f} | {sum(c.values()) / total:.0%} |"
              for ph, c in sorted(by.items(), key=lambda kv: -sum(kv[1].values()))]
    for ph, c in sorted(by.items(), key=lambda kv: -sum(kv[1].values())):
        lines += ["", f"| {ph}: source | ms | share of all |", "|---|---|---|"]
        lines += [f"| {src} | {d / 1e3:.1f} | {d / total:.1%} |" for src, d in c.most_common(top)]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="default")
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--updates", type=int, default=1, help="updates in the traced chunk")
    ap.add_argument("--base", nargs="*", default=[], metavar="SECTION.FIELD=VALUE")
    ap.add_argument("--top", type=int, default=15, help="rows per phase")
    ap.add_argument("--out", default="/tmp/train_trace", help="trace directory")
    a = ap.parse_args(argv)
    sys.path.insert(0, ROOT)
    from jaxjam.xla_flags import apply_default_xla_flags
    apply_default_xla_flags()
    import jax

    from jaxjam.config import override, parse_sets, preset
    from jaxjam.train import compile_programs, make_train
    sets = parse_sets(a.base, "--base") if a.base else {}
    cfg = override(override(preset(a.preset), sets), {"run.updates_per_chunk": a.updates})
    init, chunk = compile_programs(make_train(cfg), jax.random.PRNGKey(0), a.seeds)
    keys = jax.random.split(jax.random.PRNGKey(0), a.seeds) if a.seeds > 1 else jax.random.PRNGKey(0)
    runner, _ = jax.block_until_ready(chunk(init(keys)))
    t0 = time.perf_counter()
    with jax.profiler.trace(a.out, create_perfetto_trace=True):
        jax.block_until_ready(chunk(runner))
    wall = time.perf_counter() - t0
    p = cfg.ppo
    steps = a.updates * p.num_envs * p.rollout_steps * a.seeds
    print(f"## Training chunk trace: preset {a.preset}, {a.seeds} seed(s), {a.updates} update(s), "
          f"{steps:,} env steps; base {' '.join(a.base) or '-'}\n")
    print(f"device: {jax.devices()[0].device_kind} · jax {jax.__version__} · "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · traced wall {wall:.2f} s "
          f"(profiling included) · trace under {a.out}\n")
    scopes = hlo_scopes(chunk.as_text())
    print(summarise(kernel_events(a.out, scopes), scopes, a.top))


if __name__ == "__main__":  # before JAX starts: no command buffers, so kernels keep HLO names
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_gpu_enable_command_buffer=").strip()
    main()
