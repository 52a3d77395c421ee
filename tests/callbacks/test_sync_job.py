"""The task sync runs as a scheduled job and as `policydesk callbacks sync`, idempotently."""

from __future__ import annotations

from io import StringIO
from unittest import mock

from django.core.management import call_command

from policydesk.callbacks.jobs import callback_sync_job
from policydesk.callbacks.models import CallbackTask
from policydesk.core.models import ScheduledJob
from policydesk.core.scheduler import jobs_sync

from .conftest import SIGNED, Desk, local


def test_the_sync_is_registered_as_a_scheduled_job(desk: Desk) -> None:
    jobs_sync()
    job = ScheduledJob.objects.get(name="callback-task-sync")
    assert job.function == "policydesk.callbacks.jobs.callback_sync_job"


def test_the_job_and_the_command_create_each_task_once(desk: Desk) -> None:
    policy = desk.sale()
    # The sale's receipt lies months back: sync as of then.
    with mock.patch("django.utils.timezone.now", return_value=local(SIGNED, 12)):
        assert callback_sync_job().startswith("1 callback tasks created")
        out = StringIO()
        call_command("callbacks", "sync", stdout=out)
    assert out.getvalue().startswith("0 created")
    assert CallbackTask.objects.filter(policy=policy).count() == 1
