"""The counter demo: tickets and visits behind the counter cases of the operations period,
served by the cases' openers, with the morning burst, enquiry visits without a case,
no-shows, tellers who leave many visits unrated, and today's queue; a second call creates
nothing."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from policydesk.counter import selectors
from policydesk.counter.demo import counter_demo
from policydesk.counter.models import Ticket, TicketStatus, Visit, VisitCase
from policydesk.demo.historic_cases import HistoricCase, bulk_historic_cases
from policydesk.org.models import Role, Skill
from tests import factories
from tests.conftest import World
from tests.counter.conftest import SHANGHAI, ensure_process

AS_OF = dt.date(2026, 11, 20)


@pytest.fixture
def counter_cases(world: World) -> dict[str, Any]:
    skills = [
        Skill.objects.get_or_create(code=c, defaults={"name": c})[0]
        for c in ("servicing", "claims", "new-business")
    ]
    tellers = []
    for n in range(1, 4):
        window = factories.team(world.branch_a, code=f"window-{n}", kind="counter")
        tellers.append(
            factories.staff(Role.FRONT_TELLER, world.branch_a, team=window, skills=skills)
        )
    customers = [factories.customer(world.branch_a) for _ in range(20)]
    rng = random.Random(5)
    items: dict[str, list[HistoricCase]] = {"servicing": [], "claim": [], "newbusiness": []}
    for kind in items:
        ensure_process(kind)
    for n in range(300):
        day = dt.date(2026, 1, 5) + dt.timedelta(days=rng.randrange(0, 280))
        opened = dt.datetime.combine(day, dt.time(8, 45), tzinfo=SHANGHAI) + dt.timedelta(
            minutes=rng.randrange(0, 420)
        )
        kind = rng.choice(list(items))
        items[kind].append(
            HistoricCase(
                branch=world.branch_a,
                subject=f"{kind} {n}",
                opened_at=opened,
                channel="counter" if n % 10 else "phone",
                opened_by_id=rng.choice(tellers).pk,
                customer_id=rng.choice(customers).pk,
            )
        )
    for kind, batch in items.items():
        bulk_historic_cases(process_code=kind, items=batch)
    return {"tellers": tellers, "counter_cases": sum(1 for n in range(300) if n % 10)}


def test_every_counter_case_gets_a_visit_served_by_its_opener(
    world: World, counter_cases: dict[str, Any]
) -> None:
    made = counter_demo(branch=world.branch_a, seed=1, as_of=AS_OF)
    assert made["visit_cases"] == counter_cases["counter_cases"]
    assert made["enquiry_visits"] > 0 and made["no_shows"] > 0
    for link in VisitCase.objects.select_related("visit", "case", "visit__ticket")[:100]:
        assert link.visit.teller_id == link.case.opened_by_id
        assert (
            link.visit.ticket.issued_at < link.visit.ticket.first_called_at <= link.case.opened_at
        )
        assert link.case.channel == "counter"
    assert Visit.objects.count() == made["visits"]


def test_ticket_numbers_run_per_day_and_letter(world: World, counter_cases: dict[str, Any]) -> None:
    counter_demo(branch=world.branch_a, seed=1, as_of=AS_OF)
    for day, letter in Ticket.objects.values_list("issue_day", "letter").distinct()[:20]:
        numbers = sorted(
            Ticket.objects.filter(issue_day=day, letter=letter).values_list("sequence", flat=True)
        )
        assert numbers == list(range(1, len(numbers) + 1))


def test_the_morning_burst_and_unrated_tellers_show_in_the_kpis(
    world: World, counter_cases: dict[str, Any]
) -> None:
    counter_demo(branch=world.branch_a, seed=1, as_of=AS_OF)
    period = selectors.default_period(AS_OF)
    kpis = selectors.counter_kpis(world.manager_a, branch=world.branch_a, period=period)
    hours = dict(kpis.by_hour)
    burst = hours[9].wait_mean
    afternoon = hours[16].wait_mean if 16 in hours else None
    assert burst is not None and afternoon is not None and burst > afternoon
    shares = [row.figures.unrated_share for row in kpis.tellers if row.figures.completed]
    assert max(shares) > 2 * min(shares)  # type: ignore[operator]


def test_today_has_a_queue(world: World, counter_cases: dict[str, Any]) -> None:
    made = counter_demo(branch=world.branch_a, seed=1, as_of=AS_OF)
    today = Ticket.objects.filter(issue_day=AS_OF)
    assert made["today_tickets"] == today.count() > 0
    assert today.filter(status=TicketStatus.WAITING).exists()


def test_a_second_call_creates_nothing(world: World, counter_cases: dict[str, Any]) -> None:
    counter_demo(branch=world.branch_a, seed=1, as_of=AS_OF)
    count = Ticket.objects.count()
    again = counter_demo(branch=world.branch_a, seed=1, as_of=AS_OF)
    assert set(again.values()) == {0}
    assert Ticket.objects.count() == count


def test_it_is_deterministic_for_a_seed(world: World, counter_cases: dict[str, Any]) -> None:
    first = counter_demo(branch=world.branch_a, seed=9, as_of=AS_OF)
    waits = list(Ticket.objects.order_by("issued_at").values_list("number", "issued_at")[:50])
    Visit.objects.all().delete()
    Ticket.objects.all().delete()
    from policydesk.counter.models import TicketSequence, WindowSession

    TicketSequence.objects.all().delete()
    WindowSession.objects.all().delete()
    second = counter_demo(branch=world.branch_a, seed=9, as_of=AS_OF)
    assert first == second
    again = list(Ticket.objects.order_by("issued_at").values_list("number", "issued_at")[:50])
    assert [n for n, _ in again] == [n for n, _ in waits]
