"""Background task of the imports: run one queued ImportJob."""

from __future__ import annotations

from django_tasks import task

from policydesk.core.request_context import RequestContext, bound_context

from .services import file_progress, import_run


@task()
def run_import(job_id: int) -> str:
    with bound_context(RequestContext(request_id=f"import-{job_id}", client_address="")):
        job = import_run(job_id, progress=file_progress(job_id))
    return job.status
