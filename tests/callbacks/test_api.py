"""The callbacks API: queues, one task, attempts (idempotent), repairs, fallbacks, KPIs, the
worklist and the configuration, with stable error codes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import Client

from policydesk.callbacks.models import CallbackAttempt, CallbackTask, RetryPolicy
from policydesk.customers.models import ContactPoint
from tests.conftest import signed_in

from .conftest import ALL_YES, Desk


def post(client: Client, url: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def test_an_agent_reads_their_queue_and_the_task_with_its_defects(
    desk: Desk, django_assert_max_num_queries: Any
) -> None:
    task = desk.task_for(desk.sale(phone="059413812345678", phone_type="fixed_line"))
    for _ in range(3):
        desk.task_for(desk.sale(phone="13812345670"))
    client = signed_in(desk.agent)
    with django_assert_max_num_queries(12):
        queue = client.get("/api/v1/callbacks/tasks?view=open")
    assert queue.status_code == 200
    assert queue.json()["count"] == 4
    detail = client.get(f"/api/v1/callbacks/tasks/{task.pk}").json()
    assert detail["phones"][0]["defects"][0]["code"] == "area_code_prefixed_mobile"
    assert detail["phones"][0]["suggested_repair"] == "13812345678"
    assert detail["questions"][0]["code"] == "identity"


def test_recording_a_call_twice_with_one_key_writes_it_once(desk: Desk) -> None:
    task = desk.task_for(desk.sale())
    assert task.assignee is not None
    client = signed_in(task.assignee)
    body = {
        "number_dialled": "13812345678",
        "outcome": "success",
        "answers": ALL_YES,
        "at": "2026-09-03T10:00:00+08:00",
    }
    url = f"/api/v1/callbacks/tasks/{task.pk}/attempts"
    first = post(client, url, body, HTTP_IDEMPOTENCY_KEY="k1")
    again = post(client, url, body, HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 201, first.content
    assert again.status_code == 201
    assert first.json()["status"] == "succeeded"
    assert CallbackAttempt.objects.filter(task=task).count() == 1


def test_a_call_in_the_quiet_hours_answers_its_code(desk: Desk) -> None:
    task = desk.task_for(desk.sale())
    client = signed_in(desk.agent)
    answer = post(
        client,
        f"/api/v1/callbacks/tasks/{task.pk}/attempts",
        {
            "number_dialled": "13812345678",
            "outcome": "no_answer",
            "at": "2026-09-03T22:00:00+08:00",
        },
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "quiet_hours"
    assert not CallbackAttempt.objects.exists()


def test_a_repair_through_the_api_fixes_the_number(desk: Desk) -> None:
    task = desk.task_for(desk.sale(phone="059413812345678", phone_type="fixed_line"))
    contact = ContactPoint.objects.get(customer=task.customer)
    answer = post(
        signed_in(desk.agent),
        f"/api/v1/callbacks/tasks/{task.pk}/contact-repairs",
        {"contact_id": contact.pk, "new_number": "13812345678"},
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["phones"][0]["defects"] == []
    contact.refresh_from_db()
    assert contact.e164 == "+8613812345678"


def test_a_viewer_without_work_rights_sees_masked_numbers_and_cannot_call(desk: Desk) -> None:
    task = desk.task_for(desk.sale())
    auditor = signed_in(desk.world.auditor)
    detail = auditor.get(f"/api/v1/callbacks/tasks/{task.pk}").json()
    assert detail["phones"][0]["number"] == "*******5678"
    refused = post(
        auditor,
        f"/api/v1/callbacks/tasks/{task.pk}/attempts",
        {"number_dialled": "13812345678", "outcome": "no_answer"},
    )
    assert refused.status_code == 403
    assert not CallbackAttempt.objects.exists()


def test_staff_of_another_branch_cannot_see_the_task(desk: Desk) -> None:
    task = desk.task_for(desk.sale())
    from policydesk.org.models import Role
    from tests import factories

    other = factories.staff(Role.CALLBACK_AGENT, desk.world.branch_b, username="cb-b")
    client = signed_in(other)
    assert client.get(f"/api/v1/callbacks/tasks/{task.pk}").status_code == 404
    assert client.get("/api/v1/callbacks/tasks?view=open").json()["count"] == 0


def test_the_head_of_service_edits_a_retry_policy_through_the_api(desk: Desk) -> None:
    policy = RetryPolicy.objects.get(code="standard")
    client = signed_in(desk.head)
    answer = client.put(
        f"/api/v1/callbacks/retry-policies/{policy.pk}",
        data=json.dumps(
            {
                "max_attempts": 4,
                "retry_after_hours": {"no_answer": 3},
                "fallback": "visit",
                "quiet_start": "21:00",
                "quiet_end": "09:00",
            }
        ),
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    policy.refresh_from_db()
    assert policy.max_attempts == 4
    refused = signed_in(desk.agent).put(
        f"/api/v1/callbacks/retry-policies/{policy.pk}",
        data=json.dumps(
            {
                "max_attempts": 9,
                "retry_after_hours": {},
                "fallback": "visit",
                "quiet_start": "21:00",
                "quiet_end": "09:00",
            }
        ),
        content_type="application/json",
    )
    assert refused.status_code == 403
    policy.refresh_from_db()
    assert policy.max_attempts == 4


def test_kpis_and_the_worklist_answer(desk: Desk, django_assert_max_num_queries: Any) -> None:
    desk.task_for(desk.sale(phone="", channel="bancassurance"))
    client = signed_in(desk.head)
    with django_assert_max_num_queries(12):
        kpis = client.get("/api/v1/callbacks/kpis?since=2026-01-01&until=2026-12-31")
    assert kpis.status_code == 200
    assert kpis.json()["due"] == 1
    with django_assert_max_num_queries(12):
        worklist = client.get("/api/v1/callbacks/contact-worklist")
    body = worklist.json()
    assert body["groups"] == [
        {"channel": "bancassurance", "intermediary": "China Construction Bank", "policies": 1}
    ]
    assert CallbackTask.objects.get().pk == body["items"][0]["task_id"]
    assert dt.date.fromisoformat(kpis.json()["since"]) == dt.date(2026, 1, 1)
