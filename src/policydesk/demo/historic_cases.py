"""A year of finished work in bulk: cases of a process written set-based for the demo.

The demo's year of counter operations (tens of thousands of applications, servicing items
and claims) cannot go through the case services one by one in the time `make demo` allows.
Finished history does not need live clocks, escalation or assignment rules, so it is
written with `bulk_create`: the case in the state it ended in, and a timeline of its
opening, the steps it took (each with its time) and its closing. Work still in progress is
opened with the services by the callers, so its clocks run as they would in real life.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction

from policydesk.cases.models import (
    Case,
    CaseEvent,
    EventType,
    Process,
    ProcessState,
    ProcessVersion,
    StateCategory,
)
from policydesk.org.models import Branch, Team

FINISHED = {StateCategory.RESOLVED, StateCategory.CLOSED}


@dataclass
class HistoricCase:
    """One finished (or stopped) case: where it was received, by whom, and its steps.

    `steps` are (state code, time) in order; the last is the state the case is left in. An
    empty list leaves the case in the process's initial state.
    """

    branch: Branch
    subject: str
    opened_at: dt.datetime
    channel: str
    steps: list[tuple[str, dt.datetime]] = field(default_factory=list)
    opened_by_id: int | None = None
    assignee_id: int | None = None
    customer_id: int | None = None
    policy_id: int | None = None
    team_code: str = ""
    classification: str = ""
    tags: list[str] = field(default_factory=list)
    resolution: str = ""


def _teams(branches: set[int]) -> dict[tuple[int, str], int]:
    return {
        (team.branch_id, team.code): team.pk for team in Team.objects.filter(branch__in=branches)
    }


@transaction.atomic
def bulk_historic_cases(
    *, process_code: str, items: Sequence[HistoricCase], batch_size: int = 2000
) -> list[int]:
    """Write the cases and their timelines; return the case ids in the order of `items`.

    Numbers follow the services' form (prefix-year-id). Raises KeyError for a state code the
    process's current version does not have, ValueError for an unpublished process.
    """
    process = Process.objects.select_related("current_version").get(code=process_code)
    version = process.current_version
    if version is None:
        raise ValueError(f"process {process_code} has no published version")
    states = {state.code: state for state in ProcessState.objects.filter(version=version)}
    initial = next(state for state in states.values() if state.is_initial)
    teams = _teams({item.branch.pk for item in items})
    ids: list[int] = []
    for start in range(0, len(items), batch_size):
        batch = items[start : start + batch_size]
        cases = [_case(process, version, states, initial, teams, item) for item in batch]
        Case.objects.bulk_create(cases, batch_size=batch_size)
        for case in cases:
            case.number = f"{process.number_prefix}-{case.opened_at.year}-{case.pk:07d}"
        _number_in_place(process.number_prefix, [case.pk for case in cases])
        events: list[CaseEvent] = []
        for case, item in zip(cases, batch, strict=True):
            events.extend(_timeline(case, item, initial.code, version.number))
        CaseEvent.objects.bulk_create(events, batch_size=batch_size)
        ids.extend(case.pk for case in cases)
    return ids


def _number_in_place(prefix: str, ids: list[int]) -> None:
    """Give the just-written cases their numbers (prefix-year-id, as the services do) in one
    statement: a bulk UPDATE by primary key would be one CASE arm per row."""
    if not ids:
        return
    table = Case._meta.db_table
    if connection.vendor == "postgresql":
        number = (
            "%s || '-' || EXTRACT(YEAR FROM opened_at AT TIME ZONE 'UTC')::int || '-' || "
            "CASE WHEN length(id::text) >= 7 THEN id::text ELSE lpad(id::text, 7, '0') END"
        )
    else:
        number = "%s || '-' || strftime('%%Y', opened_at) || '-' || printf('%%07d', id)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET number = {number} WHERE id BETWEEN %s AND %s "  # noqa: S608
            "AND number LIKE 'hist-%%'",
            [prefix, min(ids), max(ids)],
        )


def _case(
    process: Process,
    version: ProcessVersion,
    states: dict[str, ProcessState],
    initial: ProcessState,
    teams: dict[tuple[int, str], int],
    item: HistoricCase,
) -> Case:
    final = states[item.steps[-1][0]] if item.steps else initial
    last_at = item.steps[-1][1] if item.steps else item.opened_at
    resolved_at = next((at for code, at in item.steps if states[code].category in FINISHED), None)
    team_code = item.team_code or final.default_team_code or process.default_team_code
    return Case(
        number=f"hist-{uuid.uuid4().hex}"[:32],  # replaced once the id is known
        process=process,
        process_version=version,
        state=final,
        category=final.category,
        channel=item.channel,
        branch=item.branch,
        team_id=teams.get((item.branch.pk, team_code)),
        assignee_id=item.assignee_id,
        customer_id=item.customer_id,
        policy_id=item.policy_id,
        subject=item.subject[:200],
        classification=item.classification,
        tags=list(item.tags),
        resolution=item.resolution,
        sla_policy_id=process.sla_policy_id,
        opened_at=item.opened_at,
        opened_by_id=item.opened_by_id,
        first_response_at=item.steps[0][1] if item.steps else None,
        resolved_at=resolved_at,
        closed_at=last_at if final.category == StateCategory.CLOSED else None,
        updated_at=last_at,
    )


def _timeline(case: Case, item: HistoricCase, initial_code: str, version: int) -> list[CaseEvent]:
    events = [
        CaseEvent(
            case=case,
            type=EventType.OPENED,
            at=item.opened_at,
            actor_id=item.opened_by_id,
            parameters={
                "state": initial_code,
                "channel": item.channel,
                "version": version,
                "historic": True,
            },
        )
    ]
    previous = initial_code
    for code, at in item.steps:
        events.append(
            CaseEvent(
                case=case,
                type=EventType.TRANSITIONED,
                at=at,
                actor_id=item.assignee_id or item.opened_by_id,
                parameters={"from_state": previous, "to_state": code, "historic": True},
            )
        )
        previous = code
    return events
