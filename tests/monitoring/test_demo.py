"""The monitoring demo on a small demo population: every rule's data, a run, a model,
contacts, closed items and reviews; a second call creates nothing."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from policydesk.demo.load_population import load_population
from policydesk.demo.organisation import load_organisation
from policydesk.monitoring.demo import monitoring_demo
from policydesk.monitoring.models import AccountReview, Communication, LapseModel, WorkItem
from policydesk.org.models import Branch
from policydesk.org.services import permissions_sync

AS_OF = dt.date(2026, 11, 20)


def test_the_demo_fills_the_worklist_and_a_second_call_adds_nothing(db: Any) -> None:
    load_organisation()
    load_population(seed=11, customers=300, as_of=AS_OF)
    permissions_sync(by=None)
    branch = Branch.objects.get(code="xy")
    started = time.perf_counter()
    counts = monitoring_demo(branch=branch, seed=11, as_of=AS_OF)
    elapsed = time.perf_counter() - started
    # The run's items, and the account reviews the reported life events asked for.
    life_event_items = WorkItem.objects.filter(reason__startswith="life_event:").count()
    assert counts["life_events"] == life_event_items
    assert counts["work_items"] + life_event_items == WorkItem.objects.count() > 0
    rules = set(WorkItem.objects.values_list("rule", flat=True))
    assert {"debit_retry", "bank_account_change", "grace", "survival_benefit"} <= rules
    assert LapseModel.objects.filter(is_current=True).exists()
    assert counts["communications"] == Communication.objects.count() > 0
    assert counts["reviews"] == AccountReview.objects.count() > 0
    assert counts["closed_items"] > 0
    assert elapsed < 30
    again = monitoring_demo(branch=branch, seed=11, as_of=AS_OF)
    assert set(again.values()) == {0}
    assert WorkItem.objects.count() == counts["work_items"] + life_event_items
