"""Pages of the customer registry: the search box and the customer 360."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from policydesk.core.htmx import is_htmx
from policydesk.policies.models import Channel

from . import selectors
from .models import DefectCode
from .quality_report import bars_by_defect, defect_counts


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """One box: name, phone, ID number, policy number or customer number; live via htmx."""
    query = request.GET.get("q", "").strip()
    page = selectors.customer_search(
        request.user, query, after=_int_or_none(request.GET.get("after"))
    )
    context = {"page": page, "query": query}
    if is_htmx(request):
        return render(request, "customers/search.html#customer-rows", context)
    return render(request, "customers/search.html", context)


@login_required
@require_GET
def detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get(request.user, customer_id)
    view = selectors.customer_360(request.user, customer)
    return render(request, "customers/detail.html", {"view": view, "customer": customer})


@login_required
@require_GET
def quality(request: HttpRequest) -> HttpResponse:
    """Open contact-quality defects by defect, channel and intermediary, with a bar chart."""
    rows = defect_counts(request.user)
    channels = dict(Channel.choices)
    defects = dict(DefectCode.choices)
    table = [
        {
            "defect": defects.get(row.code, row.code),
            "channel": channels.get(row.channel, _("No live policy")),
            "intermediary": row.intermediary,
            "customers": row.customers,
        }
        for row in rows
    ]
    return render(request, "customers/quality.html", {"rows": table, "bars": bars_by_defect(rows)})
