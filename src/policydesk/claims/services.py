"""Writes to claims (理赔): report, accept, register, documents, investigation, calculation,
approval within the authority limits, decision, denial notice, payment, advance payment.

The case engine moves the case (`cases.services.case_transition`: guards, timeline, clocks);
these functions add what the claim rules ask on top and keep the Claim row in step, in the
same transaction, holding the claim's row lock (`select_for_update`) so two handlers cannot
calculate, approve or pay one claim at once. Every function takes `at` so the demo and
imports can replay the past.

Rules (DOMAIN.md §2; Insurance Law art. 22–25):

- the customer is told what to submit within 1 working day of the report (the
  "documents-notice" clock stops at the customer-visible notice);
- the decision within 5 working days; a claim registered as complex gets 30 calendar days
  (the "decision" clock is switched, keeping what it counted);
- a denial is notified within 3 days ("denial-notice" clock), a payment made within 10 days
  of the agreement ("payment" clock); still undetermined 60 days after the report, the
  determinable part is advance-paid;
- small-claim fast track: medical, at most ¥3,000 claimed, facts clear, no investigation.
  The flag is set and cleared by the services whenever those facts change; its target is
  the end of the report's local day (日清日结);
- an approver approves up to the authority limit of the role (AuthorityLimit); above it the
  approval is refused, naming the limit, and the claim is referred to the least-loaded
  approver of the lowest role whose limit covers it, in the claim's branch or above.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.cases import clocks
from policydesk.cases import services as case_services
from policydesk.cases.models import (
    Case,
    CaseChannel,
    CaseClock,
    EventType,
    Process,
    StateCategory,
    Visibility,
)
from policydesk.core.access import can, require, require_branch_visible
from policydesk.core.audit import audit_record
from policydesk.core.errors import ConflictError, DomainError
from policydesk.core.sla_clock import ClockError, ClockSpec
from policydesk.customers.models import Customer
from policydesk.org.models import Branch, RoleGrant, Staff
from policydesk.policies.models import (
    Disbursement,
    DisbursementKind,
    DisbursementStatus,
    PaymentMethod,
    Policy,
    PolicyStatus,
)

from .models import (
    ApprovalOutcome,
    AuthorityLimit,
    Claim,
    ClaimApproval,
    ClaimDocument,
    ClaimPayment,
    ClaimType,
    Complexity,
    Decision,
    Deduction,
    DeductionReason,
    Investigation,
    InvestigationConclusion,
)

PROCESS_CODE = "claim"
LIMITS_FILE = Path(__file__).resolve().parent / "authority_limits.toml"
DECISION_CLOCK = "decision"
DOCUMENTS_CLOCK = "documents-notice"
DENIAL_CLOCK = "denial-notice"
PAYMENT_CLOCK = "payment"
SIMPLE_DECISION_WORKING_DAYS = 5
COMPLEX_DECISION_DAYS = 30
ADVANCE_PAYMENT_DAYS = 60
FAST_TRACK_LIMIT = Decimal("3000.00")
FAST_TRACK_CURRENCY = "CNY"
PAYMENT_METHODS = (PaymentMethod.BANK_TRANSFER, PaymentMethod.CASH)
CENT = Decimal("0.01")
# The states a claim may be withdrawn from, and declined from (transition code suffixes).
WITHDRAWABLE = (
    "reported",
    "accepted",
    "registered",
    "investigating",
    "calculating",
    "referred",
    "approved",
)
DECLINABLE = ("registered", "investigating", "calculating", "referred")
# What a medical claim usually needs (一次性告知); the handler edits the list.
DEFAULT_DOCUMENTS = {
    ClaimType.MEDICAL: [
        "理赔申请书",
        "被保险人身份证件",
        "医疗费用发票原件",
        "费用明细清单",
        "门诊病历/出院小结",
        "银行卡复印件",
    ],
}
GENERIC_DOCUMENTS = ["理赔申请书", "被保险人身份证件", "事故证明或诊断证明", "银行卡复印件"]


# --- Authority limits --------------------------------------------------------------------


def authority_limits_sync() -> int:
    """Create the limits of authority_limits.toml that are missing; refresh rows nobody
    edited. Returns how many rows were created."""
    data = tomllib.loads(LIMITS_FILE.read_text(encoding="utf-8"))
    created = 0
    for entry in data["limits"]:
        limit, made = AuthorityLimit.objects.get_or_create(
            role=entry["role"],
            defaults={"limit": Decimal(entry["limit"]), "currency": entry.get("currency", "CNY")},
        )
        created += made
        if not made and limit.edited_at is None and limit.limit != Decimal(entry["limit"]):
            limit.limit = Decimal(entry["limit"])
            limit.save(update_fields=["limit"])
    return created


def authority_limit_for(role: str) -> AuthorityLimit | None:
    return AuthorityLimit.objects.filter(role=role).first()


# --- Helpers -------------------------------------------------------------------------------


def claim_process() -> Process:
    process = Process.objects.filter(code=PROCESS_CODE, is_active=True).first()
    if process is None:
        raise DomainError(
            _("The claim process is not set up."), field="process", code="process_missing"
        )
    return process


def _locked(claim: Claim, by: Staff | None) -> Claim:
    locked = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("case", "case__state", "case__branch", "policy")
        .get(pk=claim.pk)
    )
    require_branch_visible(by, locked.case.branch_id)
    return locked


def _require(by: Staff | None, action: str) -> None:
    if by is not None:
        require(by, action)


def _require_state(claim: Claim, *codes: str) -> None:
    state = claim.case.state
    if state.code not in codes:
        raise DomainError(
            _("Not possible while the claim is %(state)s.") % {"state": state.name},
            field="state",
            code="claim_state",
        )


def _money(value: Any, field: str, *, allow_zero: bool = True) -> Decimal:
    try:
        amount = Decimal(value).quantize(CENT)
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError(_("Give the amount as a number."), field=field) from None
    if amount < 0 or (amount == 0 and not allow_zero):
        raise DomainError(_("The amount must be more than zero."), field=field)
    if amount >= Decimal("1000000000000"):
        raise DomainError(_("The amount is too large."), field=field)
    return amount


def local_date(branch: Branch, moment: dt.datetime) -> dt.date:
    return clocks.calendar_for(branch).local_date(moment)


def _transition(
    claim: Claim, code: str, *, by: Staff | None, at: dt.datetime, comment: str = ""
) -> None:
    case_services.case_transition(
        managed=True, case=claim.case, transition_code=code, comment=comment, by=by, at=at
    )
    claim.case.refresh_from_db()


def _clock(claim: Claim, code: str) -> CaseClock | None:
    return CaseClock.objects.filter(case_id=claim.case_id, code=code).first()


def _clock_met(claim: Claim, code: str) -> bool | None:
    clock = _clock(claim, code)
    return clock.met if clock is not None else None


def fast_track_problems(claim: Claim) -> list[str]:
    """Why the claim is not a small claim for the fast track; empty when it is."""
    problems: list[str] = []
    if claim.claim_type != ClaimType.MEDICAL:
        problems.append(_("Only medical-expense claims go by the fast track."))
    if claim.currency != FAST_TRACK_CURRENCY or claim.claimed_amount > FAST_TRACK_LIMIT:
        problems.append(
            _("The amount claimed is above %(limit)s %(currency)s.")
            % {"limit": FAST_TRACK_LIMIT, "currency": FAST_TRACK_CURRENCY}
        )
    if not claim.facts_clear:
        problems.append(_("The facts are not recorded as clear."))
    if claim.pk and claim.investigations.exists():
        problems.append(_("The claim is being or was investigated."))
    if claim.complexity == Complexity.COMPLEX:
        problems.append(_("The claim is complex."))
    return problems


def _refresh_fast_track(claim: Claim, *, by: Staff | None, at: dt.datetime) -> None:
    """Set or clear the fast-track flag from the facts (a timeline line when it changes)."""
    eligible = not fast_track_problems(claim)
    if eligible == claim.is_fast_track:
        return
    claim.is_fast_track = eligible
    claim.fast_track_due_at = (
        fast_track_due(claim.case.branch, claim.reported_at) if eligible else None
    )
    claim.save(update_fields=["is_fast_track", "fast_track_due_at"])
    case_services.event_add(
        claim.case,
        EventType.UPDATED,
        by=by,
        at=at,
        fields=["fast_track"],
        after={"fast_track": eligible},
    )


def fast_track_due(branch: Branch, reported_at: dt.datetime) -> dt.datetime:
    """Same day: the end of the report's local day."""
    calendar = clocks.calendar_for(branch)
    return calendar.end_of_day(calendar.local_date(reported_at))


