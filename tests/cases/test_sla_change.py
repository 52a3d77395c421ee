"""A person puts a case on another SLA policy (cases.sla.extend, with a reason), on the case
page or by the API; the clocks keep what they counted (clocks.case_change_sla)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.urls import reverse

from policydesk.cases import services
from policydesk.cases.models import Case, EventType, Process, SlaPolicy
from policydesk.core.models import AuditEvent
from tests.conftest import World, signed_in

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
MONDAY_10 = dt.datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)


def _case(world: World, complaint: Process) -> Case:
    return services.case_open(
        process=complaint,
        channel="phone",
        branch=world.branch_a,
        subject="Delay in the payout",
        by=world.teller_a,
        at=MONDAY_10,
    )


def _post(client: Any, path: str, body: dict[str, str]) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_the_api_changes_the_sla_policy_with_a_reason(world: World, complaint: Process) -> None:
    case = _case(world, complaint)
    path = f"/api/v1/cases/{case.pk}/sla"
    body = {"policy": "callback-problem", "reason": "the callback found a problem"}
    assert _post(signed_in(world.teller_a), path, body).status_code == 403
    answer = _post(signed_in(world.manager_a), path, body)
    assert answer.status_code == 200, answer.content
    case.refresh_from_db()
    assert case.sla_policy == SlaPolicy.objects.get(code="callback-problem")
    codes = {clock["code"] for clock in answer.json()["clocks"]}
    assert "callback-problem-resolution" in codes
    event = AuditEvent.objects.get(action="cases.sla.change")
    assert event.after["reason"] == "the callback found a problem"
    assert case.events.filter(type=EventType.CLOCK_STARTED).exists()
    again = _post(signed_in(world.manager_a), path, body)  # the same policy again
    assert again.status_code == 400 and again.json()["error"]["field"] == "policy"
    unknown = _post(signed_in(world.manager_a), path, {"policy": "nope", "reason": "x"})
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "policy"
    other = _post(signed_in(world.manager_b), path, body)
    assert other.status_code == 404  # another branch's case


def test_the_case_page_changes_the_sla_policy(world: World, complaint: Process) -> None:
    case = _case(world, complaint)
    client = signed_in(world.manager_a)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="s-policy"' in page
    answer = client.post(
        reverse("cases:change_sla", args=[case.pk]),
        {"policy": "callback-problem", "reason": "review found a problem"},
    )
    assert answer.status_code == 302
    case.refresh_from_db()
    assert case.sla_policy is not None and case.sla_policy.code == "callback-problem"
    refused = client.post(reverse("cases:change_sla", args=[case.pk]), {"policy": "complaint"})
    assert refused.status_code == 302  # back with the error: no reason given
    case.refresh_from_db()
    assert case.sla_policy.code == "callback-problem"
