"""The three regulatory clocks of new business (DOMAIN.md §2), in working days of the
mainland calendar (make-up working days count, holidays do not)."""

from __future__ import annotations

import datetime as dt

import pytest

from policydesk.core.errors import ConflictError
from policydesk.newbusiness import services
from policydesk.newbusiness.models import Defect, DefectNotice

from .conftest import (
    SHANGHAI,
    Desk,
    at_day,
    clock,
    local_due_day,
    register,
    to_premium_received,
    to_review,
    to_underwriting,
)


def test_the_defect_notice_is_due_by_the_end_of_the_fifth_working_day(desk: Desk) -> None:
    application = register(desk)  # Tuesday 1 September
    defect_clock = clock(application, "defect-notice")
    assert defect_clock.is_regulatory
    assert local_due_day(defect_clock) == dt.date(2026, 9, 8)  # Wed Thu Fri, Mon Tue


def test_a_notice_sent_within_five_working_days_meets_the_clock(desk: Desk) -> None:
    application = to_review(desk, register(desk), at_day(1))
    application = services.application_review(
        application=application,
        defects=[
            ("bank-account-missing", "transfer chosen, no account"),
            ("signature-missing", ""),
        ],
        by=desk.world.teller_a,
        at=at_day(2),
    )
    assert application.stage == "correction"
    defect_clock = clock(application, "defect-notice")
    assert defect_clock.met is True and not defect_clock.is_running
    notice = DefectNotice.objects.get(application=application)
    assert [d.code for d in notice.defects.all()] == ["bank-account-missing", "signature-missing"]
    assert "only notice" in notice.text and "transfer chosen" in notice.text
    application.case.refresh_from_db()
    assert application.case.first_response_at == at_day(2)  # the notice reached the customer


def test_a_notice_sent_after_the_fifth_working_day_misses_the_clock(desk: Desk) -> None:
    application = to_review(desk, register(desk), at_day(1))
    services.application_review(
        application=application,
        defects=[("address-nonstandard", "")],
        by=desk.world.teller_a,
        at=at_day(8),  # Wednesday 9 September
    )
    assert clock(application, "defect-notice").met is False


def test_a_clean_review_stops_the_defect_clock_and_goes_to_scan_qc(desk: Desk) -> None:
    application = to_review(desk, register(desk), at_day(1))
    application = services.application_review(
        application=application, defects=[], by=desk.world.teller_a, at=at_day(1)
    )
    assert application.stage == "scan-qc"
    assert clock(application, "defect-notice").met is True
    assert not DefectNotice.objects.exists()


def test_a_second_one_time_notice_is_refused_and_nothing_is_written(desk: Desk) -> None:
    application = to_review(desk, register(desk), at_day(1))
    application = services.application_review(
        application=application,
        defects=[("altered-sum-assured", "")],
        by=desk.world.teller_a,
        at=at_day(1),
    )
    application = services.application_corrected(
        application=application, by=desk.world.teller_a, at=at_day(3)
    )
    with pytest.raises(ConflictError) as refused:
        services.application_review(
            application=application,
            defects=[("signature-missing", "")],
            by=desk.world.teller_a,
            at=at_day(3, hour=11),
        )
    assert refused.value.code == "defect_notice_already_sent"
    assert "2026-09-02" in refused.value.message
    assert DefectNotice.objects.count() == 1
    assert list(Defect.objects.values_list("code", flat=True)) == ["altered-sum-assured"]
    application.refresh_from_db()
    assert application.stage == "initial-review"


def test_without_an_exam_the_policy_is_due_within_fifteen_working_days(desk: Desk) -> None:
    application = register(desk)
    issue_clock = clock(application, "issue-no-exam")
    # 15 working days after Tuesday 1 September, Sunday 20 September being a make-up day.
    assert local_due_day(issue_clock) == dt.date(2026, 9, 21)
    application = to_premium_received(desk, application, at_day(2))
    application = services.application_issue(
        application=application, policy_number="P-2026-0001", by=desk.underwriter, at=at_day(6)
    )
    issue_clock.refresh_from_db()
    assert issue_clock.met is True and not issue_clock.is_running
    assert application.policy is not None and application.policy.status == "issued"


def test_the_issue_clock_pauses_while_the_customer_corrects_defects(desk: Desk) -> None:
    application = to_review(desk, register(desk), at_day(0))
    application = services.application_review(
        application=application,
        defects=[("minor-without-guardian", "insured born 2015")],
        by=desk.world.teller_a,
        at=at_day(1),  # Wednesday
    )
    services.application_corrected(
        application=application,
        by=desk.world.teller_a,
        at=at_day(6),  # next Monday
    )
    # Paused from Wednesday to Monday: the ends of Wednesday, Thursday and Friday passed
    # while paused, so the deadline moves three working days past 21 September.
    assert local_due_day(clock(application, "issue-no-exam")) == dt.date(2026, 9, 24)


def test_an_ordered_exam_stops_the_no_exam_clock_and_the_report_starts_the_decision_clock(
    desk: Desk,
) -> None:
    application = to_underwriting(desk, register(desk), at_day(1))
    application = services.application_order_exam(
        application=application,
        appointment_at=dt.datetime(2026, 9, 8, 9, 0, tzinfo=SHANGHAI),
        place="County hospital, exam centre",
        by=desk.underwriter,
        at=at_day(2),
    )
    assert application.stage == "medical-exam" and application.exam_required
    assert not clock(application, "issue-no-exam").is_running
    assert not application.case.clocks.filter(code="exam-decision").exists()
    application = services.application_exam_report(
        application=application,
        by=desk.underwriter,
        at=at_day(14),  # Tuesday 15 September
    )
    decision = clock(application, "exam-decision")
    # 15 working days after 15 September, over the make-up Sunday and the National Day week.
    assert local_due_day(decision) == dt.date(2026, 10, 12)
    services.application_accept(application=application, by=desk.underwriter, at=at_day(20))
    decision.refresh_from_db()
    assert decision.met is True and not decision.is_running