def advance_payment_due(branch: Branch, reported_at: dt.datetime) -> dt.datetime:
    """The end of the 60th calendar day after the report."""
    calendar = clocks.calendar_for(branch)
    return calendar.end_of_day(
        calendar.local_date(reported_at) + dt.timedelta(days=ADVANCE_PAYMENT_DAYS)
    )


def _switch_decision_clock(
    claim: Claim, *, complex_: bool, by: Staff | None, at: dt.datetime
) -> None:
    """5 working days ↔ 30 calendar days on the decision clock, keeping what it counted.

    cases.clocks.clock_retarget keeps the clock's unit and needs cases.sla.extend; the
    complexity of a claim is the handler's call (claims.handle) and changes the unit, so the
    switch goes through the engine's system-side `clocks.clock_switch_spec`."""
    case = (
        Case.objects.select_for_update(of=("self",)).select_related("branch").get(pk=claim.case_id)
    )
    clock = case.clocks.select_for_update().filter(code=DECISION_CLOCK).first()
    if clock is None:
        return
    calendar = clocks.calendar_for(case.branch)
    state = clocks.clock_state(clock, calendar)
    if state.is_stopped:
        raise DomainError(
            _("The decision clock has stopped."), field="complexity", code="clock_stopped"
        )
    if state.status(max(at, state.last_event_at), calendar).breached:
        raise DomainError(
            _("The decision clock is already past due."),
            field="complexity",
            code="clock_past_due",
        )
    if complex_:
        spec = ClockSpec.calendar_days(
            COMPLEX_DECISION_DAYS, warning_fraction=state.spec.warning_fraction, code=DECISION_CLOCK
        )
    else:
        spec = ClockSpec.working_days(
            SIMPLE_DECISION_WORKING_DAYS,
            warning_fraction=state.spec.warning_fraction,
            code=DECISION_CLOCK,
        )
    try:
        clocks.clock_switch_spec(case=case, clock=clock, spec=spec, at=at, by=by)
    except ClockError as error:
        raise DomainError(error.message, field="complexity") from error


# --- Intake ------------------------------------------------------------------------------


