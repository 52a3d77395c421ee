"""Queue rows: what a work-queue list shows of a case, read as columns, not model instances.

The page and the API list read 50 rows with their process, state, assignee and customer.
Building five model instances per row (deferred-field classes, descriptors, caches) cost
more than the statement itself; a row here is a plain object with the same attribute names
the list reads (`row.process.name`, `str(row.assignee)`, `row.get_priority_display()`), so
cases/queue.html and api.summary_out did not change."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .models import Priority

# The columns of the page's single statement (selectors.case_queue), in the order
# `row_of` reads them. A column the list needs goes here.
COLUMNS = (
    "id",
    "number",
    "subject",
    "category",
    "channel",
    "priority",
    "branch_id",
    "team_id",
    "customer_id",
    "assignee_id",
    "next_due_at",
    "is_breached",
    "escalation_level",
    "opened_at",
    "process__code",
    "process__name",
    "state__code",
    "state__name",
    "assignee__username",
    "assignee__display_name",
    "customer__name",
)


@dataclass(frozen=True, slots=True)
class Named:
    """A related row's code and name (process, state)."""

    code: str
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Person:
    """The assignee as the list shows it (Staff.__str__)."""

    id: int
    username: str
    display_name: str

    def __str__(self) -> str:
        return self.display_name or self.username


@dataclass(frozen=True, slots=True)
class CustomerRef:
    id: int
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class QueueRow:
    id: int
    number: str
    subject: str
    category: str
    channel: str
    priority: int
    branch_id: int
    team_id: int | None
    customer_id: int | None
    assignee_id: int | None
    next_due_at: dt.datetime | None
    is_breached: bool
    escalation_level: int
    opened_at: dt.datetime
    process: Named
    state: Named
    assignee: Person | None
    customer: CustomerRef | None

    @property
    def pk(self) -> int:
        return self.id

    def get_priority_display(self) -> str:
        return str(Priority(self.priority).label)


def row_of(values: dict[str, Any]) -> QueueRow:
    assignee_id, customer_id = values["assignee_id"], values["customer_id"]
    assignee = (
        None
        if assignee_id is None
        else Person(assignee_id, values["assignee__username"], values["assignee__display_name"])
    )
    customer = None if customer_id is None else CustomerRef(customer_id, values["customer__name"])
    return QueueRow(
        id=values["id"],
        number=values["number"],
        subject=values["subject"],
        category=values["category"],
        channel=values["channel"],
        priority=values["priority"],
        branch_id=values["branch_id"],
        team_id=values["team_id"],
        customer_id=customer_id,
        assignee_id=assignee_id,
        next_due_at=values["next_due_at"],
        is_breached=values["is_breached"],
        escalation_level=values["escalation_level"],
        opened_at=values["opened_at"],
        process=Named(values["process__code"], values["process__name"]),
        state=Named(values["state__code"], values["state__name"]),
        assignee=assignee,
        customer=customer,
    )
