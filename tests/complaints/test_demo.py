"""The demo complaints cover what the pages and KPIs show: every root cause, complex,
extended, paused in appraisal, reviewed, escalated, breached."""

from __future__ import annotations

from policydesk.cases.models import CaseClock, CaseEvent
from policydesk.cases.process_services import processes_sync
from policydesk.complaints.demo import complaints_demo
from policydesk.complaints.models import Complaint, ExternalEscalation, RootCause
from policydesk.org.models import Role
from tests import factories
from tests.conftest import World


def test_the_demo_builds_every_kind_of_complaint_through_the_services(world: World) -> None:
    processes_sync()
    for branch in (world.branch_a, world.branch_b):
        for _ in range(3):
            factories.policy(factories.customer(branch))
    factories.staff(Role.COUNTER_MANAGER, world.branch_b)
    made = complaints_demo(branches=[world.branch_a, world.branch_b], count=22)
    assert len(made) == Complaint.objects.count() == 22
    causes = set(Complaint.objects.values_list("root_cause__code", flat=True))
    assert set(RootCause.objects.values_list("code", flat=True)) <= causes | {None}
    assert Complaint.objects.filter(is_complex=True).exists()
    assert CaseEvent.objects.filter(type="clock_extended").exists()
    assert Complaint.objects.filter(case__state__code="appraisal").exists()
    assert Complaint.objects.filter(review_decided_at__isnull=False).exists()
    assert ExternalEscalation.objects.exists()
    assert CaseClock.objects.filter(code="regulatory-decision", met=False).exists()
    assert Complaint.objects.filter(outcome="withdrawn").exists()
