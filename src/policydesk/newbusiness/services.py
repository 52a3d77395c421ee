"""Writes to new-business applications (契约): registration, the pipeline steps, the
one-time defect notice, underwriting requirements and the medical exam, premium, issue,
delivery, exits with reason codes, reminders and the insured-list import.

The case engine moves the case (`cases.services.case_transition`: guards, timeline, clocks);
these functions add the new-business rules and keep the Application row in step, in the same
transaction, holding the application's row lock (`select_for_update`) so two clerks cannot
move one application at once. Every function takes `at` so the demo can replay the past.

Rules (DOMAIN.md §2, China, working days):

- defects or missing documents: one notice, within 5 working days of receipt. A second
  one-time notice is refused (`defect_notice_already_sent`): what the correction did not cure
  ends in a return (退单) or a new form;
- no medical exam: issue within 15 working days (the clock pauses while we wait for the
  customer — corrections, premium); an ordered exam stops that clock (it no longer applies);
- after the exam report: decide within 15 working days.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.cases import clocks as engine_clocks
from policydesk.cases import services as case_services
from policydesk.cases.models import CaseChannel, EventType, Process, Visibility
from policydesk.core.access import can, require, require_branch_visible
from policydesk.core.audit import audit_record
from policydesk.core.errors import ConflictError, DomainError
from policydesk.customers.identity import validate_id_number
from policydesk.customers.models import Customer, IdDocumentType
from policydesk.org.models import Branch, Staff
from policydesk.policies import services as policy_services
from policydesk.policies.models import (
    Agent,
    Channel,
    Intermediary,
    PaymentMethod,
    PaymentMode,
    Policy,
    PolicyStatus,
    Product,
    Term,
)

from . import catalogue
from .clocks import DEFECT_NOTICE, EXAM_DECISION, ISSUE_NO_EXAM, clock_stop
from .models import (
    Application,
    Defect,
    DefectNotice,
    ExitKind,
    InsuredListImport,
    InsuredMember,
    Reminder,
    Requirement,
    RequirementKind,
    ScanResult,
    SourceSystem,
)

PROCESS_CODE = "newbusiness"
PROCESS = "newbusiness.process"
UNDERWRITE = "newbusiness.underwrite"
MAX_AMOUNT = Decimal("999999999999.99")
# Exits and the stages they leave from: the process's transition codes.
EXIT_TRANSITIONS: dict[str, dict[str, str]] = {
    ExitKind.WITHDRAWN: {
        stage: f"withdraw-from-{stage}"
        for stage in (
            "received",
            "data-entry",
            "initial-review",
            "correction",
            "scan-qc",
            "underwriting",
            "medical-exam",
            "post-exam-underwriting",
            "awaiting-premium",
        )
    },
    ExitKind.REFUNDED: {
        stage: f"refund-from-{stage}"
        for stage in (
            "initial-review",
            "correction",
            "scan-qc",
            "underwriting",
            "post-exam-underwriting",
            "premium-received",
        )
    },
    ExitKind.DECLINED: {"underwriting": "decline", "post-exam-underwriting": "decline-after-exam"},
    ExitKind.POSTPONED: {
        "underwriting": "postpone",
        "post-exam-underwriting": "postpone-after-exam",
    },
}
# Plain steps without data of their own (the application only moves on).
PLAIN_STEPS = {
    "start-entry": ("received",),
    "entry-done": ("data-entry",),
    "callback": ("delivered",),
    "archive": ("callback-done",),
    "archive-no-callback": ("delivered",),
}
INSURED_LIST_COLUMNS = (
    "name",
    "id_type",
    "id_number",
    "birth_date",
    "gender",
    "sum_assured",
    "premium",
)
MAX_LIST_ROWS = 5000


# --- Helpers -------------------------------------------------------------------------------


def _require(by: Staff | None, action: str) -> None:
    if by is not None:
        require(by, action)


def _locked(application: Application, by: Staff | None) -> Application:
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related(
            "case", "case__state", "case__branch", "product", "applicant", "insured", "agent"
        )
        .get(pk=application.pk)
    )
    require_branch_visible(by, locked.case.branch_id)
    return locked


def _require_stage(application: Application, *stages: str) -> None:
    if application.case.state.code not in stages:
        raise DomainError(
            _("Not possible while the application is %(stage)s.")
            % {"stage": application.case.state.name},
            field="stage",
            code="application_stage",
        )


def _money(value: Any, field: str) -> Decimal:
    if isinstance(value, float | bool):
        raise DomainError(_("Give amounts as decimals, not floating-point."), field=field)
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise DomainError(_("Give the amount as a number."), field=field) from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise DomainError(_("The amount must be positive."), field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_("Amounts have at most two decimal places."), field=field)
    return amount.quantize(Decimal("0.01"))


def _move(
    application: Application,
    transition_code: str,
    *,
    by: Staff | None,
    at: dt.datetime,
    comment: str = "",
) -> None:
    """Take the case's step and copy the new stage onto the application."""
    case = case_services.case_transition(
        managed=True,
        case=application.case,
        transition_code=transition_code,
        by=by,
        comment=comment,
        at=at,
    )
    application.case = case
    application.stage = case.state.code
    application.stage_entered_at = at
    application.save(update_fields=["stage", "stage_entered_at"])


