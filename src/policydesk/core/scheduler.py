"""The scheduler: turns due scheduled jobs into background tasks, once per time slot.

Any number of schedulers may run (one per app server): a job row is claimed with
SELECT FOR UPDATE SKIP LOCKED, and JobRun's unique (job, slot) makes a slot run once.
"""

from __future__ import annotations

import datetime as dt
import tomllib
import traceback
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .access import require
from .audit import audit_record
from .cron import parse_cron
from .errors import DomainError
from .models import JobRun, JobRunStatus, ScheduledJob


def job_files() -> list[Path]:
    """Every app's scheduled_jobs.toml; later apps add their own file beside their code."""
    from django.apps import apps

    files = []
    for config in apps.get_app_configs():
        candidate = Path(config.path) / "scheduled_jobs.toml"
        if config.name.startswith("policydesk.") and candidate.exists():
            files.append(candidate)
    return files


def _check_function(path: str) -> None:
    try:
        function = import_string(path)
    except ImportError as error:
        raise DomainError(f"No function {path!r}.", field="function") from error
    if not callable(function):
        raise DomainError(f"{path!r} is not callable.", field="function")


@transaction.atomic
def jobs_sync(*, now: dt.datetime | None = None) -> int:
    """Create the jobs the files define and the database lacks; return how many."""
    now = now or timezone.now()
    created = 0
    for path in job_files():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for name, spec in data.get("jobs", {}).items():
            if ScheduledJob.objects.filter(name=name).exists():
                continue
            schedule = parse_cron(spec["schedule"])
            _check_function(spec["function"])
            job = ScheduledJob.objects.create(
                name=name,
                description=spec.get("description", ""),
                function=spec["function"],
                schedule=spec["schedule"],
                next_run_at=schedule.next_after(now),
            )
            audit_record(action="jobs.create", target=job, after={"schedule": job.schedule})
            created += 1
    return created


def _lock_clause() -> dict[str, Any]:
    # SKIP LOCKED lets parallel schedulers pass over a job another one is enqueueing;
    # SQLite has no row locks (its writers are serialised by BEGIN IMMEDIATE).
    if connection.features.has_select_for_update_skip_locked:
        return {"skip_locked": True}
    return {}


def scheduler_tick(*, now: dt.datetime | None = None) -> list[JobRun]:
    """Enqueue every due job once for its slot; missed slots collapse into one run."""
    from .tasks import run_scheduled_job

    now = now or timezone.now()
    enqueued: list[JobRun] = []
    due_ids = list(
        ScheduledJob.objects.filter(enabled=True, next_run_at__lte=now).values_list("id", flat=True)
    )
    for job_id in due_ids:
        with transaction.atomic():
            job = (
                ScheduledJob.objects.select_for_update(**_lock_clause())
                .filter(pk=job_id, enabled=True, next_run_at__lte=now)
                .first()
            )
            if job is None or job.next_run_at is None:
                continue
            slot = job.next_run_at
            run, created = JobRun.objects.get_or_create(
                job=job, slot=slot, defaults={"status": JobRunStatus.QUEUED}
            )
            if created:
                # Enqueued in this transaction: the task row commits with the run row or not at all.
                run_scheduled_job.enqueue(run.pk)
                enqueued.append(run)
            job.next_run_at = parse_cron(job.schedule).next_after(max(now, slot))
            job.last_enqueued_at = now
            job.save(update_fields=["next_run_at", "last_enqueued_at"])
    return enqueued


@transaction.atomic
def job_run_now(*, job: ScheduledJob, by: Any) -> JobRun:
    """Queue an extra run of a job at once (the "run now" button)."""
    from .tasks import run_scheduled_job

    require(by, "jobs.run")
    run = JobRun.objects.create(job=job, slot=timezone.now(), status=JobRunStatus.QUEUED)
    run_scheduled_job.enqueue(run.pk)
    audit_record(action="jobs.run_now", actor=by, target=job, after={"run": run.pk})
    return run


def job_run_execute(run_id: int) -> JobRun:
    """Run one queued JobRun. A run that is not queued any more is left alone."""
    with transaction.atomic():
        run = JobRun.objects.select_for_update().select_related("job").get(pk=run_id)
        if run.status != JobRunStatus.QUEUED:
            return run
        run.status = JobRunStatus.RUNNING
        run.started_at = timezone.now()
        run.save(update_fields=["status", "started_at"])
    function = import_string(run.job.function)
    try:
        summary = function()
    except Exception:
        # Recorded on the run for the jobs page, then re-raised so the worker marks the task failed.
        run.status = JobRunStatus.FAILED
        run.detail = traceback.format_exc(limit=5)[-4000:]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "detail", "finished_at"])
        raise
    run.status = JobRunStatus.SUCCEEDED
    run.detail = str(summary or "")[:4000]
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "detail", "finished_at"])
    return run
