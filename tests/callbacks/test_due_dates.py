"""Tasks are created for new long-term policies, due on the last day of cooling-off per
jurisdiction and product, for grace periods, and never twice."""

from __future__ import annotations

import datetime as dt

import pytest

from policydesk.callbacks import services
from policydesk.callbacks.models import CallbackTask, CallbackTrigger
from policydesk.policies import services as policy_services
from tests import factories

from .conftest import SIGNED, Desk, local


@pytest.mark.parametrize(
    ("jurisdiction", "channel", "days"),
    [("CN", "agency", 15), ("HK", "agency", 21), ("SG", "agency", 14), ("SG", "direct", 21)],
)
def test_a_new_policy_is_due_on_the_last_day_of_its_cooling_off(
    desk: Desk, jurisdiction: str, channel: str, days: int
) -> None:
    policy = desk.sale(jurisdiction=jurisdiction, channel=channel, agent=None)
    task = desk.task_for(policy)
    # Counted from the day after the receipt is signed: signed 1 September, 15 days → 16th.
    assert task.due_on == SIGNED + dt.timedelta(days=days)
    assert task.occasion_on == SIGNED
    assert task.script.code == "default"


def test_the_chinese_rule_counts_fifteen_days_from_the_day_after_the_receipt(desk: Desk) -> None:
    task = desk.task_for(desk.sale(signed=dt.date(2026, 3, 1)))
    assert task.due_on == dt.date(2026, 3, 16)


def test_a_product_with_its_own_cooling_off_sets_the_due_day(desk: Desk) -> None:
    product = factories.product("HEALTH20", cooling_off_days={"CN": 20})
    task = desk.task_for(desk.sale(product_=product))
    assert task.due_on == SIGNED + dt.timedelta(days=20)


def test_one_year_policies_and_products_without_callbacks_get_no_task(desk: Desk) -> None:
    short = desk.sale(term_years=1)
    exempt = desk.sale(product_=factories.product("NOCB", callback_required=False))
    services.callback_sync(now=local(SIGNED, 10))
    assert not CallbackTask.objects.filter(policy__in=[short, exempt]).exists()


def test_running_the_sync_twice_creates_nothing_the_second_time(desk: Desk) -> None:
    desk.sale()
    first = services.callback_sync(now=local(SIGNED, 10))
    second = services.callback_sync(now=local(SIGNED, 11))
    assert first["created"] == 1
    assert second["created"] == 0
    assert CallbackTask.objects.count() == 1


def test_a_policy_entering_its_grace_period_gets_a_reminder_due_thirty_days_later(
    desk: Desk,
) -> None:
    policy = desk.sale()
    policy_services.policy_change_status(
        policy=policy, to_status="in_force", changed_on=SIGNED + dt.timedelta(days=20), by=None
    )
    grace_day = SIGNED + dt.timedelta(days=40)
    policy_services.policy_change_status(
        policy=policy, to_status="in_grace", changed_on=grace_day, by=None
    )
    services.callback_sync(now=local(grace_day, 10))
    task = CallbackTask.objects.get(policy=policy, trigger__code="grace-period")
    assert task.due_on == grace_day + dt.timedelta(days=30)
    assert task.script.code == "grace"
    assert task.trigger.retry_policy.code == "grace"


def test_a_switched_off_trigger_creates_no_task(desk: Desk) -> None:
    trigger = CallbackTrigger.objects.get(code="new-policy")
    services.trigger_update(
        trigger=trigger,
        is_active=False,
        due_days=trigger.due_days,
        retry_policy=trigger.retry_policy,
        by=desk.head,
    )
    desk.sale()
    assert services.callback_sync(now=local(SIGNED, 10))["created"] == 0
    assert not CallbackTask.objects.exists()


def test_an_open_task_is_cancelled_when_the_policy_is_cancelled_in_cooling_off(
    desk: Desk,
) -> None:
    policy = desk.sale()
    task = desk.task_for(policy)
    policy_services.policy_change_status(
        policy=policy,
        to_status="cancelled_cooling_off",
        changed_on=SIGNED + dt.timedelta(days=3),
        by=None,
    )
    services.callback_sync(now=local(SIGNED + dt.timedelta(days=3), 10))
    task.refresh_from_db()
    assert task.status == "cancelled"