def _at(at: dt.datetime | None) -> dt.datetime:
    return at or timezone.now()


def _local_date(branch: Branch, moment: dt.datetime) -> dt.date:
    return engine_clocks.calendar_for(branch).local_date(moment)


def newbusiness_process() -> Process:
    process = Process.objects.filter(code=PROCESS_CODE, is_active=True).first()
    if process is None:
        raise DomainError(
            _("The new-business process is not set up."), field="process", code="process_missing"
        )
    return process


def _audit(action: str, application: Application, by: Staff | None, **after: Any) -> None:
    audit_record(
        action=f"newbusiness.{action}",
        actor=by,
        target=application,
        branch_id=application.case.branch_id,
        after={"case": application.case.number, **after},
    )


# --- Registration --------------------------------------------------------------------------


@transaction.atomic
def application_register(
    *,
    branch: Branch,
    source_system: str,
    channel: str,
    product: Product,
    applicant: Customer,
    sum_assured: Decimal,
    premium: Decimal,
    payment_mode: str,
    payment_method: str,
    by: Staff | None,
    insured: Customer | None = None,
    agent: Agent | None = None,
    intermediary: Intermediary | None = None,
    form_number: str = "",
    term_years: int = 1,
    received_channel: str = CaseChannel.COUNTER,
    at: dt.datetime | None = None,
) -> Application:
    """Register an application handed in (收单): the case (clocks start) and the record."""
    _require(by, PROCESS)
    at = _at(at)
    require_branch_visible(by, branch.pk)
    if source_system not in SourceSystem.values:
        raise DomainError(_("Choose the source system."), field="source_system")
    if channel not in Channel.values:
        raise DomainError(
            _("Unknown sales channel %(value)s.") % {"value": channel}, field="channel"
        )
    if payment_mode not in PaymentMode.values:
        raise DomainError(_("Choose the payment mode."), field="payment_mode")
    if payment_mode not in product.payment_modes:
        raise DomainError(
            _("Product %(code)s cannot be paid %(mode)s.")
            % {"code": product.code, "mode": PaymentMode(payment_mode).label},
            field="payment_mode",
        )
    if payment_method not in PaymentMethod.values:
        raise DomainError(_("Choose the payment method."), field="payment_method")
    if not product.is_active:
        raise DomainError(_("The product is no longer sold."), field="product")
    if source_system == SourceSystem.LONG_TERM_CORE and product.term != Term.LONG:
        raise DomainError(
            _("The long-term core system takes long-term products only."), field="product"
        )
    if source_system != SourceSystem.LONG_TERM_CORE and product.term != Term.SHORT:
        raise DomainError(
            _("Card and group business take short-term products only."), field="product"
        )
    if source_system == SourceSystem.SHORT_TERM_GROUP:
        if insured is not None:
            raise DomainError(
                _("A group application names its insured in the insured list."), field="insured"
            )
    elif insured is None:
        insured = applicant
    if agent is not None and not agent.is_active:
        raise DomainError(_("The agent is no longer active."), field="agent")
    if isinstance(term_years, bool) or term_years < 1 or term_years > 100:
        raise DomainError(_("The term is between 1 and 100 years."), field="term_years")
    sum_assured = _money(sum_assured, "sum_assured")
    premium = _money(premium, "premium")
    require_branch_visible(by, applicant.branch_id)
    form_number = form_number.strip()[:32]
    if form_number and Application.objects.filter(form_number=form_number, exit_kind="").exists():
        raise ConflictError(
            _("Application form %(number)s is already registered.") % {"number": form_number},
            field="form_number",
            code="duplicate_form_number",
        )
    subject = f"{SourceSystem(source_system).label} · {product.name} · {applicant.name}"
    case = case_services.case_open(
        process=newbusiness_process(),
        channel=received_channel,
        branch=branch,
        subject=subject,
        customer=applicant,
        by=by,
        at=at,
    )
    application = Application.objects.create(
        case=case,
        source_system=source_system,
        channel=channel,
        agent=agent,
        intermediary=intermediary,
        form_number=form_number,
        product=product,
        applicant=applicant,
        insured=insured,
        sum_assured=sum_assured,
        premium=premium,
        currency=product.currency,
        term_years=term_years,
        payment_mode=payment_mode,
        payment_method=payment_method,
        received_at=at,
        received_by=by,
        stage=case.state.code,
        stage_entered_at=at,
    )
    _audit(
        "application.register",
        application,
        by,
        source_system=source_system,
        channel=channel,
        product=product.code,
        sum_assured=str(sum_assured),
        premium=str(premium),
        agent=agent.code if agent else "",
    )
    return application


