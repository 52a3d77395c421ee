"""Demo callbacks: a year of tasks and calls for the seed branch's new long-term policies.

Set-based (bulk_create): one task per long-term policy whose receipt was signed from the
operations year's first day (1 January) to two weeks before the load, due on the last day of
its cooling-off, and its calls, cut at the load's moment (a task whose calls or letter are
still to come is open). The last two weeks' receipts get their tasks from the sync, through the
services (callbacks.demo_live).
What happens to a task follows what the population really carries (shared/seeds/004):

- a mobile with 0594 prepended (bancassurance at CCB) rings nowhere: invalid-number calls
  until the fallback letter, unless the number is repaired in time (more often from June,
  when the branch started chasing contact details);
- a bancassurance or broker policy with no phone at all gets no call: straight to a letter;
- a customer who understands only Puxian (莆仙话) refuses the Mandarin caller: a dialect
  barrier, re-queued to the dialect seat, which often comes too late for cooling-off;
- a number shared with unrelated customers reaches someone else first;
- a mobile filed as an office phone can still be dialled, with some misses.

Problems found (mis-selling) are a handful of finished complaints, written through
demo.historic_cases with their Complaint rows. A second call creates nothing.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from policydesk.complaints.models import Complaint, RootCause
from policydesk.complaints.models import Outcome as ComplaintOutcome
from policydesk.core.errors import DomainError
from policydesk.core.phones import check_phone
from policydesk.customers import quality
from policydesk.customers.models import (
    ContactDefect,
    ContactKind,
    ContactPoint,
    DefectCode,
    PhoneType,
)
from policydesk.demo.historic_cases import HistoricCase, bulk_historic_cases
from policydesk.demo.operations_year import operations_period
from policydesk.newbusiness.demo_policies import phone_contact
from policydesk.org.models import Branch, Language, Role, Staff, Team
from policydesk.policies.models import Policy, PolicyStatus, PolicyStatusChange, Term

from .demo_live import live_queue
from .models import (
    OPEN_STATUSES,
    CallbackAttempt,
    CallbackScript,
    CallbackTask,
    CallbackTrigger,
    FallbackKind,
    Outcome,
    TaskStatus,
)
from .services import (
    DIALECT_BARRIER,
    UNUSABLE_DEFECTS,
    applicable_questions,
    callback_due_on,
    config_sync,
    success_likelihood,
)

# --- Dials (probabilities) -------------------------------------------------------------------
CLEAN_SUCCESS = 0.93  # reachable, Mandarin: succeeds in one to three calls
PROBLEM_FOUND = 0.012  # the customer did not understand the surrender loss, etc.
REFUSED = 0.02
FIXED_FIELD_SUCCESS = 0.80  # a mobile filed as an office phone: dialled, some misses
SHARED_REACHES_SOMEONE_ELSE = 0.6
SHARED_SUCCESS_AFTER = 0.55
DIALECT_BARRIER_BEFORE_JUNE = 0.80  # Mandarin seats; from June the dialect seat calls first
DIALECT_BARRIER_FROM_JUNE = 0.30
DIALECT_SUCCESS_AFTER_REQUEUE = 0.55  # the dialect seat's backlog: often too late
REPAIR_BEFORE_JUNE = 0.10  # an unusable number repaired before cooling-off ends
REPAIR_FROM_JUNE = 0.45
LETTER_SIGNED = 0.45  # a fallback letter's receipt comes back signed
CHASE_MONTH = 6  # "从六月开始": the branch started chasing callbacks in June
LIVE_DAYS = 14  # receipts of the last two weeks: their tasks come from the sync at load
# What a repaired number no longer has (the 0594 stripped, the mobile re-filed, a new one).
REPAIRED_DEFECTS = UNUSABLE_DEFECTS | {DefectCode.MOBILE_IN_FIXED_LINE_FIELD}
EMPTY = {
    "tasks": 0,
    "attempts": 0,
    "complaints": 0,
    "repaired_contacts": 0,
    "live_tasks": 0,
    "live_attempts": 0,
}


@dataclass
class _Plan:
    """One task's calls: (local moment, outcome, notes) and how it ends."""

    calls: list[tuple[dt.datetime, str, str]] = field(default_factory=list)
    status: str = TaskStatus.OPEN
    succeeded_at: dt.datetime | None = None
    fallback_sent_at: dt.datetime | None = None
    fallback_returned_at: dt.datetime | None = None
    language_needed: bool = False
    barrier: bool = False
    repaired: bool = False
    repaired_at: dt.datetime | None = None
    problem: bool = False


