"""The callback pages: queue, task (repair and call), KPI page, worklist and settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from policydesk.callbacks import services
from policydesk.callbacks.models import CallbackAttempt, RetryPolicy
from policydesk.customers.models import ContactPoint
from tests.conftest import signed_in

from .conftest import ALL_YES, SIGNED, Desk, local

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_the_queue_lists_the_agents_tasks(desk: Desk, django_assert_max_num_queries: Any) -> None:
    tasks = [desk.task_for(desk.sale(phone=f"1381234567{i}")) for i in range(4)]
    mine = [t for t in tasks if t.assignee_id == desk.agent.pk]
    client = signed_in(desk.agent)
    with django_assert_max_num_queries(14):
        page = client.get("/callbacks/", **EN)
    assert page.status_code == 200
    for task in mine:
        assert task.policy.number in page.content.decode()


def test_the_task_page_shows_the_defect_and_the_repair_then_the_call_succeeds(
    desk: Desk, monkeypatch: Any
) -> None:
    task = desk.task_for(desk.sale(phone="059413812345678", phone_type="fixed_line"))
    client = signed_in(desk.agent)
    page = client.get(f"/callbacks/tasks/{task.pk}/", **EN).content.decode()
    assert "Mobile number with an area code prepended" in page
    assert 'value="13812345678"' in page
    contact = ContactPoint.objects.get(customer=task.customer)
    client.post(
        f"/callbacks/tasks/{task.pk}/repair/", {"contact": contact.pk, "new_number": "13812345678"}
    )
    contact.refresh_from_db()
    assert contact.e164 == "+8613812345678"
    answers = {f"answer-{code}": value for code, value in ALL_YES.items()}
    # The page records the call "now": make now a Thursday morning in Xianyou.
    monkeypatch.setattr(services.timezone, "now", lambda: local(SIGNED + dt.timedelta(days=2), 10))
    client.post(
        f"/callbacks/tasks/{task.pk}/attempt/",
        {"number_dialled": "13812345678", "outcome": "success", **answers},
    )
    task.refresh_from_db()
    assert task.status == "succeeded"
    assert CallbackAttempt.objects.get(task=task).number_dialled == "13812345678"


def test_the_kpi_page_shows_what_each_defect_cost(
    desk: Desk, django_assert_max_num_queries: Any
) -> None:
    desk.task_for(desk.sale(phone="059413812345678", phone_type="fixed_line"))
    client = signed_in(desk.head)
    with django_assert_max_num_queries(12):
        page = client.get(f"/callbacks/kpis/?since=2026-01-01&until={SIGNED:%Y}-12-31", **EN)
    text = page.content.decode()
    assert page.status_code == 200
    assert "Callback successes lost to each defect" in text
    assert 'data-code="area_code_prefixed_mobile"' in text


def test_the_worklist_groups_by_channel_and_intermediary(desk: Desk) -> None:
    task = desk.task_for(desk.sale(phone="", channel="bancassurance"))
    page = signed_in(desk.head).get("/callbacks/contact-worklist/", **EN).content.decode()
    assert "China Construction Bank" in page
    assert task.policy.number in page


def test_the_head_of_service_saves_a_retry_policy_on_the_settings_page(desk: Desk) -> None:
    policy = RetryPolicy.objects.get(code="standard")
    client = signed_in(desk.head)
    assert client.get("/callbacks/settings/", **EN).status_code == 200
    client.post(
        f"/callbacks/settings/retry-policies/{policy.pk}/",
        {
            "max_attempts": "5",
            "fallback": "visit",
            "quiet_start": "21:00",
            "quiet_end": "09:00",
            "hours-no_answer": "2",
        },
    )
    policy.refresh_from_db()
    assert (policy.max_attempts, policy.fallback, policy.retry_after_hours) == (
        5,
        "visit",
        {"no_answer": 2},
    )


def test_an_agent_cannot_save_a_retry_policy(desk: Desk) -> None:
    policy = RetryPolicy.objects.get(code="standard")
    answer = signed_in(desk.agent).post(
        f"/callbacks/settings/retry-policies/{policy.pk}/",
        {"max_attempts": "9", "fallback": "visit", "quiet_start": "21:00", "quiet_end": "09:00"},
    )
    assert answer.status_code == 403
    policy.refresh_from_db()
    assert policy.max_attempts == 3
