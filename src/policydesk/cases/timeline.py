"""The customer's cases on the customer 360 timeline: each case opened for the customer (any
process: enquiries, complaints, applications, servicing items, claims) and, once finished,
its resolution. One bounded query, scoped to the viewer's branches and to cases.view."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext as _

from policydesk.core.access import can
from policydesk.customers.timeline import TimelineContext, TimelineEntry, register_source

from .models import Case

# The newest cases shown on the 360; older ones are in the queues and the case search.
CASES_ON_TIMELINE = 50


@register_source
def customer_cases(context: TimelineContext) -> Iterable[TimelineEntry]:
    if not can(context.user, "cases.view"):
        return
    cases = Case.objects.filter(customer=context.customer).select_related("process", "state")
    if context.visible_branch_ids is not None:
        cases = cases.filter(branch_id__in=context.visible_branch_ids)
    for case in cases.order_by("-opened_at", "-id")[:CASES_ON_TIMELINE]:
        url = reverse("cases:detail", args=[case.pk])
        yield TimelineEntry(
            at=case.opened_at,
            kind="case",
            title=_("%(process)s %(number)s opened: %(subject)s")
            % {"process": case.process.name, "number": case.number, "subject": case.subject},
            detail=case.get_channel_display(),
            url=url,
        )
        if case.resolved_at is not None:
            yield TimelineEntry(
                at=case.resolved_at,
                kind="case_resolved",
                title=_("%(number)s %(state)s") % {"number": case.number, "state": case.state.name},
                detail=case.resolution[:200],
                url=url,
            )
