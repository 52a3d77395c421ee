"""The platform's own periodic jobs. Each is idempotent and returns a one-line summary."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from .audit import audit_verify
from .errors import DomainError
from .models import IdempotencyRecord


def verify_audit_chain() -> str:
    result = audit_verify()
    if not result.ok:
        first = result.breaks[0]
        raise DomainError(
            f"Audit chain broken at event {first.event_id}: {first.reason} "
            f"({len(result.breaks)} problem(s) in {result.checked} events).",
            code="audit_chain_broken",
        )
    return f"{result.checked} audit events verified"


def purge_idempotency_records() -> str:
    cutoff = timezone.now() - dt.timedelta(hours=settings.POLICYDESK_IDEMPOTENCY_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return f"{deleted} idempotency records removed"


def clear_expired_sessions() -> str:
    from policydesk.org.models import StaffSession

    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    live = Session.objects.values("session_key")
    orphans, _ = StaffSession.objects.exclude(session_key__in=live).delete()
    return f"{deleted} sessions and {orphans} session links removed"


def prune_task_results() -> str:
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - dt.timedelta(days=30)
    deleted, _ = DBTaskResult.objects.filter(finished_at__lt=cutoff).delete()
    return f"{deleted} task results removed"
