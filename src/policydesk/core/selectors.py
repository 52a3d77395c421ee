"""Reads of platform records, scoped to the acting user."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from .access import require, visible_branch_ids
from .errors import NotVisible
from .models import AuditEvent, JobRun, ScheduledJob
from .pagination import Page, keyset_page


def audit_events_visible(user: Any) -> QuerySet[AuditEvent]:
    """Events of the branches the user sees; company-wide users also see branchless events."""
    require(user, "audit.view")
    branch_ids = visible_branch_ids(user)
    queryset = AuditEvent.objects.all()
    if branch_ids is not None:
        queryset = queryset.filter(Q(branch_id__in=sorted(branch_ids)))
    return queryset


def audit_events_page(
    user: Any,
    *,
    after: int | None,
    limit: int,
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    actor_id: int | None = None,
) -> Page[AuditEvent]:
    queryset = audit_events_visible(user)
    if action:
        queryset = queryset.filter(action__startswith=action)
    if object_type:
        queryset = queryset.filter(object_type=object_type)
    if object_id:
        queryset = queryset.filter(object_id=object_id)
    if actor_id is not None:
        queryset = queryset.filter(actor_id=actor_id)
    return keyset_page(queryset, after=after, limit=limit, newest_first=True)


def jobs_visible(user: Any) -> QuerySet[ScheduledJob]:
    require(user, "jobs.view")
    return ScheduledJob.objects.order_by("name")


def job_get(user: Any, name: str) -> ScheduledJob:
    job = jobs_visible(user).filter(name=name).first()
    if job is None:
        raise NotVisible("Not found.")
    return job


def last_runs(jobs: list[ScheduledJob]) -> dict[int, JobRun]:
    """The latest run of each job, in two queries whatever the number of jobs."""
    latest_ids = (
        ScheduledJob.objects.filter(pk__in=[job.pk for job in jobs])
        .annotate(
            latest=Subquery(
                JobRun.objects.filter(job=OuterRef("pk")).order_by("-slot").values("pk")[:1]
            )
        )
        .values_list("latest", flat=True)
    )
    runs = JobRun.objects.filter(pk__in=[pk for pk in latest_ids if pk is not None])
    return {run.job_id: run for run in runs}