# --- Simple steps --------------------------------------------------------------------------


@transaction.atomic
def application_step(
    *,
    application: Application,
    step: str,
    by: Staff | None,
    comment: str = "",
    at: dt.datetime | None = None,
) -> Application:
    """A step that carries no data: start or finish data entry, callback done, archive."""
    _require(by, PROCESS)
    application = _locked(application, by)
    at = _at(at)
    stages = PLAIN_STEPS.get(step)
    if stages is None:
        raise DomainError(_("Unknown step %(step)s.") % {"step": step}, field="step")
    _require_stage(application, *stages)
    _move(application, step, by=by, at=at, comment=comment)
    fields = []
    if step == "callback":
        application.callback_done_at = at
        fields.append("callback_done_at")
    if step in ("archive", "archive-no-callback"):
        application.archived_at = at
        fields.append("archived_at")
    if fields:
        application.save(update_fields=fields)
    _audit(f"application.{step}", application, by)
    return application


# --- Initial review and the one-time defect notice ----------------------------------------


def _clean_defects(defects: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    known = catalogue.defects()
    cleaned: list[tuple[str, str]] = []
    seen: set[str] = set()
    for code, note in defects:
        if code not in known:
            raise DomainError(_("Unknown defect %(code)s.") % {"code": code}, field="defects")
        if code in seen:
            raise DomainError(
                _("The defect %(name)s is listed twice.") % {"name": known[code].label},
                field="defects",
            )
        if code == "other" and not note.strip():
            raise DomainError(_("Say what the other defect is."), field="defects")
        seen.add(code)
        cleaned.append((code, note.strip()[:500]))
    return cleaned


def notice_text(application: Application, defects: Sequence[tuple[str, str]]) -> str:
    """The one-time notice: every defect at once, and what to do about each."""
    known = catalogue.defects()
    lines = [
        _(
            "Application %(number)s (%(product)s, applicant %(applicant)s) needs the "
            "following before it can go on. This is the only notice: please bring every "
            "item at once."
        )
        % {
            "number": application.case.number,
            "product": application.product.name,
            "applicant": application.applicant.name,
        }
    ]
    for position, (code, note) in enumerate(defects, start=1):
        entry = known[code]
        line = f"{position}. {entry.label}"
        if note:
            line += f": {note}"
        if entry.replace_form:
            line += " — " + _("a key field was altered: fill in a new application form")
        lines.append(line)
    return "\n".join(lines)


@transaction.atomic
def application_review(
    *,
    application: Application,
    defects: Sequence[tuple[str, str]],
    by: Staff,
    at: dt.datetime | None = None,
) -> Application:
    """Initial review (初审). No defects: on to scan QC. Defects: the one-time notice goes
    out (the only one this application gets) and the application waits for corrections.
    After the corrections, a clean review passes; remaining defects cannot be notified a
    second time — return the application (退单) instead."""
    require(by, PROCESS)
    application = _locked(application, by)
    at = _at(at)
    _require_stage(application, "initial-review")
    cleaned = _clean_defects(defects)
    existing = DefectNotice.objects.filter(application=application).first()
    if not cleaned:
        if existing is not None and existing.corrected_at is None:
            existing.corrected_at = at
            existing.save(update_fields=["corrected_at"])
        clock_stop(application.case, DEFECT_NOTICE, at=at, by=by, reason="initial review passed")
        _move(application, "review-pass", by=by, at=at)
        _audit("application.review", application, by, defects=[])
        return application
    if existing is not None:
        raise ConflictError(
            _(
                "The one-time defect notice was already sent on %(date)s; a second one is not "
                "allowed. Return the application (退单) or have a new form filled in."
            )
            % {"date": _local_date(application.case.branch, existing.sent_at).isoformat()},
            field="defects",
            code="defect_notice_already_sent",
        )
    text = notice_text(application, cleaned)
    notice = DefectNotice.objects.create(application=application, sent_at=at, sent_by=by, text=text)
    Defect.objects.bulk_create(
        Defect(notice=notice, code=code, note=note) for code, note in cleaned
    )
    clock_stop(application.case, DEFECT_NOTICE, at=at, by=by, reason="defect notice sent")
    case_services.case_comment(
        case=application.case, body=text, by=by, visibility=Visibility.CUSTOMER, at=at
    )
    _move(application, "send-defect-notice", by=by, at=at)
    _audit("application.defect_notice", application, by, defects=[code for code, _n in cleaned])
    return application


@transaction.atomic
def application_corrected(
    *, application: Application, by: Staff, note: str = "", at: dt.datetime | None = None
) -> Application:
    """The agent brought the corrections: back to initial review."""
    require(by, PROCESS)
    application = _locked(application, by)
    at = _at(at)
    _require_stage(application, "correction")
    DefectNotice.objects.filter(application=application, corrected_at__isnull=True).update(
        corrected_at=at
    )
    _move(application, "corrected", by=by, at=at, comment=note)
    _audit("application.corrected", application, by)
    return application


# --- Scan QC -------------------------------------------------------------------------------


@transaction.atomic
def application_scan_qc(
    *,
    application: Application,
    passed: bool,
    by: Staff,
    note: str = "",
    at: dt.datetime | None = None,
) -> Application:
    """Scan quality check (扫描质检): passed goes to underwriting; failed stays to rescan."""
    require(by, PROCESS)
    application = _locked(application, by)
    at = _at(at)
    _require_stage(application, "scan-qc")
    if not passed and not note.strip():
        raise DomainError(_("Say which pages to rescan."), field="note")
    application.scan_result = ScanResult.PASSED if passed else ScanResult.FAILED
    application.scan_note = note.strip()[:500]
    application.scan_checked_at = at
    application.save(update_fields=["scan_result", "scan_note", "scan_checked_at"])
    if passed:
        _move(application, "scan-pass", by=by, at=at, comment=note)
    else:
        case_services.case_comment(
            case=application.case,
            body=_("Scan QC failed: %(note)s") % {"note": application.scan_note},
            by=by,
            at=at,
        )
    _audit("application.scan_qc", application, by, passed=passed, note=application.scan_note)
    return application


# --- Underwriting --------------------------------------------------------------------------


@transaction.atomic
def requirement_raise(
    *,
    application: Application,
    kind: str,
    by: Staff,
    note: str = "",
    at: dt.datetime | None = None,
) -> Requirement:
    """Underwriting asks for something (照会). A medical exam is ordered with
    `application_order_exam`, which books it."""
    require(by, UNDERWRITE)
    application = _locked(application, by)
    at = _at(at)
    _require_stage(application, "underwriting", "post-exam-underwriting")
    if kind not in RequirementKind.values or kind == RequirementKind.MEDICAL_EXAM:
        raise DomainError(_("Choose what underwriting asks for."), field="kind")
    if kind == RequirementKind.OTHER and not note.strip():
        raise DomainError(_("Say what is asked for."), field="note")
    requirement = Requirement.objects.create(
        application=application, kind=kind, note=note.strip()[:500], raised_at=at, raised_by=by
    )
    case_services.event_add(
        application.case,
        EventType.COMMENTED,
        by=by,
        at=at,
        body=_("Underwriting requirement: %(kind)s %(note)s")
        % {"kind": requirement.get_kind_display(), "note": requirement.note},
    )
    _audit("application.requirement", application, by, kind=kind, note=requirement.note)
    return requirement


@transaction.atomic
def requirement_meet(
    *, requirement: Requirement, by: Staff, at: dt.datetime | None = None
) -> Requirement:
    require(by, PROCESS)
    application = _locked(requirement.application, by)
    at = _at(at)
    requirement = Requirement.objects.select_for_update().get(pk=requirement.pk)
    if requirement.met_at is not None:
        raise ConflictError(_("The requirement is already met."), field="requirement")
    requirement.met_at = at
    requirement.save(update_fields=["met_at"])
    _audit("application.requirement_met", application, by, kind=requirement.kind)
    return requirement


@transaction.atomic
def application_order_exam(
    *,
    application: Application,
    appointment_at: dt.datetime,
    place: str,
    by: Staff,
    at: dt.datetime | None = None,
) -> Application:
    """Order and book a medical exam (体检预约). The 15-working-day no-exam clock no longer
    applies and stops; the decision clock starts when the report arrives."""
    require(by, UNDERWRITE)
    application = _locked(application, by)
    at = _at(at)
    _require_stage(application, "underwriting")
    if timezone.is_naive(appointment_at):
        raise DomainError(_("Give the appointment with its time zone."), field="appointment_at")
    if appointment_at < at:
        raise DomainError(_("The appointment lies in the past."), field="appointment_at")
    if not place.strip():
        raise DomainError(_("Say where the exam takes place."), field="place")
    application.exam_required = True
    application.exam_appointment_at = appointment_at
    application.exam_place = place.strip()[:200]
    application.save(update_fields=["exam_required", "exam_appointment_at", "exam_place"])
    Requirement.objects.create(
        application=application,
        kind=RequirementKind.MEDICAL_EXAM,
        note=application.exam_place,
        raised_at=at,
        raised_by=by,
    )
    clock_stop(application.case, ISSUE_NO_EXAM, at=at, by=by, reason="medical exam ordered")
    _move(
        application,
        "order-exam",
        by=by,
        at=at,
        comment=_("Medical exam booked for %(when)s at %(place)s")
        % {
            "when": timezone.localtime(appointment_at).strftime("%Y-%m-%d %H:%M"),
            "place": application.exam_place,
        },
    )
    _audit(
        "application.order_exam",
        application,
        by,
        appointment_at=appointment_at.isoformat(),
        place=application.exam_place,
    )
    return application


@transaction.atomic
def application_exam_report(
    *, application: Application, by: Staff, at: dt.datetime | None = None
) -> Application:
    """The exam report arrived: decide within 15 working days (the decision clock starts)."""
    require(by, UNDERWRITE)
    application = _locked(application, by)
    at = _at(at)
    _require_stage(application, "medical-exam")
    application.exam_report_received_at = at
    application.save(update_fields=["exam_report_received_at"])
    Requirement.objects.filter(
        application=application, kind=RequirementKind.MEDICAL_EXAM, met_at__isnull=True
    ).update(met_at=at)
    _move(application, "exam-report", by=by, at=at)
    _audit("application.exam_report", application, by)
    return application


@transaction.atomic
def application_accept(
    *, application: Application, by: Staff, at: dt.datetime | None = None
) -> Application:
    """Underwriting accepts (承保): on to premium collection."""
    require(by, UNDERWRITE)
    application = _locked(application, by)
    at = _at(at)
    _require_stage(application, "underwriting", "post-exam-underwriting")
    open_requirements = [
        r.get_kind_display()
        for r in application.requirements.filter(met_at__isnull=True).order_by("id")
    ]
    if open_requirements:
        raise DomainError(
            _("Requirements still open: %(items)s.") % {"items": ", ".join(open_requirements)},
            field="requirements",
            code="requirements_open",
        )
    after_exam = application.case.state.code == "post-exam-underwriting"
    if after_exam:
        clock_stop(application.case, EXAM_DECISION, at=at, by=by, reason="accepted")
    application.accepted_at = at
    application.save(update_fields=["accepted_at"])
    _move(application, "accept-after-exam" if after_exam else "accept", by=by, at=at)
    _audit("application.accept", application, by)
    return application


# --- Premium -------------------------------------------------------------------------------


@transaction.atomic
def application_premium_received(
    *,
    application: Application,
    received_on: dt.date,
    by: Staff,
    at: dt.datetime | None = None,
) -> Application:
    require(by, PROCESS)
    application = _locked(application, by)
    at = _at(at)
    _require_stage(application, "awaiting-premium")
    if received_on > _local_date(application.case.branch, at):
        raise DomainError(_("The day received cannot be in the future."), field="received_on")
    if received_on < _local_date(application.case.branch, application.received_at):
        raise DomainError(
            _("The premium cannot arrive before the application."), field="received_on"
        )
    application.premium_received_on = received_on
    application.save(update_fields=["premium_received_on"])
    _move(application, "premium-in", by=by, at=at)
    _audit("application.premium_received", application, by, received_on=received_on)
    return application


@transaction.atomic
def application_premium_problem(
    *,
    application: Application,
    refused: bool,
    by: Staff,
    note: str = "",
    at: dt.datetime | None = None,
) -> Application:
    """The customer refuses to pay (refused) or a collection failed at the bank; either puts
    the application on the withdrawal list once the rule's days have passed."""
    require(by, PROCESS)
    application = _locked(application, by)
    at = _at(at)
    _require_stage(application, "awaiting-premium")
    fields = []
    if refused:
        if application.premium_refused_at is None:
            application.premium_refused_at = at
            fields.append("premium_refused_at")
    else:
        application.collection_failures += 1
        fields.append("collection_failures")
        if application.premium_refused_at is None and (
            application.collection_failures >= catalogue.withdrawal_rule().collection_failures
        ):
            # Repeated failures count as refusal from the failure that reached the limit.
            application.premium_refused_at = at
            fields.append("premium_refused_at")
    if fields:
        application.save(update_fields=fields)
    body = (
        _("The customer refuses to pay the premium.")
        if refused
        else _("Premium collection failed (%(n)s).") % {"n": application.collection_failures}
    )
    case_services.event_add(
        application.case,
        EventType.COMMENTED,
        by=by,
        at=at,
        body=f"{body} {note.strip()}".strip(),
    )
    _audit(
        "application.premium_problem",
        application,
        by,
        refused=refused,
        failures=application.collection_failures,
    )
    return application


# --- Issue and delivery --------------------------------------------------------------------


@transaction.atomic
def application_issue(
    *,
    application: Application,
    policy_number: str,
    by: Staff,
    at: dt.datetime | None = None,
) -> Application:
    """Issue (承保出单): the registry policy is created with the source system's number, or
    an existing policy of that number (the same policyholder) is linked. The issue clock
    stops (the case is resolved)."""
    require(by, UNDERWRITE)
    application = _locked(application, by)
    at = _at(at)
    _require_stage(application, "premium-received")
    number = policy_number.strip()
    if not number:
        raise DomainError(_("Give the policy number."), field="policy_number")
    branch = application.case.branch
    issue_day = _local_date(branch, at)
    existing = Policy.objects.filter(number=number).first()
    if existing is not None:
        require_branch_visible(by, existing.branch_id)
        if existing.policyholder_id != application.applicant_id:
            raise DomainError(
                _("Policy %(number)s belongs to another policyholder.") % {"number": number},
                field="policy_number",
            )
        if Application.objects.filter(policy=existing).exclude(pk=application.pk).exists():
            raise ConflictError(
                _("Policy %(number)s is already linked to another application.")
                % {"number": number},
                field="policy_number",
                code="policy_already_linked",
            )
        policy = existing
    else:
        policy = policy_services.policy_create(
            number=number,
            product=application.product,
            branch=branch,
            policyholder=application.applicant,
            channel=application.channel,
            status=PolicyStatus.ISSUED,
            application_date=_local_date(branch, application.received_at),
            issue_date=issue_day,
            sum_assured=application.sum_assured,
            premium=application.premium,
            payment_mode=application.payment_mode,
            payment_method=application.payment_method,
            insured=[application.insured] if application.insured else [],
            agent=application.agent,
            intermediary=application.intermediary,
            term_years=application.term_years,
            source_system=application.source_system,
            by=by,
        )
    application.policy = policy
    application.issued_at = at
    application.save(update_fields=["policy", "issued_at"])
    case_services.case_update(case=application.case, by=by, changes={"policy": policy}, at=at)
    _move(application, "issue", by=by, at=at)
    _audit("application.issue", application, by, policy=policy.number, linked=existing is not None)
    return application


@transaction.atomic
def application_deliver(
    *,
    application: Application,
    receipt_signed_on: dt.date,
    by: Staff,
    at: dt.datetime | None = None,
) -> Application:
    """Delivered and the receipt signed (回执): cooling-off runs from the next day; the
    policy's receipt date and cooling-off end are recorded on the registry policy."""
    require(by, PROCESS)
    application = _locked(application, by)
    at = _at(at)
    _require_stage(application, "issued")
    branch = application.case.branch
    if receipt_signed_on > _local_date(branch, at):
        raise DomainError(
            _("The receipt cannot be signed in the future."), field="receipt_signed_on"
        )
    if application.issued_at and receipt_signed_on < _local_date(branch, application.issued_at):
        raise DomainError(
            _("The receipt is signed before the policy was issued."), field="receipt_signed_on"
        )
    policy = application.policy
    cooling_end = None
    if policy is not None:
        # The registry records the receipt and its cooling-off (as the system: delivery is
        # a new-business step, audited below with the acting staff member).
        policy = policy_services.policy_receipt_sign(
            policy=policy, signed_on=receipt_signed_on, by=None
        )
        cooling_end = policy.cooling_off_end
    application.delivered_at = at
    application.receipt_signed_on = receipt_signed_on
    application.cooling_off_end = cooling_end
    application.save(update_fields=["delivered_at", "receipt_signed_on", "cooling_off_end"])
    _move(application, "deliver", by=by, at=at)
    _audit(
        "application.deliver",
        application,
        by,
        receipt_signed_on=receipt_signed_on,
        cooling_off_end=cooling_end,
    )
    return application


# --- Exits ---------------------------------------------------------------------------------


@transaction.atomic
def application_exit(
    *,
    application: Application,
    kind: str,
    reason: str,
    by: Staff,
    note: str = "",
    at: dt.datetime | None = None,
) -> Application:
    """Leave the pipeline: withdrawn (撤单), returned and refunded (退单), declined or
    postponed (underwriting only), each with a reason code of exit_reasons.toml."""
    if kind not in ExitKind.values:
        raise DomainError(_("Choose how the application ends."), field="kind")
    require(by, UNDERWRITE if kind in (ExitKind.DECLINED, ExitKind.POSTPONED) else PROCESS)
    application = _locked(application, by)
    at = _at(at)
    reasons = catalogue.exit_reasons().get(kind, {})
    if reason not in reasons:
        raise DomainError(
            _("Unknown reason %(code)s for this exit.") % {"code": reason},
            field="reason",
            code="exit_reason_unknown",
        )
    if reason == "other" and not note.strip():
        raise DomainError(_("Say why."), field="note")
    stage = application.case.state.code
    transition = EXIT_TRANSITIONS[kind].get(stage)
    if transition is None:
        raise DomainError(
            _("An application %(stage)s cannot be %(exit)s.")
            % {"stage": application.case.state.name, "exit": ExitKind(kind).label.lower()},
            field="kind",
            code="application_stage",
        )
    comment = reasons[reason].label + (f": {note.strip()}" if note.strip() else "")
    if stage == "post-exam-underwriting":
        clock_stop(application.case, EXAM_DECISION, at=at, by=by, reason=kind)
    application.exit_kind = kind
    application.exit_reason = reason
    application.exit_note = note.strip()
    application.exited_at = at
    application.save(update_fields=["exit_kind", "exit_reason", "exit_note", "exited_at"])
    _move(application, transition, by=by, at=at, comment=comment)
    _audit("application.exit", application, by, kind=kind, reason=reason, stage=stage)
    return application


# --- Reminders -----------------------------------------------------------------------------


@transaction.atomic
def application_remind(
    *, application: Application, by: Staff, note: str = "", at: dt.datetime | None = None
) -> Reminder:
    """One-click chase of a stalled application: the agent (or the applicant, for the stages
    the radar says) is reminded; the timeline and the audit trail say who and about what."""
    require(by, PROCESS)
    application = _locked(application, by)
    at = _at(at)
    if not application.is_open:
        raise DomainError(_("The application is finished."), field="application")
    threshold = catalogue.thresholds().get(application.stage)
    chase = threshold.chase if threshold else "internal"
    agent = application.agent if chase == "agent" else None
    if chase == "agent" and agent is not None:
        chased = f"{agent.code} {agent.name}"
    elif chase == "applicant" or (chase == "agent" and agent is None):
        chased = application.applicant.name
    else:
        team = application.case.team
        chased = str(team) if team else _("the owning team")
    reminder = Reminder.objects.create(
        application=application,
        agent=agent,
        chased=chased[:200],
        stage=application.stage,
        note=note.strip()[:500],
        sent_at=at,
        sent_by=by,
    )
    case_services.event_add(
        application.case,
        EventType.COMMENTED,
        by=by,
        at=at,
        body=_("Reminder sent to %(who)s about the stage %(stage)s. %(note)s")
        % {"who": chased, "stage": application.case.state.name, "note": reminder.note},
        reminder=reminder.pk,
        chased=chased,
        agent=agent.code if agent else "",
    )
    _audit(
        "application.remind",
        application,
        by,
        chased=chased,
        agent=agent.code if agent else "",
        stage=application.stage,
    )
    return reminder


# --- Insured list (group and batch business) ----------------------------------------------


def _parse_list_row(
    row_number: int, row: dict[str, str], problems: list[dict[str, Any]], seen: dict[str, int]
) -> dict[str, Any] | None:
    def problem(column: str, message: str) -> None:
        problems.append({"row": row_number, "column": column, "message": message})

    before = len(problems)
    name = (row.get("name") or "").strip()
    if not name:
        problem("name", _("The name is missing."))
    elif len(name) > 100:
        problem("name", _("The name is longer than 100 characters."))
    id_type = (row.get("id_type") or "").strip() or IdDocumentType.RESIDENT_ID
    normalised = ""
    if id_type not in IdDocumentType.values or id_type == IdDocumentType.BUSINESS_LICENCE:
        problem("id_type", _("Unknown ID document type %(value)s.") % {"value": id_type})
    else:
        try:
            normalised = validate_id_number(id_type, row.get("id_number") or "")
        except DomainError as error:
            problem("id_number", error.message)
        if normalised and normalised in seen:
            problem(
                "id_number",
                _("The same ID number is on row %(row)s.") % {"row": seen[normalised]},
            )
    birth: dt.date | None = None
    try:
        birth = dt.date.fromisoformat((row.get("birth_date") or "").strip())
    except ValueError:
        problem("birth_date", _("Give the birth date as YYYY-MM-DD."))
    gender = (row.get("gender") or "").strip().upper()
    if gender not in ("M", "F"):
        problem("gender", _("Give the gender as M or F."))
    amounts: dict[str, Decimal] = {}
    for column in ("sum_assured", "premium"):
        try:
            amounts[column] = _money((row.get(column) or "").strip(), column)
        except DomainError as error:
            problem(column, error.message)
    if len(problems) > before:
        return None
    seen[normalised] = row_number
    return {
        "row_number": row_number,
        "name": name,
        "id_type": id_type,
        "id_number": normalised,
        "birth_date": birth,
        "gender": gender,
        **amounts,
    }


@transaction.atomic
def insured_list_import(
    *, application: Application, file_name: str, content: bytes, by: Staff
) -> InsuredListImport:
    """Import a group or batch application's insured list (CSV or XLSX), all or nothing:
    any problem (named by row, column and reason) refuses the whole file and keeps the list
    as it was; an accepted file replaces the list. Columns: name, id_type, id_number,
    birth_date, gender, sum_assured, premium."""
    from policydesk.core.crypto import encrypt_text
    from policydesk.imports.readers import file_format, open_table

    require(by, PROCESS)
    application = _locked(application, by)
    if application.source_system != SourceSystem.SHORT_TERM_GROUP:
        raise DomainError(
            _("Only group and batch applications have an insured list."), field="application"
        )
    if not application.is_open or application.issued_at is not None:
        raise DomainError(
            _("The insured list cannot change once the policy is issued."),
            field="application",
            code="application_stage",
        )
    file_format(file_name)
    problems: list[dict[str, Any]] = []
    parsed: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(file_name).name
        path.write_bytes(content)
        table = open_table(path, file_name)
        missing = [c for c in INSURED_LIST_COLUMNS if c not in table.header and c != "id_type"]
        for column in missing:
            problems.append({"row": 1, "column": column, "message": _("The column is missing.")})
        seen: dict[str, int] = {}
        if not missing:
            for row_number, row in table.rows:
                if len(parsed) + len(problems) > MAX_LIST_ROWS:
                    problems.append(
                        {
                            "row": row_number,
                            "column": "",
                            "message": _("At most %(n)s rows per file.") % {"n": MAX_LIST_ROWS},
                        }
                    )
                    break
                if not any((value or "").strip() for value in row.values()):
                    continue
                member = _parse_list_row(row_number, row, problems, seen)
                if member is not None:
                    parsed.append(member)
    if not problems and not parsed:
        problems.append({"row": 2, "column": "", "message": _("The file has no insured.")})
    accepted = not problems
    record = InsuredListImport.objects.create(
        application=application,
        file_name=file_name[:255],
        accepted=accepted,
        rows=len(parsed) + len({p["row"] for p in problems if p["row"] > 1}),
        errors=problems[:500],
        imported_by=by,
    )
    if accepted:
        application.insured_members.all().delete()
        InsuredMember.objects.bulk_create(
            InsuredMember(
                application=application,
                row_number=member["row_number"],
                name=member["name"],
                id_type=member["id_type"],
                id_number_encrypted=encrypt_text(member["id_number"]),
                id_number_last4=member["id_number"][-4:],
                birth_date=member["birth_date"],
                gender=member["gender"],
                sum_assured=member["sum_assured"],
                premium=member["premium"],
            )
            for member in parsed
        )
    _audit(
        "application.insured_list",
        application,
        by,
        file=file_name,
        accepted=accepted,
        members=len(parsed) if accepted else 0,
        problems=len(problems),
    )
    return record


def can_underwrite(user: Any) -> bool:
    return can(user, UNDERWRITE)
