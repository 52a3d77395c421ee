"""Periodic work of account monitoring; idempotent, returns a one-line summary."""

from __future__ import annotations

from . import services


def nightly_run() -> str:
    run = services.monitoring_run_now()
    return f"monitoring run {run.pk} as of {run.as_of}: {run.created_total} work items created"
