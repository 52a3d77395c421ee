"""The append-only, hash-chained audit trail.

Every service write calls `audit_record` inside its transaction. Rows are chained: each
row's hash covers its own fields and the previous row's hash, so `audit_verify` finds a
row that was altered, inserted or removed behind the application's back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction

from .masking import mask_personal_data
from .models import AuditEvent
from .request_context import current_context

GENESIS_HASH = "0" * 64
# Arbitrary constant naming the PostgreSQL advisory lock that serialises chain appends.
CHAIN_LOCK_ID = 7_470_001


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str)
    return str(value)


def to_json_value(value: Any) -> Any:
    """Normalise to plain JSON so the stored value re-hashes to the same digest."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=_json_default, ensure_ascii=False))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(event: AuditEvent) -> str:
    occurred = event.occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    payload = {
        "previous_hash": event.previous_hash,
        "occurred_at": occurred,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_label": event.object_label,
        "branch_id": event.branch_id,
        "before": event.before,
        "after": event.after,
        "request_id": event.request_id,
        "client_address": event.client_address,
    }
    return hashlib.sha256(_canonical(payload).encode("utf-8")).hexdigest()


def _lock_chain() -> None:
    # SQLite runs every transaction as BEGIN IMMEDIATE (settings), which already serialises
    # writers; PostgreSQL needs an explicit lock or two writers would fork the chain.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_ID])


def audit_record(
    *,
    action: str,
    actor: Any = None,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_label: str = "",
    branch_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Personal data in before/after is masked before it is stored."""
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
        object_label = object_label or str(target)[:200]
        if branch_id is None:
            branch_id = getattr(target, "branch_id", None)
    actor_id = getattr(actor, "pk", None)
    actor_label = str(getattr(actor, "username", "") or "")[:150] if actor_id else ""
    context = current_context()
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event = AuditEvent(
            actor_id=actor_id,
            actor_label=actor_label,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            object_label=object_label,
            branch_id=branch_id,
            before=to_json_value(mask_personal_data(before)),
            after=to_json_value(mask_personal_data(after)),
            request_id=context.request_id,
            client_address=context.client_address,
            previous_hash=last or GENESIS_HASH,
        )
        # Stored datetimes keep microseconds on both databases; hash what will be read back.
        event.hash = compute_hash(event)
        event.save(force_insert=True)
    return event


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """The listed field values of a model instance, ready for before/after."""
    values: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if not isinstance(field, models.Field):
            raise TypeError(f"{name} is not a concrete field")
        if field.many_to_many:
            if instance.pk is None:
                values[name] = []
            else:
                related = getattr(instance, name).values_list("pk", flat=True)
                values[name] = sorted(related)
        else:
            values[name] = getattr(instance, field.attname)
    return to_json_value(values)


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    breaks: list[ChainBreak]

    @property
    def ok(self) -> bool:
        return not self.breaks


def _events_in_order(chunk_size: int) -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("id").iterator(chunk_size=chunk_size)


def audit_verify(*, chunk_size: int = 2000, max_breaks: int = 50) -> VerifyResult:
    """Walk the chain from the first row and report every row that does not fit."""
    previous = GENESIS_HASH
    checked = 0
    breaks: list[ChainBreak] = []
    for event in _events_in_order(chunk_size):
        checked += 1
        if event.previous_hash != previous:
            breaks.append(
                ChainBreak(
                    event.pk, "chain broken before this row: a row was removed, inserted or altered"
                )
            )
        if compute_hash(event) != event.hash:
            breaks.append(ChainBreak(event.pk, "content does not match its hash: row altered"))
        previous = event.hash
        if len(breaks) >= max_breaks:
            break
    return VerifyResult(checked=checked, breaks=breaks)
