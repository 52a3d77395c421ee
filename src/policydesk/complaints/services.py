"""Writes to complaints: intake, classification, extension, decision, notice, review and
external escalation.

The case engine moves the case (`cases.services.case_transition`, guards and clocks there);
these functions add what the complaint rules ask on top and keep the Complaint row in step,
in the same transaction, holding the complaint's row lock (`select_for_update`) so two
handlers cannot decide or notify one complaint at once. Every function takes `at` so the
demo and imports can replay the past; clocks refuse events out of time order.

Rules (DOMAIN.md §2, 2020 complaint rules; calendar days):

- decision within 15 days; 30 when reclassified complex (the regulatory clock is retargeted);
  a further 30 at most with senior approval (an extension of that clock, `cases.sla.extend`),
  only for a complex complaint and only before the clock is due;
- time in appraisal or mediation is excluded (the process state "appraisal" pauses it);
- the customer may ask for a review within 30 days of the notice (refused afterwards, naming
  `requested_at`), and the review is decided within 30 days (the review clock);
- every notice states the review right and its last day: the service appends that paragraph,
  so no notice can omit it.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
import tomllib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.cases import clocks
from policydesk.cases import services as case_services
from policydesk.cases.models import Case, CaseChannel, EventType, Process
from policydesk.core.access import require, require_branch_visible
from policydesk.core.audit import audit_record
from policydesk.core.errors import ConflictError, DomainError
from policydesk.core.sla_clock import ClockSpec, ClockState
from policydesk.customers.models import Customer
from policydesk.org.models import Branch, Staff
from policydesk.policies.models import Agent, Intermediary, Policy

from .models import (
    Complaint,
    EscalationOutcome,
    ExternalBody,
    ExternalEscalation,
    NoticeChannel,
    Outcome,
    RootCause,
)

ROOT_CAUSES_FILE = Path(__file__).resolve().parent / "root_causes.toml"
PROCESS_CODE = "complaint"
REGULATORY_CLOCK = "regulatory-decision"
STANDARD_DAYS = 15
COMPLEX_DAYS = 30
SENIOR_EXTENSION_CAP_DAYS = 30
REVIEW_WINDOW_DAYS = 30
# External bodies' limits (DOMAIN.md §2): amount in the body's currency, months to file
# after the insurer's final decision. None: no limit known to us.
BODY_LIMITS: dict[str, tuple[Decimal | None, str, int | None]] = {
    ExternalBody.CN_REGULATOR: (None, "CNY", None),
    ExternalBody.HK_ICB: (Decimal("1200000"), "HKD", 6),
    ExternalBody.SG_FIDREC: (Decimal("150000"), "SGD", 6),
}
# Bodies that take only claims disputes (DOMAIN.md §2: the HK bureau), by root cause.
CLAIMS_DISPUTES_ONLY = {ExternalBody.HK_ICB}
CLAIMS_DISPUTE_CAUSE = "claims-dispute"


# --- Taxonomy ------------------------------------------------------------------------------


def root_causes_sync() -> int:
    """Create the causes of root_causes.toml that are missing and refresh the names of rows
    nobody edited; returns how many rows were created."""
    data = tomllib.loads(ROOT_CAUSES_FILE.read_text(encoding="utf-8"))
    created = 0
    for position, entry in enumerate(data["causes"]):
        cause, made = RootCause.objects.get_or_create(
            code=entry["code"],
            defaults={"name": entry["name"], "name_en": entry["name_en"], "position": position},
        )
        created += made
        if not made and cause.edited_at is None:
            cause.name, cause.name_en, cause.position = entry["name"], entry["name_en"], position
            cause.save(update_fields=["name", "name_en", "position"])
    return created


@transaction.atomic
def root_cause_update(
    *, root_cause: RootCause, name: str, name_en: str, is_active: bool, by: Staff
) -> RootCause:
    """The Head of Service renames or retires a cause (the code stays: reports use it)."""
    require(by, "complaints.taxonomy.edit")
    if not name.strip():
        raise DomainError(_("Give the root cause a name."), field="name")
    before = {
        "name": root_cause.name,
        "name_en": root_cause.name_en,
        "active": root_cause.is_active,
    }
    root_cause.name = name.strip()[:100]
    root_cause.name_en = name_en.strip()[:100]
    root_cause.is_active = is_active
    root_cause.edited_at = timezone.now()
    root_cause.save(update_fields=["name", "name_en", "is_active", "edited_at"])
    audit_record(
        action="complaints.root_cause.update",
        actor=by,
        target=root_cause,
        before=before,
        after={"name": root_cause.name, "name_en": root_cause.name_en, "active": is_active},
    )
    return root_cause


def root_cause_by_code(code: str) -> RootCause:
    cause = RootCause.objects.filter(code=code, is_active=True).first()
    if cause is None:
        raise DomainError(
            _("Unknown root cause %(code)s.") % {"code": code},
            field="root_cause",
            code="root_cause_unknown",
        )
    return cause


# --- Helpers -------------------------------------------------------------------------------


def _locked(complaint: Complaint, by: Staff | None) -> Complaint:
    locked = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("case", "case__state", "case__branch", "case__policy", "root_cause")
        .get(pk=complaint.pk)
    )
    require_branch_visible(by, locked.case.branch_id)
    return locked


def _require_state(complaint: Complaint, *codes: str) -> None:
    state = complaint.case.state
    if state.code not in codes:
        raise DomainError(
            _("Not possible while the complaint is %(state)s.") % {"state": state.name},
            field="state",
            code="complaint_state",
        )


def _case_write(case: Case, *, by: Staff | None, at: dt.datetime, **changes: Any) -> None:
    """Copy complaint fields the engine's guards read (root cause, resolution) onto the case,
    with the timeline line case_update would write, dated `at`."""
    before = {name: getattr(case, name) for name in changes}
    after = {name: value for name, value in changes.items() if before[name] != value}
    if not after:
        return
    for name, value in after.items():
        setattr(case, name, value)
    case.updated_at = at
    case.save(update_fields=[*after, "updated_at"])
    case_services.event_add(
        case,
        EventType.UPDATED,
        by=by,
        at=at,
        fields=sorted(after),
        before={k: before[k] for k in after},
        after=after,
    )


def _local_date(branch: Branch, moment: dt.datetime) -> dt.date:
    return clocks.calendar_for(branch).local_date(moment)


def last_day(branch: Branch, due_at: dt.datetime) -> dt.date:
    """The last day a deadline allows: its due moment is the local midnight ending that day."""
    return _local_date(branch, due_at - dt.timedelta(microseconds=1))


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


def _money(amount: Decimal | None, currency: str, field: str) -> tuple[Decimal | None, str]:
    if amount is None:
        return None, ""
    try:
        value = Decimal(amount).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError):
        raise DomainError(_("Give the amount as a number."), field=field) from None
    if value < 0:
        raise DomainError(_("The amount cannot be negative."), field=field)
    currency = currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise DomainError(_("Give the currency as a three-letter code."), field="currency")
    return value, currency


def complaint_process() -> Process:
    process = Process.objects.filter(code=PROCESS_CODE, is_active=True).first()
    if process is None:
        raise DomainError(
            _("The complaint process is not set up."), field="process", code="process_missing"
        )
    return process


# --- Intake --------------------------------------------------------------------------------


@transaction.atomic
def complaint_log(
    *,
    channel: str,
    branch: Branch,
    customer: Customer | None,
    policy: Policy | None,
    subject: str,
    description: str,
    by: Staff | None,
    root_cause: RootCause | None = None,
    agent: Agent | None = None,
    intermediary: Intermediary | None = None,
    regulator_reference: str = "",
    regulator_received_on: dt.date | None = None,
    at: dt.datetime | None = None,
) -> Complaint:
    """Log a complaint from any channel: the case (its clocks start) and the Complaint row,
    in one transaction. Agent and intermediary default to the policy's. A complaint the
    regulator forwarded (channel "regulator", 监管转办) carries its reference and the day
    it reached us."""
    if by is not None:
        require(by, "complaints.log")
    at = at or timezone.now()
    regulator_reference = regulator_reference.strip()
    if channel == CaseChannel.REGULATOR:
        if not regulator_reference:
            raise DomainError(
                _("Give the regulator's reference."),
                field="regulator_reference",
                code="regulator_reference_missing",
            )
        if regulator_received_on is None:
            raise DomainError(
                _("Give the day the regulator's forward reached us."),
                field="regulator_received_on",
                code="regulator_received_missing",
            )
        if regulator_received_on > _local_date(branch, at):
            raise DomainError(
                _("The day received cannot be in the future."), field="regulator_received_on"
            )
    elif regulator_reference or regulator_received_on is not None:
        raise DomainError(
            _("Only a complaint forwarded by the regulator carries its reference."),
            field="regulator_reference",
        )
    if not description.strip():
        raise DomainError(_("Write down what the customer complains of."), field="description")
    if root_cause is not None and not root_cause.is_active:
        raise DomainError(_("This root cause is retired."), field="root_cause")
    case = case_services.case_open(
        process=complaint_process(),
        channel=channel,
        branch=branch,
        subject=subject,
        description=description,
        customer=customer,
        policy=policy,
        by=by,
        at=at,
    )
    if root_cause is not None:
        _case_write(case, by=by, at=at, root_cause=root_cause.code, classification=root_cause.code)
    complaint = Complaint.objects.create(
        case=case,
        agent=agent or (policy.agent if policy else None),
        intermediary=intermediary or (policy.intermediary if policy else None),
        root_cause=root_cause,
        regulator_reference=regulator_reference[:64],
        regulator_received_on=regulator_received_on,
        created_at=at,
    )
    audit_record(
        action="complaints.log",
        actor=by,
        target=complaint,
        branch_id=branch.pk,
        after={
            "case": case.number,
            "channel": channel,
            "root_cause": root_cause.code if root_cause else "",
            "regulator_reference": regulator_reference,
        },
    )
    return complaint


# --- Classification and clocks ---------------------------------------------------------------


@transaction.atomic
def complaint_set_root_cause(
    *, complaint: Complaint, root_cause: RootCause, by: Staff, at: dt.datetime | None = None
) -> Complaint:
    require(by, "complaints.manage")
    complaint = _locked(complaint, by)
    at = at or timezone.now()
    if not root_cause.is_active:
        raise DomainError(_("This root cause is retired."), field="root_cause")
    before = complaint.root_cause.code if complaint.root_cause else ""
    complaint.root_cause = root_cause
    complaint.save(update_fields=["root_cause"])
    changes: dict[str, Any] = {"root_cause": root_cause.code}
    if not complaint.case.classification:
        changes["classification"] = root_cause.code
    _case_write(complaint.case, by=by, at=at, **changes)
    audit_record(
        action="complaints.root_cause",
        actor=by,
        target=complaint,
        branch_id=complaint.case.branch_id,
        before={"root_cause": before},
        after={"root_cause": root_cause.code},
    )
    return complaint


@transaction.atomic
def complaint_set_complex(
    *,
    complaint: Complaint,
    is_complex: bool,
    reason: str,
    by: Staff,
    at: dt.datetime | None = None,
) -> Complaint:
    """Reclassify as complex (the regulatory clock counts 30 days) or back (15 days).

    Refused once the regulatory clock is due or stopped (cases.clocks.clock_retarget), and
    back to 15 days once an extension was granted on top of the 30."""
    require(by, "complaints.manage")
    complaint = _locked(complaint, by)
    at = at or timezone.now()
    if complaint.is_complex == is_complex:
        return complaint
    if not reason.strip():
        raise DomainError(_("Say why."), field="reason")
    if not is_complex and _extended_days(complaint) > 0:
        raise DomainError(
            _("The clock was extended with senior approval; it stays complex."),
            field="is_complex",
            code="complaint_extended",
        )
    clocks.clock_retarget(
        case=complaint.case,
        code=REGULATORY_CLOCK,
        amount=COMPLEX_DAYS if is_complex else STANDARD_DAYS,
        reason=reason,
        by=by,
        at=at,
    )
    complaint.is_complex = is_complex
    complaint.complex_reason = reason.strip() if is_complex else ""
    complaint.save(update_fields=["is_complex", "complex_reason"])
    audit_record(
        action="complaints.complex",
        actor=by,
        target=complaint,
        branch_id=complaint.case.branch_id,
        before={"is_complex": not is_complex},
        after={"is_complex": is_complex, "reason": reason.strip()},
    )
    return complaint


def _regulatory_state(complaint: Complaint) -> tuple[Any, ClockState] | None:
    clock = complaint.case.clocks.filter(code=REGULATORY_CLOCK).first()
    if clock is None:
        return None
    return clock, clocks.clock_state(clock, clocks.calendar_for(complaint.case.branch))


def _extended_days(complaint: Complaint) -> int:
    found = _regulatory_state(complaint)
    if found is None:
        return 0
    # A calendar-day clock counts its extensions in whole days (ints).
    extended = found[1].extended_by
    return extended if isinstance(extended, int) else extended.days


@transaction.atomic
def complaint_extend(
    *,
    complaint: Complaint,
    days: int,
    reason: str,
    by: Staff,
    at: dt.datetime | None = None,
) -> Complaint:
    """A further extension of a complex complaint's deadline with senior approval (经上级
    机构或总公司高级管理人员审批): at most 30 days in all, approved before the due time."""
    require(by, "complaints.manage")
    require(by, "cases.sla.extend")
    complaint = _locked(complaint, by)
    at = at or timezone.now()
    if not complaint.is_complex:
        raise DomainError(
            _("Only a complex complaint may be extended: reclassify it first."),
            field="days",
            code="extension_refused",
        )
    granted = _extended_days(complaint)
    if days <= 0 or granted + days > SENIOR_EXTENSION_CAP_DAYS:
        raise DomainError(
            _("At most %(cap)s days in all may be added (%(granted)s already).")
            % {"cap": SENIOR_EXTENSION_CAP_DAYS, "granted": granted},
            field="days",
            code="extension_refused",
        )
    clocks.clock_extend(
        case=complaint.case,
        code=REGULATORY_CLOCK,
        days=days,
        minutes=0,
        reason=reason,
        by=by,
        at=at,
    )
    audit_record(
        action="complaints.extend",
        actor=by,
        target=complaint,
        branch_id=complaint.case.branch_id,
        after={"days": days, "reason": reason.strip()},
    )
    return complaint


# --- Decision, notice, review --------------------------------------------------------------


@transaction.atomic
def complaint_decide(
    *,
    complaint: Complaint,
    outcome: str,
    resolution: str,
    by: Staff,
    compensation_amount: Decimal | None = None,
    compensation_currency: str = "",
    at: dt.datetime | None = None,
) -> Complaint:
    """Record the decision and take the process's decision step (its guards apply: the
    investigation checklist, cases.decide). "withdrawn" takes the withdrawal step instead."""
    require(by, "complaints.manage")
    complaint = _locked(complaint, by)
    at = at or timezone.now()
    if outcome not in Outcome.values:
        raise DomainError(_("Unknown outcome %(value)s.") % {"value": outcome}, field="outcome")
    if not resolution.strip():
        raise DomainError(_("Write down the decision."), field="resolution")
    _require_state(complaint, "investigating")
    case = complaint.case
    if compensation_amount is not None and not compensation_currency:
        compensation_currency = case.policy.currency if case.policy else "CNY"
    amount, currency = _money(compensation_amount, compensation_currency, "compensation_amount")
    if outcome == Outcome.WITHDRAWN:
        case_services.case_transition(
            case=case, transition_code="withdraw", comment=resolution, by=by, at=at
        )
    else:
        if complaint.root_cause is None:
            raise DomainError(_("Name the root cause first."), field="root_cause")
        _case_write(case, by=by, at=at, resolution=resolution.strip())
        case_services.case_transition(
            case=case, transition_code="decide", comment=resolution, by=by, at=at
        )
    complaint.outcome = outcome
    complaint.decided_at = at
    complaint.compensation_amount = amount
    complaint.compensation_currency = currency
    complaint.save(
        update_fields=["outcome", "decided_at", "compensation_amount", "compensation_currency"]
    )
    audit_record(
        action="complaints.decide",
        actor=by,
        target=complaint,
        branch_id=case.branch_id,
        after={"outcome": outcome, "compensation": amount, "currency": currency},
    )
    return complaint


def review_request_due(branch: Branch, notified_at: dt.datetime) -> dt.datetime:
    """End of the 30th calendar day after the notice, in the branch's time zone."""
    calendar = clocks.calendar_for(branch)
    state = ClockState.start(ClockSpec.calendar_days(REVIEW_WINDOW_DAYS), notified_at)
    return state.status(notified_at, calendar).due_at


