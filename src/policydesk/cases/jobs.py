"""Periodic work of the case engine; each function is idempotent and returns a summary."""

from __future__ import annotations

from . import clocks, escalation


def clock_sweep() -> str:
    counts = clocks.sweep()
    # Escalation runs right after, so a breach recorded now fires its level in this run.
    escalated = escalation.escalation_sweep()
    return (
        f"warned {counts['warned']}, breached {counts['breached']}, "
        f"escalated {escalated['escalated']} in {escalated['checked']} cases"
    )