@transaction.atomic
def claim_report(
    *,
    policy: Policy,
    claimant: Customer | None,
    claim_type: str,
    event_date: dt.date,
    claimed_amount: Any,
    description: str,
    by: Staff | None,
    channel: str = CaseChannel.COUNTER,
    insured: Customer | None = None,
    currency: str = "",
    branch: Branch | None = None,
    at: dt.datetime | None = None,
) -> Claim:
    """Take a claim report (报案): the case (its clocks start) and the Claim row."""
    _require(by, "claims.report")
    at = at or timezone.now()
    branch = branch or policy.branch
    require_branch_visible(by, branch.pk)
    require_branch_visible(by, policy.branch_id)
    if claim_type not in ClaimType.values:
        raise DomainError(
            _("Unknown claim type %(value)s.") % {"value": claim_type}, field="claim_type"
        )
    if channel not in CaseChannel.values:
        raise DomainError(_("Unknown channel %(value)s.") % {"value": channel}, field="channel")
    amount = _money(claimed_amount, "claimed_amount", allow_zero=False)
    if event_date > local_date(branch, at):
        raise DomainError(_("The event cannot lie in the future."), field="event_date")
    if event_date < policy.application_date:
        raise DomainError(
            _("The event happened before the policy was applied for."), field="event_date"
        )
    if policy.status in (
        PolicyStatus.APPLIED,
        PolicyStatus.UNDERWRITING,
        PolicyStatus.DECLINED,
        PolicyStatus.WITHDRAWN,
        PolicyStatus.CANCELLED_COOLING_OFF,
    ):
        raise DomainError(
            _("The policy was never in force (%(status)s).")
            % {"status": policy.get_status_display()},
            field="policy",
            code="policy_not_in_force",
        )
    claimant = claimant or policy.policyholder
    if insured is None:
        party = policy.parties.filter(role="insured").select_related("customer").first()
        insured = party.customer if party else policy.policyholder
    if not description.strip():
        raise DomainError(_("Write down what happened."), field="description")
    type_label = ClaimType(claim_type).label
    case = case_services.case_open(
        process=claim_process(),
        channel=channel,
        branch=branch,
        subject=f"{type_label} · {policy.number}",
        description=description,
        customer=claimant,
        policy=policy,
        classification=claim_type,
        by=by,
        at=at,
    )
    if by is not None and case.assignee_id is None and can(by, "claims.handle"):
        # A claims handler who takes the report handles the claim; a teller's report waits
        # in the claims team's queue.
        case = case_services.case_assign(case=case, assignee=by, by=by, at=at)
    claim = Claim.objects.create(
        case=case,
        policy=policy,
        claimant=claimant,
        insured=insured,
        claim_type=claim_type,
        event_date=event_date,
        reported_at=at,
        reported_by=by,
        claimed_amount=amount,
        currency=(currency or policy.currency or "CNY").upper()[:3],
    )
    audit_record(
        action="claims.report",
        actor=by,
        target=claim,
        branch_id=branch.pk,
        after={"case": case.number, "type": claim_type, "claimed": amount, "channel": channel},
    )
    return claim


@transaction.atomic
def claim_request_documents(
    *,
    claim: Claim,
    documents: Sequence[str],
    by: Staff | None,
    note: str = "",
    at: dt.datetime | None = None,
) -> Claim:
    """Tell the customer, once and completely, what to submit (一次性告知): the documents
    are recorded and the notice goes on the timeline as customer-visible, which stops the
    1-working-day clock."""
    _require(by, "claims.report")
    claim = _locked(claim, by)
    at = at or timezone.now()
    names = [" ".join(name.split())[:200] for name in documents if name and name.strip()]
    names = list(dict.fromkeys(names))
    if not names:
        raise DomainError(_("Name at least one document to submit."), field="documents")
    if claim.case.is_finished:
        raise DomainError(_("The claim is closed."), field="state", code="claim_state")
    existing = set(claim.documents.values_list("name", flat=True))
    ClaimDocument.objects.bulk_create(
        [
            ClaimDocument(claim=claim, name=name, requested_at=at)
            for name in names
            if name not in existing
        ]
    )
    body = _("Please submit: %(documents)s.") % {"documents": "；".join(names)}
    if note.strip():
        body = f"{body}\n{note.strip()}"
    case_services.case_comment(
        case=claim.case, body=body, visibility=Visibility.CUSTOMER, by=by, at=at
    )
    if claim.documents_notice_at is None:
        claim.documents_notice_at = at
    claim.documents_complete_at = None
    claim.save(update_fields=["documents_notice_at", "documents_complete_at"])
    audit_record(
        action="claims.documents.request",
        actor=by,
        target=claim,
        branch_id=claim.case.branch_id,
        after={"documents": names},
    )
    return claim


@transaction.atomic
def claim_receive_documents(
    *, claim: Claim, names: Iterable[str] | None, by: Staff | None, at: dt.datetime | None = None
) -> Claim:
    """Record documents as received (all outstanding ones when names is None)."""
    _require(by, "claims.report")
    claim = _locked(claim, by)
    at = at or timezone.now()
    pending = claim.documents.filter(received_at__isnull=True)
    if names is not None:
        wanted = {name.strip() for name in names if name.strip()}
        if not wanted:
            raise DomainError(_("Choose the documents received."), field="documents")
        pending = pending.filter(name__in=wanted)
    received = list(pending.values_list("name", flat=True))
    if not received:
        raise DomainError(_("No outstanding document of that name."), field="documents")
    pending.update(received_at=at)
    if not claim.documents.filter(received_at__isnull=True).exists():
        claim.documents_complete_at = at
        claim.save(update_fields=["documents_complete_at"])
    case_services.event_add(
        claim.case, EventType.UPDATED, by=by, at=at, fields=["documents"], received=received
    )
    audit_record(
        action="claims.documents.receive",
        actor=by,
        target=claim,
        branch_id=claim.case.branch_id,
        after={"received": received},
    )
    return claim


