"""Demo counter hall: a year of tickets and visits behind the counter cases, and today's queue.

Run after the other apps' demos. For every counter-channel case opened at the branch in the
operations period (policydesk.demo.operations_year), the customer took a number a few minutes
before the case was opened and was served by the case's opener; cases of one customer with
one teller within 25 minutes are one visit. Waits follow the seed's problems: a burst after
the sales staff's morning meeting (09:00–10:30 local time), long visits when records are
pulled from the paper archive, some customers leaving unrated and some tellers leaving many
visits unrated. Visits with no case (enquiries answered at the window) and no-shows are added.

History is written with bulk_create (tickets, visits, their case links and the number
sequences) and carries no ticket timeline; today's handful of waiting and called tickets go
through the services so the board and the workstation show a live queue.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import DateField, DateTimeField, Model
from django.utils import timezone

from policydesk.cases.models import Case
from policydesk.core.access import can
from policydesk.customers.models import Customer
from policydesk.demo.operations_year import operations_period
from policydesk.org.models import Branch, Role, Staff, Team, TeamKind

from . import services
from .models import (
    RatingOutcome,
    ServiceType,
    Ticket,
    TicketSequence,
    TicketStatus,
    Visit,
    VisitCase,
)

KEYS = ("tickets", "visits", "visit_cases", "enquiry_visits", "no_shows", "today_tickets")
PROCESSES = ("newbusiness", "servicing", "claim", "enquiry", "complaint")
SAME_VISIT = dt.timedelta(minutes=25)
# Mean service minutes by the process the visit leads to.
SERVICE_MINUTES = {"newbusiness": 12.0, "servicing": 8.0, "claim": 14.0, "enquiry": 5.0}
# Share of visits left unrated per teller, by the teller's position in the branch (the seed:
# "customers leaving unrated, staff forgetting to trigger the rating").
UNRATED_SHARES = (0.05, 0.12, 0.42, 0.16, 0.33, 0.2)
RATINGS = (5, 5, 5, 5, 5, 5, 4, 4, 4, 3, 2, 1)
UNRATED_OUTCOMES = (
    RatingOutcome.LEFT,
    RatingOutcome.LEFT,
    RatingOutcome.DECLINED,
    RatingOutcome.DECLINED,
    RatingOutcome.DEVICE,
)
ENQUIRY_SHARE = 0.12  # visits answered at the window with no case, against case visits
NO_SHOW_SHARE = 0.03
ARCHIVE_PULL_SHARE = 0.07  # servicing visits needing records from the paper archive


@dataclass
class _Visit:
    teller_id: int
    kind: str
    first_at: dt.datetime
    last_at: dt.datetime
    customer_id: int | None
    case_ids: list[int] = field(default_factory=list)


def _zeros() -> dict[str, int]:
    return dict.fromkeys(KEYS, 0)


def _wait_minutes(rng: random.Random, local: dt.datetime) -> float:
    wait = rng.expovariate(1 / 5.5)
    minutes = local.hour * 60 + local.minute
    if 9 * 60 <= minutes < 10 * 60 + 30:  # after the morning meeting: sales staff arrive
        wait += rng.expovariate(1 / 16)
    elif 14 * 60 + 30 <= minutes < 15 * 60 + 30:
        wait += rng.expovariate(1 / 6)
    return min(wait, 95.0)


def _group(rows: Sequence[tuple[int, str, dt.datetime, int | None, int | None]]) -> list[_Visit]:
    """Cases by (opener, time) into visits: one customer, one teller, within 25 minutes."""
    visits: list[_Visit] = []
    current: _Visit | None = None
    for case_id, kind, opened_at, opener, customer_id in rows:
        if opener is None:
            continue
        if (
            current is not None
            and current.teller_id == opener
            and customer_id is not None
            and current.customer_id == customer_id
            and opened_at - current.first_at <= SAME_VISIT
        ):
            current.case_ids.append(case_id)
            current.last_at = opened_at
            continue
        current = _Visit(opener, kind, opened_at, opened_at, customer_id, [case_id])
        visits.append(current)
    return visits


def _working_moment(rng: random.Random, day: dt.date, zone: ZoneInfo) -> dt.datetime:
    minutes = rng.choice((8 * 60 + 40, 9 * 60, 9 * 60 + 20, 9 * 60 + 40, 10 * 60, 10 * 60 + 30))
    minutes += rng.randrange(0, 60) if rng.random() < 0.6 else rng.randrange(300, 420)
    return dt.datetime.combine(day, dt.time(), tzinfo=zone) + dt.timedelta(minutes=minutes)


@transaction.atomic
def counter_demo(*, branch: Branch, seed: int, as_of: dt.date) -> dict[str, int]:
    """Tickets and visits of the branch's counter cases in the operations period, enquiry
    visits and no-shows, and today's queue. A second call creates nothing (all zeros)."""
    if Ticket.objects.filter(branch=branch).exists():
        return _zeros()
    services.service_types_sync()
    rng = random.Random(seed)  # noqa: S311 - demo data, reproducible by design
    zone = ZoneInfo(branch.timezone)
    first, last = operations_period(as_of)
    start = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    types = {t.leads_to: t for t in ServiceType.objects.filter(is_active=True)}
    tellers = list(
        Staff.objects.filter(branch=branch, role=Role.FRONT_TELLER, is_active=True).order_by(
            "username"
        )
    )
    windows = {team.pk: team for team in Team.objects.filter(branch=branch, kind=TeamKind.COUNTER)}
    staff_window = dict(
        Staff.objects.filter(branch=branch, team__in=list(windows)).values_list("pk", "team_id")
    )
    unrated_share = {
        teller.pk: UNRATED_SHARES[position % len(UNRATED_SHARES)]
        for position, teller in enumerate(tellers)
    }
    vulnerable = {
        pk
        for pk, flags in Customer.objects.filter(branch=branch).values_list(
            "pk", "vulnerability_flags"
        )
        if flags
    }
    rows = list(
        Case.objects.filter(
            branch=branch,
            channel="counter",
            process__code__in=PROCESSES,
            opened_at__gte=start,
            opened_at__lt=end,
        )
        .order_by("opened_by_id", "opened_at", "id")
        .values_list("id", "process__code", "opened_at", "opened_by_id", "customer_id")
    )
    visits = _group(rows)
    days = sorted({v.first_at.astimezone(zone).date() for v in visits})
    customers = list(
        Customer.objects.filter(branch=branch).order_by("id").values_list("pk", flat=True)[:3000]
    )
    if tellers and days:
        for _ in range(int(len(visits) * ENQUIRY_SHARE)):
            moment = _working_moment(rng, rng.choice(days), zone)
            customer = rng.choice(customers) if customers and rng.random() < 0.6 else None
            visits.append(_Visit(rng.choice(tellers).pk, "enquiry", moment, moment, customer))
    tickets: list[dict[str, Any]] = []
    plans: list[tuple[_Visit, dt.datetime, dt.datetime, bool]] = []
    for visit in visits:
        service_type = types.get(visit.kind) or types["enquiry"]
        local = visit.first_at.astimezone(zone)
        called = visit.first_at - dt.timedelta(minutes=rng.uniform(1.0, 4.0))
        started = called + dt.timedelta(minutes=rng.uniform(0.4, 1.5))
        issued = called - dt.timedelta(minutes=_wait_minutes(rng, local))
        archive = visit.kind == "servicing" and rng.random() < ARCHIVE_PULL_SHARE
        minutes = SERVICE_MINUTES.get(visit.kind, 6.0) * rng.uniform(0.5, 1.7)
        minutes += 5 * (len(visit.case_ids) - 1) + (rng.uniform(15, 40) if archive else 0)
        ended = max(
            started + dt.timedelta(minutes=minutes), visit.last_at + dt.timedelta(minutes=2)
        )
        tickets.append(
            _ticket(
                branch,
                service_type,
                issued.astimezone(zone).date(),
                status=TicketStatus.DONE,
                customer_id=visit.customer_id,
                is_priority=visit.customer_id in vulnerable,
                issued_at=issued,
                first_called_at=called,
                called_at=called,
                call_count=1,
                teller_id=visit.teller_id,
                window_id=staff_window.get(visit.teller_id),
                finished_at=ended,
            )
        )
        plans.append((visit, started, ended, archive))
    no_shows = 0
    if tellers and days:
        for _ in range(int(len(visits) * NO_SHOW_SHARE)):
            service_type = rng.choice(list(types.values()))
            issued = _working_moment(rng, rng.choice(days), zone)
            called = issued + dt.timedelta(minutes=_wait_minutes(rng, issued.astimezone(zone)))
            calls = service_type.calls_before_no_show
            teller = rng.choice(tellers)
            tickets.append(
                _ticket(
                    branch,
                    service_type,
                    issued.astimezone(zone).date(),
                    status=TicketStatus.NO_SHOW,
                    customer_id=None,
                    is_priority=False,
                    issued_at=issued,
                    first_called_at=called,
                    called_at=called + dt.timedelta(minutes=2 * (calls - 1)),
                    call_count=calls,
                    teller_id=teller.pk,
                    window_id=staff_window.get(teller.pk),
                    finished_at=called + dt.timedelta(minutes=2 * calls),
                )
            )
            no_shows += 1
    sequences = _number(tickets)
    _insert(Ticket, tickets)
    _insert(
        TicketSequence,
        [
            {"branch_id": branch.pk, "day": day, "letter": letter, "last": value}
            for (day, letter), value in sequences.items()
        ],
    )
    # The ids of the rows just written, by their unique number (portable: no RETURNING).
    ticket_ids = {
        (day, letter, sequence): pk
        for pk, day, letter, sequence in Ticket.objects.filter(branch=branch).values_list(
            "pk", "issue_day", "letter", "sequence"
        )
    }
    visit_rows: list[dict[str, Any]] = []
    for ticket, (visit, started, ended, archive) in zip(tickets, plans, strict=False):
        rated = rng.random() >= unrated_share.get(visit.teller_id, 0.2)
        wait = (ticket["first_called_at"] - ticket["issued_at"]).total_seconds() / 60
        rating = rng.choice(RATINGS) if rated else None
        if rating is not None and wait > 30 and rng.random() < 0.35:
            rating = max(1, rating - 2)  # long waits cost satisfaction
        visit_rows.append(
            {
                "ticket_id": ticket_ids[
                    (ticket["issue_day"], ticket["letter"], ticket["sequence"])
                ],
                "branch_id": branch.pk,
                "customer_id": visit.customer_id,
                "teller_id": visit.teller_id,
                "window_id": ticket["window_id"],
                "started_at": started,
                "ended_at": ended,
                "rating": rating,
                "rating_outcome": RatingOutcome.RATED if rated else rng.choice(UNRATED_OUTCOMES),
                "unrated_note": "",
                "rating_recorded_by_id": visit.teller_id,
                "archive_pull": archive,
            }
        )
    _insert(Visit, visit_rows)
    visit_ids = dict(Visit.objects.filter(branch=branch).values_list("ticket_id", "pk"))
    links = [
        {
            "visit_id": visit_ids[row["ticket_id"]],
            "case_id": case_id,
            "linked_at": plan[0].first_at,
            "linked_by_id": row["teller_id"],
        }
        for row, plan in zip(visit_rows, plans, strict=True)
        for case_id in plan[0].case_ids
    ]
    _insert(VisitCase, links)
    today = _today_queue(branch, types, tellers, rng, as_of, zone)
    return {
        "tickets": len(tickets) + today,
        "visits": len(visit_rows),
        "visit_cases": len(links),
        "enquiry_visits": sum(1 for plan in plans if not plan[0].case_ids),
        "no_shows": no_shows,
        "today_tickets": today,
    }


