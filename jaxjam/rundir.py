"""The run directory (`--out`): one writer at a time, leftover temp files, whole-file writes.

    lock = acquire_lock("runs/demo")        # RunDirLocked (a ValueError) if a live process holds it
    removed = clean_orbax_tmp("runs/demo/checkpoints")   # killed saves' `*.orbax-checkpoint-tmp*`
    write_json_atomic("runs/demo/config.json", data)     # readers see the old or the new file
    lock.release()                          # also at interpreter exit

The lock is the file `DIR/jaxjam.lock`, created with O_CREAT|O_EXCL (atomic on a local file
system: of two writers started together exactly one creates it), holding JSON
{"pid", "host", "start", "token"}. A lock is stale when its host is this host and its pid is dead
(or alive but started at another time: a reused pid); a stale lock is taken over under a second
O_EXCL file (`jaxjam.lock.break`) so that two takers cannot both win. A lock of another host is
never broken: the message says which file to delete once that run is known to be gone.
Pure Python (no JAX), so tests can race real processes on it cheaply.
"""

from __future__ import annotations

import atexit
import glob
import json
import os
import shutil
import socket
import time
import uuid

LOCK_NAME = "jaxjam.lock"
BREAK_SUFFIX = ".break"
EMPTY_LOCK_GRACE_S = 10.0  # an empty/unreadable lock younger than this is being written: held
ORBAX_TMP = "*.orbax-checkpoint-tmp*"


class RunDirLocked(ValueError):
    """Another live process writes this run directory."""


def _proc_start(pid: int) -> str | None:
    """Start time of `pid` in clock ticks since boot (Linux /proc), None where unknown."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _alive(pid: int, start: str | None) -> bool:
    """Whether `pid` runs on this host and, where both are known, started at `start`."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    now = _proc_start(pid)
    return start is None or now is None or now == start


def _read_owner(path: str) -> dict | None:
    try:
        with open(path) as fh:
            owner = json.load(fh)
        return owner if isinstance(owner, dict) and isinstance(owner.get("pid"), int) else None
    except (OSError, ValueError):
        return None


def _stale(path: str, owner: dict | None) -> bool:
    if owner is None:  # empty or garbled: being written now, or left by a crash mid-write
        try:
            return time.time() - os.path.getmtime(path) > EMPTY_LOCK_GRACE_S
        except OSError:
            return True  # gone meanwhile
    return owner.get("host") == socket.gethostname() and not _alive(owner["pid"], owner.get("start"))


class RunLock:
    """A held lock on a run directory; `release()` (idempotent) removes the file if still ours."""

    def __init__(self, path: str, token: str):
        self.path, self.token, self.held = path, token, True
        atexit.register(self.release)

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        atexit.unregister(self.release)
        owner = _read_owner(self.path)
        if owner is not None and owner.get("token") == self.token:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass

    def __enter__(self) -> "RunLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _break_stale(path: str, owner: dict | None) -> None:
    """Remove the stale lock at `path` unless someone else is already replacing it."""
    brk = path + BREAK_SUFFIX
    try:
        fd = os.open(brk, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        try:  # a breaker that died mid-way leaves this behind
            if time.time() - os.path.getmtime(brk) > EMPTY_LOCK_GRACE_S:
                os.unlink(brk)
        except OSError:
            pass
        return
    try:
        if _read_owner(path) == owner:  # still the same stale owner, not a new live one
            os.unlink(path)
    except FileNotFoundError:
        pass
    finally:
        os.close(fd)
        os.unlink(brk)


def make_run_dir(run_dir: str) -> None:
    """Create `run_dir` (and parents); ValueError naming --out if it cannot be a directory."""
    if os.path.exists(run_dir) and not os.path.isdir(run_dir):
        raise ValueError(f"--out {run_dir}: is a file, expected a run directory")
    try:
        os.makedirs(run_dir, exist_ok=True)
    except OSError as err:
        raise ValueError(f"--out {run_dir}: cannot create the run directory "
                         f"({err.strerror}: {err.filename})") from None


def acquire_lock(run_dir: str, attempts: int = 20) -> RunLock:
    """Lock `run_dir` (created if missing) for this process; RunDirLocked names the holder."""
    make_run_dir(run_dir)
    path = os.path.join(run_dir, LOCK_NAME)
    token = uuid.uuid4().hex
    me = {"pid": os.getpid(), "host": socket.gethostname(), "start": _proc_start(os.getpid()),
          "token": token, "since": time.strftime("%Y-%m-%d %H:%M:%S")}
    for _ in range(attempts):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = _read_owner(path)
            if not _stale(path, owner):
                who = (f"pid {owner['pid']} on {owner.get('host')} since {owner.get('since')}"
                       if owner else "a process that is starting")
                raise RunDirLocked(f"{run_dir} is in use by {who}: wait for it to finish or choose "
                                   f"another --out (if that run is gone for sure, delete {path})")
            _break_stale(path, owner)
            time.sleep(0.01)
            continue
        with os.fdopen(fd, "w") as fh:
            json.dump(me, fh)
            fh.flush()
            os.fsync(fh.fileno())
        return RunLock(path, token)
    raise RunDirLocked(f"{run_dir}: could not take {path} after {attempts} attempts "
                       f"(other processes keep replacing it)")


def clean_orbax_tmp(ckpt_dir: str) -> list[str]:
    """Delete the `*.orbax-checkpoint-tmp*` folders that saves killed mid-write left in
    `ckpt_dir`; returns their paths. Finished checkpoints are never touched."""
    removed = []
    for p in sorted(glob.glob(os.path.join(glob.escape(ckpt_dir), ORBAX_TMP))):
        shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else os.unlink(p)
        removed.append(p)
    return removed


def set_aside(ckpt_dir: str, steps: list[int]) -> list[tuple[str, str]]:
    """Move the step folders `steps` of `ckpt_dir` to `<ckpt_dir>_set_aside/<step>[.N]` (never
    deleted; out of Orbax's sight); returns the (from, to) pairs."""
    dest_root = ckpt_dir.rstrip(os.sep) + "_set_aside"
    os.makedirs(dest_root, exist_ok=True)
    moved = []
    for step in steps:
        src, dst, n = os.path.join(ckpt_dir, str(step)), os.path.join(dest_root, str(step)), 1
        while os.path.exists(dst):
            dst, n = os.path.join(dest_root, f"{step}.{n}"), n + 1
        os.rename(src, dst)
        moved.append((src, dst))
    return moved


def write_json_atomic(path: str, data) -> None:
    """Write JSON to `path` via a temp file and `os.replace`: never a half-written file."""
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w") as fh:
            json.dump(data, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
