"""Idempotency keys for create operations (header `Idempotency-Key`).

The stored answer is written in the same transaction as the object it describes, so a
retried request either finds both or neither.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest

from .errors import ConflictError, DomainError
from .models import IdempotencyRecord

MAX_KEY_LENGTH = 128


def _fingerprint(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def run_idempotent(
    request: HttpRequest,
    *,
    actor_id: int,
    operation: str,
    payload: Any,
    create: Callable[[], tuple[int, dict[str, Any]]],
    redact: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> tuple[int, dict[str, Any]]:
    """Run `create` once per (actor, operation, key); replay the stored answer after that.

    `redact` removes what must be shown only once (a token's secret) from the stored copy.
    """
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        with transaction.atomic():
            return create()
    if len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            f"Idempotency-Key is longer than {MAX_KEY_LENGTH} characters.",
            field="Idempotency-Key",
            code="idempotency_key_invalid",
        )
    fingerprint = _fingerprint(payload)
    try:
        with transaction.atomic():
            stored = _replay(actor_id, operation, key, fingerprint)
            if stored is not None:
                return stored
            status, body = create()
            IdempotencyRecord.objects.create(
                key=key,
                actor_id=actor_id,
                operation=operation,
                request_fingerprint=fingerprint,
                status_code=status,
                response_body=redact(body) if redact else body,
            )
            return status, body
    except IntegrityError:
        # A concurrent request with the same key won; our writes were rolled back with it.
        stored = _replay(actor_id, operation, key, fingerprint)
        if stored is None:
            raise
        return stored


def _replay(
    actor_id: int, operation: str, key: str, fingerprint: str
) -> tuple[int, dict[str, Any]] | None:
    record = IdempotencyRecord.objects.filter(
        actor_id=actor_id, operation=operation, key=key
    ).first()
    if record is None:
        return None
    if record.request_fingerprint != fingerprint:
        raise ConflictError(
            "This Idempotency-Key was used with a different request.",
            field="Idempotency-Key",
            code="idempotency_key_reused",
        )
    return record.status_code, record.response_body