def review_right_paragraph(due_at: dt.datetime, branch: Branch) -> str:
    return _(
        "If you disagree with this decision, you may ask us for a review within 30 days of "
        "this notice, that is by %(date)s; we will decide the review within 30 days."
    ) % {"date": last_day(branch, due_at).isoformat()}


@transaction.atomic
def complaint_notify(
    *,
    complaint: Complaint,
    channel: str,
    by: Staff,
    notice_text: str = "",
    at: dt.datetime | None = None,
) -> Complaint:
    """Tell the customer the decision: the notice (with the review-right paragraph added),
    the channel and the moment; the review window opens."""
    require(by, "complaints.manage")
    complaint = _locked(complaint, by)
    at = at or timezone.now()
    if channel not in NoticeChannel.values:
        raise DomainError(_("Unknown channel %(value)s.") % {"value": channel}, field="channel")
    _require_state(complaint, "decided")
    case = complaint.case
    due = review_request_due(case.branch, at)
    text = "\n\n".join(
        part for part in (notice_text.strip(), review_right_paragraph(due, case.branch)) if part
    )
    case_services.case_transition(case=case, transition_code="notify", comment=text, by=by, at=at)
    case_services.case_checklist_mark(case=case, item_code="review-right", done=True, by=by, at=at)
    complaint.notified_at = at
    complaint.notice_channel = channel
    complaint.notice_text = text
    complaint.review_request_due_at = due
    complaint.save(
        update_fields=["notified_at", "notice_channel", "notice_text", "review_request_due_at"]
    )
    audit_record(
        action="complaints.notify",
        actor=by,
        target=complaint,
        branch_id=case.branch_id,
        after={"channel": channel, "review_request_due_at": due},
    )
    return complaint


