"""Escalations to the regulator, the HK Insurance Complaints Bureau and SG FIDReC: recorded,
with warnings when a filing seems outside the body's limits or 6-month window."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from policydesk.cases.clocks import calendar_for
from policydesk.complaints import services
from policydesk.complaints.models import Complaint, ExternalEscalation
from policydesk.core.errors import ConflictError, DomainError
from policydesk.core.models import AuditEvent
from tests.complaints.conftest import Sale, cause, days_later, decide, investigate, log
from tests.conftest import World, signed_in

DECIDED_AT = days_later(8)  # 2026-09-09


def decided(world: World, sale: Sale, root_cause: str = "mis-selling") -> Complaint:
    complaint = log(world, sale)
    services.complaint_set_root_cause(
        complaint=complaint, root_cause=cause(root_cause), by=world.manager_a, at=days_later(1)
    )
    complaint = investigate(Complaint.objects.get(pk=complaint.pk), world.manager_a, days_later(1))
    return decide(complaint, world.manager_a, DECIDED_AT)


def record(world: World, complaint: Complaint, **extra: object) -> ExternalEscalation:
    fields: dict[str, object] = {
        "complaint": complaint,
        "by": world.manager_a,
        "at": days_later(60),
    }
    fields.update(extra)
    return services.escalation_record(**fields)  # type: ignore[arg-type]


def test_a_complaint_to_the_regulator_is_recorded_without_warnings(
    world: World, sale: Sale
) -> None:
    escalation = record(
        world,
        decided(world, sale),
        body="cn_regulator",
        office="莆田监管分局",
        reference="PT-2026-77",
        filed_on=dt.date(2026, 10, 1),
    )
    assert escalation.warnings == []
    assert escalation.outcome == "pending"
    assert escalation.complaint.case.events.filter(parameters__external_body="cn_regulator")


def test_an_icb_claim_within_hk_1_2m_and_6_months_has_no_warning(world: World, sale: Sale) -> None:
    escalation = record(
        world,
        decided(world, sale, root_cause="claims-dispute"),
        body="hk_icb",
        filed_on=dt.date(2026, 10, 20),
        amount_claimed=Decimal("1200000"),
        currency="HKD",
    )
    assert escalation.warnings == []


def test_an_icb_claim_over_hk_1_2m_is_recorded_with_a_warning(world: World, sale: Sale) -> None:
    escalation = record(
        world,
        decided(world, sale, root_cause="claims-dispute"),
        body="hk_icb",
        filed_on=dt.date(2026, 10, 20),
        amount_claimed=Decimal("1200000.01"),
    )
    assert escalation.currency == "HKD"
    assert [w["code"] for w in escalation.warnings] == ["over_limit"]


def test_a_fidrec_claim_over_s_150k_is_recorded_with_a_warning(world: World, sale: Sale) -> None:
    escalation = record(
        world,
        decided(world, sale),
        body="sg_fidrec",
        filed_on=dt.date(2026, 10, 20),
        amount_claimed=Decimal("150001"),
        currency="SGD",
    )
    assert [w["code"] for w in escalation.warnings] == ["over_limit"]


def test_a_filing_more_than_6_months_after_the_final_decision_is_warned(
    world: World, sale: Sale
) -> None:
    complaint = decided(world, sale)
    later = dt.datetime(2027, 3, 20, 10, 0, tzinfo=dt.UTC)  # recorded when the filing is known
    on_the_last_day = record(
        world, complaint, body="sg_fidrec", reference="F-1", filed_on=dt.date(2027, 3, 9), at=later
    )
    assert on_the_last_day.warnings == []
    late = record(
        world, complaint, body="sg_fidrec", reference="F-2", filed_on=dt.date(2027, 3, 10), at=later
    )
    assert [w["code"] for w in late.warnings] == ["filed_late"]


def test_an_icb_filing_before_a_final_decision_is_warned(world: World, sale: Sale) -> None:
    escalation = record(
        world, log(world, sale), body="hk_icb", filed_on=dt.date(2026, 9, 5), at=days_later(5)
    )
    assert [w["code"] for w in escalation.warnings] == ["not_claims_dispute", "no_final_decision"]


def test_a_filing_dated_in_the_future_is_refused(world: World, sale: Sale) -> None:
    complaint = decided(world, sale)
    with pytest.raises(DomainError) as refused:
        record(world, complaint, body="hk_icb", filed_on=dt.date(2026, 11, 1), at=days_later(30))
    assert refused.value.field == "filed_on"
    assert not ExternalEscalation.objects.exists()


def test_the_same_reference_is_not_recorded_twice(world: World, sale: Sale) -> None:
    complaint = decided(world, sale)
    record(world, complaint, body="cn_regulator", reference="R-1", filed_on=dt.date(2026, 10, 1))
    with pytest.raises(ConflictError):
        record(
            world, complaint, body="cn_regulator", reference="R-1", filed_on=dt.date(2026, 10, 1)
        )
    assert ExternalEscalation.objects.count() == 1


def test_an_icb_filing_of_a_complaint_that_is_not_a_claims_dispute_is_warned(
    world: World, sale: Sale
) -> None:
    escalation = record(world, decided(world, sale), body="hk_icb", filed_on=dt.date(2026, 10, 20))
    assert [w["code"] for w in escalation.warnings] == ["not_claims_dispute"]
    assert "销售误导" in escalation.warnings[0]["message"]  # the cause as the regulator names it


def test_the_bodys_decision_is_recorded_later_on_the_timeline_and_in_the_audit(
    world: World, sale: Sale
) -> None:
    escalation = record(
        world, decided(world, sale), body="cn_regulator", filed_on=dt.date(2026, 10, 1)
    )

    services.escalation_outcome_record(
        escalation=escalation,
        outcome="not_upheld",
        outcome_on=dt.date(2026, 10, 25),
        note="监管认定处理得当",
        by=world.manager_a,
        at=days_later(60),
    )

    escalation.refresh_from_db()
    assert (escalation.outcome, escalation.outcome_on) == ("not_upheld", dt.date(2026, 10, 25))
    case = escalation.complaint.case
    assert case.events.filter(parameters__outcome="not_upheld", body="监管认定处理得当").exists()
    audit = AuditEvent.objects.get(action="complaints.escalation.outcome")
    assert (audit.before or {}).get("outcome") == "pending"
    assert (audit.after or {}).get("outcome") == "not_upheld"


def test_an_outcome_outside_filing_to_today_or_left_pending_is_refused(
    world: World, sale: Sale
) -> None:
    escalation = record(
        world, decided(world, sale), body="cn_regulator", filed_on=dt.date(2026, 10, 1)
    )
    for outcome, day, field in (
        ("upheld", dt.date(2026, 9, 30), "outcome_on"),
        ("upheld", dt.date(2026, 11, 30), "outcome_on"),
        ("pending", dt.date(2026, 10, 20), "outcome"),
    ):
        with pytest.raises(DomainError) as refused:
            services.escalation_outcome_record(
                escalation=escalation,
                outcome=outcome,
                outcome_on=day,
                by=world.manager_a,
                at=days_later(60),
            )
        assert refused.value.field == field
    escalation.refresh_from_db()
    assert escalation.outcome == "pending"
    assert not AuditEvent.objects.filter(action="complaints.escalation.outcome").exists()


def test_the_detail_page_records_the_bodys_decision(world: World, sale: Sale) -> None:
    complaint = decided(world, sale)
    # The branch's own date (Asia/Shanghai), not the server's: from 16:00 UTC they differ.
    today = calendar_for(complaint.case.branch).local_date(timezone.now())
    escalation = services.escalation_record(
        complaint=complaint, body="cn_regulator", filed_on=today, by=world.manager_a
    )
    client = signed_in(world.manager_a)
    page = client.get(reverse("complaints:detail", args=[complaint.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Record what an external body decided" in page.content.decode()

    response = client.post(
        reverse("complaints:act", args=[complaint.pk]),
        {
            "action": "escalation_outcome",
            "escalation": escalation.pk,
            "outcome": "upheld",
            "outcome_on": today.isoformat(),
        },
    )

    assert response.status_code == 302
    escalation.refresh_from_db()
    assert escalation.outcome == "upheld"
