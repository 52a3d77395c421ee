"""The demo year's new long-term business enters the registry: every issued long-term
application without a policy gets the one it was issued as (holder, amounts, receipt,
cooling-off, status history, insured), a bank policy brings the phone the bank's system
sent (a mobile in the office-phone field, 0594 prepended or not), and a second call creates
nothing."""

from __future__ import annotations

import datetime as dt

from policydesk.customers.models import ContactDefect, ContactPoint
from policydesk.newbusiness.demo import newbusiness_demo
from policydesk.newbusiness.demo_policies import newbusiness_demo_policies
from policydesk.newbusiness.models import Application, SourceSystem
from policydesk.org.models import Role
from policydesk.policies.models import Policy, PolicyStatus, PolicyStatusChange
from tests import factories

from .conftest import Desk

AS_OF = dt.date(2026, 12, 1)


def _year(desk: Desk) -> None:
    branch = desk.world.branch_a
    for number in range(2, 6):
        factories.staff(Role.FRONT_TELLER, branch, username=f"teller-extra-{number}")
    newbusiness_demo(branch=branch, seed=11, as_of=AS_OF, scale=0.04)


def test_each_issued_long_term_application_gets_its_registry_policy_once(desk: Desk) -> None:
    _year(desk)
    branch = desk.world.branch_a
    issued = Application.objects.filter(
        case__branch=branch, source_system=SourceSystem.LONG_TERM_CORE, issued_at__isnull=False
    )
    missing = issued.filter(policy__isnull=True).count()
    assert missing > 0
    before = set(Policy.objects.values_list("pk", flat=True))

    counts = newbusiness_demo_policies(branch=branch, seed=11, as_of=AS_OF)

    assert counts["policies"] == missing
    assert not issued.filter(policy__isnull=True).exists()
    for app in issued.select_related("policy", "case"):
        policy = app.policy
        assert policy is not None and app.case.policy_id == policy.pk
        assert policy.policyholder_id == app.applicant_id and policy.branch_id == branch.pk
        assert policy.receipt_signed_date == app.receipt_signed_on
        assert policy.cooling_off_end == app.cooling_off_end
        assert (policy.premium, policy.term_years) == (app.premium, app.term_years)
    made = Policy.objects.exclude(pk__in=before)
    assert made.count() == missing
    # Past its cooling-off a policy is in force, with its history; the insured is recorded.
    in_force = made.filter(status=PolicyStatus.IN_FORCE).first()
    assert in_force is not None
    steps = list(
        PolicyStatusChange.objects.filter(policy=in_force)
        .order_by("changed_on", "pk")
        .values_list("to_status", flat=True)
    )
    assert steps == ["applied", "underwriting", "issued", "in_force"]
    assert in_force.parties.filter(role="insured").exists()
    # The phone each bank policy arrived with, as the callback system will dial it: the
    # mobile in the office-phone field (0594 prepended or not), the holder's primary phone.
    sent = ContactPoint.objects.filter(source="bancassurance")
    assert counts["intermediary_contacts"] == sent.count() > 0
    for contact in sent:
        assert contact.phone_type == "fixed_line" and contact.is_primary
        assert made.filter(policyholder_id=contact.customer_id, channel="bancassurance").exists()
        assert contact.customer.contacts.filter(kind="phone", is_primary=True).count() == 1
    prefixed = sent.filter(raw__startswith="0594")
    assert (
        ContactDefect.objects.filter(
            contact__in=prefixed, code="area_code_prefixed_mobile", resolved_at__isnull=True
        ).count()
        == prefixed.count()
    )
    again = newbusiness_demo_policies(branch=branch, seed=11, as_of=AS_OF)
    assert again["policies"] == 0
    assert made.count() == missing
