"""The new-business pages: register with filters and keyset pages, the register form, the
detail with its pipeline and forms, the radar with its one-click reminder, the withdrawal
list with its one-click withdrawal, the KPI page with its charts."""

from __future__ import annotations

from typing import Any

from policydesk.newbusiness import services
from policydesk.newbusiness.models import Application, Reminder
from tests.conftest import signed_in

from .conftest import Desk, at_day, register, to_review, to_underwriting


def client_for(user: Any) -> Any:
    client = signed_in(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_register_lists_with_a_bounded_number_of_queries(
    desk: Desk, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        register(desk)
    client = client_for(desk.world.teller_a)
    with django_assert_max_num_queries(20):
        response = client.get("/newbusiness/?source_system=long_term_core&open=1")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("/newbusiness/") >= 5 and "Chen Mei" in body
    assert "5 applications" in body


def test_the_register_form_registers_an_application(desk: Desk) -> None:
    client = client_for(desk.world.teller_a)
    response = client.post(
        "/newbusiness/new/",
        {
            "branch": desk.world.branch_a.pk,
            "source_system": "long_term_core",
            "channel": "agency",
            "received_channel": "counter",
            "product": desk.long_product.pk,
            "applicant_number": desk.applicant.number,
            "agent_code": "AG-101",
            "sum_assured": "100000.00",
            "premium": "4000.00",
            "term_years": "20",
            "payment_mode": "annual",
            "payment_method": "auto_debit",
        },
    )
    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/newbusiness/{application.pk}/"
    assert application.agent == desk.agent and application.received_by == desk.world.teller_a


def test_the_register_form_names_the_refused_field_and_writes_nothing(desk: Desk) -> None:
    client = client_for(desk.world.teller_a)
    response = client.post(
        "/newbusiness/new/",
        {
            "branch": desk.world.branch_a.pk,
            "source_system": "short_term_card",
            "channel": "agency",
            "received_channel": "counter",
            "product": desk.long_product.pk,
            "applicant_number": desk.applicant.number,
            "sum_assured": "100000.00",
            "premium": "4000.00",
            "term_years": "1",
            "payment_mode": "annual",
            "payment_method": "cash",
        },
    )
    assert response.status_code == 200
    assert "short-term products only" in response.content.decode()
    assert not Application.objects.exists()


def test_the_detail_draws_the_pipeline_and_sends_the_defect_notice(desk: Desk) -> None:
    application = to_review(desk, register(desk), at_day(0))
    client = client_for(desk.world.teller_a)
    page = client.get(f"/newbusiness/{application.pk}/").content.decode()
    assert 'aria-current="step"' in page and "Initial-review defect checklist" in page
    assert "One-time defect notice (5 working days)" in page
    response = client.post(
        f"/newbusiness/{application.pk}/act/",
        {"action": "review", "defect": ["bank-account-missing"], "note-bank-account-missing": "x"},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.stage == "correction"
    page = client.get(f"/newbusiness/{application.pk}/").content.decode()
    assert "Bank account missing for transfer payment" in page


def test_the_radar_page_reminds_with_one_click(desk: Desk) -> None:
    application = to_underwriting(desk, register(desk, at=at_day(0)), at_day(0))
    client = client_for(desk.world.teller_a)
    page = client.get("/newbusiness/radar/").content.decode()
    assert application.case.number in page and "Remind AG-101 Agent Lin" in page
    response = client.post(
        f"/newbusiness/{application.pk}/act/", {"action": "remind", "return": "radar"}
    )
    assert response.status_code == 302 and response["Location"] == "/newbusiness/radar/"
    assert Reminder.objects.get().agent == desk.agent


def test_the_withdrawal_list_withdraws_with_one_click(desk: Desk) -> None:
    application = to_underwriting(desk, register(desk, at=at_day(0)), at_day(0))
    application = services.application_accept(
        application=application, by=desk.underwriter, at=at_day(0)
    )
    services.application_premium_problem(
        application=application, refused=True, by=desk.world.teller_a, at=at_day(1)
    )
    client = client_for(desk.world.teller_a)
    page = client.get("/newbusiness/withdrawals/").content.decode()
    assert application.case.number in page and "Premium refused" in page
    client.post(
        f"/newbusiness/{application.pk}/act/",
        {
            "action": "exit",
            "kind": "withdrawn",
            "reason": "premium-refused",
            "return": "withdrawals",
        },
    )
    application.refresh_from_db()
    assert (application.exit_kind, application.exit_reason) == ("withdrawn", "premium-refused")


def test_the_kpi_page_shows_the_figures_and_their_charts(desk: Desk) -> None:
    to_underwriting(desk, register(desk, at=at_day(0)), at_day(0))
    services.application_exit(
        application=register(desk, at=at_day(1)),
        kind="withdrawn",
        reason="duplicate",
        by=desk.world.teller_a,
        at=at_day(1),
    )
    client = client_for(desk.world.teller_a)
    response = client.get("/newbusiness/kpis/?since=2026-09-01&until=2026-09-30")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Stalled rate" in body and "Issued on time" in body
    assert "Withdrawn · Duplicate application" in body
    assert "50.0 %" in body  # 1 withdrawn of 2 received


def test_staff_of_another_branch_get_404_on_the_detail(desk: Desk) -> None:
    application = register(desk)
    client = client_for(desk.world.manager_b)
    assert client.get(f"/newbusiness/{application.pk}/").status_code == 404
    client.post(
        f"/newbusiness/{application.pk}/act/",
        {"action": "exit", "kind": "withdrawn", "reason": "duplicate"},
    )
    assert Application.objects.get(pk=application.pk).exit_kind == ""


def test_the_radar_and_kpi_pages_read_a_bounded_number_of_queries(
    desk: Desk, django_assert_max_num_queries: Any
) -> None:
    for day in range(4):
        to_underwriting(desk, register(desk, at=at_day(day)), at_day(day))
    client = client_for(desk.world.teller_a)
    with django_assert_max_num_queries(20):
        radar = client.get("/newbusiness/radar/")
    with django_assert_max_num_queries(20):
        kpis = client.get("/newbusiness/kpis/")
    assert radar.status_code == 200 and kpis.status_code == 200
    assert radar.content.decode().count("Remind AG-101 Agent Lin") == 4


def test_an_exited_application_shows_the_steps_it_reached_and_its_reason(desk: Desk) -> None:
    application = to_underwriting(desk, register(desk, at=at_day(0)), at_day(0))
    services.application_exit(
        application=application,
        kind="declined",
        reason="health",
        by=desk.underwriter,
        at=at_day(2),
    )
    page = client_for(desk.world.teller_a).get(f"/newbusiness/{application.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    # Reached: received, data entry, initial review, scan QC and underwriting; not the rest.
    assert body.count("step-done") == 5 and body.count("step-skipped") == 6
    assert "Declined — health" in body and "What to do" not in body
