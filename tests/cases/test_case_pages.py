"""The case pages and API as a processor uses them."""

from __future__ import annotations

from policydesk.cases import services
from policydesk.cases.models import Case, EventType, Process
from policydesk.core.api_json import CONTENT_TYPE
from tests.conftest import World, signed_in


def test_a_teller_opens_a_complaint_from_the_page_and_lands_on_it(
    world: World, complaint: Process
) -> None:
    client = signed_in(world.teller_a)
    response = client.post(
        "/cases/new/",
        {
            "process": complaint.pk,
            "channel": "counter",
            "branch": world.branch_a.pk,
            "subject": "Surrender value lower than promised",
            "priority": 2,
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response.url == f"/cases/{case.pk}/"
    page = client.get(response.url).content.decode()
    assert case.number in page and "Surrender value lower than promised" in page


def test_a_refused_step_shows_every_missing_guard_and_moves_nothing(
    world: World, complaint: Process
) -> None:
    case = services.case_open(
        process=complaint, channel="counter", branch=world.branch_a, subject="s", by=None
    )
    client = signed_in(world.teller_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post(f"/cases/{case.pk}/transition/", {"transition": "accept"}, follow=True)
    assert "Checklist item not done" in response.content.decode()
    case.refresh_from_db()
    assert case.state.code == "logged"


def test_the_api_opens_a_case_once_per_idempotency_key(world: World, enquiry: Process) -> None:
    client = signed_in(world.teller_a)
    payload = {
        "process": "enquiry",
        "channel": "phone",
        "branch_id": world.branch_a.pk,
        "subject": "Premium due date",
    }
    first = client.post(
        "/api/v1/cases",
        payload,
        content_type="application/json",
        headers={"Idempotency-Key": "k-1"},
    )
    again = client.post(
        "/api/v1/cases",
        payload,
        content_type="application/json",
        headers={"Idempotency-Key": "k-1"},
    )
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    # The replay is the stored answer, written by the same JSON writer: the very same document
    # (times with their microseconds both times, tests/cases/test_api_json.py).
    assert first.json() == again.json()
    assert first["Content-Type"] == again["Content-Type"] == CONTENT_TYPE
    assert Case.objects.count() == 1
    assert {clock["code"] for clock in first.json()["clocks"]} == {"first-response", "resolution"}


def test_the_api_takes_a_step_and_the_timeline_records_it(world: World, enquiry: Process) -> None:
    client = signed_in(world.teller_a)
    case = services.case_open(
        process=enquiry, channel="phone", branch=world.branch_a, subject="s", by=world.teller_a
    )
    refused = client.post(
        f"/api/v1/cases/{case.pk}/transitions",
        {"transition": "escalate"},
        content_type="application/json",
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "transition_refused"
    moved = client.post(
        f"/api/v1/cases/{case.pk}/transitions",
        {"transition": "escalate", "comment": "needs records"},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["state"] == "escalated"
    events = client.get(f"/api/v1/cases/{case.pk}/events").json()
    assert [e["type"] for e in events].count(EventType.TRANSITIONED) == 1


def test_a_teller_of_another_branch_gets_not_found(world: World, enquiry: Process) -> None:
    case = services.case_open(
        process=enquiry, channel="phone", branch=world.branch_a, subject="s", by=None
    )
    client = signed_in(world.teller_b)
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert client.get(f"/api/v1/cases/{case.pk}").status_code == 404
