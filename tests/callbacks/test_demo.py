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
from policydesk.core.models import AuditEvent
from policydesk.customers.models import ContactDefect
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
    made = counts["tasks"] + counts["live_tasks"]
    assert made == CallbackTask.objects.filter(branch=xy).count() > 20
    assert counts["attempts"] + counts["live_attempts"] == CallbackAttempt.objects.count()
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
    # Repaired numbers: the 0594 stripped and filed as a mobile, the defect resolved at the
    # repair, the call after it dialling the repaired number.
    assert counts["repaired_contacts"] > 0
    fixed = ContactDefect.objects.filter(
        customer__branch=xy, code="area_code_prefixed_mobile", resolved_at__isnull=False
    ).select_related("customer")
    assert fixed.exists()
    for defect in fixed[:20]:
        # The prefixed number corrected, or dropped when the customer had it on file already.
        primary = defect.customer.contacts.get(kind="phone", is_primary=True)
        assert not primary.raw.startswith("0594") and primary.is_valid
        if defect.contact is not None:
            assert defect.contact == primary and primary.phone_type == "mobile"
        assert CallbackAttempt.objects.filter(
            task__customer_id=defect.customer_id, outcome="success", number_dialled=primary.raw
        ).exists()
    # Fallbacks: letters for new policies, some of them back with a signed receipt.
    letters = CallbackTask.objects.filter(branch=xy, fallback_kind="letter")
    assert letters.filter(fallback_returned_at__isnull=False, status="succeeded").exists()
    assert letters.filter(status="fallback_sent", fallback_returned_at__isnull=True).exists()
    # Today's queue, made by the sync and partly dialled through the services (audited).
    assert counts["live_tasks"] > 0
    live = CallbackTask.objects.filter(branch=xy, occasion_on__gt=AS_OF - dt.timedelta(days=14))
    assert live.count() == counts["live_tasks"]
    assert live.filter(status="open").exists()
    assert (
        AuditEvent.objects.filter(action="callbacks.attempt.record").count()
        == counts["live_attempts"]
    )
    # Nothing after the load's moment (the end of AS_OF's calling day) has happened yet.
    moment = dt.datetime(2026, 12, 1, 20, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert not CallbackAttempt.objects.filter(at__gt=moment).exists()
    assert not CallbackTask.objects.filter(succeeded_at__gt=moment).exists()
    assert not CallbackTask.objects.filter(fallback_returned_at__gt=moment).exists()
    again = callbacks_demo(branch=xy, seed=7, as_of=AS_OF)
    assert sum(again.values()) == 0
