"""Writes to callbacks (回访): the task sync, attempts, fallbacks, contact repairs, routing and
the configuration (retry policies, triggers, scripts).

Rules (DOMAIN.md §2):

- every new policy with a term over one year whose product asks for a callback is called
  inside its cooling-off period: due on its last day (CN 15 days from the day after the
  receipt is signed, HK 21, SG 14 — 21 for a direct purchase), from the product's registry
  entry (`policies.services.cooling_off_end`);
- grace-period reminders (宽限期回访) and any other trigger are rows of `CallbackTrigger`;
- no outbound calls between the retry policy's quiet hours (21:00–09:00), in the branch's
  time zone;
- after the retry policy's number of failed phone attempts the task falls back to a letter
  or a visit with a signed receipt, tracked until the receipt returns;
- a "language or dialect barrier" re-queues the task to an agent speaking the language;
- a problem found (mis-selling) opens a complaint on the case engine with a 15-working-day
  resolution clock, owned by someone other than the salesperson.

Every write holds the task's row lock (`select_for_update`), so two agents cannot record
attempts on one task at once, and is audited.
"""

from __future__ import annotations

import datetime as dt
import tomllib
import zoneinfo
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.access import require, require_branch_visible
from policydesk.core.audit import audit_record
from policydesk.core.errors import DomainError
from policydesk.customers.models import ContactDefect, ContactKind, ContactPoint, DefectCode
from policydesk.org.models import Branch, Language, Role, Staff, Team
from policydesk.policies.models import (
    TERMINAL_STATUSES,
    Channel,
    Jurisdiction,
    PaymentMode,
    Policy,
    PolicyStatusChange,
    Term,
)
from policydesk.policies.services import cooling_off_end

from .models import (
    FAILED_OUTCOMES,
    OPEN_STATUSES,
    CallbackAttempt,
    CallbackScript,
    CallbackTask,
    CallbackTrigger,
    FallbackKind,
    Outcome,
    RetryPolicy,
    TaskStatus,
    TriggerKind,
)

CONFIG_FILE = Path(__file__).resolve().parent / "callbacks.toml"
TEAM_CODE = "callbacks"
COMPLAINTS_TEAM_CODE = "complaints"
PROBLEM_SLA_POLICY = "callback-problem"
PROBLEM_CLOCK = "callback-problem-resolution"
# The sync looks this many days back for occasions (receipts signed, statuses reached), so a
# missed run is caught up without reaching into the whole historical book.
LOOKBACK_DAYS = 45
# Singapore: 14 days, 21 for a policy bought directly (no intermediary, no agent).
SG_DIRECT_DAYS = 21
DEFAULT_RETRY_HOURS = 4
# Defects that leave a phone unable to reach the customer at all.
UNUSABLE_DEFECTS = frozenset(
    {
        DefectCode.AREA_CODE_PREFIXED_MOBILE,
        DefectCode.INVALID_LENGTH,
        DefectCode.INVALID_NUMBER,
        DefectCode.NO_REACHABLE_NUMBER,
    }
)
DIALECT_BARRIER = "dialect_barrier"  # the KPI page's pseudo-defect
ANSWERS = ("yes", "no")


# --- Configuration --------------------------------------------------------------------------


