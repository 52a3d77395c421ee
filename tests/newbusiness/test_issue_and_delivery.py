"""Issue creates or links the registry policy; delivery records the signed receipt and the
cooling-off end on it; callback and archive finish the file."""

from __future__ import annotations

import datetime as dt

import pytest

from policydesk.core.errors import DomainError
from policydesk.newbusiness import services
from policydesk.policies.models import Policy
from tests import factories

from .conftest import Desk, at_day, register, to_premium_received


def test_issue_creates_the_registry_policy_from_the_application(desk: Desk) -> None:
    application = to_premium_received(desk, register(desk), at_day(1))
    application = services.application_issue(
        application=application, policy_number="P-NEW-1", by=desk.underwriter, at=at_day(3)
    )
    policy = Policy.objects.get(number="P-NEW-1")
    assert application.policy == policy and application.case.policy_id == policy.pk
    assert (policy.policyholder, policy.agent, policy.source_system) == (
        desk.applicant,
        desk.agent,
        "long_term_core",
    )
    assert policy.application_date == dt.date(2026, 9, 1)
    assert policy.issue_date == dt.date(2026, 9, 4) and policy.premium == application.premium
    assert application.stage == "issued"


def test_issue_links_an_existing_policy_of_the_same_policyholder(desk: Desk) -> None:
    existing = factories.policy(desk.applicant, number="P-OLD-1", status="issued")
    application = to_premium_received(desk, register(desk), at_day(1))
    application = services.application_issue(
        application=application, policy_number="P-OLD-1", by=desk.underwriter, at=at_day(2)
    )
    assert application.policy == existing
    assert Policy.objects.filter(number="P-OLD-1").count() == 1


def test_issue_refuses_a_policy_of_another_policyholder(desk: Desk) -> None:
    factories.policy(factories.customer(desk.world.branch_a), number="P-OTHER")
    application = to_premium_received(desk, register(desk), at_day(1))
    with pytest.raises(DomainError) as refused:
        services.application_issue(
            application=application, policy_number="P-OTHER", by=desk.underwriter, at=at_day(2)
        )
    assert refused.value.field == "policy_number"
    application.refresh_from_db()
    assert application.policy_id is None and application.stage == "premium-received"


def test_delivery_sets_the_receipt_and_the_cooling_off_end_on_the_policy(desk: Desk) -> None:
    application = to_premium_received(desk, register(desk), at_day(1))
    application = services.application_issue(
        application=application, policy_number="P-DLV-1", by=desk.underwriter, at=at_day(2)
    )
    application = services.application_deliver(
        application=application,
        receipt_signed_on=dt.date(2026, 9, 7),
        by=desk.world.teller_a,
        at=at_day(6),
    )
    policy = Policy.objects.get(number="P-DLV-1")
    assert policy.receipt_signed_date == dt.date(2026, 9, 7)
    assert policy.cooling_off_end == dt.date(2026, 9, 22)  # 15 days from the day after
    assert application.cooling_off_end == policy.cooling_off_end
    application = services.application_step(
        application=application, step="callback", by=desk.world.teller_a, at=at_day(8)
    )
    application = services.application_step(
        application=application, step="archive", by=desk.world.teller_a, at=at_day(9)
    )
    assert application.stage == "archived" and application.case.category == "closed"
    assert not application.is_open


def test_a_receipt_signed_before_the_issue_is_refused(desk: Desk) -> None:
    application = to_premium_received(desk, register(desk), at_day(1))
    application = services.application_issue(
        application=application, policy_number="P-DLV-2", by=desk.underwriter, at=at_day(2)
    )
    with pytest.raises(DomainError) as refused:
        services.application_deliver(
            application=application,
            receipt_signed_on=dt.date(2026, 9, 2),
            by=desk.world.teller_a,
            at=at_day(6),
        )
    assert refused.value.field == "receipt_signed_on"
    assert Policy.objects.get(number="P-DLV-2").receipt_signed_date is None


def test_a_card_policy_must_be_short_term(desk: Desk) -> None:
    with pytest.raises(DomainError) as refused:
        register(desk, source_system="short_term_card")
    assert refused.value.field == "product"


def test_accepting_with_open_requirements_is_refused(desk: Desk) -> None:
    from .conftest import to_underwriting

    application = to_underwriting(desk, register(desk), at_day(0))
    requirement = services.requirement_raise(
        application=application,
        kind="financial_proof",
        note="income over 1m",
        by=desk.underwriter,
        at=at_day(1),
    )
    with pytest.raises(DomainError) as refused:
        services.application_accept(application=application, by=desk.underwriter, at=at_day(2))
    assert refused.value.code == "requirements_open"
    services.requirement_meet(requirement=requirement, by=desk.underwriter, at=at_day(3))
    application = services.application_accept(
        application=application, by=desk.underwriter, at=at_day(3)
    )
    assert application.stage == "awaiting-premium"
