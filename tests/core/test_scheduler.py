"""The scheduler: jobs as data, one run per slot, run execution and the platform's own jobs."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from policydesk.core import jobs
from policydesk.core.audit import GENESIS_HASH
from policydesk.core.cron import parse_cron
from policydesk.core.errors import DomainError, PermissionRefused
from policydesk.core.models import (
    AuditEvent,
    IdempotencyRecord,
    JobRun,
    JobRunStatus,
    ScheduledJob,
)
from policydesk.core.scheduler import (
    job_files,
    job_run_execute,
    job_run_now,
    jobs_sync,
    scheduler_tick,
)
from policydesk.org.models import StaffSession
from tests.conftest import World

NOW = dt.datetime(2024, 3, 11, 10, 2, 30, tzinfo=dt.UTC)
CALLS: list[str] = []


def succeeding_job() -> str:
    CALLS.append("succeeding_job")
    return "3 things tidied"


def failing_job() -> str:
    CALLS.append("failing_job")
    raise RuntimeError("the printer is on fire")


@pytest.fixture(autouse=True)
def _forget_calls() -> None:
    CALLS.clear()


def a_job(
    name: str = "tidy",
    *,
    schedule: str = "*/5 * * * *",
    function: str = "tests.core.test_scheduler.succeeding_job",
    next_run_at: dt.datetime | None = NOW,
    enabled: bool = True,
) -> ScheduledJob:
    return ScheduledJob.objects.create(
        name=name, function=function, schedule=schedule, next_run_at=next_run_at, enabled=enabled
    )


def defined_jobs() -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for path in job_files():
        found.update(tomllib.loads(path.read_text(encoding="utf-8")).get("jobs", {}))
    return found


# --- jobs_sync ----------------------------------------------------------------------------


def test_jobs_sync_creates_the_jobs_of_the_scheduled_jobs_files(db: None) -> None:
    defined = defined_jobs()
    assert "audit-verify" in defined

    created = jobs_sync(now=NOW)

    assert created == len(defined)
    assert set(ScheduledJob.objects.values_list("name", flat=True)) == set(defined)
    for job in ScheduledJob.objects.all():
        assert job.schedule == defined[job.name]["schedule"]
        assert job.function == defined[job.name]["function"]
        assert job.enabled
        assert job.next_run_at == parse_cron(job.schedule).next_after(NOW)
    assert AuditEvent.objects.filter(action="jobs.create").count() == len(defined)


def test_jobs_sync_adds_nothing_the_second_time(db: None) -> None:
    jobs_sync(now=NOW)
    before = list(ScheduledJob.objects.values_list("name", "next_run_at"))

    created = jobs_sync(now=NOW + dt.timedelta(days=1))

    assert created == 0
    assert list(ScheduledJob.objects.values_list("name", "next_run_at")) == before
    assert AuditEvent.objects.filter(action="jobs.create").count() == len(before)


def test_jobs_sync_keeps_an_administrators_changes(db: None) -> None:
    jobs_sync(now=NOW)
    ScheduledJob.objects.filter(name="audit-verify").update(enabled=False, schedule="0 3 * * *")

    assert jobs_sync(now=NOW) == 0

    job = ScheduledJob.objects.get(name="audit-verify")
    assert not job.enabled
    assert job.schedule == "0 3 * * *"


# --- scheduler_tick -----------------------------------------------------------------------


def test_a_tick_enqueues_a_due_job_once_for_its_slot(db: None) -> None:
    job = a_job(next_run_at=NOW)
    moment = NOW + dt.timedelta(seconds=10)

    first = scheduler_tick(now=moment)
    second = scheduler_tick(now=moment)

    assert len(first) == 1
    assert second == []
    run = JobRun.objects.get()
    assert run.job == job
    assert run.slot == NOW
    assert run.status == JobRunStatus.QUEUED
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("run_scheduled_job")
    assert task.queue_name == "scheduled"
    assert task.args_kwargs == {"args": [run.pk], "kwargs": {}}


def test_a_tick_advances_the_next_run(db: None) -> None:
    job = a_job(next_run_at=NOW)

    scheduler_tick(now=NOW)

    job.refresh_from_db()
    assert job.next_run_at == dt.datetime(2024, 3, 11, 10, 5, tzinfo=dt.UTC)
    assert job.last_enqueued_at == NOW


def test_a_tick_collapses_missed_slots_into_one_run(db: None) -> None:
    job = a_job(next_run_at=NOW - dt.timedelta(hours=3))

    enqueued = scheduler_tick(now=NOW)

    assert len(enqueued) == 1
    assert JobRun.objects.count() == 1
    assert DBTaskResult.objects.count() == 1
    job.refresh_from_db()
    assert job.next_run_at == dt.datetime(2024, 3, 11, 10, 5, tzinfo=dt.UTC)
    assert scheduler_tick(now=NOW) == []
    assert JobRun.objects.count() == 1


def test_a_tick_leaves_jobs_that_are_not_due_or_disabled_alone(db: None) -> None:
    later = a_job("later", next_run_at=NOW + dt.timedelta(minutes=1))
    off = a_job("off", next_run_at=NOW - dt.timedelta(minutes=1), enabled=False)

    assert scheduler_tick(now=NOW) == []

    assert not JobRun.objects.exists()
    assert not DBTaskResult.objects.exists()
    later.refresh_from_db()
    off.refresh_from_db()
    assert later.next_run_at == NOW + dt.timedelta(minutes=1)
    assert off.next_run_at == NOW - dt.timedelta(minutes=1)


def test_a_tick_runs_the_next_slot_when_it_comes(db: None) -> None:
    a_job(next_run_at=NOW)
    scheduler_tick(now=NOW)

    scheduler_tick(now=dt.datetime(2024, 3, 11, 10, 5, tzinfo=dt.UTC))

    assert sorted(JobRun.objects.values_list("slot", flat=True)) == [
        NOW,
        dt.datetime(2024, 3, 11, 10, 5, tzinfo=dt.UTC),
    ]
    assert DBTaskResult.objects.count() == 2


# --- job_run_execute ----------------------------------------------------------------------


def test_executing_a_run_calls_the_function_and_records_its_summary(db: None) -> None:
    a_job(next_run_at=NOW)
    run = scheduler_tick(now=NOW)[0]

    result = job_run_execute(run.pk)

    assert CALLS == ["succeeding_job"]
    run.refresh_from_db()
    assert result.pk == run.pk
    assert run.status == JobRunStatus.SUCCEEDED
    assert run.detail == "3 things tidied"
    assert run.started_at is not None
    assert run.finished_at is not None
    assert run.finished_at >= run.started_at


def test_executing_the_same_run_twice_does_nothing_the_second_time(db: None) -> None:
    a_job(next_run_at=NOW)
    run = scheduler_tick(now=NOW)[0]
    job_run_execute(run.pk)
    run.refresh_from_db()
    finished = run.finished_at

    again = job_run_execute(run.pk)

    assert CALLS == ["succeeding_job"]
    assert again.status == JobRunStatus.SUCCEEDED
    run.refresh_from_db()
    assert run.finished_at == finished


def test_a_failing_run_records_the_traceback_and_re_raises(db: None) -> None:
    a_job(function="tests.core.test_scheduler.failing_job", next_run_at=NOW)
    run = scheduler_tick(now=NOW)[0]

    with pytest.raises(RuntimeError, match="the printer is on fire"):
        job_run_execute(run.pk)

    run.refresh_from_db()
    assert run.status == JobRunStatus.FAILED
    assert "Traceback" in run.detail
    assert "RuntimeError: the printer is on fire" in run.detail
    assert run.finished_at is not None
    assert job_run_execute(run.pk).status == JobRunStatus.FAILED
    assert CALLS == ["failing_job"]


# --- job_run_now --------------------------------------------------------------------------


def test_an_administrator_runs_a_job_now_and_it_is_audited(world: World) -> None:
    job = a_job(next_run_at=NOW + dt.timedelta(days=1))

    run = job_run_now(job=job, by=world.admin)

    assert run.status == JobRunStatus.QUEUED
    assert DBTaskResult.objects.get().args_kwargs == {"args": [run.pk], "kwargs": {}}
    event = AuditEvent.objects.get(action="jobs.run_now")
    assert event.actor_id == world.admin.pk
    assert event.object_id == str(job.pk)
    assert event.after == {"run": run.pk}
    job.refresh_from_db()
    assert job.next_run_at == NOW + dt.timedelta(days=1)


def test_a_head_of_service_may_not_run_a_job_now(world: World) -> None:
    job = a_job()

    with pytest.raises(PermissionRefused):
        job_run_now(job=job, by=world.head)

    assert not JobRun.objects.exists()
    assert not DBTaskResult.objects.exists()
    assert not AuditEvent.objects.filter(action="jobs.run_now").exists()


# --- The platform's periodic jobs ---------------------------------------------------------


def test_purging_idempotency_records_deletes_only_old_ones(db: None) -> None:
    now = timezone.now()
    window = dt.timedelta(hours=settings.POLICYDESK_IDEMPOTENCY_HOURS)
    old = IdempotencyRecord.objects.create(
        key="old",
        actor_id=1,
        operation="x",
        request_fingerprint="f",
        status_code=201,
        response_body={},
        created_at=now - window - dt.timedelta(minutes=1),
    )
    fresh = IdempotencyRecord.objects.create(
        key="fresh",
        actor_id=1,
        operation="x",
        request_fingerprint="f",
        status_code=201,
        response_body={},
        created_at=now - window + dt.timedelta(minutes=5),
    )

    summary = jobs.purge_idempotency_records()

    assert summary == "1 idempotency records removed"
    assert not IdempotencyRecord.objects.filter(pk=old.pk).exists()
    assert IdempotencyRecord.objects.filter(pk=fresh.pk).exists()


def _session(expires_in: dt.timedelta) -> str:
    store = SessionStore()
    store.create()
    Session.objects.filter(pk=store.session_key).update(expire_date=timezone.now() + expires_in)
    return str(store.session_key)


def test_clearing_expired_sessions_removes_them_and_their_staff_links(world: World) -> None:
    expired = _session(-dt.timedelta(minutes=1))
    live = _session(dt.timedelta(minutes=10))
    StaffSession.objects.create(staff=world.teller_a, session_key=expired)
    StaffSession.objects.create(staff=world.teller_b, session_key=live)

    summary = jobs.clear_expired_sessions()

    assert summary == "1 sessions and 1 session links removed"
    assert list(Session.objects.values_list("session_key", flat=True)) == [live]
    assert list(StaffSession.objects.values_list("session_key", flat=True)) == [live]


def test_verifying_an_intact_audit_chain_returns_a_summary(world: World) -> None:
    count = AuditEvent.objects.count()
    assert count > 0

    assert jobs.verify_audit_chain() == f"{count} audit events verified"


def test_verifying_a_broken_audit_chain_fails_the_job(world: World) -> None:
    AuditEvent.objects.create(
        action="forged", previous_hash=GENESIS_HASH, hash="f" * 64, actor_label="mallory"
    )

    with pytest.raises(DomainError) as broken:
        jobs.verify_audit_chain()

    assert broken.value.code == "audit_chain_broken"


def test_a_periodic_job_runs_through_the_scheduler(world: World) -> None:
    jobs_sync(now=NOW)
    job = ScheduledJob.objects.get(name="audit-verify")
    run = job_run_now(job=job, by=world.admin)
    count = AuditEvent.objects.count()

    result = job_run_execute(run.pk)

    assert result.status == JobRunStatus.SUCCEEDED
    assert result.detail == f"{count} audit events verified"
