"""Finished history written in bulk: cases in their final state with their timelines."""

from __future__ import annotations

import datetime as dt

import pytest

from policydesk.cases.models import Case, CaseEvent
from policydesk.cases.process_services import processes_sync
from policydesk.demo.historic_cases import HistoricCase, bulk_historic_cases
from tests.conftest import World

T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _processes(db: None) -> None:
    processes_sync()


def test_it_writes_cases_in_their_final_state_with_numbers_and_timelines(world: World) -> None:
    items = [
        HistoricCase(
            branch=world.branch_a,
            subject=f"history {n}",
            opened_at=T0 + dt.timedelta(days=n),
            channel="counter",
            opened_by_id=world.teller_a.pk,
            steps=[
                ("answered", T0 + dt.timedelta(days=n, hours=1)),
                ("closed", T0 + dt.timedelta(days=n, hours=2)),
            ],
        )
        for n in range(3)
    ]
    ids = bulk_historic_cases(process_code="enquiry", items=items, batch_size=2)
    cases = list(Case.objects.filter(pk__in=ids).order_by("pk").select_related("state"))
    assert [case.pk for case in cases] == ids
    first = cases[0]
    assert first.number == f"ZX-2026-{first.pk:07d}"
    assert first.state.code == "closed" and first.category == "closed"
    assert first.resolved_at == T0 + dt.timedelta(hours=1)
    assert first.closed_at == T0 + dt.timedelta(hours=2)
    assert first.opened_by_id == world.teller_a.pk and first.opened_at == T0
    timeline = list(CaseEvent.objects.filter(case=first).order_by("id").values_list("type", "at"))
    assert timeline == [
        ("opened", T0),
        ("transitioned", T0 + dt.timedelta(hours=1)),
        ("transitioned", T0 + dt.timedelta(hours=2)),
    ]


def test_an_unknown_state_writes_nothing(world: World) -> None:
    before = Case.objects.count()
    item = HistoricCase(
        branch=world.branch_a,
        subject="bad",
        opened_at=T0,
        channel="counter",
        steps=[("no-such-state", T0)],
    )
    with pytest.raises(KeyError):
        bulk_historic_cases(process_code="enquiry", items=[item])
    assert Case.objects.count() == before