def _time(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


@transaction.atomic
def config_sync() -> int:
    """Create the retry policies, scripts and triggers of callbacks.toml that are missing and
    refresh rows nobody edited; returns how many rows were created."""
    data = tomllib.loads(CONFIG_FILE.read_text(encoding="utf-8"))
    created = 0
    policies: dict[str, RetryPolicy] = {}
    for code, item in data["retry_policies"].items():
        values = {
            "name": item["name"],
            "max_attempts": item["max_attempts"],
            "retry_after_hours": item["retry_after_hours"],
            "fallback": item["fallback"],
            "quiet_start": _time(item["quiet_start"]),
            "quiet_end": _time(item["quiet_end"]),
        }
        policy, made = RetryPolicy.objects.get_or_create(code=code, defaults=values)
        if not made and policy.edited_at is None:
            RetryPolicy.objects.filter(pk=policy.pk).update(**values)
        created += made
        policies[code] = policy
    scripts: dict[str, CallbackScript] = {}
    for item in data["scripts"]:
        values = {
            "name": item["name"],
            "product_line": item["product_line"],
            "questions": item["questions"],
        }
        script, made = CallbackScript.objects.get_or_create(code=item["code"], defaults=values)
        if not made and script.edited_at is None:
            CallbackScript.objects.filter(pk=script.pk).update(**values)
        created += made
        scripts[script.code] = script
    for code, item in data["triggers"].items():
        values = {
            "name": item["name"],
            "name_en": item.get("name_en", ""),
            "kind": item["kind"],
            "statuses": item.get("statuses", []),
            "due_days": item.get("due_days", 0),
            "min_term_years": item.get("min_term_years", 0),
            "retry_policy": policies[item["retry_policy"]],
            "script": scripts.get(item.get("script", "")),
            "is_active": item.get("active", True),
        }
        trigger, made = CallbackTrigger.objects.get_or_create(code=code, defaults=values)
        if not made and trigger.edited_at is None:
            CallbackTrigger.objects.filter(pk=trigger.pk).update(**values)
        created += made
    return created


@transaction.atomic
def retry_policy_update(
    *,
    retry_policy: RetryPolicy,
    max_attempts: int,
    retry_after_hours: dict[str, int],
    fallback: str,
    quiet_start: dt.time,
    quiet_end: dt.time,
    by: Staff,
) -> RetryPolicy:
    """The Head of Service changes how often tasks are dialled and what follows."""
    require(by, "callbacks.manage")
    if not 1 <= max_attempts <= 10:
        raise DomainError(_("Allow between 1 and 10 phone attempts."), field="max_attempts")
    if fallback not in FallbackKind.values:
        raise DomainError(_("Choose a letter or a visit."), field="fallback")
    for outcome, hours in retry_after_hours.items():
        if outcome not in Outcome.values:
            raise DomainError(
                _("Unknown outcome %(code)s.") % {"code": outcome}, field="retry_after_hours"
            )
        if not isinstance(hours, int) or not 0 <= hours <= 24 * 14:
            raise DomainError(
                _("Give the hours before the next attempt as a whole number up to 336."),
                field="retry_after_hours",
            )
    if quiet_start == quiet_end:
        raise DomainError(
            _("The quiet hours must start and end at different times."), field="quiet_end"
        )
    before = {
        "max_attempts": retry_policy.max_attempts,
        "retry_after_hours": retry_policy.retry_after_hours,
        "fallback": retry_policy.fallback,
        "quiet": [str(retry_policy.quiet_start), str(retry_policy.quiet_end)],
    }
    retry_policy.max_attempts = max_attempts
    retry_policy.retry_after_hours = dict(retry_after_hours)
    retry_policy.fallback = fallback
    retry_policy.quiet_start, retry_policy.quiet_end = quiet_start, quiet_end
    retry_policy.edited_at = timezone.now()
    retry_policy.save()
    audit_record(
        action="callbacks.retry_policy.update",
        actor=by,
        target=retry_policy,
        before=before,
        after={
            "max_attempts": max_attempts,
            "retry_after_hours": retry_after_hours,
            "fallback": fallback,
            "quiet": [str(quiet_start), str(quiet_end)],
        },
    )
    return retry_policy


@transaction.atomic
def trigger_update(
    *,
    trigger: CallbackTrigger,
    is_active: bool,
    due_days: int,
    retry_policy: RetryPolicy,
    by: Staff,
) -> CallbackTrigger:
    """Switch a trigger on or off, or change when its tasks are due and how they are retried."""
    require(by, "callbacks.manage")
    if not 0 <= due_days <= 365:
        raise DomainError(_("Give the due days between 0 and 365."), field="due_days")
    before = {
        "active": trigger.is_active,
        "due_days": trigger.due_days,
        "retry_policy": trigger.retry_policy_id,
    }
    trigger.is_active, trigger.due_days, trigger.retry_policy = is_active, due_days, retry_policy
    trigger.edited_at = timezone.now()
    trigger.save()
    audit_record(
        action="callbacks.trigger.update",
        actor=by,
        target=trigger,
        before=before,
        after={"active": is_active, "due_days": due_days, "retry_policy": retry_policy.pk},
    )
    return trigger


# --- Rules ------------------------------------------------------------------------------------


def callback_due_on(policy: Policy) -> dt.date:
    """Last day of the cooling-off period, when the callback must have succeeded."""
    if policy.receipt_signed_date is None:
        raise DomainError(_("The receipt is not signed yet."), field="receipt_signed_date")
    if (
        policy.jurisdiction == Jurisdiction.SINGAPORE
        and policy.channel == Channel.DIRECT
        and policy.agent_id is None
        and policy.intermediary_id is None
    ):
        days = int(policy.product.cooling_off_days.get("SG_direct", SG_DIRECT_DAYS))
        return policy.receipt_signed_date + dt.timedelta(days=days)
    return cooling_off_end(policy.product, policy.jurisdiction, policy.receipt_signed_date)


def is_quiet(moment: dt.datetime, branch: Branch, retry_policy: RetryPolicy) -> bool:
    """Whether `moment` falls in the quiet hours in the branch's time zone."""
    local = moment.astimezone(zoneinfo.ZoneInfo(branch.timezone)).time()
    start, end = retry_policy.quiet_start, retry_policy.quiet_end
    if start > end:  # overnight, e.g. 21:00–09:00
        return local >= start or local < end
    return start <= local < end


def next_callable(moment: dt.datetime, branch: Branch, retry_policy: RetryPolicy) -> dt.datetime:
    """`moment`, or the end of the quiet hours it falls in."""
    if not is_quiet(moment, branch, retry_policy):
        return moment
    zone = zoneinfo.ZoneInfo(branch.timezone)
    local = moment.astimezone(zone)
    day = local.date()
    if local.time() >= retry_policy.quiet_end:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, retry_policy.quiet_end, tzinfo=zone).astimezone(dt.UTC)


