"""Writes of account monitoring: runs, work items, communications, reviews, the model."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.access import require
from policydesk.core.audit import audit_record
from policydesk.core.errors import ConflictError, DomainError
from policydesk.customers.models import Customer, RelationKind, RiskProfile
from policydesk.org.models import Branch, Role, Staff
from policydesk.policies.models import TERMINAL_STATUSES, Policy

from . import clearing, needs, risk, rules
from .models import (
    AccountReview,
    Communication,
    ContactChannel,
    ContactOutcome,
    CustomerDecision,
    ItemStatus,
    LapseModel,
    LifeEvent,
    ModelTraining,
    MonitoringRun,
    Outcome,
    PolicyRiskScore,
    ReviewTrigger,
    Rule,
    RunStatus,
    WorkItem,
)
from .rules import DEFAULT_RISK, RULES

SERVICING_RULES = frozenset({Rule.BANK_ACCOUNT_CHANGE, Rule.SURVIVAL_BENEFIT, Rule.MATURITY})
ACTION_KINDS = ("servicing_item", "new_application", "note")
BANK_ACCOUNT_CHANGE_ITEM = "bank-account-change"  # the servicing catalogue's item code
REANALYZE_AFTER_ROWS = 1_000  # a run inserting this many refreshes the table's statistics


def _today() -> dt.date:
    return timezone.localdate()


# --- The monitoring run -------------------------------------------------------------------


@transaction.atomic
def monitoring_run_request(*, by: Staff, as_of: dt.date | None = None) -> MonitoringRun:
    """Queue a run (the page's button and the API); the worker executes it."""
    from .tasks import execute_monitoring_run

    require(by, "monitoring.run")
    if MonitoringRun.objects.filter(status__in=(RunStatus.QUEUED, RunStatus.RUNNING)).exists():
        raise ConflictError(
            _("A monitoring run is already queued or running."),
            field="run",
            code="monitoring_run_in_progress",
        )
    run = MonitoringRun.objects.create(
        as_of=as_of or _today(), status=RunStatus.QUEUED, requested_by=by
    )
    audit_record(action="monitoring.run.request", actor=by, target=run, after={"as_of": run.as_of})
    run_id = run.pk
    transaction.on_commit(lambda: execute_monitoring_run.enqueue(run_id))
    return run


def monitoring_run_execute(*, run: MonitoringRun, now: dt.datetime | None = None) -> MonitoringRun:
    """Apply every rule as of the run's day. Each rule commits on its own, so the page sees
    progress; a second run (or a retried one) inserts only what is missing."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = MonitoringRun.objects.select_for_update().get(pk=run.pk)
        if locked.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
            return locked
        locked.status = RunStatus.RUNNING
        locked.started_at = timezone.now()
        locked.save(update_fields=["status", "started_at"])
    closed = work_items_clear(run=locked, now=now)
    created: dict[str, int] = defaultdict(int)
    done_rules: set[str] = set()
    selections = rules.rule_selects(locked.as_of)
    owner_sql = rules.owner_expression(relationship_managers())
    for selection in selections:
        with transaction.atomic():
            created[selection.rule] += rules.rule_insert(
                selection, run_id=locked.pk, now=now, owner_sql=owner_sql
            )
            done_rules.add(selection.rule)
            MonitoringRun.objects.filter(pk=locked.pk).update(
                rules_done=len(done_rules), created=dict(created)
            )
    if sum(created.values()) >= REANALYZE_AFTER_ROWS:
        # The planner's statistics of the work-item table are stale after many inserts
        # (after the first run they still say "empty"): refresh them now, as autovacuum
        # would later, so the next run's anti-joins and clearances are planned for the
        # table's real size (rules.rule_insert says what a stale "empty" costs).
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {WorkItem._meta.db_table}")
    with transaction.atomic():
        lapse_notice_deadlines_fix(run=locked)
        owners_assign()
        locked.status = RunStatus.SUCCEEDED
        locked.finished_at = timezone.now()
        locked.rules_done = len(Rule)
        locked.created = dict(created)
        locked.closed = closed
        locked.save(update_fields=["status", "finished_at", "rules_done", "created", "closed"])
        audit_record(
            action="monitoring.run.finish",
            target=locked,
            after={"created": locked.created, "closed": locked.closed},
        )
    return locked


def work_items_clear(*, run: MonitoringRun, now: dt.datetime) -> dict[str, int]:
    """Close the open items whose condition has cleared (clearing.py): one set-based UPDATE
    per rule and clearance, committed with one audit event for its batch (the run, the
    rule, what cleared, the outcome, how many); the items carry the run in
    `closed_by_run`."""
    closed: dict[str, int] = defaultdict(int)
    for clearance in clearing.clearances():
        with transaction.atomic():
            count = clearing.clearance_apply(clearance, run_id=run.pk, now=now)
            if count:
                closed[clearance.rule] += count
                audit_record(
                    action="monitoring.item.close_cleared",
                    target=run,
                    after={
                        "rule": clearance.rule,
                        "cleared_by": clearance.cleared_by,
                        "outcome": clearance.outcome,
                        "count": count,
                    },
                )
    return dict(closed)


def monitoring_run_now(*, as_of: dt.date | None = None, by: Staff | None = None) -> MonitoringRun:
    """Create and execute a run at once (the nightly job, the demo, tests)."""
    run = MonitoringRun.objects.create(
        as_of=as_of or _today(), status=RunStatus.QUEUED, requested_by=by
    )
    return monitoring_run_execute(run=run)


def lapse_notice_deadlines_fix(*, run: MonitoringRun) -> int:
    """The lapse notice is due within 10 working days of the lapse, by the branch's holiday
    calendar: rewrite the SQL's Monday–Friday estimate of the items this run made, with one
    UPDATE per branch (a CASE over the few lapse dates of the last weeks)."""
    from policydesk.cases.clocks import calendar_for

    pairs = (
        WorkItem.objects.filter(run=run, rule=Rule.LAPSE_NOTICE)
        .values_list("branch_id", "period")
        .distinct()
    )
    by_branch: dict[int, set[dt.date]] = defaultdict(set)
    for branch_id, period in pairs:
        by_branch[branch_id].add(period)
    table = WorkItem._meta.db_table
    updated = 0
    for branch in Branch.objects.filter(pk__in=list(by_branch)):
        calendar = calendar_for(branch)
        whens: list[str] = []
        params: list[Any] = []
        for period in sorted(by_branch[branch.pk]):
            days = calendar.working_days_after(period)
            for _index in range(rules.LAPSE_NOTICE_WORKING_DAYS):
                deadline = next(days)
            whens.append("WHEN %s THEN %s")
            params.extend([period, deadline])
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET deadline = CASE period {' '.join(whens)} END "  # noqa: S608
                "WHERE run_id = %s AND rule = %s AND branch_id = %s",
                [*params, run.pk, Rule.LAPSE_NOTICE, branch.pk],
            )
            updated += max(0, cursor.rowcount)
    return updated


def relationship_managers() -> dict[int, list[int]]:
    """Active relationship managers by branch, in a stable order."""
    managers: dict[int, list[int]] = defaultdict(list)
    staff = Staff.objects.filter(
        role=Role.RELATIONSHIP_MANAGER, is_active=True, branch__isnull=False
    ).order_by("branch_id", "id")
    for branch_id, staff_id in staff.values_list("branch_id", "id"):
        managers[branch_id].append(staff_id)
    return managers


def owners_assign() -> int:
    """Give open items left without an owner (made before their branch had a relationship
    manager) to one, round-robin by customer as the run does. Set-based: one UPDATE per
    branch that has relationship managers."""
    table = WorkItem._meta.db_table
    assigned = 0
    with connection.cursor() as cursor:
        for branch_id, ids in relationship_managers().items():
            cases = " ".join(f"WHEN {index} THEN {staff_id}" for index, staff_id in enumerate(ids))
            cursor.execute(
                f"UPDATE {table} SET owner_id = CASE (customer_id %% {len(ids)}) {cases} END "  # noqa: S608
                "WHERE owner_id IS NULL AND status = %s AND branch_id = %s",
                [ItemStatus.OPEN, branch_id],
            )
            assigned += max(0, cursor.rowcount)
    return assigned


# --- Work items ---------------------------------------------------------------------------


def _open_item(item_id: int) -> WorkItem:
    item = WorkItem.objects.select_for_update().get(pk=item_id)
    if item.status != ItemStatus.OPEN:
        raise ConflictError(
            _("This work item is closed already."), field="status", code="monitoring_item_closed"
        )
    return item


@transaction.atomic
def work_item_close(
    *, item: WorkItem, outcome: str, note: str = "", by: Staff, at: dt.datetime | None = None
) -> WorkItem:
    require(by, "monitoring.work")
    if outcome not in Outcome.values or outcome == Outcome.CONDITION_CLEARED:
        raise DomainError(_("Choose how the work item ended."), field="outcome")
    if len(note) > 4000:
        raise DomainError(_("The note is too long."), field="note")
    locked = _open_item(item.pk)
    locked.status = ItemStatus.DONE
    locked.outcome = outcome
    locked.outcome_note = note.strip()
    locked.closed_at = at or timezone.now()
    locked.closed_by = by
    locked.save(update_fields=["status", "outcome", "outcome_note", "closed_at", "closed_by"])
    audit_record(
        action="monitoring.item.close",
        actor=by,
        target=locked,
        after={"outcome": outcome, "rule": locked.rule},
    )
    return locked


@transaction.atomic
def work_item_assign(*, item: WorkItem, owner: Staff, by: Staff) -> WorkItem:
    require(by, "monitoring.work")
    if owner.role != Role.RELATIONSHIP_MANAGER or owner.branch_id != item.branch_id:
        raise DomainError(
            _("The owner must be a relationship manager of the item's branch."), field="owner"
        )
    locked = _open_item(item.pk)
    before = locked.owner_id
    locked.owner = owner
    locked.save(update_fields=["owner"])
    audit_record(
        action="monitoring.item.assign",
        actor=by,
        target=locked,
        before={"owner": before},
        after={"owner": owner.pk},
    )
    return locked


LIFE_EVENT_REVIEW_DUE_DAYS = 14  # a review after a life event is due this soon
LIFE_EVENT_REVIEW_DEADLINE_DAYS = 60  # ... and at the latest this long after the event
LIFE_EVENT_REASON = "life_event:"


@transaction.atomic
def life_event_report(
    *, customer: Customer, event: str, occurred_on: dt.date, note: str = "", by: Staff
) -> tuple[WorkItem, bool]:
    """A life event of the customer (marriage, a child, a new home, retirement...) asks for
    an account review: an account-review work item for the customer, its reason naming the
    event and its period the event's day, owned by the reporting relationship manager (or
    one of the branch's, as the run chooses). The customer's open review item is kept when
    there is one (one review answers both). Returns the item and whether it is new."""
    require(by, "monitoring.work")
    if event not in LifeEvent.values:
        raise DomainError(_("Choose the life event."), field="event")
    today = _today()
    if occurred_on > today + dt.timedelta(days=365) or occurred_on < today - dt.timedelta(days=365):
        raise DomainError(
            _("The life event is within a year of today (past or planned)."), field="occurred_on"
        )
    open_review = (
        WorkItem.objects.select_for_update()
        .filter(customer=customer, rule=Rule.ACCOUNT_REVIEW, status=ItemStatus.OPEN)
        .order_by("period", "id")
        .first()
    )
    created = open_review is None
    if open_review is None:
        managers = relationship_managers().get(customer.branch_id, [])
        if by.role == Role.RELATIONSHIP_MANAGER and by.branch_id == customer.branch_id:
            owner_id: int | None = by.pk
        else:
            owner_id = managers[customer.pk % len(managers)] if managers else None
        weight = RULES[Rule.ACCOUNT_REVIEW].weight
        open_review, created = WorkItem.objects.get_or_create(
            rule=Rule.ACCOUNT_REVIEW,
            period=occurred_on,
            customer=customer,
            policy=None,
            defaults={
                "reason": f"{LIFE_EVENT_REASON}{event}",
                "branch_id": customer.branch_id,
                "owner_id": owner_id,
                "priority": round(weight * (1 + DEFAULT_RISK) * 10),
                "due_on": today + dt.timedelta(days=LIFE_EVENT_REVIEW_DUE_DAYS),
                "deadline": occurred_on + dt.timedelta(days=LIFE_EVENT_REVIEW_DEADLINE_DAYS),
            },
        )
    audit_record(
        action="monitoring.life_event.report",
        actor=by,
        target=open_review,
        after={
            "customer": customer.pk,
            "event": event,
            "occurred_on": occurred_on.isoformat(),
            "note": note.strip()[:500],
            "review_item": open_review.pk,
            "new_item": created,
        },
    )
    return open_review, created


def servicing_can_open(item: WorkItem) -> bool:
    """Whether a servicing item may be opened from the work item: an open item of a
    bank-account or payout rule, with none linked or only a declined or withdrawn one."""
    if item.status != ItemStatus.OPEN or item.rule not in SERVICING_RULES:
        return False
    linked = item.servicing_item
    return linked is None or linked.cancelled_at is not None


@transaction.atomic
def work_item_servicing_open(
    *,
    item: WorkItem,
    applicant_role: str,
    channel: str,
    bank_name: str,
    account_number: str,
    documents: list[str] | tuple[str, ...] = (),
    note: str = "",
    by: Staff,
    at: dt.datetime | None = None,
) -> WorkItem:
    """Open the bank-account-change servicing item (保全: 交费/领取账户变更) of the item's
    policy on the customer's application, through the servicing app, and link the two.

    Only on an application: the run raises the work item at night, the relationship
    manager opens the servicing item once the customer has signed for the new account
    (servicing refuses an ineligible policy or a second open item of the kind). A servicing
    item linked before that was declined or withdrawn can be replaced by a new one; the
    run closes the work item once its servicing item is done (clearing.py)."""
    from policydesk.servicing import services as servicing_services

    require(by, "monitoring.work")
    if item.rule not in SERVICING_RULES:
        raise DomainError(
            _("Only bank-account and payout items lead to a servicing item."), field="rule"
        )
    locked = _open_item(item.pk)
    linked = locked.servicing_item
    if linked is not None and linked.cancelled_at is None:
        raise ConflictError(
            _("A servicing item is linked to this work item already."),
            field="servicing_item",
            code="monitoring_servicing_linked",
        )
    if locked.policy_id is None:
        raise DomainError(_("The work item has no policy."), field="policy")
    note = note.strip()[:400]
    servicing = servicing_services.servicing_item_apply(
        policy=Policy.objects.get(pk=locked.policy_id),
        item_code=BANK_ACCOUNT_CHANGE_ITEM,
        applicant_role=applicant_role,
        channel=channel,
        details={"bank_name": bank_name, "account_number": account_number, "note": note},
        documents=documents,
        by=by,
        at=at,
    )
    locked.servicing_item = servicing
    locked.save(update_fields=["servicing_item"])
    audit_record(
        action="monitoring.item.servicing_open",
        actor=by,
        target=locked,
        after={
            "servicing_item": servicing.pk,
            "case": servicing.case.number,
            "replaces": linked.pk if linked is not None else None,
        },
    )
    return locked


# --- Communications -----------------------------------------------------------------------


@transaction.atomic
def communication_log(
    *,
    customer: Customer,
    channel: str,
    content: str,
    outcome: str,
    next_contact_on: dt.date | None = None,
    work_item: WorkItem | None = None,
    at: dt.datetime | None = None,
    by: Staff,
) -> Communication:
    require(by, "monitoring.work")
    if channel not in ContactChannel.values:
        raise DomainError(_("Choose the channel of the contact."), field="channel")
    if outcome not in ContactOutcome.values:
        raise DomainError(_("Choose the outcome of the contact."), field="outcome")
    content = content.strip()
    if not content:
        raise DomainError(_("Say what was discussed."), field="content")
    at = at or timezone.now()
    if next_contact_on is not None and next_contact_on < at.date():
        raise DomainError(_("The next contact cannot be in the past."), field="next_contact_on")
    if work_item is not None and work_item.customer_id != customer.pk:
        raise DomainError(_("The work item belongs to another customer."), field="work_item")
    record = Communication.objects.create(
        customer=customer,
        branch_id=customer.branch_id,
        work_item=work_item,
        channel=channel,
        content=content[:10000],
        outcome=outcome,
        next_contact_on=next_contact_on,
        contacted_at=at,
        recorded_by=by,
    )
    audit_record(
        action="monitoring.communication.log",
        actor=by,
        target=record,
        after={"channel": channel, "outcome": outcome, "next_contact_on": next_contact_on},
    )
    return record


# --- Account reviews ----------------------------------------------------------------------


def cover_with_us(customer: Customer) -> dict[str, Decimal]:
    live = (
        Policy.objects.filter(policyholder=customer)
        .exclude(status__in=[*TERMINAL_STATUSES, "lapsed", "applied", "underwriting"])
        .values_list("product__line", "sum_assured")
    )
    return needs.cover_by_category([(line, amount) for line, amount in live])


def review_assessment(
    *, customer: Customer, declared_elsewhere: dict[str, Decimal] | None = None
) -> dict[str, Any]:
    """The needs analysis of the customer today: needs, cover and gaps, as stored JSON."""
    profile = RiskProfile.objects.filter(customer=customer).order_by("-assessed_on", "-id").first()
    if profile is None:
        raise DomainError(
            _("The customer has no risk profile: record one before the review."),
            field="risk_profile",
            code="monitoring_no_risk_profile",
        )
    children = customer.relations.filter(kind=RelationKind.CHILD).count()
    elsewhere = dict(declared_elsewhere or {})
    for category, amount in elsewhere.items():
        if category not in needs.CATEGORIES:
            raise DomainError(_("Unknown cover category."), field=f"declared_elsewhere.{category}")
        if amount < 0:
            raise DomainError(
                _("Cover cannot be negative."), field=f"declared_elsewhere.{category}"
            )
    if "life" not in elsewhere:
        elsewhere["life"] = profile.existing_cover_elsewhere
    assumptions = needs.assumptions_for(customer.segment)
    lines = needs.needs_analysis(
        needs.Profile(
            annual_income=profile.annual_income,
            dependants=profile.dependants,
            children=children,
            liabilities=profile.liabilities,
            assets=profile.assets,
        ),
        assumptions,
        cover_with_us=cover_with_us(customer),
        cover_elsewhere=elsewhere,
    )
    return {
        "risk_profile_id": profile.pk,
        "assessed_on": profile.assessed_on.isoformat(),
        "annual_income": str(profile.annual_income),
        "dependants": profile.dependants,
        "children": children,
        "segment": customer.segment,
        "currency": profile.currency,
        "lines": needs.lines_as_json(lines),
        "total_gap": str(sum((line.gap for line in lines), Decimal("0.00"))),
    }


# The process a linked case must run on, per kind of action (a servicing item, 保全; a new
# application, 新契约).
ACTION_CASE_RELATIONS = {"servicing_item": "servicing_item", "new_application": "application"}


def _review_action(
    customer: Customer, action: dict[str, Any], index: int, by: Staff
) -> dict[str, Any]:
    """One action of a review, cleaned: its kind, its note and, for a servicing item or a new
    application, the case it opened (by number): a case of this customer that the reviewer
    may see and that runs that process."""
    from policydesk.cases.models import Case
    from policydesk.core.access import scope_to_user

    kind = action.get("kind")
    if kind not in ACTION_KINDS:
        raise DomainError(_("Unknown kind of action."), field=f"actions.{index}.kind")
    cleaned: dict[str, Any] = {"kind": kind, "note": str(action.get("note", "")).strip()[:500]}
    number = str(action.get("case_number") or "").strip().upper()[:32]
    if not number:
        return cleaned
    relation = ACTION_CASE_RELATIONS.get(str(kind))
    if relation is None:
        raise DomainError(
            _("Only a servicing item or a new application names a case."),
            field=f"actions.{index}.case_number",
        )
    case = (
        scope_to_user(Case.objects.filter(number=number, customer=customer), by)
        .filter(**{f"{relation}__isnull": False})
        .first()
    )
    if case is None:
        message = (
            _("No servicing item of this customer has that case number.")
            if relation == "servicing_item"
            else _("No new application of this customer has that case number.")
        )
        raise DomainError(message, field=f"actions.{index}.case_number")
    cleaned.update(case_id=case.pk, case_number=case.number)
    return cleaned


@transaction.atomic
def account_review_record(
    *,
    customer: Customer,
    trigger: str,
    recommendations: str,
    decision: str = CustomerDecision.PENDING,
    decision_note: str = "",
    life_event: str = "",
    declared_elsewhere: dict[str, Decimal] | None = None,
    actions: list[dict[str, str]] | None = None,
    reviewed_on: dt.date | None = None,
    by: Staff,
) -> AccountReview:
    """Record a review: the assessment of the day, the recommendations, the customer's
    decision and the actions taken; it closes the customer's open periodic-review item."""
    require(by, "monitoring.review")
    if trigger not in ReviewTrigger.values:
        raise DomainError(_("Say why the account is reviewed."), field="trigger")
    if trigger == ReviewTrigger.LIFE_EVENT and life_event not in LifeEvent.values:
        raise DomainError(_("Choose the life event."), field="life_event")
    if trigger == ReviewTrigger.PERIODIC:
        life_event = ""
    if decision not in CustomerDecision.values:
        raise DomainError(_("Choose the customer's decision."), field="decision")
    if not recommendations.strip():
        raise DomainError(_("Write the recommendations."), field="recommendations")
    cleaned_actions = [
        _review_action(customer, action, index, by) for index, action in enumerate(actions or [])
    ]
    assessment = review_assessment(customer=customer, declared_elsewhere=declared_elsewhere)
    day = reviewed_on or _today()
    item = (
        WorkItem.objects.select_for_update()
        .filter(customer=customer, rule=Rule.ACCOUNT_REVIEW, status=ItemStatus.OPEN)
        .order_by("period")
        .first()
    )
    review = AccountReview.objects.create(
        customer=customer,
        branch_id=customer.branch_id,
        trigger=trigger,
        life_event=life_event,
        reviewed_on=day,
        assessment=assessment,
        recommendations=recommendations.strip(),
        decision=decision,
        decision_note=decision_note.strip(),
        actions=cleaned_actions,
        work_item=item,
        reviewed_by=by,
    )
    if item is not None:
        item.status = ItemStatus.DONE
        item.outcome = Outcome.REVIEWED
        item.closed_at = timezone.now()
        item.closed_by = by
        item.save(update_fields=["status", "outcome", "closed_at", "closed_by"])
    audit_record(
        action="monitoring.review.record",
        actor=by,
        target=review,
        after={
            "trigger": trigger,
            "decision": decision,
            "total_gap": assessment["total_gap"],
            "actions": [a["kind"] for a in cleaned_actions],
        },
    )
    return review


@transaction.atomic
def account_review_decide(
    *, review: AccountReview, decision: str, decision_note: str = "", by: Staff
) -> AccountReview:
    require(by, "monitoring.review")
    if decision not in CustomerDecision.values or decision == CustomerDecision.PENDING:
        raise DomainError(_("Choose the customer's decision."), field="decision")
    locked = AccountReview.objects.select_for_update().get(pk=review.pk)
    before = locked.decision
    locked.decision = decision
    locked.decision_note = decision_note.strip()
    locked.save(update_fields=["decision", "decision_note"])
    audit_record(
        action="monitoring.review.decide",
        actor=by,
        target=locked,
        before={"decision": before},
        after={"decision": decision},
    )
    return locked


# --- The lapse-risk model -----------------------------------------------------------------


@transaction.atomic
def lapse_model_train_request(*, by: Staff) -> ModelTraining:
    """Queue a retraining (the model page's button and the API); the worker does it."""
    from .tasks import train_lapse_model

    require(by, "monitoring.model")
    busy = (RunStatus.QUEUED, RunStatus.RUNNING)
    if ModelTraining.objects.select_for_update().filter(status__in=busy).exists():
        raise ConflictError(
            _("A retraining is already queued or running."),
            field="training",
            code="monitoring_training_in_progress",
        )
    training = ModelTraining.objects.create(
        status=RunStatus.QUEUED, requested_by=by, as_of=_today()
    )
    audit_record(action="monitoring.model.train_request", actor=by, target=training)
    training_id = training.pk
    transaction.on_commit(lambda: train_lapse_model.enqueue(training_id))
    return training


def lapse_model_train_execute(*, training: ModelTraining) -> ModelTraining:
    """The worker's part: train as `lapse_model_train` does, keeping the training's state
    and progress (read the history, fit, score) for the page; a history that cannot train a
    model ends the training as failed, with the reason."""
    if training.status != RunStatus.QUEUED:
        return training  # done already (a task delivered twice)

    def progress(percent: int, step: str) -> None:
        ModelTraining.objects.filter(pk=training.pk).update(progress_percent=percent, step=step)

    ModelTraining.objects.filter(pk=training.pk).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), step="reading"
    )
    try:
        model = lapse_model_train(as_of=training.as_of, by=training.requested_by, progress=progress)
    except DomainError as error:
        ModelTraining.objects.filter(pk=training.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), detail=error.message
        )
    else:
        ModelTraining.objects.filter(pk=training.pk).update(
            status=RunStatus.SUCCEEDED,
            finished_at=timezone.now(),
            progress_percent=100,
            step="done",
            model=model,
        )
    training.refresh_from_db()
    return training