@transaction.atomic
def claim_accept(*, claim: Claim, by: Staff | None, at: dt.datetime | None = None) -> Claim:
    """Accept the report (受理): the policy covers the insured on the event date."""
    _require(by, "claims.report")
    claim = _locked(claim, by)
    at = at or timezone.now()
    _require_state(claim, "reported")
    _transition(claim, "accept", by=by, at=at)
    audit_record(action="claims.accept", actor=by, target=claim, branch_id=claim.case.branch_id)
    return claim


@transaction.atomic
def claim_register(
    *,
    claim: Claim,
    facts_clear: bool,
    by: Staff | None,
    complexity: str = Complexity.SIMPLE,
    complex_reason: str = "",
    social_insurance_priced: bool = False,
    at: dt.datetime | None = None,
) -> Claim:
    """Register the claim (立案): the handler says whether the facts are clear and whether
    the claim is complex (decision within 30 days instead of 5 working days). A small medical
    claim with clear facts goes by the fast track."""
    _require(by, "claims.report")
    claim = _locked(claim, by)
    at = at or timezone.now()
    _require_state(claim, "accepted")
    if complexity not in Complexity.values:
        raise DomainError(_("Unknown complexity."), field="complexity")
    if complexity == Complexity.COMPLEX and not complex_reason.strip():
        raise DomainError(_("Say why the claim is complex."), field="complex_reason")
    _transition(claim, "register", by=by, at=at)
    claim.facts_clear = facts_clear
    claim.registered_at = at
    claim.social_insurance_priced = social_insurance_priced
    claim.save(update_fields=["facts_clear", "registered_at", "social_insurance_priced"])
    if complexity == Complexity.COMPLEX:
        _set_complexity(claim, complex_=True, reason=complex_reason, by=by, at=at)
    _refresh_fast_track(claim, by=by, at=at)
    audit_record(
        action="claims.register",
        actor=by,
        target=claim,
        branch_id=claim.case.branch_id,
        after={
            "facts_clear": facts_clear,
            "complexity": complexity,
            "fast_track": claim.is_fast_track,
        },
    )
    return claim


def _set_complexity(
    claim: Claim, *, complex_: bool, reason: str, by: Staff | None, at: dt.datetime
) -> None:
    _switch_decision_clock(claim, complex_=complex_, by=by, at=at)
    claim.complexity = Complexity.COMPLEX if complex_ else Complexity.SIMPLE
    claim.complex_reason = reason.strip() if complex_ else ""
    claim.save(update_fields=["complexity", "complex_reason"])


@transaction.atomic
def claim_set_complexity(
    *, claim: Claim, is_complex: bool, reason: str, by: Staff | None, at: dt.datetime | None = None
) -> Claim:
    """Reclassify: complex (30 days) or simple (5 working days); refused once the decision
    clock is due or stopped."""
    _require(by, "claims.handle")
    claim = _locked(claim, by)
    at = at or timezone.now()
    if (claim.complexity == Complexity.COMPLEX) == is_complex:
        return claim
    if not reason.strip():
        raise DomainError(_("Say why."), field="reason")
    if claim.case.is_finished:
        raise DomainError(_("The claim is closed."), field="state", code="claim_state")
    _set_complexity(claim, complex_=is_complex, reason=reason, by=by, at=at)
    _refresh_fast_track(claim, by=by, at=at)
    audit_record(
        action="claims.complexity",
        actor=by,
        target=claim,
        branch_id=claim.case.branch_id,
        after={"complex": is_complex, "reason": reason.strip()},
    )
    return claim


@transaction.atomic
def claim_fast_track(*, claim: Claim, by: Staff | None, at: dt.datetime | None = None) -> Claim:
    """The handler confirms a small claim for the fast track: facts clear, nothing to
    investigate. Refused, with every unmet condition named, when the claim is not small."""
    _require(by, "claims.handle")
    claim = _locked(claim, by)
    at = at or timezone.now()
    _require_state(claim, "registered", "calculating")
    claim.facts_clear = True
    problems = fast_track_problems(claim)
    if problems:
        raise DomainError(" ".join(problems), field="fast_track", code="fast_track_refused")
    claim.save(update_fields=["facts_clear"])
    _refresh_fast_track(claim, by=by, at=at)
    audit_record(action="claims.fast_track", actor=by, target=claim, branch_id=claim.case.branch_id)
    return claim


# --- Investigation -----------------------------------------------------------------------


def investigators_for(branch: Branch) -> list[Staff]:
    """Active claims investigators of the branch or a branch above it (a city's
    investigators work the county branches' claims)."""
    ancestors = [branch.pk]
    parent = branch.parent
    while parent is not None:
        ancestors.append(parent.pk)
        parent = parent.parent
    return list(
        Staff.objects.filter(role="claims_investigator", is_active=True, branch__in=ancestors)
        .annotate(
            open_investigations=Count(
                "claim_investigations",
                filter=Q(claim_investigations__concluded_at__isnull=True),
            )
        )
        .order_by("open_investigations", "id")
    )