def _ticket(
    branch: Branch, service_type: ServiceType, day: dt.date, **values: Any
) -> dict[str, Any]:
    return {
        "branch_id": branch.pk,
        "service_type_id": service_type.pk,
        "issue_day": day,
        "letter": service_type.letter,
        "sequence": 0,
        "number": "",
        "issued_by_id": None,
        "queued_at": values["issued_at"],
        "transfers": 0,
        "note": "",
        **values,
    }


def _number(tickets: list[dict[str, Any]]) -> dict[tuple[dt.date, str], int]:
    """Number the tickets per day and letter in issue order (A001 …); the last per key."""
    last: dict[tuple[dt.date, str], int] = {}
    for ticket in sorted(tickets, key=lambda t: t["issued_at"]):
        key = (ticket["issue_day"], ticket["letter"])
        last[key] = last.get(key, 0) + 1
        ticket["sequence"] = last[key]
        ticket["number"] = f"{ticket['letter']}{last[key]:03d}"
    return last


def _insert(model: type[Model], rows: list[dict[str, Any]], batch_size: int = 2000) -> None:
    """INSERT plain rows with executemany: the demo's tens of thousands of rows in seconds.

    bulk_create spends most of its time building model instances and preparing each field;
    these rows are built from validated values already, so only dates and times need the
    database's form (connection.ops adapts them as the ORM would)."""
    if not rows:
        return
    columns = list(rows[0])
    fields = [model._meta.get_field(name.removesuffix("_id")) for name in columns]
    kinds = [
        "datetime" if isinstance(f, DateTimeField) else "date" if isinstance(f, DateField) else ""
        for f in fields
    ]
    ops = connection.ops
    quote = ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model
        quote(model._meta.db_table),
        ", ".join(quote(column) for column in columns),
        ", ".join(["%s"] * len(columns)),
    )

    def adapt(value: Any, kind: str) -> Any:
        if value is None or not kind:
            return value
        if kind == "datetime":
            return ops.adapt_datetimefield_value(value)
        return ops.adapt_datefield_value(value)

    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            cursor.executemany(
                sql,
                [
                    [adapt(row[c], k) for c, k in zip(columns, kinds, strict=True)]
                    for row in rows[start : start + batch_size]
                ],
            )


