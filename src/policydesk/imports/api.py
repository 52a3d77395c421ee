"""API of imports and exports: upload a file, follow its job, download an export."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, Literal

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from policydesk.core.access import require
from policydesk.core.api_auth import actor_of
from policydesk.core.api_schemas import CREATE_ERRORS, ERRORS, Id
from policydesk.core.errors import DomainError, NotVisible
from policydesk.core.idempotency import run_idempotent

from . import selectors, services
from .exports import export_file
from .models import ImportJob
from .specs import KINDS
from .views import export_response

router = Router(tags=["imports"])

Kind = Literal[
    "customers",
    "contacts",
    "consents",
    "products",
    "policies",
    "premiums",
    "attempts",
    "disbursements",
]


class ImportError_(Schema):
    file: str
    row: int
    column: str
    reason: str


class ImportJobOut(Schema):
    id: int
    kind: str
    file_name: str
    status: str
    dry_run: bool
    skip_invalid: bool
    rows_total: int
    rows_done: int
    percent: int
    # While it runs: "rows", then "indexes" (a bulk load builds its search indexes), then
    # "quality" (the contact-quality refresh); null once it has ended.
    stage: str | None
    inserted: int | None
    updated: int | None
    unchanged: int | None
    skipped: int | None
    errors_total: int
    errors: list[ImportError_]
    created_at: dt.datetime
    finished_at: dt.datetime | None


class ImportIn(Schema):
    kind: Kind
    dry_run: bool = False
    skip_invalid: bool = False


def job_out(job: ImportJob) -> dict[str, Any]:
    progress = selectors.job_progress(job)
    report = job.report or {}
    return {
        "id": job.pk,
        "kind": job.kind,
        "file_name": job.file_name,
        "status": job.status,
        "dry_run": job.dry_run,
        "skip_invalid": job.skip_invalid,
        "rows_total": progress.total,
        "rows_done": progress.done,
        "percent": progress.percent,
        "stage": progress.stage,
        "inserted": report.get("inserted"),
        "updated": report.get("updated"),
        "unchanged": report.get("unchanged"),
        "skipped": report.get("skipped"),
        "errors_total": report.get("errors_total", 0),
        "errors": report.get("errors", []),
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


@router.post(
    "/imports",
    response={201: ImportJobOut, **CREATE_ERRORS},
    summary="Upload a CSV or XLSX file to import (multipart)",
)
def import_create(request: HttpRequest, payload: Form[ImportIn], file: File[UploadedFile]) -> Any:
    actor = actor_of(request)
    require(actor, "customers.import")
    if file.size is not None and file.size > services.MAX_UPLOAD_BYTES:
        raise DomainError("The file is too large.", field="file")
    content = file.read()

    def create() -> tuple[int, dict[str, Any]]:
        job = services.import_start(
            by=actor,
            kind=payload.kind,
            file_name=file.name or "upload.csv",
            content=content,
            dry_run=payload.dry_run,
            skip_invalid=payload.skip_invalid,
        )
        return 201, ImportJobOut(**job_out(job)).model_dump(mode="json")

    fingerprint = {
        **payload.dict(),
        "file_name": file.name,
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    status, body = run_idempotent(
        request, actor_id=actor.pk, operation="import.create", payload=fingerprint, create=create
    )
    return Status(status, body)


@router.get("/imports/{job_id}", response={200: ImportJobOut, **ERRORS}, summary="One import job")
def import_detail(request: HttpRequest, job_id: Id) -> Any:
    return job_out(selectors.job_get(actor_of(request), job_id))


@router.get(
    "/exports/{kind}",
    response={200: None, **ERRORS},
    summary="Export one kind of records (CSV or XLSX, masked by role)",
)
def export_download(request: HttpRequest, kind: str, format: Literal["csv", "xlsx"] = "csv") -> Any:
    actor = actor_of(request)
    require(actor, "customers.export")
    if kind not in KINDS:
        raise NotVisible("Not found.")
    result = export_file(kind=kind, file_format=format, by=actor)
    return export_response(result)
