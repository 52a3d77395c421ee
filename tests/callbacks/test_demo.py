"""The demo year of callbacks: built from the population's real contact defects and
dialects, set-based, and a second call creates nothing."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from policydesk.callbacks.demo import callbacks_demo
from policydesk.callbacks.models import CallbackAttempt, CallbackTask
from policydesk.callbacks.selectors import callback_kpis
from policydesk.cases.process_services import processes_sync
from policydesk.complaints.services import root_causes_sync
from policydesk.demo.load_population import load_population
from policydesk.demo.organisation import load_organisation
from policydesk.org.models import Branch, Staff

AS_OF = dt.date(2026, 12, 1)


def test_the_demo_year_shows_what_each_defect_cost(db: Any) -> None:
    load_organisation()
    load_population(seed=4, customers=1500, as_of=AS_OF)
    processes_sync()
    root_causes_sync()
    xy = Branch.objects.get(code="xy")
    started = time.monotonic()
    counts = callbacks_demo(branch=xy, seed=7, as_of=AS_OF)
    elapsed = time.monotonic() - started
    assert counts["tasks"] == CallbackTask.objects.filter(branch=xy).count() > 20
    assert counts["attempts"] == CallbackAttempt.objects.count()
    assert elapsed < 30
    outcomes = set(CallbackAttempt.objects.values_list("outcome", flat=True))
    assert {"success", "invalid_number", "dialect_barrier", "no_answer"} <= outcomes
    # Tasks dialled in the quiet hours: none.
    for moment in CallbackAttempt.objects.values_list("at", flat=True)[:500]:
        local = moment.astimezone(dt.timezone(dt.timedelta(hours=8))).time()
        assert dt.time(9) <= local < dt.time(21)
    head = Staff.objects.get(username="head")
    kpis = callback_kpis(head, since=dt.date(2026, 1, 1), until=AS_OF)
    losses = {loss.code: loss for loss in kpis.losses}
    assert losses["area_code_prefixed_mobile"].affected > 0
    assert losses["area_code_prefixed_mobile"].lost > 0
    assert losses["dialect_barrier"].affected > 0
    assert kpis.success_in_cooling_off is not None
    assert kpis.success_in_cooling_off < 95  # below the regulator's target, as in the report
    again = callbacks_demo(branch=xy, seed=7, as_of=AS_OF)
    assert again == {"tasks": 0, "attempts": 0, "complaints": 0}
