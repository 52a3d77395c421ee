"""Periodic work of the counter hall; idempotent, returns a summary."""

from __future__ import annotations

from . import services


def close_past_days() -> str:
    counts = services.counter_close_past_days()
    return (
        f"cancelled {counts['cancelled']} waiting, {counts['no_shows']} no-shows, "
        f"closed {counts['windows']} windows"
    )