@transaction.atomic
def complaint_review_request(
    *,
    complaint: Complaint,
    reason: str,
    by: Staff,
    requested_at: dt.datetime | None = None,
) -> Complaint:
    """The customer asks for a review; it must come within 30 days of the notice."""
    require(by, "complaints.log")
    complaint = _locked(complaint, by)
    now = timezone.now()
    requested_at = requested_at or now
    if complaint.review_request_due_at is None or complaint.notified_at is None:
        raise DomainError(
            _("The customer has not been told a decision yet."),
            field="state",
            code="complaint_state",
        )
    if requested_at > now or requested_at < complaint.notified_at:
        raise DomainError(
            _("The review request must be dated between the notice and now."),
            field="requested_at",
        )
    if requested_at > complaint.review_request_due_at:
        raise DomainError(
            _(
                "requested_at: the review request came after %(date)s, the end of the 30 days "
                "from the notice; it cannot be accepted."
            )
            % {"date": last_day(complaint.case.branch, complaint.review_request_due_at)},
            field="requested_at",
            code="review_window_closed",
        )
    if not reason.strip():
        raise DomainError(_("Write down why the customer asks for a review."), field="reason")
    _require_state(complaint, "notified")
    case_services.case_transition(
        case=complaint.case,
        transition_code="request-review",
        comment=reason,
        by=by,
        at=requested_at,
    )
    complaint.review_requested_at = requested_at
    complaint.review_reason = reason.strip()
    complaint.save(update_fields=["review_requested_at", "review_reason"])
    audit_record(
        action="complaints.review_request",
        actor=by,
        target=complaint,
        branch_id=complaint.case.branch_id,
        after={"requested_at": requested_at},
    )
    return complaint


