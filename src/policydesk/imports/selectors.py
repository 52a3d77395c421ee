"""Reads of import jobs, scoped to the acting user."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from policydesk.core.access import ALL, require, visible_branch_ids
from policydesk.core.errors import NotVisible

from .models import ImportJob
from .services import read_progress


def jobs_visible(user: Any) -> QuerySet[ImportJob]:
    """The user's own jobs; company-wide roles see everyone's (reports may name any branch's
    rows, which only they may see)."""
    require(user, "customers.import")
    jobs = ImportJob.objects.select_related("uploaded_by")
    if visible_branch_ids(user) is ALL:
        return jobs
    return jobs.filter(uploaded_by=user)


def job_get(user: Any, job_id: int) -> ImportJob:
    job = jobs_visible(user).filter(pk=job_id).first()
    if job is None:
        raise NotVisible("Not found.")
    return job


def recent_jobs(user: Any, limit: int = 20) -> list[ImportJob]:
    return list(jobs_visible(user).order_by("-id")[:limit])


def job_progress(job: ImportJob) -> tuple[int, int]:
    """(rows done, rows in all) — from the worker's progress file while the job runs, since
    its transaction hides the rows it writes."""
    if job.is_running:
        live = read_progress(job.pk)
        if live is not None:
            return live[0], live[1]
    return job.rows_done, job.rows_total


def job_stage(job: ImportJob) -> str | None:
    """What a running job is doing (services.STAGES): its rows, then for a bulk load the
    search indexes, then the contact quality; None once it has ended."""
    if not job.is_running:
        return None
    live = read_progress(job.pk)
    return live[2] if live is not None else "rows"


STAGE_LABELS = {
    "rows": _("Checking and writing the rows"),
    "indexes": _("Building the search indexes (a large load)"),
    "quality": _("Checking the contact quality of the customers it touched"),
}


def job_percent(job: ImportJob) -> int:
    done, total = job_progress(job)
    if not job.is_running:
        return 100 if job.status == "done" else min(100, done * 100 // total) if total else 0
    return min(99, done * 100 // total) if total else 0