@transaction.atomic
def claim_investigate(
    *,
    claim: Claim,
    investigator: Staff,
    reason: str,
    by: Staff | None,
    at: dt.datetime | None = None,
) -> Investigation:
    """Request an investigation (提起调查) by an investigator of the branch or above; the
    claim leaves the fast track."""
    _require(by, "claims.handle")
    claim = _locked(claim, by)
    at = at or timezone.now()
    _require_state(claim, "registered")
    if not reason.strip():
        raise DomainError(_("Say what to investigate."), field="reason")
    eligible = {staff.pk for staff in investigators_for(claim.case.branch)}
    if investigator.pk not in eligible:
        raise DomainError(
            _("%(name)s is not a claims investigator of this branch or above.")
            % {"name": investigator},
            field="investigator",
        )
    _transition(claim, "investigate", by=by, at=at, comment=reason.strip())
    investigation = Investigation.objects.create(
        claim=claim,
        investigator=investigator,
        reason=reason.strip(),
        requested_by=by,
        requested_at=at,
    )
    claim.facts_clear = False
    claim.save(update_fields=["facts_clear"])
    _refresh_fast_track(claim, by=by, at=at)
    audit_record(
        action="claims.investigate",
        actor=by,
        target=claim,
        branch_id=claim.case.branch_id,
        after={"investigator": investigator.pk},
    )
    return investigation


@transaction.atomic
def investigation_conclude(
    *,
    investigation: Investigation,
    findings: str,
    conclusion: str,
    by: Staff | None,
    at: dt.datetime | None = None,
) -> Investigation:
    """The investigator records the findings; the claim goes on to the calculation."""
    _require(by, "claims.investigate")
    claim = _locked(investigation.claim, by)
    at = at or timezone.now()
    investigation = Investigation.objects.select_for_update().get(pk=investigation.pk)
    if by is not None and investigation.investigator_id != by.pk:
        raise DomainError(
            _("Only the assigned investigator records the findings."), field="investigator"
        )
    if investigation.concluded_at is not None:
        raise ConflictError(
            _("The findings are already recorded."), field="findings", code="claim_state"
        )
    if conclusion not in InvestigationConclusion.values:
        raise DomainError(_("Choose a conclusion."), field="conclusion")
    if not findings.strip():
        raise DomainError(_("Write down the findings."), field="findings")
    _require_state(claim, "investigating")
    investigation.findings = findings.strip()
    investigation.conclusion = conclusion
    investigation.concluded_at = at
    investigation.save(update_fields=["findings", "conclusion", "concluded_at"])
    _transition(claim, "findings", by=by, at=at, comment=findings.strip())
    audit_record(
        action="claims.investigation.conclude",
        actor=by,
        target=investigation,
        branch_id=claim.case.branch_id,
        after={"conclusion": conclusion},
    )
    return investigation


# --- Calculation -------------------------------------------------------------------------


@dataclass(frozen=True)
class DeductionLine:
    reason: str
    amount: Any
    note: str = ""


@transaction.atomic
def claim_calculate(
    *,
    claim: Claim,
    covered_amount: Any,
    deductions: Sequence[DeductionLine],
    by: Staff | None,
    at: dt.datetime | None = None,
) -> Claim:
    """Calculate (理算): the amount within cover, less each deduction with its reason, is
    payable. Replaces an earlier calculation while the claim is not approved."""
    _require(by, "claims.handle")
    claim = _locked(claim, by)
    at = at or timezone.now()
    _require_state(claim, "registered", "calculating")
    covered = _money(covered_amount, "covered_amount")
    if covered > claim.claimed_amount:
        raise DomainError(
            _("The amount within cover cannot exceed the amount claimed (%(amount)s).")
            % {"amount": claim.claimed_amount},
            field="covered_amount",
        )
    rows: list[Deduction] = []
    for index, line in enumerate(deductions):
        field = f"deductions[{index}]"
        if line.reason not in DeductionReason.values:
            raise DomainError(_("Unknown deduction reason."), field=f"{field}.reason")
        amount = _money(line.amount, f"{field}.amount", allow_zero=False)
        if line.reason == DeductionReason.SOCIAL_INSURANCE and not claim.social_insurance_priced:
            raise DomainError(
                _(
                    "The part paid by social insurance may be deducted only when the premium "
                    "was priced by social-insurance status."
                ),
                field=f"{field}.reason",
                code="deduction_not_allowed",
            )
        if (
            line.reason == DeductionReason.PREMIUM_OWED
            and claim.policy.status != PolicyStatus.IN_GRACE
        ):
            raise DomainError(
                _("Premium owed is deducted only for a policy in its grace period."),
                field=f"{field}.reason",
                code="deduction_not_allowed",
            )
        if line.reason == DeductionReason.OTHER and not line.note.strip():
            raise DomainError(_("Say what the deduction is for."), field=f"{field}.note")
        rows.append(
            Deduction(claim=claim, reason=line.reason, amount=amount, note=line.note.strip()[:200])
        )
    total = sum((row.amount for row in rows), Decimal("0.00"))
    if total > covered:
        raise DomainError(
            _("The deductions (%(total)s) exceed the amount within cover.") % {"total": total},
            field="deductions",
        )
    if claim.case.state.code == "registered":
        _transition(claim, "calculate", by=by, at=at)
    claim.deductions.all().delete()
    Deduction.objects.bulk_create(rows)
    claim.covered_amount = covered
    claim.deductions_total = total
    claim.payable_amount = covered - total
    claim.calculated_at = at
    claim.calculated_by = by
    claim.save(
        update_fields=[
            "covered_amount",
            "deductions_total",
            "payable_amount",
            "calculated_at",
            "calculated_by",
        ]
    )
    case_services.event_add(
        claim.case,
        EventType.UPDATED,
        by=by,
        at=at,
        fields=["calculation"],
        claimed=str(claim.claimed_amount),
        covered=str(covered),
        deductions=str(total),
        payable=str(claim.payable_amount),
    )
    audit_record(
        action="claims.calculate",
        actor=by,
        target=claim,
        branch_id=claim.case.branch_id,
        after={"covered": covered, "deductions": total, "payable": claim.payable_amount},
    )
    return claim