def applicable_questions(script: CallbackScript, policy: Policy) -> list[dict[str, Any]]:
    """The script's questions for this policy: instalment terms only for instalments."""
    instalments = policy.payment_mode != PaymentMode.SINGLE
    return [q for q in script.questions if instalments or not q.get("instalments_only")]


def success_likelihood(
    *,
    defect_codes: Iterable[str],
    language_needed_id: int | None,
    assignee_language_ids: Iterable[int],
    failed_attempts: int,
    hour: int,
) -> int:
    """The chance, in percent, that the next call succeeds — a simple score, not a model.

    Start at 85; an unusable number (area code prepended, wrong length, not a number, no
    reachable number) −45; a mobile filed as a landline −10; a number shared with unrelated
    customers −15; a customer who needs a dialect −30 unless the assignee speaks it (−5 then);
    −10 per failed attempt (three at most); evenings 18–21 h +5 and lunch 12–14 h +3 local
    time, when people answer. Clamped to 1–99.
    """
    codes = set(defect_codes)
    score = 85
    if codes & UNUSABLE_DEFECTS:
        score -= 45
    if DefectCode.MOBILE_IN_FIXED_LINE_FIELD in codes:
        score -= 10
    if DefectCode.SHARED_NUMBER in codes:
        score -= 15
    if language_needed_id is not None:
        score -= 5 if language_needed_id in set(assignee_language_ids) else 30
    score -= 10 * min(failed_attempts, 3)
    if 18 <= hour < 21:
        score += 5
    elif 12 <= hour < 14:
        score += 3
    return max(1, min(99, score))


def open_defect_codes(customer_id: int, policy_id: int) -> list[str]:
    """The customer's open contact defects (a policy-level one only for this policy)."""
    return sorted(
        set(
            ContactDefect.objects.filter(customer_id=customer_id, resolved_at__isnull=True)
            .filter(Q(policy_id__isnull=True) | Q(policy_id=policy_id))
            .values_list("code", flat=True)
        )
    )


def _rescore(task: CallbackTask, *, at: dt.datetime, codes: list[str] | None = None) -> None:
    if codes is None:
        codes = open_defect_codes(task.customer_id, task.policy_id)
    languages: list[int] = []
    if task.assignee_id is not None:
        languages = list(
            Staff.languages.through.objects.filter(staff_id=task.assignee_id).values_list(
                "language_id", flat=True
            )
        )
    moment = task.next_attempt_at or at
    hour = moment.astimezone(zoneinfo.ZoneInfo(task.branch.timezone)).hour
    task.score = success_likelihood(
        defect_codes=codes,
        language_needed_id=task.language_needed_id,
        assignee_language_ids=languages,
        failed_attempts=task.failed_attempts,
        hour=hour,
    )


def _team(branch_id: int, code: str) -> Team | None:
    return Team.objects.filter(branch_id=branch_id, code=code, is_active=True).first()


