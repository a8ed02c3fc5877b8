"""How the command line reports problems: one line on stderr, exit 2, no traceback.

    ap = OneLineParser(prog="jaxjam")          # argparse errors: one line (no usage dump), exit 2
    quiet_shutdown_noise()                     # Orbax/TensorStore's "Event loop is closed" spam
    print(f"jaxjam train: error: {one_line(err)}", file=sys.stderr)
"""

from __future__ import annotations

import argparse
import logging
import re
import sys


def one_line(err: BaseException) -> str:
    """The message of `err` on one line; an OSError as "<file>: <reason>"."""
    if isinstance(err, OSError) and err.strerror:
        text = f"{err.filename}: {err.strerror}" if err.filename else err.strerror
    else:
        text = str(err) or type(err).__name__
    return re.sub(r"\s*\n\s*", "; ", text.strip())


class OneLineParser(argparse.ArgumentParser):
    """argparse whose errors are one line ("jaxjam eval: error: argument --episodes: ..."), exit 2."""

    def error(self, message: str):  # noqa: D102 - argparse API
        self.exit(2, f"{self.prog}: error: {one_line(ValueError(message))} (see {self.prog} --help)\n")


def count_type(low: int, what: str = "an integer"):
    """argparse `type=` for an integer >= `low`, naming the allowed range on refusal."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what} >= {low}, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be {what} >= {low}, got {value}")
        return value
    return parse


def _is_loop_noise(exc: BaseException | None) -> bool:
    return isinstance(exc, RuntimeError) and "Event loop is closed" in str(exc)


def quiet_shutdown_noise() -> None:
    """Drop the "Event loop is closed" errors that a failed TensorStore read leaves behind
    (Orbax's closed asyncio loop; thousands of lines, no information) — only those."""
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    previous = sys.unraisablehook
    if getattr(previous, "_jaxjam_quiet", False):
        return

    def hook(unraisable):
        if not _is_loop_noise(unraisable.exc_value):
            previous(unraisable)

    hook._jaxjam_quiet = True
    sys.unraisablehook = hook