@transaction.atomic
def complaint_review_decide(
    *,
    complaint: Complaint,
    outcome: str,
    resolution: str,
    by: Staff,
    at: dt.datetime | None = None,
) -> Complaint:
    """Decide the review (its own 30-day clock stops); this is the insurer's final decision."""
    require(by, "complaints.manage")
    complaint = _locked(complaint, by)
    at = at or timezone.now()
    if outcome not in Outcome.values or outcome == Outcome.WITHDRAWN:
        raise DomainError(_("Unknown outcome %(value)s.") % {"value": outcome}, field="outcome")
    if not resolution.strip():
        raise DomainError(_("Write down the decision."), field="resolution")
    _require_state(complaint, "review")
    _case_write(complaint.case, by=by, at=at, resolution=resolution.strip())
    case_services.case_transition(
        case=complaint.case,
        transition_code="review-decide",
        comment=resolution,
        by=by,
        at=at,
    )
    complaint.review_outcome = outcome
    complaint.review_decided_at = at
    complaint.save(update_fields=["review_outcome", "review_decided_at"])
    audit_record(
        action="complaints.review_decide",
        actor=by,
        target=complaint,
        branch_id=complaint.case.branch_id,
        after={"outcome": outcome},
    )
    return complaint


# --- External escalation -------------------------------------------------------------------


