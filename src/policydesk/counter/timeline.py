"""Counter visits on the customer 360 timeline: when the customer came, to whom, how long
they waited and how they rated the service. One bounded query, scoped to the viewer's
branches and to counter.view."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from policydesk.core.access import can
from policydesk.customers.timeline import TimelineContext, TimelineEntry, register_source

from .models import Visit

VISITS_ON_TIMELINE = 30


@register_source
def customer_visits(context: TimelineContext) -> Iterable[TimelineEntry]:
    if not can(context.user, "counter.view"):
        return
    visits = Visit.objects.filter(customer=context.customer).select_related("ticket", "teller")
    if context.visible_branch_ids is not None:
        visits = visits.filter(branch_id__in=context.visible_branch_ids)
    for visit in visits.order_by("-started_at", "-id")[:VISITS_ON_TIMELINE]:
        if visit.rating is not None:
            rated = _("rated %(score)s of 5") % {"score": visit.rating}
        else:
            rated = _("not rated")
        yield TimelineEntry(
            at=visit.started_at,
            kind="visit",
            title=_("Counter visit, ticket %(number)s, served by %(teller)s")
            % {
                "number": visit.ticket.number,
                "teller": visit.teller.display_name or visit.teller.username,
            },
            detail=rated,
        )