# --- Approval within the authority limits --------------------------------------------------


class AuthorityExceeded(DomainError):
    """The approver's role may not approve this much; the claim was referred higher."""

    code = "authority_exceeded"
    status = 409

    def __init__(self, message: str, *, referred_to: Staff | None):
        super().__init__(message, field="amount")
        self.referred_to = referred_to


def _granted(role: str, action: str) -> bool:
    return RoleGrant.objects.filter(role=role, action=action, granted=True).exists()


def higher_authority(claim: Claim, amount: Decimal, *, exclude: Staff | None) -> Staff | None:
    """The least-loaded active approver of the lowest role whose limit covers the amount,
    in the claim's branch or a branch above it."""
    branch = claim.case.branch
    ancestors = [branch.pk]
    parent = branch.parent
    while parent is not None:
        ancestors.append(parent.pk)
        parent = parent.parent
    for limit in AuthorityLimit.objects.filter(limit__gte=amount).order_by("limit"):
        if not _granted(limit.role, "claims.approve"):
            continue
        candidates = (
            Staff.objects.filter(role=limit.role, is_active=True, branch__in=ancestors)
            .exclude(pk=exclude.pk if exclude else 0)
            .annotate(
                open_cases=Count(
                    "cases_assigned",
                    filter=~Q(cases_assigned__category__in=StateCategory.finished()),
                )
            )
            .order_by("open_cases", "id")
        )
        found = candidates.first()
        if found is not None:
            return found
    return None


def _authority_check(claim: Claim, amount: Decimal, *, by: Staff) -> AuthorityLimit:
    """The approver's limit when it covers the amount; else AuthorityExceeded naming the
    limit and the higher authority found (claim_approve and claim_decline then record the
    referral in a transaction of its own, so it is kept although the step is refused)."""
    limit = authority_limit_for(by.role)
    if limit is not None and limit.limit >= amount and limit.currency == claim.currency:
        return limit
    target = higher_authority(claim, amount, exclude=by)
    if limit is None:
        message = _("Your role has no claim authority limit.")
    else:
        message = _(
            "%(amount)s %(currency)s is above your authority limit of %(limit)s %(currency)s."
        ) % {"amount": amount, "currency": claim.currency, "limit": limit.limit}
    if target is not None:
        message = f"{message} " + _("The claim was referred to %(name)s.") % {"name": target}
    else:
        message = f"{message} " + _(
            "No approver of this branch or above has a limit that high: "
            "refer it to the head office."
        )
    raise AuthorityExceeded(message, referred_to=target)


def _record_referral(
    claim: Claim,
    amount: Decimal,
    *,
    by: Staff,
    at: dt.datetime,
    error: AuthorityExceeded,
    note: str,
) -> None:
    limit = authority_limit_for(by.role)
    ClaimApproval.objects.create(
        claim=claim,
        approver=by,
        role=by.role,
        amount=amount,
        limit=limit.limit if limit else None,
        outcome=ApprovalOutcome.REFERRED,
        referred_to=error.referred_to,
        note=note.strip(),
        at=at,
    )
    if error.referred_to is not None:
        if claim.case.state.code == "calculating":
            _transition(claim, "refer", by=by, at=at)
        case_services.case_assign(
            case=claim.case,
            assignee=error.referred_to,
            reason=error.message,
            by=None,
            at=at,
        )
    audit_record(
        action="claims.approval.referred",
        actor=by,
        target=claim,
        branch_id=claim.case.branch_id,
        after={
            "amount": amount,
            "referred_to": error.referred_to.pk if error.referred_to else None,
        },
    )


def claim_approve(
    *, claim: Claim, by: Staff, note: str = "", at: dt.datetime | None = None
) -> Claim:
    """Approve the payable amount within the approver's authority limit (核赔). Above it the
    approval is refused (AuthorityExceeded, naming the limit) and the claim is referred to a
    higher authority; the referral is kept although the approval is refused."""
    require(by, "claims.approve")
    at = at or timezone.now()
    try:
        with transaction.atomic():
            return _approve(claim=claim, by=by, note=note, at=at)
    except AuthorityExceeded as error:
        with transaction.atomic():
            locked = _locked(claim, by)
            if locked.case.state.code in ("calculating", "referred"):
                _record_referral(
                    locked,
                    locked.payable_amount or Decimal(0),
                    by=by,
                    at=at,
                    error=error,
                    note=note,
                )
        raise