def route_candidates(branch_id: int, language: Language | None) -> list[Staff]:
    """Callback agents of the branch (speaking `language` when given), least loaded first."""
    staff = Staff.objects.filter(branch_id=branch_id, role=Role.CALLBACK_AGENT, is_active=True)
    if language is not None:
        staff = staff.filter(languages=language)
    candidates = list(staff.order_by("pk"))
    if not candidates:
        return []
    load = dict(
        CallbackTask.objects.filter(assignee__in=candidates, status__in=OPEN_STATUSES)
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    return sorted(candidates, key=lambda s: (load.get(s.pk, 0), s.pk))


def _route(task: CallbackTask) -> str:
    """Give the task to the least-loaded agent who can take it; returns a reason."""
    candidates = route_candidates(task.branch_id, task.language_needed)
    task.team = task.team or _team(task.branch_id, TEAM_CODE)
    if candidates:
        task.assignee = candidates[0]
        return _("Routed to %(name)s.") % {"name": task.assignee}
    task.assignee = None
    if task.language_needed is not None:
        return _("No agent speaks %(language)s: left in the team queue.") % {
            "language": task.language_needed
        }
    return _("No callback agent: left in the team queue.")


def _script_for(trigger: CallbackTrigger, policy: Policy, scripts: list[CallbackScript]) -> Any:
    if trigger.script_id is not None:
        return next((s for s in scripts if s.pk == trigger.script_id), None)
    by_line = next((s for s in scripts if s.product_line == policy.product.line), None)
    return by_line or next((s for s in scripts if s.code == "default"), None)


# --- The sync (periodic, idempotent) ------------------------------------------------------


def _cooling_off_occasions(
    trigger: CallbackTrigger, since: dt.date, today: dt.date, branch_ids: list[int] | None
) -> list[tuple[Policy, dt.date, dt.date]]:
    done = CallbackTask.objects.filter(
        policy_id=OuterRef("pk"), trigger=trigger, occasion_on=OuterRef("receipt_signed_date")
    )
    policies = (
        Policy.objects.filter(
            product__term=Term.LONG,
            product__callback_required=True,
            term_years__gt=trigger.min_term_years,
            receipt_signed_date__gte=since,
            receipt_signed_date__lte=today,
        )
        .exclude(status__in=TERMINAL_STATUSES)
        .exclude(Exists(done))
        .select_related("product", "branch", "policyholder__preferred_language")
    )
    if branch_ids is not None:
        policies = policies.filter(branch_id__in=branch_ids)
    found = []
    for policy in policies:
        try:
            due = callback_due_on(policy)
        except DomainError:
            continue  # the product has no cooling-off for this jurisdiction: no callback
        assert policy.receipt_signed_date is not None  # noqa: S101 -- filtered above
        found.append((policy, policy.receipt_signed_date, due))
    return found


def _status_occasions(
    trigger: CallbackTrigger, since: dt.date, today: dt.date, branch_ids: list[int] | None
) -> list[tuple[Policy, dt.date, dt.date]]:
    done = CallbackTask.objects.filter(
        policy_id=OuterRef("policy_id"), trigger=trigger, occasion_on=OuterRef("changed_on")
    )
    changes = (
        PolicyStatusChange.objects.filter(
            to_status__in=trigger.statuses,
            changed_on__gte=since,
            changed_on__lte=today,
            policy__status__in=trigger.statuses,
            policy__term_years__gt=trigger.min_term_years,
        )
        .exclude(Exists(done))
        .select_related("policy__product", "policy__branch", "policy__policyholder")
    )
    if branch_ids is not None:
        changes = changes.filter(policy__branch_id__in=branch_ids)
    return [
        (c.policy, c.changed_on, c.changed_on + dt.timedelta(days=trigger.due_days))
        for c in changes
    ]


def _new_task(
    trigger: CallbackTrigger,
    script: CallbackScript,
    policy: Policy,
    occasion: dt.date,
    due: dt.date,
    at: dt.datetime,
) -> CallbackTask:
    holder = policy.policyholder
    language = holder.preferred_language
    task = CallbackTask(
        branch=policy.branch,
        policy=policy,
        customer=holder,
        trigger=trigger,
        script=script,
        occasion_on=occasion,
        due_on=due,
        cooling_off_end=due if trigger.kind == TriggerKind.COOLING_OFF else policy.cooling_off_end,
        language_needed=language if language is not None and language.is_dialect else None,
        created_at=at,
    )
    task.defect_codes = open_defect_codes(holder.pk, policy.pk)
    _route(task)
    _rescore(task, at=at, codes=task.defect_codes)
    return task


@transaction.atomic
def callback_sync(
    *, now: dt.datetime | None = None, branch: Branch | None = None
) -> dict[str, int]:
    """Create the tasks the active triggers call for, cancel open tasks of policies that
    ended, route unassigned ones and re-score the open ones. Running it twice changes
    nothing the first run did not (a second run creates no task)."""
    now = now or timezone.now()
    config_sync()
    branch_ids = [branch.pk] if branch is not None else None
    scripts = list(CallbackScript.objects.filter(is_active=True))
    created = 0
    for trigger in CallbackTrigger.objects.filter(is_active=True).select_related("retry_policy"):
        today = timezone.localdate(now)
        since = today - dt.timedelta(days=LOOKBACK_DAYS)
        if trigger.kind == TriggerKind.COOLING_OFF:
            occasions = _cooling_off_occasions(trigger, since, today, branch_ids)
        else:
            occasions = _status_occasions(trigger, since, today, branch_ids)
        tasks = []
        for policy, occasion, due in occasions:
            script = _script_for(trigger, policy, scripts)
            if script is None:
                continue
            tasks.append(_new_task(trigger, script, policy, occasion, due, now))
        # The unique (policy, trigger, occasion) makes a sync racing another one fail on the
        # tasks the other made first (the next run carries on) instead of doubling them.
        CallbackTask.objects.bulk_create(tasks)
        created += len(tasks)
        for task in tasks:
            audit_record(
                action="callbacks.task.create",
                target=task,
                branch_id=task.branch_id,
                after={"policy": task.policy.number, "trigger": trigger.code, "due": task.due_on},
            )
    open_tasks = CallbackTask.objects.filter(status__in=OPEN_STATUSES)
    if branch_ids is not None:
        open_tasks = open_tasks.filter(branch_id__in=branch_ids)
    cancelled = open_tasks.filter(policy__status__in=TERMINAL_STATUSES).update(
        status=TaskStatus.CANCELLED, closed_at=now
    )
    routed = 0
    for task in open_tasks.filter(assignee__isnull=True).select_related(
        "branch", "language_needed"
    ):
        _route(task)
        if task.assignee_id is not None:
            _rescore(task, at=now)
            task.save(update_fields=["assignee", "team", "score"])
            routed += 1
    return {"created": created, "cancelled": cancelled, "routed": routed}


# --- Working a task -------------------------------------------------------------------------


def _locked(task: CallbackTask, by: Staff | None) -> CallbackTask:
    locked = (
        CallbackTask.objects.select_for_update(of=("self",))
        .select_related(
            "branch",
            "policy",
            "policy__product",
            "policy__agent",
            "customer",
            "script",
            "trigger__retry_policy",
            "language_needed",
        )
        .get(pk=task.pk)
    )
    require_branch_visible(by, locked.branch_id)
    return locked


def _require_status(task: CallbackTask, *statuses: str) -> None:
    if task.status not in statuses:
        raise DomainError(
            _("Not possible while the task is %(status)s.") % {"status": task.get_status_display()},
            field="status",
            code="callback_task_state",
        )


def _check_answers(task: CallbackTask, outcome: str, answers: dict[str, str]) -> dict[str, str]:
    questions = applicable_questions(task.script, task.policy)
    codes = [q["code"] for q in questions]
    clean: dict[str, str] = {}
    for code, answer in answers.items():
        if code not in codes:
            raise DomainError(
                _("The script has no question %(code)s.") % {"code": code}, field="answers"
            )
        if answer not in ANSWERS:
            raise DomainError(_("Answer each question yes or no."), field="answers")
        clean[code] = answer
    if outcome == Outcome.SUCCESS:
        for question in questions:
            if clean.get(question["code"]) != "yes":
                raise DomainError(
                    _("A callback succeeds only when every item is confirmed: %(item)s.")
                    % {"item": question.get("text_en") or question["text"]},
                    field="answers",
                    code="confirmation_missing",
                )
    elif "no" in clean.values() and outcome != Outcome.PROBLEM_FOUND:
        raise DomainError(
            _("An item the customer did not confirm is a problem found."),
            field="outcome",
            code="problem_not_recorded",
        )
    return clean


@transaction.atomic
def callback_attempt_record(
    *,
    task: CallbackTask,
    number_dialled: str,
    outcome: str,
    by: Staff,
    answers: dict[str, str] | None = None,
    notes: str = "",
    language: Language | None = None,
    at: dt.datetime | None = None,
) -> CallbackAttempt:
    """Record one call. Success needs every confirmation; a "no" or a problem opens a
    mis-selling complaint; a dialect barrier re-queues the task to a seat speaking it;
    failed calls count towards the retry policy's fallback."""
    require(by, "callbacks.work")
    task = _locked(task, by)
    at = at or timezone.now()
    _require_status(task, TaskStatus.OPEN)
    if outcome not in Outcome.values:
        raise DomainError(_("Unknown outcome %(code)s.") % {"code": outcome}, field="outcome")
    number_dialled = number_dialled.strip()
    if not number_dialled:
        raise DomainError(_("Give the number dialled."), field="number_dialled")
    if at > timezone.now() + dt.timedelta(minutes=5):
        raise DomainError(_("A call cannot be recorded in the future."), field="at")
    retry_policy = task.trigger.retry_policy
    if is_quiet(at, task.branch, retry_policy):
        raise DomainError(
            _("No callbacks between %(start)s and %(end)s (local time).")
            % {
                "start": retry_policy.quiet_start.strftime("%H:%M"),
                "end": retry_policy.quiet_end.strftime("%H:%M"),
            },
            field="at",
            code="quiet_hours",
        )
    clean = _check_answers(task, outcome, answers or {})
    if outcome == Outcome.PROBLEM_FOUND and not notes.strip():
        raise DomainError(_("Write down the problem the customer reported."), field="notes")
    if outcome == Outcome.DIALECT_BARRIER:
        language = language or task.customer.dialect or task.customer.preferred_language
        if language is None:
            raise DomainError(
                _("Name the language or dialect the customer needs."), field="language"
            )
    attempt = CallbackAttempt.objects.create(
        task=task,
        at=at,
        by=by,
        number_dialled=number_dialled[:32],
        outcome=outcome,
        answers=clean,
        notes=notes.strip(),
        language=language if outcome == Outcome.DIALECT_BARRIER else None,
    )
    before = {"status": task.status, "assignee": task.assignee_id}
    task.attempts_count += 1
    task.last_outcome = outcome
    routing = ""
    if outcome == Outcome.SUCCESS:
        task.status, task.succeeded_at, task.closed_at = TaskStatus.SUCCEEDED, at, at
        task.next_attempt_at = None
    elif outcome == Outcome.PROBLEM_FOUND:
        task.complaint = _open_problem_complaint(task, attempt, by=by, at=at)
        task.status, task.closed_at, task.next_attempt_at = TaskStatus.PROBLEM, at, None
    elif outcome == Outcome.DIALECT_BARRIER:
        task.language_needed = language
        if DIALECT_BARRIER not in task.defect_codes:
            task.defect_codes = [*task.defect_codes, DIALECT_BARRIER]
        task.assignee = None
        routing = _route(task)
        task.next_attempt_at = next_callable(
            at + dt.timedelta(hours=_retry_hours(retry_policy, outcome)), task.branch, retry_policy
        )
    elif outcome in FAILED_OUTCOMES:
        task.failed_attempts += 1
        if task.failed_attempts >= retry_policy.max_attempts:
            task.status, task.fallback_kind = TaskStatus.FALLBACK_DUE, retry_policy.fallback
            task.next_attempt_at = None
        else:
            task.next_attempt_at = next_callable(
                at + dt.timedelta(hours=_retry_hours(retry_policy, outcome)),
                task.branch,
                retry_policy,
            )
    _rescore(task, at=at)
    task.save()
    audit_record(
        action="callbacks.attempt.record",
        actor=by,
        target=task,
        branch_id=task.branch_id,
        before=before,
        after={
            "status": task.status,
            "assignee": task.assignee_id,
            "outcome": outcome,
            "phone": number_dialled,
            "answers": clean,
            "routing": routing,
            "complaint": task.complaint_id,
        },
    )
    return attempt


def _retry_hours(retry_policy: RetryPolicy, outcome: str) -> int:
    return int(retry_policy.retry_after_hours.get(outcome, DEFAULT_RETRY_HOURS))


def salesperson_matches(staff: Staff, policy: Policy) -> bool:
    """Whether this member of staff is the policy's salesperson. Agents (policies.Agent) do
    not link to Staff, so the agent's code is compared with the username and employee
    number, and the agent's name with the display name."""
    agent = policy.agent
    if agent is None:
        return False
    return agent.code in (staff.username, staff.employee_number) or (
        bool(agent.name) and agent.name == staff.display_name
    )


def complaint_owner(task: CallbackTask, *, exclude: Staff | None = None) -> Staff | None:
    """Who handles the complaint: the least-loaded member of the complaints team, else staff
    with the complaints skill, never the policy's salesperson."""
    from policydesk.cases.models import Case, StateCategory

    branch_staff = Staff.objects.filter(branch_id=task.branch_id, is_active=True)
    for group in (
        branch_staff.filter(team__code=COMPLAINTS_TEAM_CODE),
        branch_staff.filter(skills__code="complaints"),
    ):
        candidates = [
            s
            for s in group.distinct().order_by("pk")
            if not salesperson_matches(s, task.policy) and (exclude is None or s.pk != exclude.pk)
        ]
        if candidates:
            load = dict(
                Case.objects.filter(assignee__in=candidates)
                .exclude(category__in=StateCategory.finished())
                .values_list("assignee_id")
                .annotate(n=Count("pk"))
                .values_list("assignee_id", "n")
            )
            return min(candidates, key=lambda s: (load.get(s.pk, 0), s.pk))
    return None


def _open_problem_complaint(
    task: CallbackTask, attempt: CallbackAttempt, *, by: Staff | None, at: dt.datetime
) -> Any:
    """The mis-selling complaint (回访问题件): logged on the complaint process, put on the
    callback-problem SLA policy (its 15-working-day clock starts), and given to someone
    other than the salesperson."""
    from policydesk.cases import clocks
    from policydesk.cases import services as case_services
    from policydesk.cases.models import SlaPolicy
    from policydesk.complaints.services import complaint_log

    sla_policy = SlaPolicy.objects.filter(code=PROBLEM_SLA_POLICY).first()
    if sla_policy is None:
        raise DomainError(
            _("The callback-problem SLA policy is not set up."),
            field="process",
            code="process_missing",
        )
    unconfirmed = [
        q.get("text_en") or q["text"]
        for q in applicable_questions(task.script, task.policy)
        if attempt.answers.get(q["code"]) == "no"
    ]
    description = attempt.notes
    if unconfirmed:
        description += "\n\n" + _("Not confirmed: %(items)s") % {"items": "; ".join(unconfirmed)}
    complaint = complaint_log(
        channel="phone",
        branch=task.branch,
        customer=task.customer,
        policy=task.policy,
        subject=_("Callback found a problem: policy %(number)s") % {"number": task.policy.number},
        description=description,
        by=by,
        at=at,
    )
    case = complaint.case
    # Switch the case to the callback-problem policy and start the targets it adds. The
    # policy repeats the complaint targets under the same codes, so their clocks run on as
    # they are; only the 15-working-day clock is new. The engine's system-side switch: a
    # callback agent does not hold cases.sla.extend, which clocks.case_change_sla asks for.
    clocks.sla_policy_switch(case=case, policy=sla_policy, at=at, by=by)
    owner = complaint_owner(task)
    if owner is not None and case.assignee_id != owner.pk:
        case_services.case_assign(
            case=case,
            assignee=owner,
            team=_team(task.branch_id, COMPLAINTS_TEAM_CODE),
            by=None,
            reason=_("Callback problem: handled by someone other than the salesperson."),
            at=at,
        )
    return complaint


@transaction.atomic
def callback_fallback_send(
    *, task: CallbackTask, kind: str, reference: str, by: Staff, at: dt.datetime | None = None
) -> CallbackTask:
    """Send the letter or make the visit (回访函 / 上门回访) whose signed receipt will stand
    for the phone confirmation."""
    require(by, "callbacks.work")
    task = _locked(task, by)
    at = at or timezone.now()
    _require_status(task, TaskStatus.FALLBACK_DUE, TaskStatus.OPEN)
    if kind not in FallbackKind.values:
        raise DomainError(_("Choose a letter or a visit."), field="kind")
    reference = reference.strip()
    if not reference:
        raise DomainError(
            _("Give the letter's tracking number or the visit's reference."), field="reference"
        )
    before = {"status": task.status}
    task.status, task.fallback_kind = TaskStatus.FALLBACK_SENT, kind
    task.fallback_reference, task.fallback_sent_at = reference[:64], at
    task.next_attempt_at = None
    task.save()
    audit_record(
        action="callbacks.fallback.send",
        actor=by,
        target=task,
        branch_id=task.branch_id,
        before=before,
        after={"status": task.status, "kind": kind, "reference": reference},
    )
    return task


@transaction.atomic
def callback_fallback_return(
    *,
    task: CallbackTask,
    receipt_signed: bool,
    by: Staff,
    notes: str = "",
    at: dt.datetime | None = None,
) -> CallbackTask:
    """The receipt came back: signed, the callback succeeded; unsigned or returned
    undelivered, it failed (the contact worklist asks sales for new details)."""
    require(by, "callbacks.work")
    task = _locked(task, by)
    at = at or timezone.now()
    _require_status(task, TaskStatus.FALLBACK_SENT)
    if task.fallback_sent_at is not None and at < task.fallback_sent_at:
        raise DomainError(_("The receipt cannot return before it was sent."), field="at")
    task.fallback_returned_at, task.closed_at = at, at
    if receipt_signed:
        task.status, task.succeeded_at = TaskStatus.SUCCEEDED, at
    else:
        task.status = TaskStatus.FAILED
    task.save()
    audit_record(
        action="callbacks.fallback.return",
        actor=by,
        target=task,
        branch_id=task.branch_id,
        before={"status": TaskStatus.FALLBACK_SENT},
        after={"status": task.status, "receipt_signed": receipt_signed, "notes": notes.strip()},
    )
    return task


@transaction.atomic
def callback_contact_repair(
    *,
    task: CallbackTask,
    new_raw: str,
    by: Staff,
    contact: ContactPoint | None = None,
    at: dt.datetime | None = None,
) -> ContactPoint:
    """Fix the number before dialling: correct a contact (e.g. strip the prepended 0594, re-file
    a mobile typed into the office-phone field) or add the new number the customer gave. A
    contact change of the registry (customers.manage, audited there); the task is re-scored."""
    from policydesk.customers import services as customer_services

    require(by, "callbacks.work")
    task = _locked(task, by)
    at = at or timezone.now()
    _require_status(task, *OPEN_STATUSES)
    if contact is not None:
        if contact.customer_id != task.customer_id or contact.kind != ContactKind.PHONE:
            raise DomainError(_("That is not a phone of this policyholder."), field="contact")
        before = contact.raw
        repaired = customer_services.contact_repair(contact=contact, new_raw=new_raw, by=by)
    else:
        before = ""
        repaired = customer_services.contact_add(
            customer=task.customer,
            kind=ContactKind.PHONE,
            raw=new_raw,
            phone_type="mobile",
            is_primary=True,
            source="callback",
            by=by,
        )
    if not repaired.is_valid:
        raise DomainError(_("The new number is not a valid phone number."), field="new_raw")
    _rescore(task, at=at)
    task.save(update_fields=["score"])
    audit_record(
        action="callbacks.contact.repair",
        actor=by,
        target=task,
        branch_id=task.branch_id,
        before={"phone": before},
        after={"phone": repaired.raw, "contact": repaired.pk},
    )
    return repaired


@transaction.atomic
def callback_reassign(
    *, task: CallbackTask, assignee: Staff | None, by: Staff, at: dt.datetime | None = None
) -> CallbackTask:
    """Give the task to another agent (callbacks.manage), or back to the team queue."""
    require(by, "callbacks.manage")
    task = _locked(task, by)
    at = at or timezone.now()
    _require_status(task, *OPEN_STATUSES)
    if assignee is not None:
        require_branch_visible(by, assignee.branch_id or 0)
        if not assignee.is_active or assignee.branch_id != task.branch_id:
            raise DomainError(_("Choose an active agent of the task's branch."), field="assignee")
    before = {"assignee": task.assignee_id}
    task.assignee = assignee
    task.team = task.team or _team(task.branch_id, TEAM_CODE)
    _rescore(task, at=at)
    task.save(update_fields=["assignee", "team", "score"])
    audit_record(
        action="callbacks.task.reassign",
        actor=by,
        target=task,
        branch_id=task.branch_id,
        before=before,
        after={"assignee": task.assignee_id},
    )
    return task