def escalation_warnings(
    complaint: Complaint,
    *,
    body: str,
    filed_on: dt.date,
    amount: Decimal | None,
    currency: str,
) -> list[dict[str, str]]:
    """What suggests the body may not take the case: over its amount limit, filed more than
    6 months after the insurer's final decision, no final decision yet, an amount in
    another currency than the limit's, or (HK bureau) not a claims dispute. Warnings, not
    refusals: the customer files with the body, which decides its own remit; we record what
    happened."""
    limit, limit_currency, months = BODY_LIMITS[body]
    found: list[dict[str, str]] = []
    cause = complaint.root_cause
    if body in CLAIMS_DISPUTES_ONLY and (cause is None or cause.code != CLAIMS_DISPUTE_CAUSE):
        found.append(
            {
                "code": "not_claims_dispute",
                "message": _(
                    "The bureau takes claims disputes only; this complaint's root cause is "
                    "%(cause)s."
                )
                % {"cause": cause.name if cause else _("not set")},
            }
        )
    if limit is not None and amount is not None:
        if currency and currency != limit_currency:
            found.append(
                {
                    "code": "currency_differs",
                    "message": _(
                        "The amount is in %(currency)s; the body's limit is "
                        "%(limit)s %(limit_currency)s."
                    )
                    % {"currency": currency, "limit": limit, "limit_currency": limit_currency},
                }
            )
        elif amount > limit:
            found.append(
                {
                    "code": "over_limit",
                    "message": _("%(amount)s exceeds the body's limit of %(limit)s %(currency)s.")
                    % {"amount": amount, "limit": limit, "currency": limit_currency},
                }
            )
    if months is not None:
        final = complaint.final_decision_at
        if final is None:
            found.append(
                {
                    "code": "no_final_decision",
                    "message": _("The insurer has not given its final decision yet."),
                }
            )
        else:
            final_day = _local_date(complaint.case.branch, final)
            if filed_on > add_months(final_day, months):
                found.append(
                    {
                        "code": "filed_late",
                        "message": _(
                            "Filed more than %(months)s months after the final decision "
                            "of %(date)s."
                        )
                        % {"months": months, "date": final_day.isoformat()},
                    }
                )
    return found


