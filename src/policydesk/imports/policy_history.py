"""The status history of the policies an import wrote (every change recorded, DOMAIN.md).

The core system is the record of a policy's status: an import mirrors it and does not
judge the transition (a surrender undone there is undone here), but it records it, as
`policies.services` records the changes made in PolicyDesk. After the file's rows are
written: the rows the import inserted carry its own time as `created_at` and `updated_at`,
the ones it changed as `updated_at` only (unchanged rows are not written at all,
apply.upsert). The first statuses go in as one INSERT … SELECT.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import CharField, DateTimeField, IntegerField, OuterRef, Subquery, Value
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
    """History rows for the policies written at `now`: the first status of each policy the
    import inserted (dated its issue, or application, date), and for each one it changed, a
    change from the last recorded status when the status differs (dated today). Returns
    how many rows were added."""
    reason = _("Recorded by an import")
    # Inserted: no history can exist yet, so no look at the history table, which the same
    # statement fills (an anti-join there would rescan the rows it has just added).
    first = (
        Policy.objects.filter(created_at=now, updated_at=now)
        .annotate(
            blank=Value("", output_field=CharField()),
            day=Coalesce("issue_date", "application_date"),
            reason_text=Value(reason, output_field=CharField()),
            recorded=Value(now, output_field=DateTimeField()),
            by=Value(by_id, output_field=IntegerField()),
        )
        .values_list("id", "blank", "status", "day", "reason_text", "recorded", "by")
    )
    table = connection.ops.quote_name(PolicyStatusChange._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name in COLUMNS)
    # Changed: read first (a delta file changes few statuses), then written.
    latest = PolicyStatusChange.objects.filter(policy=OuterRef("pk")).order_by("-id")
    changed = [
        PolicyStatusChange(
            policy_id=pk,
            from_status=last or "",
            to_status=status,
            changed_on=timezone.localdate(),
            reason=reason,
            recorded_at=now,
            recorded_by_id=by_id,
        )
        for pk, status, last in Policy.objects.filter(updated_at=now)
        .exclude(created_at=now)
        .annotate(last=Subquery(latest.values("to_status")[:1]))
        .values_list("pk", "status", "last")
        if last != status
    ]
    PolicyStatusChange.objects.bulk_create(changed, batch_size=1000)
    with connection.cursor() as cursor:
        sql, params = first.query.sql_with_params()
        # Identifiers from model metadata; the values are the query's own parameters.
        cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)
        added = max(cursor.rowcount, 0)
    return added + len(changed)
