"""Background tasks of account monitoring: thin, they load ids and call services."""

from __future__ import annotations

from django_tasks import task

from policydesk.core.request_context import RequestContext, bound_context


@task(queue_name="default")
def execute_monitoring_run(run_id: int) -> str:
    from . import services
    from .models import MonitoringRun

    with bound_context(RequestContext(request_id=f"monitoring-run-{run_id}", client_address="")):
        run = services.monitoring_run_execute(run=MonitoringRun.objects.get(pk=run_id))
    return str(run.status)
