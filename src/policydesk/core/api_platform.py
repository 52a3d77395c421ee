"""API of the platform itself: who am I, health, the audit trail and scheduled jobs."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema, Status

from .access import granted_actions
from .api_auth import actor_of
from .api_schemas import ERRORS, Id
from .scheduler import job_run_now
from .selectors import audit_events_page, job_get, jobs_visible, last_runs

router = Router(tags=["platform"])


class HealthOut(Schema):
    status: str


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    branch_id: int | None
    actions: list[str]
    via_token: bool


class AuditEventOut(Schema):
    id: int
    occurred_at: dt.datetime
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    object_label: str
    branch_id: int | None
    before: dict | None
    after: dict | None
    request_id: str
    client_address: str


class AuditPageOut(Schema):
    items: list[AuditEventOut]
    next_cursor: int | None


class JobRunOut(Schema):
    id: int
    slot: dt.datetime
    status: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    detail: str


class JobOut(Schema):
    name: str
    description: str
    schedule: str
    enabled: bool
    next_run_at: dt.datetime | None
    last_run: JobRunOut | None


@router.get("/health", auth=None, response=HealthOut, summary="Liveness check")
def health(request: HttpRequest) -> dict[str, str]:
    return {"status": "ok"}


@router.get("/me", response={200: MeOut, **ERRORS}, summary="The acting user or token")
def me(request: HttpRequest) -> dict[str, object]:
    actor = actor_of(request)
    return {
        "id": actor.pk,
        "username": actor.username,
        "display_name": actor.display_name,
        "role": actor.role,
        "branch_id": actor.branch_id,
        "actions": sorted(granted_actions(actor)),
        "via_token": bool(getattr(request, "auth_via_token", False)),
    }


@router.get(
    "/audit/events", response={200: AuditPageOut, **ERRORS}, summary="Audit trail, newest first"
)
def audit_events(
    request: HttpRequest,
    after: Id | None = None,
    limit: int = 50,
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    actor_id: Id | None = None,
) -> dict[str, object]:
    page = audit_events_page(
        actor_of(request),
        after=after,
        limit=limit,
        action=action,
        object_type=object_type,
        object_id=object_id,
        actor_id=actor_id,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get(
    "/jobs", response={200: list[JobOut], **ERRORS}, summary="Scheduled jobs and their last run"
)
def jobs(request: HttpRequest) -> list[dict[str, object]]:
    actor = actor_of(request)
    job_list = list(jobs_visible(actor))
    runs = last_runs(job_list)
    return [
        {
            "name": job.name,
            "description": job.description,
            "schedule": job.schedule,
            "enabled": job.enabled,
            "next_run_at": job.next_run_at,
            "last_run": runs.get(job.pk),
        }
        for job in job_list
    ]


@router.post("/jobs/{name}/runs", response={202: JobRunOut, **ERRORS}, summary="Run a job now")
def job_run(request: HttpRequest, name: str) -> Status[object]:
    actor = actor_of(request)
    run = job_run_now(job=job_get(actor, name), by=actor)
    return Status(202, run)
