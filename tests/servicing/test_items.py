"""Each catalogue item's eligibility (refused with the reason named, nothing written) and
its effect on the policy, recorded as an endorsement; a done item is final."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from policydesk.core.errors import DomainError, PermissionRefused
from policydesk.policies import services as policy_services
from policydesk.policies.models import Disbursement, PolicyParty, PolicyStatus
from policydesk.servicing import services
from policydesk.servicing.models import PolicyEndorsement, ServicingItem
from tests import factories

from .conftest import Desk, apply, at, finish


def _refused(desk: Desk, code: str, rule: str, **extra: object) -> None:
    with pytest.raises(services.Ineligible) as refused:
        apply(desk, code, **extra)
    assert rule in [r.rule for r in refused.value.refusals]
    assert refused.value.message
    assert not ServicingItem.objects.filter(policy=desk.policy).exists()


def test_a_payment_mode_change_takes_effect_at_the_next_anniversary(desk: Desk) -> None:
    item = apply(desk, "payment-mode-change", details={"to_mode": "annual"})
    item = finish(desk, item)
    desk.policy.refresh_from_db()
    assert desk.policy.payment_mode == "annual"
    assert desk.policy.premium == Decimal("6000.00")
    endorsement = PolicyEndorsement.objects.get(item=item)
    assert endorsement.effective_on == dt.date(2026, 9, 20)
    assert endorsement.before["payment_mode"] == "monthly"


def test_a_payment_mode_change_far_from_the_anniversary_is_refused(desk: Desk) -> None:
    _refused(
        desk,
        "payment-mode-change",
        "at_anniversary",
        details={"to_mode": "annual"},
        when=at(-120),
    )


def test_a_beneficiary_change_replaces_the_beneficiaries_with_the_insureds_consent(
    desk: Desk,
) -> None:
    son = factories.customer(desk.world.branch_a, name="Lin Son")
    item = apply(
        desk,
        "beneficiary-change",
        details={
            "beneficiaries": [
                {"customer_id": son.pk, "share": "100", "relation_to_insured": "child"}
            ]
        },
    )
    assert "insured-consent" in item.documents
    finish(desk, item)
    beneficiaries = PolicyParty.objects.filter(policy=desk.policy, role="beneficiary")
    assert [(b.customer_id, b.share) for b in beneficiaries] == [(son.pk, Decimal("100.00"))]


def test_beneficiary_shares_that_do_not_add_up_are_refused(desk: Desk) -> None:
    son = factories.customer(desk.world.branch_a)
    with pytest.raises(DomainError) as refused:
        apply(
            desk,
            "beneficiary-change",
            details={"beneficiaries": [{"customer_id": son.pk, "share": "60"}]},
        )
    assert refused.value.field == "details.beneficiaries"
    assert not ServicingItem.objects.exists()


def test_a_policyholder_change_moves_the_policy_to_the_new_holder(desk: Desk) -> None:
    new_holder = factories.customer(desk.world.branch_a, name="Lin Wife")
    item = finish(
        desk, apply(desk, "policyholder-change", details={"new_policyholder_id": new_holder.pk})
    )
    desk.policy.refresh_from_db()
    assert desk.policy.policyholder_id == new_holder.pk
    assert PolicyEndorsement.objects.get(item=item).before["policyholder_id"] == desk.holder.pk


def test_a_cooling_off_cancellation_ends_the_policy_and_refunds_the_premium(
    desk: Desk,
) -> None:
    fresh = factories.policy(
        desk.holder,
        status="issued",
        application_date=dt.date(2026, 8, 20),
        issue_date=dt.date(2026, 8, 25),
        receipt_signed_date=dt.date(2026, 8, 27),
    )
    policy_services.mandate_set(
        policy=fresh, bank_name="Bank", account_number="6222020000002222", status="active", by=None
    )
    desk.policy = fresh
    item = finish(desk, apply(desk, "cooling-off-cancellation"))
    fresh.refresh_from_db()
    assert fresh.status == PolicyStatus.CANCELLED_COOLING_OFF
    refund = Disbursement.objects.get(policy=fresh, kind="refund")
    assert refund.amount == fresh.premium and refund.method == "bank_transfer"
    assert item.amount == fresh.premium


def test_a_cancellation_after_cooling_off_is_refused(desk: Desk) -> None:
    _refused(desk, "cooling-off-cancellation", "within_cooling_off")


def test_a_surrender_records_its_reason_and_pays_the_surrender_value(desk: Desk) -> None:
    item = apply(desk, "surrender", details={"reason": "unaffordable_premium"})
    assert item.surrender_reason == "unaffordable_premium"
    finish(desk, item, amount=Decimal("8200.00"))
    desk.policy.refresh_from_db()
    assert desk.policy.status == PolicyStatus.SURRENDERED
    paid = Disbursement.objects.get(policy=desk.policy, kind="surrender")
    assert paid.amount == Decimal("8200.00") and paid.status == "paid"


def test_a_surrender_without_a_reason_is_refused(desk: Desk) -> None:
    with pytest.raises(DomainError) as refused:
        apply(desk, "surrender", details={})
    assert refused.value.field == "details.reason"
    assert not ServicingItem.objects.exists()


def test_reinstatement_is_refused_more_than_two_years_after_the_lapse(desk: Desk) -> None:
    policy_services.policy_change_status(
        policy=desk.policy, to_status="in_grace", changed_on=dt.date(2024, 11, 1), by=None
    )
    policy_services.policy_change_status(
        policy=desk.policy, to_status="lapsed", changed_on=dt.date(2025, 1, 1), by=None
    )
    _refused(desk, "reinstatement", "lapsed_within_days", when=at(400))


def test_a_reinstated_policy_is_back_on_its_lifecycle(desk: Desk) -> None:
    policy_services.policy_change_status(
        policy=desk.policy, to_status="in_grace", changed_on=dt.date(2026, 3, 1), by=None
    )
    policy_services.policy_change_status(
        policy=desk.policy, to_status="lapsed", changed_on=dt.date(2026, 5, 1), by=None
    )
    finish(desk, apply(desk, "reinstatement"), amount=Decimal("3100.00"))
    desk.policy.refresh_from_db()
    assert desk.policy.status == PolicyStatus.REINSTATED


def test_a_policy_loan_is_recorded_on_the_policy_history(desk: Desk) -> None:
    item = finish(desk, apply(desk, "policy-loan", details={"amount": "20000.00"}))
    endorsement = PolicyEndorsement.objects.get(item=item)
    assert endorsement.after["loan"] == "20000.00"
    assert endorsement.after["account_last4"] == "5678"


def test_a_survival_benefit_is_paid_by_bank_transfer(desk: Desk) -> None:
    policy_services.disbursement_record(
        policy=desk.policy,
        kind="survival_benefit",
        due_date=dt.date(2026, 8, 20),
        amount=Decimal("1000.00"),
        method="cash",
        status="scheduled",
        by=None,
    )
    finish(desk, apply(desk, "survival-benefit"))
    benefit = Disbursement.objects.get(policy=desk.policy, kind="survival_benefit")
    assert (benefit.status, benefit.method) == ("paid", "bank_transfer")


def test_a_survival_benefit_not_yet_due_is_refused(desk: Desk) -> None:
    _refused(desk, "survival-benefit", "has_disbursement_due")


def test_a_maturity_claim_needs_the_end_of_term(desk: Desk) -> None:
    _refused(desk, "maturity", "term_ended", applicant_role="insured")


def test_an_applicant_the_catalogue_does_not_allow_is_refused(desk: Desk) -> None:
    _refused(
        desk,
        "surrender",
        "applicant_role",
        applicant_role="beneficiary",
        details={"reason": "need_cash"},
    )


def test_a_proxy_must_also_bring_the_power_of_attorney(desk: Desk) -> None:
    item = apply(
        desk,
        "contact-change",
        applicant_role="proxy",
        details={"kind": "email", "value": "proxy@example.cn"},
    )
    assert item.case.state.code == "received-incomplete"
    assert [d["code"] for d in services.missing_documents(item)] == ["power-of-attorney"]


def test_a_second_open_item_of_the_same_kind_is_refused(desk: Desk) -> None:
    apply(desk, "contact-change", details={"kind": "email", "value": "a@example.cn"})
    with pytest.raises(DomainError) as refused:
        apply(desk, "contact-change", details={"kind": "email", "value": "b@example.cn"})
    assert refused.value.code == "servicing_item_open"
    assert ServicingItem.objects.count() == 1


def test_a_done_item_is_not_undone_but_reversed_by_a_new_item(desk: Desk) -> None:
    first = finish(
        desk,
        apply(
            desk,
            "bank-account-change",
            details={"bank_name": "New Bank", "account_number": "6222020000009999"},
        ),
    )
    with pytest.raises(DomainError) as refused:
        services.servicing_item_cancel(item=first, reason="changed mind", by=desk.teller)
    assert refused.value.code == "servicing_item_final"
    second = apply(
        desk,
        "bank-account-change",
        when=at(10),
        details={"bank_name": "County Rural Bank", "account_number": "6228480012345678"},
        reverses=first,
    )
    assert second.reverses_id == first.pk
    assert PolicyEndorsement.objects.filter(item=first).exists()


def test_a_teller_cannot_approve(desk: Desk) -> None:
    item = apply(desk, "contact-change", details={"kind": "email", "value": "lin@example.cn"})
    item = services.servicing_item_accept(item=item, by=desk.teller, at=at(1))
    with pytest.raises(PermissionRefused):
        services.servicing_item_approve(item=item, by=desk.teller, at=at(2))
    item.refresh_from_db()
    assert item.approved_at is None