@transaction.atomic
def escalation_record(
    *,
    complaint: Complaint,
    body: str,
    filed_on: dt.date,
    by: Staff,
    reference: str = "",
    office: str = "",
    amount_claimed: Decimal | None = None,
    currency: str = "",
    outcome: str = EscalationOutcome.PENDING,
    outcome_on: dt.date | None = None,
    at: dt.datetime | None = None,
) -> ExternalEscalation:
    """Record that the customer took the complaint to an external body, with the eligibility
    warnings found (see escalation_warnings). Refused only for impossible data."""
    require(by, "complaints.manage")
    complaint = _locked(complaint, by)
    at = at or timezone.now()
    if body not in ExternalBody.values:
        raise DomainError(_("Unknown external body %(value)s.") % {"value": body}, field="body")
    if outcome not in EscalationOutcome.values:
        raise DomainError(_("Unknown outcome %(value)s.") % {"value": outcome}, field="outcome")
    branch = complaint.case.branch
    today = _local_date(branch, at)
    if filed_on > today:
        raise DomainError(_("The filing day cannot be in the future."), field="filed_on")
    if filed_on < _local_date(branch, complaint.case.opened_at):
        raise DomainError(
            _("The filing day cannot come before the complaint was logged."), field="filed_on"
        )
    if outcome_on is not None and (outcome_on < filed_on or outcome_on > today):
        raise DomainError(
            _("The outcome day must fall between the filing and today."), field="outcome_on"
        )
    reference = reference.strip()[:64]
    if (
        reference
        and ExternalEscalation.objects.filter(
            complaint=complaint, body=body, reference=reference
        ).exists()
    ):
        raise ConflictError(
            _("This escalation is already recorded."), field="reference", code="escalation_exists"
        )
    if amount_claimed is not None and not currency:
        currency = BODY_LIMITS[body][1]
    amount, currency = _money(amount_claimed, currency, "amount_claimed")
    escalation = ExternalEscalation.objects.create(
        complaint=complaint,
        body=body,
        office=office.strip()[:200],
        reference=reference,
        filed_on=filed_on,
        amount_claimed=amount,
        currency=currency,
        outcome=outcome,
        outcome_on=outcome_on,
        warnings=escalation_warnings(
            complaint, body=body, filed_on=filed_on, amount=amount, currency=currency
        ),
        recorded_by=by,
        recorded_at=at,
    )
    case_services.event_add(
        complaint.case,
        EventType.UPDATED,
        by=by,
        at=at,
        fields=["external_escalation"],
        external_body=body,
        reference=reference,
    )
    audit_record(
        action="complaints.escalation",
        actor=by,
        target=escalation,
        branch_id=branch.pk,
        after={"body": body, "reference": reference, "filed_on": filed_on, "amount": amount},
    )
    return escalation


