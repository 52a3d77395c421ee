"""Background tasks of the platform: thin wrappers that load ids and call services."""

from __future__ import annotations

from django_tasks import task

from .request_context import RequestContext, bound_context
from .scheduler import job_run_execute


@task(queue_name="scheduled")
def run_scheduled_job(run_id: int) -> str:
    with bound_context(RequestContext(request_id=f"job-run-{run_id}", client_address="")):
        run = job_run_execute(run_id)
    return run.status
