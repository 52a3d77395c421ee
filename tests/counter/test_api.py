"""The counter API: issuing with an Idempotency-Key, the teller's steps, the rating step's
error code, visits of a customer, the board without personal data, KPIs and productivity
with their divisors, and pinned query counts on the lists."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from policydesk.counter import services
from policydesk.counter.models import Ticket, Visit
from tests import factories
from tests.conftest import signed_in
from tests.counter.conftest import MORNING, Hall, ensure_process, issue, minutes, serve_through


def _post(client: Any, path: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
    return client.post(
        f"/api/v1/counter/{path}", body or {}, content_type="application/json", **headers
    )


def test_a_retried_issue_with_the_same_key_gives_one_ticket(hall: Hall) -> None:
    client = signed_in(hall.world.teller_a)
    body = {"branch_id": hall.world.branch_a.pk, "service_type": "servicing"}
    first = _post(client, "tickets", body, HTTP_IDEMPOTENCY_KEY="k-1")
    again = _post(client, "tickets", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201 and again.status_code == 201
    assert first.json() == again.json()
    assert first.json()["number"] == "B001"
    assert Ticket.objects.count() == 1


def test_issuing_in_another_branch_answers_404_and_writes_nothing(hall: Hall) -> None:
    client = signed_in(hall.world.teller_b)
    body = {"branch_id": hall.world.branch_a.pk, "service_type": "servicing"}
    assert _post(client, "tickets", body).status_code == 404
    assert not Ticket.objects.exists()


def test_a_teller_opens_the_window_calls_serves_and_completes(hall: Hall) -> None:
    issue(hall, hall.servicing, MORNING)
    client = signed_in(hall.servicing_teller)
    opened = _post(client, "window", {"window_id": hall.window_1.pk})
    assert opened.status_code == 200, opened.content
    called = _post(client, "call-next")
    assert called.status_code == 200
    ticket = called.json()["ticket"]
    assert ticket["number"] == "B001" and ticket["status"] == "called"
    served = _post(client, f"tickets/{ticket['id']}/serve")
    assert served.json()["status"] == "serving" and served.json()["visit_id"]
    refused = _post(client, f"tickets/{ticket['id']}/complete", {})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "counter_rating_required"
    assert refused.json()["error"]["field"] == "rating"
    done = _post(client, f"tickets/{ticket['id']}/complete", {"rating_outcome": "declined"})
    assert done.status_code == 200
    assert done.json()["rating"] is None and done.json()["rating_outcome"] == "declined"
    assert _post(client, "call-next").json() == {"ticket": None}


def test_no_show_too_early_names_the_calls(hall: Hall) -> None:
    issue(hall, hall.servicing, MORNING)
    client = signed_in(hall.servicing_teller)
    _post(client, "window", {"window_id": hall.window_1.pk})
    ticket = _post(client, "call-next").json()["ticket"]
    early = _post(client, f"tickets/{ticket['id']}/no-show")
    assert early.status_code == 400 and early.json()["error"]["code"] == "counter_calls_missing"
    for _ in range(2):
        assert _post(client, f"tickets/{ticket['id']}/recall").status_code == 200
    gone = _post(client, f"tickets/{ticket['id']}/no-show")
    assert gone.json()["status"] == "no_show"


def test_completing_a_ticket_not_being_served_is_a_conflict(hall: Hall) -> None:
    ticket = issue(hall, hall.servicing, MORNING)
    client = signed_in(hall.servicing_teller)
    answer = _post(client, f"tickets/{ticket.pk}/complete", {"rating": 5})
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "counter_ticket_state"
    assert not Visit.objects.exists()


def test_the_ticket_list_is_bounded_in_queries(
    hall: Hall, django_assert_max_num_queries: Any
) -> None:
    for n in range(12):
        issue(hall, hall.servicing, MORNING + minutes(n))
    client = signed_in(hall.world.teller_a)
    with django_assert_max_num_queries(12):
        answer = client.get(
            "/api/v1/counter/tickets", {"branch_id": hall.world.branch_a.pk, "limit": 5}
        )
    assert answer.status_code == 200
    assert len(answer.json()["items"]) == 5 and answer.json()["next_cursor"]


def test_customer_visits_with_their_cases(hall: Hall, django_assert_max_num_queries: Any) -> None:
    from policydesk.cases import services as case_services

    customer = factories.customer(hall.world.branch_a)
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    for n in range(3):
        ticket = issue(hall, hall.servicing, MORNING + minutes(30 * n), customer=customer)
        visit = serve_through(
            ticket,
            hall.servicing_teller,
            called_at=MORNING + minutes(30 * n + 2),
            service_minutes=5,
            rating=5,
        )
        case = case_services.case_open(
            process=ensure_process("servicing"),
            channel="counter",
            branch=hall.world.branch_a,
            subject="Address change",
            customer=customer,
            by=None,
        )
        services.visit_case_link(visit=visit, case=case, by=hall.servicing_teller)
    client = signed_in(hall.world.teller_a)
    with django_assert_max_num_queries(14):
        answer = client.get(f"/api/v1/counter/customers/{customer.pk}/visits")
    items = answer.json()["items"]
    assert len(items) == 3 and all(len(item["cases"]) == 1 for item in items)
    assert items[0]["started_at"] > items[-1]["started_at"]
    other = signed_in(hall.world.teller_b)
    assert other.get(f"/api/v1/counter/customers/{customer.pk}/visits").status_code == 404


def test_the_board_shows_numbers_only(hall: Hall) -> None:
    customer = factories.customer(hall.world.branch_a, name="Zhang Secretname")
    issue(hall, hall.servicing, MORNING, customer=customer)
    issue(hall, hall.claims, MORNING)
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    services.ticket_call_next(by=hall.servicing_teller, at=MORNING + minutes(1))
    answer = signed_in(hall.world.teller_a).get(
        "/api/v1/counter/board", {"branch_id": hall.world.branch_a.pk}
    )
    assert answer.status_code == 200
    data = answer.json()
    assert "Secretname" not in answer.content.decode()
    serving = {w["code"]: w["number"] for w in data["windows"]}
    assert serving == {"window-1": "B001", "window-2": ""}
    waiting = {q["code"]: q["waiting"] for q in data["queues"]}
    assert waiting["claims"] == 1 and waiting["servicing"] == 0


def test_kpis_state_their_figures(hall: Hall) -> None:
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    ticket = issue(hall, hall.servicing, MORNING)
    serve_through(
        ticket, hall.servicing_teller, called_at=MORNING + minutes(12), service_minutes=6, rating=5
    )
    answer = signed_in(hall.world.manager_a).get(
        "/api/v1/counter/kpis", {"from_month": "2026-03", "to_month": "2026-03"}
    )
    assert answer.status_code == 200
    overall = answer.json()["overall"]
    assert overall["wait_mean_minutes"] == "12.0" and overall["service_mean_minutes"] == "6.0"
    assert overall["satisfaction_percent"] == "100.0"
    assert answer.json()["tellers"][0]["unrated_share_percent"] == "0.0"


def test_productivity_states_the_divisors(hall: Hall) -> None:
    for kind in ("newbusiness", "servicing", "claim"):
        ensure_process(kind)
    from policydesk.demo.historic_cases import HistoricCase, bulk_historic_cases

    bulk_historic_cases(
        process_code="servicing",
        items=[
            HistoricCase(
                branch=hall.world.branch_a,
                subject="x",
                opened_at=dt.datetime(2026, 2, 3, 10, tzinfo=dt.UTC),
                channel="counter",
                opened_by_id=hall.servicing_teller.pk,
            )
            for _ in range(9)
        ],
    )
    answer = signed_in(hall.world.manager_a).get(
        "/api/v1/counter/productivity", {"from_month": "2026-01", "to_month": "2026-10"}
    )
    assert answer.status_code == 200, answer.content
    data = answer.json()
    # Front tellers of branch A: teller_a and the two of the hall.
    assert data["divisors"] == {"front_tellers": 3, "months": 10}
    assert data["total"] == 9 and data["per_front_teller"] == "3.00"
    assert data["per_front_teller_per_month"] == "0.30"
    excluded = {row["post"] for row in data["excluded_posts"]}
    assert {"counter_manager", "back_office", "claims_investigator"} <= excluded


@pytest.mark.parametrize("path", ["productivity", "kpis"])
def test_a_reversed_period_is_refused(hall: Hall, path: str) -> None:
    answer = signed_in(hall.world.manager_a).get(
        f"/api/v1/counter/{path}", {"from_month": "2026-05", "to_month": "2026-02"}
    )
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "to_month"


def test_a_teller_may_not_read_productivity(hall: Hall) -> None:
    answer = signed_in(hall.world.teller_a).get("/api/v1/counter/productivity")
    assert answer.status_code == 403