@transaction.atomic
def escalation_outcome_record(
    *,
    escalation: ExternalEscalation,
    outcome: str,
    outcome_on: dt.date,
    by: Staff,
    note: str = "",
    at: dt.datetime | None = None,
) -> ExternalEscalation:
    """Record what the external body decided (or that the customer withdrew), when it is
    known; a later change of outcome is recorded too, the earlier one kept in the audit."""
    require(by, "complaints.manage")
    complaint = _locked(escalation.complaint, by)
    escalation = ExternalEscalation.objects.select_for_update().get(pk=escalation.pk)
    at = at or timezone.now()
    if outcome not in EscalationOutcome.values or outcome == EscalationOutcome.PENDING:
        raise DomainError(_("Choose what the body decided."), field="outcome")
    today = _local_date(complaint.case.branch, at)
    if outcome_on < escalation.filed_on or outcome_on > today:
        raise DomainError(
            _("The outcome day must fall between the filing and today."), field="outcome_on"
        )
    before = {"outcome": escalation.outcome, "outcome_on": escalation.outcome_on}
    if before == {"outcome": outcome, "outcome_on": outcome_on}:
        return escalation  # the same outcome twice changes nothing
    escalation.outcome = outcome
    escalation.outcome_on = outcome_on
    escalation.save(update_fields=["outcome", "outcome_on"])
    case_services.event_add(
        complaint.case,
        EventType.UPDATED,
        by=by,
        at=at,
        body=note.strip()[:2000],
        fields=["external_escalation_outcome"],
        external_body=escalation.body,
        reference=escalation.reference,
        outcome=outcome,
    )
    audit_record(
        action="complaints.escalation.outcome",
        actor=by,
        target=escalation,
        branch_id=complaint.case.branch_id,
        before=before,
        after={"outcome": outcome, "outcome_on": outcome_on},
    )
    return escalation
