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


@task(queue_name="default")
def train_lapse_model(training_id: int) -> str:
    from . import services
    from .models import ModelTraining

    context = RequestContext(request_id=f"model-training-{training_id}", client_address="")
    with bound_context(context):
        training = services.lapse_model_train_execute(
            training=ModelTraining.objects.select_related("requested_by").get(pk=training_id)
        )
    return str(training.status)