def _today_queue(
    branch: Branch,
    types: dict[str, ServiceType],
    tellers: list[Staff],
    rng: random.Random,
    as_of: dt.date,
    zone: ZoneInfo,
) -> int:
    """A handful of tickets for the load day, through the services: most waiting, a few
    called to the first windows so the board shows who is being served."""
    now = timezone.now()
    if now.astimezone(zone).date() == as_of:
        base = now - dt.timedelta(minutes=40)
    else:
        base = dt.datetime.combine(as_of, dt.time(9, 30), tzinfo=zone)
    made = 0
    for n in range(9):
        service_type = rng.choice(
            [
                types[k]
                for k in ("servicing", "servicing", "newbusiness", "claim", "enquiry")
                if k in types
            ]
        )
        services.ticket_issue(
            branch=branch,
            service_type=service_type,
            by=None,
            priority=n == 4,
            at=base + dt.timedelta(minutes=4 * n),
        )
        made += 1
    windows = {team.pk for team in Team.objects.filter(branch=branch, kind=TeamKind.COUNTER)}
    called_at = base + dt.timedelta(minutes=38)
    for teller in tellers[:3]:
        if teller.team_id not in windows or not can(teller, "counter.serve"):
            continue
        if services.open_session(teller) is not None:
            continue
        window = Team.objects.get(pk=teller.team_id)
        services.window_open(window=window, by=teller, at=base)
        services.ticket_call_next(by=teller, at=called_at)
    return made