def _approve(*, claim: Claim, by: Staff, note: str, at: dt.datetime) -> Claim:
    claim = _locked(claim, by)
    _require_state(claim, "calculating", "referred")
    if claim.payable_amount is None:
        raise DomainError(_("Calculate the claim first."), field="payable_amount")
    if claim.payable_amount <= 0:
        raise DomainError(
            _("Nothing is payable: decline the claim with its reason instead."),
            field="payable_amount",
        )
    limit = _authority_check(claim, claim.payable_amount, by=by)
    if (
        claim.calculated_by_id == by.pk
        and claim.payable_amount > FAST_TRACK_LIMIT
        and not claim.is_fast_track
    ):
        # Four eyes above small claims: who calculated does not approve.
        raise DomainError(
            _("The claim was calculated by you; another approver approves it."),
            field="approver",
            code="four_eyes",
        )
    code = "approve" if claim.case.state.code == "calculating" else "approve-referred"
    _transition(claim, code, by=by, at=at, comment=note)
    ClaimApproval.objects.create(
        claim=claim,
        approver=by,
        role=by.role,
        amount=claim.payable_amount,
        limit=limit.limit,
        outcome=ApprovalOutcome.APPROVED,
        note=note.strip(),
        at=at,
    )
    claim.approved_at = at
    claim.approved_by = by
    claim.save(update_fields=["approved_at", "approved_by"])
    audit_record(
        action="claims.approve",
        actor=by,
        target=claim,
        branch_id=claim.case.branch_id,
        after={"amount": claim.payable_amount, "limit": limit.limit},
    )
    return claim


@transaction.atomic
def claim_close_paid(
    *, claim: Claim, by: Staff | None, note: str = "", at: dt.datetime | None = None
) -> Claim:
    """Close the claim as paid (结案): the amount is agreed with the customer; the decision
    clock stops and the 10-day payment clock starts."""
    _require(by, "claims.handle")
    claim = _locked(claim, by)
    at = at or timezone.now()
    _require_state(claim, "approved")
    _transition(claim, "close-paid", by=by, at=at, comment=note)
    claim.decision = Decision.PAID
    claim.decided_at = at
    claim.decided_on_time = _clock_met(claim, DECISION_CLOCK)
    claim.save(update_fields=["decision", "decided_at", "decided_on_time"])
    audit_record(
        action="claims.close_paid",
        actor=by,
        target=claim,
        branch_id=claim.case.branch_id,
        after={"payable": claim.payable_amount},
    )
    return claim


def claim_decline(*, claim: Claim, reason: str, by: Staff, at: dt.datetime | None = None) -> Claim:
    """Decline (拒赔) with the reason, within the approver's limit on the amount claimed;
    the 3-day denial-notice clock starts."""
    require(by, "claims.approve")
    at = at or timezone.now()
    try:
        with transaction.atomic():
            return _decline(claim=claim, reason=reason, by=by, at=at)
    except AuthorityExceeded as error:
        with transaction.atomic():
            locked = _locked(claim, by)
            if locked.case.state.code in ("calculating", "referred"):
                _record_referral(
                    locked, locked.claimed_amount, by=by, at=at, error=error, note=reason
                )
        raise


def _decline(*, claim: Claim, reason: str, by: Staff, at: dt.datetime) -> Claim:
    claim = _locked(claim, by)
    _require_state(claim, *DECLINABLE)
    if not reason.strip():
        raise DomainError(_("Give the reason for the denial."), field="denial_reason")
    limit = _authority_check(claim, claim.claimed_amount, by=by)
    _transition(claim, f"decline-{claim.case.state.code}", by=by, at=at, comment=reason.strip())
    ClaimApproval.objects.create(
        claim=claim,
        approver=by,
        role=by.role,
        amount=claim.claimed_amount,
        limit=limit.limit,
        outcome=ApprovalOutcome.DECLINED,
        note=reason.strip(),
        at=at,
    )
    claim.decision = Decision.DECLINED
    claim.decided_at = at
    claim.denial_reason = reason.strip()
    claim.decided_on_time = _clock_met(claim, DECISION_CLOCK)
    claim.save(update_fields=["decision", "decided_at", "denial_reason", "decided_on_time"])
    audit_record(
        action="claims.decline",
        actor=by,
        target=claim,
        branch_id=claim.case.branch_id,
        after={"reason": reason.strip()},
    )
    return claim


@transaction.atomic
def claim_notify_denial(
    *, claim: Claim, by: Staff | None, notice_text: str = "", at: dt.datetime | None = None
) -> Claim:
    """Send the denial notice (拒赔通知书) with the reason; stops the 3-day clock."""
    _require(by, "claims.handle")
    claim = _locked(claim, by)
    at = at or timezone.now()
    _require_state(claim, "declined")
    text = "\n\n".join(
        part
        for part in (
            _("Your claim %(number)s is declined: %(reason)s")
            % {"number": claim.case.number, "reason": claim.denial_reason},
            notice_text.strip(),
        )
        if part
    )
    case_services.case_comment(
        case=claim.case, body=text, visibility=Visibility.CUSTOMER, by=by, at=at
    )
    _transition(claim, "notify-denial", by=by, at=at, comment=text)
    claim.denial_notified_at = at
    claim.denial_notice_on_time = _clock_met(claim, DENIAL_CLOCK)
    claim.save(update_fields=["denial_notified_at", "denial_notice_on_time"])
    audit_record(
        action="claims.denial_notice", actor=by, target=claim, branch_id=claim.case.branch_id
    )
    return claim


@transaction.atomic
def claim_withdraw(
    *, claim: Claim, reason: str, by: Staff | None, at: dt.datetime | None = None
) -> Claim:
    """The claimant withdraws the claim (撤案)."""
    _require(by, "claims.report")
    claim = _locked(claim, by)
    at = at or timezone.now()
    _require_state(claim, *WITHDRAWABLE)
    if not reason.strip():
        raise DomainError(_("Say why the claimant withdraws."), field="reason")
    _transition(claim, f"withdraw-{claim.case.state.code}", by=by, at=at, comment=reason.strip())
    claim.decision = Decision.WITHDRAWN
    claim.decided_at = at
    claim.withdrawal_reason = reason.strip()
    claim.save(update_fields=["decision", "decided_at", "withdrawal_reason"])
    audit_record(
        action="claims.withdraw",
        actor=by,
        target=claim,
        branch_id=claim.case.branch_id,
        after={"reason": reason.strip()},
    )
    return claim


