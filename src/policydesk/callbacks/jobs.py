"""Periodic work of callbacks; idempotent, returns a summary."""

from __future__ import annotations

from . import services


def callback_sync_job() -> str:
    counts = services.callback_sync()
    return (
        f"{counts['created']} callback tasks created, {counts['cancelled']} cancelled, "
        f"{counts['routed']} routed"
    )
