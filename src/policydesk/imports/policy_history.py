"""The status history of the policies an import wrote (every change recorded, DOMAIN.md).

The core system is the record of a policy's status: an import mirrors it and does not
judge the transition (a surrender undone there is undone here), but it records it, as
`policies.services` records the changes made in PolicyDesk. Set-based, after the file's
rows are written: the rows the import inserted or changed are the ones whose `updated_at`
is the import's own time (unchanged rows are not written at all, apply.upsert).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import (
    CharField,
    DateField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.policies.models import Policy, PolicyStatusChange

COLUMNS = (
    "policy_id",
    "from_status",
    "to_status",
    "changed_on",
    "reason",
    "recorded_at",
    "recorded_by_id",
)


def record_status_changes(now: dt.datetime, by_id: int | None) -> int:
    """History rows for the policies written at `now`: the first status of a policy with no
    history yet (dated its issue, or application, date), and a change from the last recorded
    status (dated today). Returns how many rows were added."""
    written = Policy.objects.filter(updated_at=now)
    reason = Value(_("Recorded by an import"), output_field=CharField())
    recorded = Value(now, output_field=DateTimeField())
    by = Value(by_id, output_field=IntegerField())
    latest = PolicyStatusChange.objects.filter(policy=OuterRef("pk")).order_by("-id")
    changed = (
        written.annotate(last=Subquery(latest.values("to_status")[:1]))
        .filter(last__isnull=False)
        .exclude(last=F("status"))
        .annotate(
            today=Value(timezone.localdate(), output_field=DateField()),
            reason_text=reason,
            recorded=recorded,
            by=by,
        )
        .values_list("id", "last", "status", "today", "reason_text", "recorded", "by")
    )
    first = (
        written.exclude(Exists(latest))
        .annotate(
            blank=Value("", output_field=CharField()),
            day=Coalesce("issue_date", "application_date"),
            reason_text=reason,
            recorded=recorded,
            by=by,
        )
        .values_list("id", "blank", "status", "day", "reason_text", "recorded", "by")
    )
    added = 0
    table = connection.ops.quote_name(PolicyStatusChange._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name in COLUMNS)
    with connection.cursor() as cursor:
        for query in (changed, first):  # changes first: a first status is no change
            sql, params = query.query.sql_with_params()
            # Identifiers from model metadata; the values are the query's own parameters.
            cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)
            added += max(cursor.rowcount, 0)
    return added
