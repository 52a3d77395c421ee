"""Periodic work of the case engine; each function is idempotent and returns a summary."""

from __future__ import annotations

from . import clocks


def clock_sweep() -> str:
    counts = clocks.sweep()
    return f"warned {counts['warned']}, breached {counts['breached']}"