class _Dialler:
    def __init__(self, rng: random.Random, zone: zoneinfo.ZoneInfo):
        self.rng = rng
        self.zone = zone

    def moment(self, day: dt.date) -> dt.datetime:
        """A call time on `day` between 09:00 and 20:30 local (never in the quiet hours)."""
        minutes = self.rng.randint(9 * 60, 20 * 60 + 30)
        return dt.datetime.combine(
            day, dt.time(minutes // 60, minutes % 60), tzinfo=self.zone
        ).astimezone(dt.UTC)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


def _plan(
    dial: _Dialler,
    *,
    occasion: dt.date,
    due: dt.date,
    codes: set[str],
    dialect_only: bool,
    has_phone: bool,
) -> _Plan:
    plan = _Plan()
    chasing = occasion.month >= CHASE_MONTH
    day = occasion + dt.timedelta(days=dial.rng.randint(1, 3))

    def call(outcome: str, notes: str = "") -> None:
        nonlocal day
        plan.calls.append((dial.moment(day), outcome, notes))
        day += dt.timedelta(days=dial.rng.randint(1, 2))

    def succeed() -> None:
        call(Outcome.SUCCESS)
        plan.status, plan.succeeded_at = TaskStatus.SUCCEEDED, plan.calls[-1][0]

    def letter() -> None:
        plan.fallback_sent_at = dial.moment(day)
        if dial.chance(LETTER_SIGNED):
            back = day + dt.timedelta(days=dial.rng.randint(8, 25))
            plan.fallback_returned_at = plan.succeeded_at = dial.moment(back)
            plan.status = TaskStatus.SUCCEEDED
        elif dial.chance(0.5):
            back = day + dt.timedelta(days=dial.rng.randint(15, 40))
            plan.fallback_returned_at = dial.moment(back)
            plan.status = TaskStatus.FAILED
        else:
            plan.status = TaskStatus.FALLBACK_SENT

    unusable = bool(codes & UNUSABLE_DEFECTS) or not has_phone
    if unusable:
        if has_phone:
            call(Outcome.INVALID_NUMBER, "空号 / 号码错误")
        if dial.chance(REPAIR_FROM_JUNE if chasing else REPAIR_BEFORE_JUNE):
            # The sales side collected a working number (the worklist) or the agent stripped
            # the 0594; the call on the repaired number succeeds.
            day += dt.timedelta(days=dial.rng.randint(0, 3))
            plan.repaired, plan.repaired_at = True, dial.moment(day)
            succeed()
            if plan.calls[-1][0] <= plan.repaired_at:
                plan.repaired_at = plan.calls[-1][0] - dt.timedelta(minutes=10)
            return plan
        while has_phone and len(plan.calls) < 3:
            call(Outcome.INVALID_NUMBER)
        letter()
        return plan
    if dialect_only:
        plan.language_needed = True
        if dial.chance(DIALECT_BARRIER_FROM_JUNE if chasing else DIALECT_BARRIER_BEFORE_JUNE):
            plan.barrier = True
            call(Outcome.DIALECT_BARRIER, "客户只听得懂莆仙话")
            # The dialect seat's backlog: the re-queued call comes days later.
            day += dt.timedelta(days=dial.rng.randint(3, 14))
            if dial.chance(DIALECT_SUCCESS_AFTER_REQUEUE):
                succeed()
                return plan
            call(Outcome.NO_ANSWER)
            call(Outcome.REFUSED)
            call(Outcome.NO_ANSWER)
            letter()
            return plan
    if DefectCode.SHARED_NUMBER in codes and dial.chance(SHARED_REACHES_SOMEONE_ELSE):
        call(Outcome.NOT_POLICYHOLDER, "接听人不是投保人")
        if not dial.chance(SHARED_SUCCESS_AFTER):
            call(Outcome.NOT_POLICYHOLDER)
            call(Outcome.NO_ANSWER)
            letter()
            return plan
    success = (
        FIXED_FIELD_SUCCESS if DefectCode.MOBILE_IN_FIXED_LINE_FIELD in codes else CLEAN_SUCCESS
    )
    roll = dial.rng.random()
    if roll < PROBLEM_FOUND:
        call(Outcome.PROBLEM_FOUND, "客户表示业务员未说明退保损失")
        plan.status, plan.problem = TaskStatus.PROBLEM, True
        return plan
    if roll < PROBLEM_FOUND + REFUSED:
        call(Outcome.REFUSED, "客户拒绝回访")
    for _ in range(dial.rng.choice([0, 0, 0, 1, 1, 2])):
        call(Outcome.NO_ANSWER)
    if dial.chance(success):
        succeed()
        return plan
    while sum(1 for c in plan.calls if c[1] != Outcome.SUCCESS) < 3:
        call(Outcome.NO_ANSWER)
    letter()
    return plan


def _as_of(plan: _Plan, now: dt.datetime) -> None:
    """Cut the plan at `now`: later calls, letters, receipts and repairs have not happened
    yet, so the task is still being dialled, waits for its letter to go, or for it to come
    back."""
    if plan.repaired_at is not None and plan.repaired_at > now:
        plan.repaired, plan.repaired_at = False, None
    kept = [call for call in plan.calls if call[0] <= now]
    if len(kept) < len(plan.calls):
        plan.calls, plan.status = kept, TaskStatus.OPEN
        plan.problem = False  # a problem call ends the plan: it was the one cut
        plan.succeeded_at = plan.fallback_sent_at = plan.fallback_returned_at = None
    elif plan.fallback_sent_at is not None and plan.fallback_sent_at > now:
        plan.status, plan.fallback_sent_at = TaskStatus.FALLBACK_DUE, None
        plan.succeeded_at = plan.fallback_returned_at = None
    elif plan.fallback_returned_at is not None and plan.fallback_returned_at > now:
        plan.status, plan.succeeded_at, plan.fallback_returned_at = (
            TaskStatus.FALLBACK_SENT,
            None,
            None,
        )


def _defects(customer_ids: set[int]) -> dict[tuple[int, int | None], set[str]]:
    """Open defect codes by (customer, policy or None)."""
    found: dict[tuple[int, int | None], set[str]] = defaultdict(set)
    rows = ContactDefect.objects.filter(
        customer_id__in=customer_ids, resolved_at__isnull=True
    ).values_list("customer_id", "policy_id", "code")
    for customer_id, policy_id, code in rows.iterator(chunk_size=5000):
        found[(customer_id, policy_id)].add(code)
    return found


def _grace_occasions(
    branch: Branch, first: dt.date, last: dt.date
) -> list[tuple[Policy, CallbackTrigger, dt.date, dt.date]]:
    """Grace-period reminders (宽限期回访) for the year's policies that went into grace."""
    grace = CallbackTrigger.objects.filter(code="grace-period").first()
    if grace is None:
        return []
    changes = (
        PolicyStatusChange.objects.filter(
            policy__branch=branch,
            to_status__in=grace.statuses,
            changed_on__gte=first,
            changed_on__lte=last,
        )
        .select_related("policy__product", "policy__policyholder__preferred_language")
        .order_by("policy_id", "changed_on")
    )
    seen: set[tuple[int, dt.date]] = set()
    found = []
    for change in changes:
        if (change.policy_id, change.changed_on) in seen:
            continue
        seen.add((change.policy_id, change.changed_on))
        due = change.changed_on + dt.timedelta(days=grace.due_days)
        found.append((change.policy, grace, change.changed_on, due))
    return found


def _script(
    trigger: CallbackTrigger,
    policy: Policy,
    scripts: dict[str, CallbackScript],
    by_line: dict[str, CallbackScript],
) -> CallbackScript:
    if trigger.script_id is not None:
        return next(s for s in scripts.values() if s.pk == trigger.script_id)
    return by_line.get(policy.product.line) or scripts["default"]


def _questions_yes(script: CallbackScript, policy: Policy) -> dict[str, str]:
    return {q["code"]: "yes" for q in applicable_questions(script, policy)}


@transaction.atomic
def callbacks_demo(*, branch: Branch, seed: int, as_of: dt.date) -> dict[str, int]:
    """A year of callback tasks and calls for `branch`; returns what was created (zeros when
    the branch already has demo callbacks)."""
    config_sync()
    trigger = CallbackTrigger.objects.get(code="new-policy")
    first, _last = operations_period(as_of)
    zone = zoneinfo.ZoneInfo(branch.timezone)
    # The load's moment (the end of `as_of`'s calling day for a load in the past): what
    # would happen after it has not happened yet. The history runs from the operations
    # year's first day to LIVE_DAYS before it; the newest receipts are the live queue's.
    now = timezone.now()
    if as_of < timezone.localdate(now):
        now = dt.datetime.combine(as_of, dt.time(20), tzinfo=zone).astimezone(dt.UTC)
    last = timezone.localdate(now) - dt.timedelta(days=LIVE_DAYS)
    policies = list(
        Policy.objects.filter(
            branch=branch,
            product__term=Term.LONG,
            product__callback_required=True,
            term_years__gt=trigger.min_term_years,
            receipt_signed_date__gte=first,
            receipt_signed_date__lte=last,
        )
        .exclude(status__in=(PolicyStatus.DECLINED, PolicyStatus.WITHDRAWN))
        .exclude(pk__in=CallbackTask.objects.filter(trigger=trigger).values("policy_id"))
        .select_related("product", "policyholder__preferred_language")
        .order_by("pk")
    )
    if not policies or CallbackTask.objects.filter(branch=branch, trigger=trigger).exists():
        return dict(EMPTY)
    rng = random.Random(seed)  # noqa: S311 -- demo data, not security
    dial = _Dialler(rng, zone)
    scripts = {s.code: s for s in CallbackScript.objects.filter(is_active=True)}
    by_line = {s.product_line: s for s in scripts.values() if s.product_line}
    agent = (
        Staff.objects.filter(branch=branch, role=Role.CALLBACK_AGENT, is_active=True)
        .order_by("pk")
        .first()
    )
    agent_languages = list(agent.languages.values_list("pk", flat=True)) if agent else []
    team = Team.objects.filter(branch=branch, code="callbacks").first()
    puxian = Language.objects.filter(code="puxian").first()
    occasions: list[tuple[Policy, CallbackTrigger, dt.date, dt.date]] = []
    for policy in policies:
        assert policy.receipt_signed_date is not None  # noqa: S101 -- filtered above
        try:
            due = callback_due_on(policy)
        except DomainError:  # a product without cooling-off for the jurisdiction: no callback
            continue
        occasions.append((policy, trigger, policy.receipt_signed_date, due))
    occasions += _grace_occasions(branch, first, last)
    # In the order they happened: a number repaired for one task is repaired for the next.
    occasions.sort(key=lambda item: (item[2], item[0].pk))
    holders = {policy.policyholder_id for policy, *_rest in occasions}
    defects = _defects(holders)
    phones = set(
        ContactPoint.objects.filter(customer_id__in=holders, kind=ContactKind.PHONE).values_list(
            "customer_id", flat=True
        )
    )
    repairs: dict[int, tuple[dt.datetime, str]] = {}  # customer: (when, the working number)
    suggested = _suggested_numbers(holders)
    tasks: list[CallbackTask] = []
    plans: list[tuple[CallbackTask, _Plan, Policy]] = []
    for policy, task_trigger, occasion, due in occasions:
        holder = policy.policyholder
        codes = defects.get((holder.pk, None), set()) | defects.get((holder.pk, policy.pk), set())
        repaired_before = holder.pk in repairs and repairs[holder.pk][0].date() < occasion
        if repaired_before:
            codes -= REPAIRED_DEFECTS
        language = holder.preferred_language
        dialect_only = language is not None and language.is_dialect
        plan = _plan(
            dial,
            occasion=occasion,
            due=due,
            codes=codes,
            dialect_only=dialect_only,
            has_phone=holder.pk in phones or repaired_before,
        )
        _as_of(plan, now)
        if plan.repaired and plan.repaired_at is not None and holder.pk not in repairs:
            number = suggested.get(holder.pk) or _collected_mobile(rng)
            repairs[holder.pk] = (plan.repaired_at, number)
        if policy.status == PolicyStatus.CANCELLED_COOLING_OFF:
            plan.status = TaskStatus.CANCELLED
        snapshot = sorted(codes | ({DIALECT_BARRIER} if plan.barrier else set()))
        created = dt.datetime.combine(occasion, dt.time(2), tzinfo=dt.UTC)
        last_call = plan.calls[-1] if plan.calls else None
        failed = sum(
            1
            for c in plan.calls
            if c[1] in (Outcome.NO_ANSWER, Outcome.INVALID_NUMBER, Outcome.REFUSED)
            or c[1] == Outcome.NOT_POLICYHOLDER
        )
        closed = plan.fallback_returned_at or plan.succeeded_at
        if plan.problem and last_call is not None:
            closed = last_call[0]
        task = CallbackTask(
            branch=branch,
            policy=policy,
            customer=holder,
            trigger=task_trigger,
            script=_script(task_trigger, policy, scripts, by_line),
            occasion_on=occasion,
            due_on=due,
            cooling_off_end=due if task_trigger.pk == trigger.pk else policy.cooling_off_end,
            status=plan.status,
            team=team,
            assignee=agent,
            language_needed=puxian if plan.language_needed else None,
            defect_codes=snapshot,
            failed_attempts=failed,
            attempts_count=len(plan.calls),
            last_outcome=last_call[1] if last_call else "",
            fallback_kind=task_trigger.retry_policy.fallback
            if plan.fallback_sent_at or plan.status == TaskStatus.FALLBACK_DUE
            else "",
            fallback_sent_at=plan.fallback_sent_at,
            fallback_reference=_fallback_reference(rng, task_trigger.retry_policy.fallback)
            if plan.fallback_sent_at
            else "",
            fallback_returned_at=plan.fallback_returned_at,
            succeeded_at=plan.succeeded_at,
            closed_at=closed if plan.status not in OPEN_STATUSES else None,
            created_at=created,
        )
        task.score = success_likelihood(
            defect_codes=[] if plan.repaired else snapshot,
            language_needed_id=task.language_needed_id,
            assignee_language_ids=agent_languages,
            failed_attempts=min(failed, 3),
            hour=10,
        )
        tasks.append(task)
        plans.append((task, plan, policy))
    CallbackTask.objects.bulk_create(tasks, batch_size=2000)
    complaints = _problem_complaints(branch, [(t, p, pol) for t, p, pol in plans if p.problem], rng)
    attempts = []
    for task, plan, policy in plans:
        for moment, outcome, notes in plan.calls:
            attempts.append(
                CallbackAttempt(
                    task_id=task.pk,
                    at=moment,
                    by=agent,
                    number_dialled="",
                    outcome=outcome,
                    answers=_questions_yes(task.script, policy)
                    if outcome == Outcome.SUCCESS
                    else {},
                    notes=notes,
                    language=puxian if outcome == Outcome.DIALECT_BARRIER else None,
                )
            )
    _number_attempts(attempts, plans, repairs)
    CallbackAttempt.objects.bulk_create(attempts, batch_size=5000)
    repaired = _repair_contacts(repairs)
    live = live_queue(branch=branch, agent=agent, now=now)
    return {
        "tasks": len(tasks),
        "attempts": len(attempts),
        "complaints": complaints,
        "repaired_contacts": repaired,
        "live_tasks": live["tasks"],
        "live_attempts": live["attempts"],
    }


def _number_attempts(
    attempts: list[CallbackAttempt],
    plans: list[tuple[CallbackTask, _Plan, Policy]],
    repairs: dict[int, tuple[dt.datetime, str]],
) -> None:
    """The number each call dialled: the policyholder's primary phone as it was on file, the
    repaired number once it was repaired."""
    holders = {task.customer_id for task, _plan, _policy in plans}
    first_phone: dict[int, str] = {}
    for customer_id, raw in (
        ContactPoint.objects.filter(customer_id__in=holders, kind=ContactKind.PHONE)
        .order_by("customer_id", "-is_primary", "pk")
        .values_list("customer_id", "raw")
    ):
        first_phone.setdefault(customer_id, raw)
    customer_of = {task.pk: task.customer_id for task, _plan, _policy in plans}
    for attempt in attempts:
        customer_id = customer_of[attempt.task_id]
        repair = repairs.get(customer_id)
        if repair is not None and attempt.at >= repair[0]:
            attempt.number_dialled = repair[1]
        else:
            attempt.number_dialled = first_phone.get(customer_id, "")[:32] or "—"


def _problem_complaints(
    branch: Branch, problems: list[tuple[CallbackTask, _Plan, Policy]], rng: random.Random
) -> int:
    """The mis-selling complaints the problem callbacks opened, finished, set-based."""
    if not problems:
        return 0
    cause = RootCause.objects.filter(code="mis-selling").first()
    items = []
    for task, plan, policy in problems:
        opened = plan.calls[-1][0]
        decided = opened + dt.timedelta(days=rng.randint(5, 14))
        items.append(
            HistoricCase(
                branch=branch,
                subject=f"回访问题件：保单 {policy.number}",
                opened_at=opened,
                channel="phone",
                steps=[
                    ("accepted", opened + dt.timedelta(hours=2)),
                    ("investigating", opened + dt.timedelta(days=1)),
                    ("decided", decided),
                    ("notified", decided + dt.timedelta(days=1)),
                    ("closed", decided + dt.timedelta(days=2)),
                ],
                customer_id=task.customer_id,
                policy_id=policy.pk,
                team_code="complaints",
                classification="mis-selling",
                resolution="销售人员以外的人员核实：已向客户重新说明退保损失，客户选择继续持有。",
            )
        )
    case_ids = bulk_historic_cases(process_code="complaint", items=items)
    complaints = [
        Complaint(
            case_id=case_id,
            agent_id=policy.agent_id,
            intermediary_id=policy.intermediary_id,
            root_cause=cause,
            outcome=ComplaintOutcome.PARTLY_UPHELD,
            decided_at=item.steps[2][1],
            notified_at=item.steps[3][1],
            notice_channel="phone",
            created_at=item.opened_at,
        )
        for case_id, item, (_task, _plan, policy) in zip(case_ids, items, problems, strict=True)
    ]
    Complaint.objects.bulk_create(complaints)
    for (task, _plan, _policy), complaint in zip(problems, complaints, strict=True):
        task.complaint = complaint
    CallbackTask.objects.bulk_update([t for t, _p, _pol in problems], ["complaint"])
    return len(complaints)


def _fallback_reference(rng: random.Random, kind: str) -> str:
    if kind == FallbackKind.VISIT:
        return f"SM{rng.randrange(10**6, 10**7)}"  # 上门回访 record
    return f"EMS{rng.randrange(10**9, 10**10)}"  # registered letter's tracking number


def _suggested_numbers(customer_ids: set[int]) -> dict[int, str]:
    """The number the contact-quality check suggests (the mobile without the 0594), by
    customer."""
    found: dict[int, str] = {}
    rows = ContactDefect.objects.filter(
        customer_id__in=customer_ids,
        code=DefectCode.AREA_CODE_PREFIXED_MOBILE,
        resolved_at__isnull=True,
    ).exclude(suggestion="")
    for customer_id, suggestion in rows.order_by("pk").values_list("customer_id", "suggestion"):
        found.setdefault(customer_id, suggestion.removeprefix("+86"))
    return found


def _collected_mobile(rng: random.Random) -> str:
    """A working mobile the sales side collected from the customer."""
    return rng.choice(("135", "137", "138", "139", "158", "159", "188")) + (
        f"{rng.randrange(10**8):08d}"
    )


def _repair_contacts(repairs: dict[int, tuple[dt.datetime, str]]) -> int:
    """The year's contact repairs, set-based: the prefixed mobile corrected (0594 stripped,
    filed as a mobile), or the number the sales side collected added as the primary phone;
    the defects it cured resolved at the repair's moment; the customers' contact quality
    re-checked (customers.quality), as `customers.services.contact_repair` does one by one."""
    if not repairs:
        return 0
    prefixed = dict(
        ContactDefect.objects.filter(
            customer_id__in=repairs,
            code=DefectCode.AREA_CODE_PREFIXED_MOBILE,
            resolved_at__isnull=True,
            contact__isnull=False,
        )
        .order_by("-pk")
        .values_list("customer_id", "contact_id")
    )
    phones = ContactPoint.objects.filter(customer_id__in=repairs, kind=ContactKind.PHONE)
    on_file = {(c, raw): pk for pk, c, raw in phones.values_list("pk", "customer_id", "raw")}
    fixed: list[ContactPoint] = []
    doubles: list[ContactPoint] = []
    for contact in ContactPoint.objects.filter(pk__in=prefixed.values()):
        (
            doubles if (contact.customer_id, repairs[contact.customer_id][1]) in on_file else fixed
        ).append(contact)
    # The customer has the repaired number on file already (the bank sent it with the 0594):
    # the prefixed copy goes, its finding kept (resolved below), the number on file made primary.
    ContactDefect.objects.filter(contact__in=doubles).update(contact=None)
    ContactPoint.objects.filter(pk__in=[c.pk for c in doubles]).delete()
    primary = [on_file[(c.customer_id, repairs[c.customer_id][1])] for c in doubles]
    phones.filter(customer_id__in=[c.customer_id for c in doubles]).update(is_primary=False)
    ContactPoint.objects.filter(pk__in=primary).update(is_primary=True)
    added = []
    for contact in fixed:
        moment, number = repairs[contact.customer_id]
        check = check_phone(number, entered_as=PhoneType.MOBILE)
        contact.raw, contact.phone_type, contact.e164 = number, PhoneType.MOBILE, check.e164
        contact.is_valid, contact.updated_at = check.is_valid, moment
    ContactPoint.objects.bulk_update(
        fixed, ["raw", "phone_type", "e164", "is_valid", "updated_at"], batch_size=1000
    )
    for customer_id, (moment, number) in repairs.items():
        if customer_id in prefixed or (customer_id, number) in on_file:
            continue
        added.append(
            phone_contact(customer_id, number, PhoneType.MOBILE, source="callback", at=moment)
        )
    ContactPoint.objects.filter(
        customer_id__in=[c.customer_id for c in added], kind=ContactKind.PHONE, is_primary=True
    ).update(is_primary=False)
    ContactPoint.objects.bulk_create(added, batch_size=1000)
    defects = list(
        ContactDefect.objects.filter(
            customer_id__in=repairs, code__in=REPAIRED_DEFECTS, resolved_at__isnull=True
        )
    )
    for defect in defects:
        defect.resolved_at = repairs[defect.customer_id][0]
    ContactDefect.objects.bulk_update(defects, ["resolved_at"], batch_size=1000)
    quality.refresh_many(set(repairs))
    return len(repairs)