def lapse_model_train(
    *,
    as_of: dt.date | None = None,
    by: Staff | None,
    progress: Callable[[int, str], None] | None = None,
) -> LapseModel:
    """Train on the policy history in the database, store the model as numbers, score every
    policy and reorder the open work items by the new scores."""
    if by is not None:
        require(by, "monitoring.model")
    report = progress or (lambda percent, step: None)
    as_of = as_of or _today()
    history = risk.policy_history(as_of=as_of)
    report(40, "fitting")
    fitted = risk.fit(history)
    report(60, "scoring")
    with transaction.atomic():
        LapseModel.objects.filter(is_current=True).update(is_current=False)
        model = LapseModel.objects.create(
            trained_by=by,
            as_of=as_of,
            features=fitted.features,
            intercept=fitted.intercept,
            n_train=fitted.n_train,
            n_test=fitted.n_test,
            positive_rate=fitted.positive_rate,
            auc=fitted.auc,
            brier=fitted.brier,
            calibration=fitted.calibration,
            is_current=True,
        )
        now = timezone.now()
        PolicyRiskScore.objects.all().delete()
        PolicyRiskScore.objects.bulk_create(
            [
                PolicyRiskScore(
                    policy_id=pk,
                    model=model,
                    score=risk.score_row(row, fitted.features, fitted.intercept),
                    scored_at=now,
                )
                for pk, row in zip(history.policy_ids, history.rows, strict=True)
            ],
            batch_size=2000,
        )
        work_items_reprioritise()
        audit_record(
            action="monitoring.model.train",
            actor=by,
            target=model,
            after={"auc": fitted.auc, "n_train": fitted.n_train, "n_test": fitted.n_test},
        )
    return model


def work_items_reprioritise() -> int:
    """Recompute the priority of open policy items from the current scores (set-based)."""
    items, scores = WorkItem._meta.db_table, PolicyRiskScore._meta.db_table
    weight = " ".join(f"WHEN '{rule}' THEN {spec.weight}" for rule, spec in rules.RULES.items())
    sql = (
        f"UPDATE {items} SET priority = CAST(ROUND((CASE rule {weight} ELSE 1 END) * "  # noqa: S608
        f"(1 + COALESCE((SELECT s.score FROM {scores} s WHERE s.policy_id = {items}.policy_id), "
        f"{rules.DEFAULT_RISK})) * 10) AS INTEGER) "
        f"WHERE status = %s AND policy_id IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ItemStatus.OPEN])
        return max(0, cursor.rowcount)
