"""The page that opens the bank-account-change servicing item (保全) from a work item, on
the customer's application: customer and policy come from the work item, the form asks for
the new account, who applies, the channel and the documents received. htmx posts the form
in place (errors shown beside it); without htmx it is a plain form and redirect."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.cases import clocks
from policydesk.cases.models import CaseChannel
from policydesk.core.access import require
from policydesk.core.errors import DomainError
from policydesk.core.htmx import is_htmx
from policydesk.customers.identity import masked
from policydesk.org.models import Staff
from policydesk.servicing import services as servicing_services
from policydesk.servicing.models import ApplicantRole

from . import selectors, services

CHANNELS = [c for c in CaseChannel.choices if c[0] != CaseChannel.REGULATOR]
APPLICANTS = [c for c in ApplicantRole.choices if c[0] in ("policyholder", "proxy")]


@login_required
def servicing_open(request: HttpRequest, work_item_id: int) -> HttpResponse:
    require(request.user, "monitoring.work")
    item = selectors.work_item_get(request.user, work_item_id)
    data = request.POST if request.method == "POST" else request.GET
    applicant_role = data.get("applicant_role", ApplicantRole.POLICYHOLDER)[:16]
    if applicant_role not in dict(APPLICANTS):
        applicant_role = ApplicantRole.POLICYHOLDER
    documents = [code[:48] for code in data.getlist("documents")][:10]
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.work_item_servicing_open(
                item=item,
                applicant_role=applicant_role,
                channel=data.get("channel", CaseChannel.COUNTER)[:16],
                bank_name=data.get("bank_name", ""),
                account_number=data.get("account_number", ""),
                documents=documents,
                note=data.get("note", ""),
                by=cast(Staff, request.user),
            )
        except DomainError as error:
            errors.append(error.message)
        else:
            messages.success(request, _("Servicing item opened and linked."))
            target = reverse("monitoring:item", args=[item.pk])
            if is_htmx(request):
                return HttpResponse(status=204, headers={"HX-Redirect": target})
            return redirect(target)
    item_type = servicing_services.item_type_by_code(services.BANK_ACCOUNT_CHANGE_ITEM)
    check = None
    if item.policy is not None:
        check = servicing_services.servicing_precheck(
            policy=item.policy,
            item_type=item_type,
            applicant_role=applicant_role,
            documents=documents,
            today=clocks.calendar_for(item.branch).local_date(timezone.now()),
        )
    context = {
        "item": item,
        "item_type": item_type,
        "check": check,
        "errors": errors,
        "masked_id": masked(item.customer.id_number_last4),
        "applicant_role": applicant_role,
        "applicants": APPLICANTS,
        "channels": CHANNELS,
        "documents": documents,
        "post": data,
        "can_open": services.servicing_can_open(item),
    }
    template = (
        "monitoring/_servicing_form.html" if is_htmx(request) else "monitoring/servicing.html"
    )
    return render(request, template, context)
