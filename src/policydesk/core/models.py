"""Platform records: the audit trail, idempotency keys and the periodic-job schedule."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One audited write, log-in or refused access. Append-only.

    UPDATE and DELETE are refused by database triggers (migration 0002), and each row's
    hash covers the previous row's hash, so `policydesk audit verify` detects a row that
    was changed or removed behind the application's back. There are deliberately no
    foreign keys: deleting a staff member must never rewrite history.
    """

    occurred_at = models.DateTimeField(default=timezone.now)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    # Which branch the object belongs to, so auditors' reads can be scoped.
    branch_id = models.BigIntegerField(null=True, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    client_address = models.CharField(max_length=64, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            # Used by the audit log page: newest first, filtered by object or actor.
            models.Index(fields=["object_type", "object_id", "id"], name="audit_object_idx"),
            models.Index(fields=["actor_id", "id"], name="audit_actor_idx"),
            models.Index(fields=["branch_id", "id"], name="audit_branch_idx"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"
        )


class IdempotencyRecord(models.Model):
    """The stored answer to a create request sent with an Idempotency-Key header."""

    key = models.CharField(max_length=128)
    actor_id = models.BigIntegerField()
    operation = models.CharField(max_length=128)
    request_fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["actor_id", "operation", "key"], name="idempotency_key_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.key}"


class ScheduledJob(models.Model):
    """A periodic job as data: a name, a cron schedule and the function to call."""

    name = models.SlugField(_("name"), max_length=64, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    function = models.CharField(_("function"), max_length=200)  # dotted path, no arguments
    schedule = models.CharField(_("schedule"), max_length=64)  # five-field cron, UTC
    enabled = models.BooleanField(_("enabled"), default=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class JobRunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")  # enqueued by the scheduler, not started
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")  # the error is kept in `detail`


class JobRun(models.Model):
    """One run of a scheduled job for one time slot; the unique slot makes runs idempotent."""

    job = models.ForeignKey(ScheduledJob, on_delete=models.CASCADE, related_name="runs")
    slot = models.DateTimeField()  # the scheduled time this run answers for
    status = models.CharField(max_length=16, choices=JobRunStatus.choices)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="job_run_slot_unique")]
        ordering = ["-slot"]

    def __str__(self) -> str:
        return f"{self.job_id} @ {self.slot:%Y-%m-%d %H:%M}"