# --- Payment -----------------------------------------------------------------------------


def _disburse(
    claim: Claim,
    *,
    amount: Decimal,
    method: str,
    paid_on: dt.date,
    is_advance: bool,
    by: Staff | None,
    at: dt.datetime,
) -> ClaimPayment:
    if method not in PAYMENT_METHODS:
        raise DomainError(_("Pay by bank transfer or in cash."), field="method")
    try:
        with transaction.atomic():
            disbursement = Disbursement.objects.create(
                policy=claim.policy,
                kind=DisbursementKind.CLAIM,
                due_date=paid_on,
                amount=amount,
                currency=claim.currency,
                method=method,
                status=DisbursementStatus.PAID,
                paid_on=paid_on,
            )
    except IntegrityError:
        raise ConflictError(
            _("A claim payment on this policy is already recorded for %(day)s.")
            % {"day": paid_on.isoformat()},
            field="paid_on",
            code="payment_exists",
        ) from None
    return ClaimPayment.objects.create(
        claim=claim,
        disbursement=disbursement,
        amount=amount,
        currency=claim.currency,
        method=method,
        is_advance=is_advance,
        paid_on=paid_on,
        recorded_by=by,
        recorded_at=at,
    )


def _paid_on(claim: Claim, paid_on: dt.date | None, at: dt.datetime) -> dt.date:
    today = local_date(claim.case.branch, at)
    paid_on = paid_on or today
    if paid_on > today:
        raise DomainError(_("The payment day cannot be in the future."), field="paid_on")
    if paid_on < local_date(claim.case.branch, claim.reported_at):
        raise DomainError(_("The payment day cannot come before the report."), field="paid_on")
    return paid_on


@transaction.atomic
def claim_pay(
    *,
    claim: Claim,
    method: str,
    by: Staff | None,
    paid_on: dt.date | None = None,
    at: dt.datetime | None = None,
) -> ClaimPayment:
    """Record the settlement (赔款支付): the payable amount less advances, as a policy
    disbursement of kind claim; stops the 10-day payment clock and closes the case."""
    _require(by, "claims.pay")
    claim = _locked(claim, by)
    at = at or timezone.now()
    _require_state(claim, "agreed")
    paid_on = _paid_on(claim, paid_on, at)
    amount = (claim.payable_amount or Decimal(0)) - claim.advance_paid_amount
    if amount <= 0:
        raise DomainError(_("Nothing is left to pay after the advances."), field="amount")
    payment = _disburse(
        claim, amount=amount, method=method, paid_on=paid_on, is_advance=False, by=by, at=at
    )
    _transition(claim, "pay", by=by, at=at)
    claim.paid_amount = claim.advance_paid_amount + amount
    claim.paid_at = at
    claim.payment_on_time = _clock_met(claim, PAYMENT_CLOCK)
    claim.save(update_fields=["paid_amount", "paid_at", "payment_on_time"])
    audit_record(
        action="claims.pay",
        actor=by,
        target=claim,
        branch_id=claim.case.branch_id,
        after={"amount": amount, "method": method, "paid_on": paid_on},
    )
    return payment


def advance_payment_problems(claim: Claim, at: dt.datetime) -> list[str]:
    problems: list[str] = []
    if claim.decision or claim.case.is_finished:
        problems.append(_("The claim is decided; pay the settlement instead."))
    if at < advance_payment_due(claim.case.branch, claim.reported_at) - dt.timedelta(days=1):
        problems.append(
            _("An advance is paid when the amount is still undetermined 60 days after the report.")
        )
    return problems


@transaction.atomic
def claim_advance_pay(
    *,
    claim: Claim,
    amount: Any,
    method: str,
    reason: str,
    by: Staff | None,
    paid_on: dt.date | None = None,
    at: dt.datetime | None = None,
) -> ClaimPayment:
    """Advance-pay the determinable part (先行赔付) of a claim still undetermined 60 days
    after the report; the settlement later pays the rest."""
    _require(by, "claims.pay")
    claim = _locked(claim, by)
    at = at or timezone.now()
    problems = advance_payment_problems(claim, at)
    if problems:
        raise DomainError(" ".join(problems), field="amount", code="advance_not_due")
    value = _money(amount, "amount", allow_zero=False)
    if claim.advance_paid_amount + value > claim.claimed_amount:
        raise DomainError(
            _("The advances would exceed the amount claimed (%(amount)s).")
            % {"amount": claim.claimed_amount},
            field="amount",
        )
    if not reason.strip():
        raise DomainError(_("Say how the determinable part was found."), field="reason")
    paid_on = _paid_on(claim, paid_on, at)
    payment = _disburse(
        claim, amount=value, method=method, paid_on=paid_on, is_advance=True, by=by, at=at
    )
    claim.advance_paid_amount += value
    claim.save(update_fields=["advance_paid_amount"])
    case_services.event_add(
        claim.case,
        EventType.UPDATED,
        by=by,
        at=at,
        body=reason.strip(),
        fields=["advance_payment"],
        amount=str(value),
    )
    audit_record(
        action="claims.advance_pay",
        actor=by,
        target=claim,
        branch_id=claim.case.branch_id,
        after={"amount": value, "method": method, "reason": reason.strip()},
    )
    return payment
