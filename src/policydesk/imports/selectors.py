"""Reads of import jobs, scoped to the acting user."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class JobProgress:
    done: int  # rows done
    total: int  # rows in all (an estimate until the job has ended)
    percent: int
    stage: str | None  # services.STAGES while it runs; None once it has ended

    @property
    def stage_label(self) -> str | None:
        label = STAGE_LABELS.get(self.stage or "")
        return None if label is None else str(label)


STAGE_LABELS = {
    "rows": _("Checking and writing the rows"),
    "indexes": _("Building the search indexes (a large load)"),
    "quality": _("Checking the contact quality of the customers it touched"),
}


def job_progress(job: ImportJob) -> JobProgress:
    """How far a job is: while it runs from the worker's progress file (read once), since
    its transaction hides the rows it writes; once ended, from the job."""
    if not job.is_running:
        done, total = job.rows_done, job.rows_total
        partial = min(100, done * 100 // total) if total else 0
        percent = 100 if job.status == "done" else partial
        return JobProgress(done, total, percent, None)
    live = read_progress(job.pk)
    done, total, stage = live if live is not None else (job.rows_done, job.rows_total, "rows")
    return JobProgress(done, total, min(99, done * 100 // total) if total else 0, stage)
