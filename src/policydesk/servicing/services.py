"""Writes to policy servicing (保全): the catalogue, applications and their steps, effects.

The case engine moves the case (`cases.services.case_transition`: guards, clocks, timeline);
these functions add what servicing asks on top and keep the ServicingItem in step in the
same transaction, holding the item's row lock (`select_for_update`) so two clerks cannot
take the same step at once. Every function takes `at`, so the demo replays the past.

Clocks (DOMAIN.md §2): a complete application is filed in state "received" and must be
accepted within 2 working days; an incomplete one in "received-incomplete", and the
one-time correction notice (一次性告知) is due within 5 working days; once approved — or,
for an item the customer pays for, once fully paid — the item is done within 5 working
days (exam time excluded). The engine's clocks hold the due moments; the item copies them
with the moments they were met, so the KPIs are plain aggregates.

Effects are applied when the item is completed, through the registry's services
(customers.services, policies.services) where they exist; each is a PolicyEndorsement with
the policy's values before and after, and audited. A done item is final: a new item
(`reverses=`) reverses it.
"""

from __future__ import annotations

import base64
import datetime as dt
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.cases import clocks
from policydesk.cases import services as case_services
from policydesk.cases.models import Case, CaseChannel, Process, Visibility
from policydesk.core.access import require, require_branch_visible, visible_branch_ids
from policydesk.core.audit import audit_record
from policydesk.core.business_time import WorkingCalendar
from policydesk.core.crypto import decrypt_text, encrypt_text, normalise_identifier
from policydesk.core.errors import ConflictError, DomainError
from policydesk.customers import quality
from policydesk.customers import services as customer_services
from policydesk.customers.models import ContactKind, ContactPoint, Customer, PhoneType
from policydesk.org.models import Staff
from policydesk.policies import services as policy_services
from policydesk.policies.models import (
    BankMandate,
    Disbursement,
    DisbursementKind,
    DisbursementStatus,
    MandateStatus,
    PaymentMethod,
    PaymentMode,
    Policy,
    PolicyPartyRole,
    PolicyStatus,
)

from . import eligibility
from .models import (
    ApplicantRole,
    Effect,
    MoneyFlow,
    PolicyEndorsement,
    ServicingItem,
    ServicingItemType,
    SurrenderReason,
)

CATALOGUE_FILE = Path(__file__).resolve().parent / "catalogue.toml"
PROCESS_CODE = "servicing"
ACCEPT_DAYS = 2
NOTICE_DAYS = 5
COMPLETE_DAYS = 5
ACCEPTANCE_CLOCK = "acceptance"
NOTICE_CLOCK = "correction-notice"
COMPLETION_CLOCK = "completion"
POWER_OF_ATTORNEY = {
    "code": "power-of-attorney",
    "name": "授权委托书及代办人身份证件",
    "name_en": "Power of attorney and the proxy's ID document",
}
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
# Item states in which the customer may still withdraw the application.
CANCEL_STEPS = {
    "received": "cancel-received",
    "received-incomplete": "cancel-incomplete",
    "correction": "cancel-correction",
    "review": "cancel-review",
    "awaiting-payment": "cancel-payment",
}
UNFINISHED_STATES = frozenset(
    {
        "intake",
        "received",
        "received-incomplete",
        "correction",
        "review",
        "exam",
        "awaiting-payment",
        "processing",
    }
)


class Ineligible(DomainError):
    """The policy does not qualify for the item: every failed rule is named."""

    code = "servicing_ineligible"

    def __init__(self, refusals: list[eligibility.Refusal]):
        super().__init__(" ".join(r.reason for r in refusals), field="item_code")
        self.refusals = refusals


# --- Catalogue -----------------------------------------------------------------------------


def catalogue_sync() -> int:
    """Create the catalogue items of catalogue.toml that are missing and refresh the rows
    nobody edited; returns how many rows were created."""
    data = tomllib.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    created = 0
    for position, entry in enumerate(data["items"]):
        problems = eligibility.check_rules(entry.get("rules", []))
        if problems:
            raise DomainError("; ".join(problems), field=f"items[{position}].rules")
        values = {
            "name": entry["name"],
            "name_en": entry.get("name_en", ""),
            "effect": entry["effect"],
            "money": entry.get("money", MoneyFlow.NONE),
            "needs_payment": bool(entry.get("needs_payment", False)),
            "rules": entry.get("rules", []),
            "applicant_roles": entry.get("applicant_roles", [ApplicantRole.POLICYHOLDER]),
            "documents": entry.get("documents", []),
            "description": entry.get("description", ""),
            "position": position,
        }
        item_type, made = ServicingItemType.objects.get_or_create(
            code=entry["code"], defaults=values
        )
        created += made
        if not made and item_type.edited_at is None:
            for name, value in values.items():
                setattr(item_type, name, value)
            item_type.save(update_fields=list(values))
    return created


def _clean_documents(documents: Any) -> list[dict[str, str]]:
    if not isinstance(documents, list):
        raise DomainError(_("Give the documents as a list."), field="documents")
    cleaned: list[dict[str, str]] = []
    codes: set[str] = set()
    for index, document in enumerate(documents):
        code = str(document.get("code", "")).strip() if isinstance(document, dict) else ""
        name = str(document.get("name", "")).strip() if isinstance(document, dict) else ""
        if not code or not name or len(code) > 48:
            raise DomainError(
                _("Document %(n)s needs a code and a name.") % {"n": index + 1},
                field="documents",
            )
        if code in codes:
            raise DomainError(
                _("The document %(code)s is listed twice.") % {"code": code}, field="documents"
            )
        codes.add(code)
        cleaned.append(
            {"code": code, "name": name[:200], "name_en": str(document.get("name_en", ""))[:200]}
        )
    return cleaned


@transaction.atomic
def item_type_update(
    *,
    item_type: ServicingItemType,
    documents: list[dict[str, str]],
    applicant_roles: list[str],
    is_active: bool,
    by: Staff,
) -> ServicingItemType:
    """The Head of Service sets an item's required documents, who may apply and whether it
    is offered. Rules and effect stay as the catalogue file defines them."""
    require(by, "servicing.catalogue.edit")
    item_type = ServicingItemType.objects.select_for_update().get(pk=item_type.pk)
    cleaned = _clean_documents(documents)
    roles = list(dict.fromkeys(applicant_roles))
    if not roles:
        raise DomainError(_("Say who may apply."), field="applicant_roles")
    for role in roles:
        if role not in ApplicantRole.values:
            raise DomainError(
                _("Unknown applicant %(value)s.") % {"value": role}, field="applicant_roles"
            )
    before = {
        "documents": item_type.documents,
        "applicant_roles": item_type.applicant_roles,
        "active": item_type.is_active,
    }
    item_type.documents = cleaned
    item_type.applicant_roles = roles
    item_type.is_active = is_active
    item_type.edited_at = timezone.now()
    item_type.save(update_fields=["documents", "applicant_roles", "is_active", "edited_at"])
    audit_record(
        action="servicing.catalogue.update",
        actor=by,
        target=item_type,
        before=before,
        after={"documents": cleaned, "applicant_roles": roles, "active": is_active},
    )
    return item_type


def item_type_by_code(code: str) -> ServicingItemType:
    item_type = ServicingItemType.objects.filter(code=code, is_active=True).first()
    if item_type is None:
        raise DomainError(
            _("Unknown servicing item %(code)s.") % {"code": code},
            field="item_code",
            code="servicing_item_unknown",
        )
    return item_type


# --- Checks --------------------------------------------------------------------------------


def required_documents(item_type: ServicingItemType, applicant_role: str) -> list[dict[str, str]]:
    documents = [dict(document) for document in item_type.documents]
    if applicant_role == ApplicantRole.PROXY:
        documents.append(dict(POWER_OF_ATTORNEY))
    return documents


@dataclass
class Precheck:
    """What the apply form shows before submit: eligibility and the documents."""

    item_type: ServicingItemType
    refusals: list[eligibility.Refusal]
    required: list[dict[str, str]]
    missing: list[dict[str, str]] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.refusals

    @property
    def complete(self) -> bool:
        return not self.missing


def servicing_precheck(
    *,
    policy: Policy,
    item_type: ServicingItemType,
    applicant_role: str,
    documents: list[str],
    today: dt.date,
) -> Precheck:
    refusals = eligibility.check_eligibility(policy, list(item_type.rules), today)
    if applicant_role not in item_type.applicant_roles:
        refusals.append(
            eligibility.Refusal(
                "applicant_role",
                _("%(role)s may not apply for %(item)s (who may: %(allowed)s).")
                % {
                    "role": ApplicantRole(applicant_role).label
                    if applicant_role in ApplicantRole.values
                    else applicant_role,
                    "item": item_type.name,
                    "allowed": ", ".join(
                        str(ApplicantRole(role).label)
                        for role in item_type.applicant_roles
                        if role in ApplicantRole.values
                    ),
                },
            )
        )
    required = required_documents(item_type, applicant_role)
    received = set(documents)
    missing = [document for document in required if document["code"] not in received]
    return Precheck(item_type=item_type, refusals=refusals, required=required, missing=missing)


def _decimal(value: Any, field_name: str, *, positive: bool = True) -> Decimal:
    if isinstance(value, float | bool):
        raise DomainError(_("Give amounts as decimals, not floating-point."), field=field_name)
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise DomainError(
            _("Not an amount: %(value)s.") % {"value": value}, field=field_name
        ) from None
    if not amount.is_finite() or amount < 0 or (positive and amount == 0):
        raise DomainError(_("The amount must be positive."), field=field_name)
    if amount != amount.quantize(CENT):
        raise DomainError(_("Amounts have at most two decimal places."), field=field_name)
    return amount.quantize(CENT)


def _usable_mandate(policy: Policy) -> BankMandate | None:
    mandate = BankMandate.objects.filter(policy=policy).first()
    if mandate is None or mandate.status != MandateStatus.ACTIVE or mandate.is_dormant:
        return None
    return mandate


def _encrypted_account(details: dict[str, Any], raw: dict[str, Any]) -> None:
    """Keep a bank account number only encrypted (base64 of the AEAD blob) and its last 4."""
    bank_name = str(raw.get("bank_name", "")).strip()
    account = normalise_identifier(str(raw.get("account_number", "")))
    if not bank_name:
        raise DomainError(_("Name the bank."), field="details.bank_name")
    if not 8 <= len(account) <= 34:
        raise DomainError(_("Not a bank account number."), field="details.account_number")
    details["bank_name"] = bank_name[:100]
    details["account_last4"] = account[-4:]
    details["account_encrypted"] = base64.b64encode(encrypt_text(account)).decode("ascii")


def _account_number(details: dict[str, Any]) -> str:
    return decrypt_text(base64.b64decode(details["account_encrypted"]))


def _clean_details(
    item_type: ServicingItemType, policy: Policy, raw: dict[str, Any], by: Staff | None
) -> tuple[dict[str, Any], str]:
    """The item's details as stored, and the surrender reason; each problem names its key."""
    effect = item_type.effect
    details: dict[str, Any] = {}
    reason = ""
    if effect == Effect.CONTACT_CHANGE:
        kind = str(raw.get("kind", ""))
        if kind not in ContactKind.values:
            raise DomainError(_("Say which contact changes."), field="details.kind")
        value = str(raw.get("value", "")).strip()
        if not value:
            raise DomainError(_("Give the new contact."), field="details.value")
        phone_type = str(raw.get("phone_type", "") or PhoneType.MOBILE)
        if kind == ContactKind.PHONE and phone_type not in PhoneType.values:
            raise DomainError(_("Unknown phone type."), field="details.phone_type")
        if ContactPoint.objects.filter(
            customer_id=policy.policyholder_id, kind=kind, raw=value
        ).exists():
            raise DomainError(
                _("The policyholder already has that contact."), field="details.value"
            )
        details.update({"kind": kind, "value": value[:300]})
        if kind == ContactKind.PHONE:
            details["phone_type"] = phone_type
    elif effect == Effect.BANK_ACCOUNT_CHANGE:
        _encrypted_account(details, raw)
    elif effect == Effect.PAYMENT_MODE_CHANGE:
        to_mode = str(raw.get("to_mode", ""))
        if (
            to_mode not in (PaymentMode.MONTHLY, PaymentMode.ANNUAL)
            or to_mode == policy.payment_mode
        ):
            raise DomainError(
                _("Choose the new payment mode (monthly or annual, not the current one)."),
                field="details.to_mode",
            )
        if policy.product.payment_modes and to_mode not in policy.product.payment_modes:
            raise DomainError(
                _("The product is not sold with that payment mode."), field="details.to_mode"
            )
        details["to_mode"] = to_mode
    elif effect == Effect.BENEFICIARY_CHANGE:
        details["beneficiaries"] = _clean_beneficiaries(policy, raw.get("beneficiaries"), by)
    elif effect == Effect.POLICYHOLDER_CHANGE:
        new_holder = _visible_customer(policy, raw.get("new_policyholder_id"), by)
        if new_holder.pk == policy.policyholder_id:
            raise DomainError(
                _("That customer is already the policyholder."),
                field="details.new_policyholder_id",
            )
        details["new_policyholder_id"] = new_holder.pk
    elif effect == Effect.SURRENDER:
        reason = str(raw.get("reason", ""))
        if reason not in SurrenderReason.values:
            raise DomainError(_("Record why the customer surrenders."), field="details.reason")
    elif effect == Effect.POLICY_LOAN:
        details["requested_amount"] = str(_decimal(raw.get("amount"), "details.amount"))
    elif effect in (Effect.SURVIVAL_BENEFIT, Effect.MATURITY):
        # Bank transfer (代付) is the rule: a new payee account, the policy's usable account,
        # or cash only with a stated reason.
        if raw.get("account_number"):
            _encrypted_account(details, raw)
            details["method"] = PaymentMethod.BANK_TRANSFER
        elif raw.get("method") == PaymentMethod.CASH:
            cash_reason = str(raw.get("cash_reason", "")).strip()
            if not cash_reason:
                raise DomainError(
                    _("Bank transfer is the rule: say why this benefit is paid in cash."),
                    field="details.cash_reason",
                )
            details.update({"method": PaymentMethod.CASH, "cash_reason": cash_reason[:200]})
        elif _usable_mandate(policy) is not None:
            details["method"] = PaymentMethod.BANK_TRANSFER
        else:
            raise DomainError(
                _(
                    "The policy has no usable bank account (missing, dormant or revoked): "
                    "give the payee's account, or say why cash."
                ),
                field="details.account_number",
            )
    note = str(raw.get("note", "")).strip()
    if note:
        details["note"] = note[:500]
    return details, reason


def _visible_customer(policy: Policy, customer_id: Any, by: Staff | None) -> Customer:
    try:
        pk = int(customer_id)
    except (TypeError, ValueError):
        raise DomainError(_("Choose the customer."), field="details.new_policyholder_id") from None
    customer = Customer.objects.filter(pk=pk).first()
    if customer is None:
        raise DomainError(_("No such customer."), field="details.new_policyholder_id")
    ids = visible_branch_ids(by) if by is not None else None
    if ids is not None and customer.branch_id not in ids:
        raise DomainError(_("No such customer."), field="details.new_policyholder_id")
    return customer


def _clean_beneficiaries(policy: Policy, entries: Any, by: Staff | None) -> list[dict[str, Any]]:
    if not isinstance(entries, list) or not entries:
        raise DomainError(_("Name the new beneficiaries."), field="details.beneficiaries")
    ids = visible_branch_ids(by) if by is not None else None
    cleaned: list[dict[str, Any]] = []
    total = Decimal(0)
    seen: set[int] = set()
    for entry in entries:
        if not isinstance(entry, dict):
            raise DomainError(_("Name the new beneficiaries."), field="details.beneficiaries")
        try:
            pk = int(str(entry.get("customer_id", "")))
        except (TypeError, ValueError):
            raise DomainError(_("Choose the customer."), field="details.beneficiaries") from None
        customer = Customer.objects.filter(pk=pk).first()
        if customer is None or (ids is not None and customer.branch_id not in ids):
            raise DomainError(_("No such customer."), field="details.beneficiaries")
        if pk in seen:
            raise DomainError(_("A beneficiary is named twice."), field="details.beneficiaries")
        seen.add(pk)
        share = _decimal(entry.get("share"), "details.beneficiaries")
        total += share
        cleaned.append(
            {
                "customer_id": pk,
                "share": str(share),
                "relation_to_insured": str(entry.get("relation_to_insured", ""))[:32],
            }
        )
    if total != HUNDRED:
        raise DomainError(
            _("The beneficiaries' shares add up to %(total)s %%, not 100 %%.") % {"total": total},
            field="details.beneficiaries",
        )
    return cleaned


# --- Applications --------------------------------------------------------------------------


def _process() -> Process:
    process = Process.objects.filter(code=PROCESS_CODE).first()
    if process is None:
        raise DomainError(_("The servicing process is not set up."), field="process")
    return process


def _clock_due(case: Case, code: str) -> dt.datetime | None:
    clock = case.clocks.filter(code=code).first()
    return clock.due_at if clock else None


def _clock_met(case: Case, code: str) -> bool | None:
    clock = case.clocks.filter(code=code).first()
    return clock.met if clock else None


@transaction.atomic
def servicing_item_apply(
    *,
    policy: Policy,
    item_code: str,
    applicant_role: str,
    channel: str,
    by: Staff | None,
    at: dt.datetime | None = None,
    details: dict[str, Any] | None = None,
    documents: list[str] | tuple[str, ...] = (),
    reverses: ServicingItem | None = None,
) -> ServicingItem:
    """Receive a servicing application (保全申请) for a policy; returns the item with its case.

    Refused (no case, nothing written) when the item is unknown or inactive, the applicant
    may not apply, the policy fails an eligibility rule (Ineligible names every reason), the
    details are wrong, or an item of the same kind is still open on the policy. Accepted
    with missing documents: then the case waits for the one-time correction notice.
    """
    if by is not None:
        require(by, "servicing.apply")
    require_branch_visible(by, policy.branch_id)
    at = at or timezone.now()
    if channel not in CaseChannel.values:
        raise DomainError(_("Unknown channel %(value)s.") % {"value": channel}, field="channel")
    if applicant_role not in ApplicantRole.values:
        raise DomainError(
            _("Unknown applicant %(value)s.") % {"value": applicant_role}, field="applicant_role"
        )
    item_type = item_type_by_code(item_code)
    policy = (
        Policy.objects.select_for_update().select_related("product", "branch").get(pk=policy.pk)
    )
    known = {document["code"] for document in required_documents(item_type, ApplicantRole.PROXY)}
    unknown = sorted(set(documents) - known)
    if unknown:
        raise DomainError(
            _("Not a document of this item: %(codes)s.") % {"codes": ", ".join(unknown)},
            field="documents",
        )
    calendar = clocks.calendar_for(policy.branch)
    check = servicing_precheck(
        policy=policy,
        item_type=item_type,
        applicant_role=applicant_role,
        documents=list(documents),
        today=calendar.local_date(at),
    )
    if check.refusals:
        raise Ineligible(check.refusals)
    open_same = ServicingItem.objects.filter(
        policy=policy, item_type=item_type, case__state__code__in=UNFINISHED_STATES
    ).first()
    if open_same is not None:
        raise ConflictError(
            _("%(item)s is already open on this policy (%(number)s).")
            % {"item": item_type.name, "number": open_same.case.number},
            field="item_code",
            code="servicing_item_open",
        )
    if reverses is not None and (reverses.policy_id != policy.pk or reverses.done_at is None):
        raise DomainError(
            _("Only a done item of the same policy can be reversed."), field="reverses"
        )
    stored, reason = _clean_details(item_type, policy, dict(details or {}), by)
    case = case_services.case_open(
        process=_process(),
        channel=channel,
        branch=policy.branch,
        subject=f"{item_type.name} {policy.number}",
        customer=policy.policyholder,
        policy=policy,
        classification=item_type.code,
        by=by,
        at=at,
    )
    step = "receive-complete" if check.complete else "receive-incomplete"
    case = case_services.case_transition(
        managed=True, case=case, transition_code=step, by=by, at=at
    )
    item = ServicingItem.objects.create(
        case=case,
        item_type=item_type,
        policy=policy,
        applicant_role=applicant_role,
        details=stored,
        documents=sorted(set(documents)),
        surrender_reason=reason,
        currency=policy.currency,
        reverses=reverses,
        received_at=at,
        accept_due_at=_clock_due(case, ACCEPTANCE_CLOCK) if check.complete else None,
        notice_due_at=None if check.complete else _clock_due(case, NOTICE_CLOCK),
    )
    audit_record(
        action="servicing.item.apply",
        actor=by,
        target=item,
        branch_id=policy.branch_id,
        after={
            "item": item_type.code,
            "policy": policy.number,
            "case": case.number,
            "applicant": applicant_role,
            "complete": check.complete,
            "missing": [document["code"] for document in check.missing],
        },
    )
    return item


def _locked(item: ServicingItem, by: Staff | None) -> ServicingItem:
    locked = (
        ServicingItem.objects.select_for_update(of=("self",))
        .select_related("case", "case__state", "case__branch", "item_type", "policy")
        .get(pk=item.pk)
    )
    require_branch_visible(by, locked.case.branch_id)
    return locked


def _in_state(item: ServicingItem, *states: str) -> None:
    if item.case.state.code not in states:
        raise DomainError(
            _("This step is not possible while the item is %(state)s.")
            % {"state": item.case.state.name},
            field="state",
            code="servicing_wrong_state",
        )


def _audit(item: ServicingItem, action: str, by: Staff | None, **after: Any) -> None:
    audit_record(
        action=f"servicing.item.{action}",
        actor=by,
        target=item,
        branch_id=item.case.branch_id,
        after={"case": item.case.number, **after},
    )


@transaction.atomic
def servicing_item_accept(
    *, item: ServicingItem, by: Staff | None, at: dt.datetime | None = None, note: str = ""
) -> ServicingItem:
    """Accept a complete application (受理): the acceptance notice is the first response."""
    if by is not None:
        require(by, "servicing.apply")
    item = _locked(item, by)
    at = at or timezone.now()
    _in_state(item, "received")
    body = _("Your application %(number)s (%(item)s) is accepted.") % {
        "number": item.case.number,
        "item": item.item_type.name,
    }
    if note.strip():
        body = f"{body}\n{note.strip()}"
    case_services.case_comment(
        case=item.case, body=body, visibility=Visibility.CUSTOMER, by=by, at=at
    )
    item.case = case_services.case_transition(
        managed=True, case=item.case, transition_code="accept", by=by, at=at
    )
    item.accepted_at = at
    item.accepted_on_time = _clock_met(item.case, ACCEPTANCE_CLOCK)
    item.save(update_fields=["accepted_at", "accepted_on_time"])
    _audit(item, "accept", by, on_time=item.accepted_on_time)
    return item


def missing_documents(item: ServicingItem) -> list[dict[str, str]]:
    received = set(item.documents)
    return [
        document
        for document in required_documents(item.item_type, item.applicant_role)
        if document["code"] not in received
    ]


@transaction.atomic
def servicing_item_notify_correction(
    *, item: ServicingItem, by: Staff | None, at: dt.datetime | None = None, note: str = ""
) -> ServicingItem:
    """The one-time correction notice (一次性告知): names every missing document at once;
    there is no second notice."""
    if by is not None:
        require(by, "servicing.apply")
    item = _locked(item, by)
    at = at or timezone.now()
    _in_state(item, "received-incomplete")
    missing = missing_documents(item)
    lines = [
        _("To complete your application %(number)s (%(item)s), please bring:")
        % {"number": item.case.number, "item": item.item_type.name}
    ]
    lines += [f"- {document['name']}" for document in missing]
    if note.strip():
        lines.append(note.strip())
    text = "\n".join(lines)
    case_services.case_comment(
        case=item.case, body=text, visibility=Visibility.CUSTOMER, by=by, at=at
    )
    item.case = case_services.case_transition(
        managed=True,
        case=item.case,
        transition_code="notify-correction",
        comment=text,
        by=by,
        at=at,
    )
    item.correction_notice_at = at
    item.correction_text = text
    item.accepted_on_time = _clock_met(item.case, NOTICE_CLOCK)
    item.save(update_fields=["correction_notice_at", "correction_text", "accepted_on_time"])
    _audit(item, "notify_correction", by, missing=[d["code"] for d in missing])
    return item


@transaction.atomic
def servicing_item_correct(
    *,
    item: ServicingItem,
    documents: list[str],
    by: Staff | None,
    at: dt.datetime | None = None,
) -> ServicingItem:
    """Record the documents the customer brought after the notice; once nothing is missing
    the application is accepted and goes to review. Still missing: refused, naming them."""
    if by is not None:
        require(by, "servicing.apply")
    item = _locked(item, by)
    at = at or timezone.now()
    _in_state(item, "correction")
    known = {d["code"] for d in required_documents(item.item_type, item.applicant_role)}
    unknown = sorted(set(documents) - known)
    if unknown:
        raise DomainError(
            _("Not a document of this item: %(codes)s.") % {"codes": ", ".join(unknown)},
            field="documents",
        )
    received = sorted(set(item.documents) | set(documents))
    still = [d for d in missing_documents(item) if d["code"] not in received]
    if still:
        raise DomainError(
            _("Still missing: %(names)s.") % {"names": ", ".join(d["name"] for d in still)},
            field="documents",
            code="servicing_documents_missing",
        )
    item.case = case_services.case_transition(
        managed=True, case=item.case, transition_code="corrected", by=by, at=at
    )
    item.documents = received
    item.accepted_at = at
    item.save(update_fields=["documents", "accepted_at"])
    _audit(item, "correct", by, documents=received)
    return item


@transaction.atomic
def servicing_item_exam(
    *,
    item: ServicingItem,
    finished: bool,
    by: Staff | None,
    at: dt.datetime | None = None,
    comment: str = "",
) -> ServicingItem:
    """Send the item for a medical exam (the servicing clock excludes exam time) or bring it
    back to review when the exam is done."""
    if by is not None:
        require(by, "servicing.approve")
    item = _locked(item, by)
    at = at or timezone.now()
    _in_state(item, "exam" if finished else "review")
    item.case = case_services.case_transition(
        managed=True,
        case=item.case,
        transition_code="exam-done" if finished else "to-exam",
        comment=comment,
        by=by,
        at=at,
    )
    _audit(item, "exam_done" if finished else "exam", by)
    return item


def _default_amount(item: ServicingItem) -> Decimal | None:
    effect = item.item_type.effect
    if effect in (Effect.SURVIVAL_BENEFIT, Effect.MATURITY):
        due = _due_disbursement(item)
        return due.amount if due else None
    if effect == Effect.COOLING_OFF_CANCELLATION:
        return item.policy.premium
    if effect == Effect.POLICY_LOAN:
        return Decimal(item.details["requested_amount"])
    return None


def _due_disbursement(item: ServicingItem) -> Disbursement | None:
    kind = (
        DisbursementKind.SURVIVAL_BENEFIT
        if item.item_type.effect == Effect.SURVIVAL_BENEFIT
        else DisbursementKind.MATURITY
    )
    return (
        Disbursement.objects.filter(
            policy=item.policy,
            kind=kind,
            status__in=[DisbursementStatus.SCHEDULED, DisbursementStatus.FAILED],
        )
        .order_by("due_date")
        .first()
    )


@transaction.atomic
def servicing_item_approve(
    *,
    item: ServicingItem,
    by: Staff | None,
    at: dt.datetime | None = None,
    amount: Decimal | None = None,
    comment: str = "",
) -> ServicingItem:
    """Approve (批准). Money items carry their amount: what we pay (refund, surrender value,
    loan, benefit) or what the customer must pay first (reinstatement arrears and interest).
    Eligibility is checked again: the policy may have changed since receipt."""
    if by is not None:
        require(by, "servicing.approve")
    item = _locked(item, by)
    at = at or timezone.now()
    _in_state(item, "review")
    item_type = item.item_type
    if item_type.effect != Effect.COOLING_OFF_CANCELLATION:
        # A cooling-off cancellation is judged on the day it was asked for, not today.
        refusals = eligibility.check_eligibility(
            item.policy, list(item_type.rules), clocks.calendar_for(item.case.branch).local_date(at)
        )
        if refusals:
            raise Ineligible(refusals)
    if item_type.money != MoneyFlow.NONE:
        chosen = amount if amount is not None else _default_amount(item)
        if chosen is None:
            raise DomainError(_("Give the amount."), field="amount")
        item.amount = _decimal(chosen, "amount")
    elif amount is not None:
        raise DomainError(_("This item moves no money."), field="amount")
    step = "approve-pending-payment" if item_type.needs_payment else "approve"
    item.case = case_services.case_transition(
        managed=True, case=item.case, transition_code=step, comment=comment, by=by, at=at
    )
    item.approved_at = at
    fields = ["approved_at", "amount"]
    if not item_type.needs_payment:
        item.complete_due_at = _clock_due(item.case, COMPLETION_CLOCK)
        fields.append("complete_due_at")
    item.save(update_fields=fields)
    _audit(item, "approve", by, amount=item.amount)
    return item


@transaction.atomic
def servicing_item_record_payment(
    *, item: ServicingItem, amount: Decimal, by: Staff | None, at: dt.datetime | None = None
) -> ServicingItem:
    """The customer paid in full (arrears and interest): the 5 working days start now."""
    if by is not None:
        require(by, "servicing.apply")
    item = _locked(item, by)
    at = at or timezone.now()
    _in_state(item, "awaiting-payment")
    paid = _decimal(amount, "amount")
    if item.amount is not None and paid < item.amount:
        raise DomainError(
            _("%(paid)s is less than the %(due)s due: record the payment once it is full.")
            % {"paid": paid, "due": item.amount},
            field="amount",
            code="servicing_payment_short",
        )
    item.case = case_services.case_transition(
        managed=True, case=item.case, transition_code="payment-received", by=by, at=at
    )
    item.paid_at = at
    item.complete_due_at = _clock_due(item.case, COMPLETION_CLOCK)
    item.save(update_fields=["paid_at", "complete_due_at"])
    _audit(item, "payment", by, amount=paid)
    return item


def working_days_between(calendar: WorkingCalendar, start: dt.datetime, end: dt.datetime) -> int:
    """Working days after the local day of `start` up to and including that of `end`."""
    first, last = calendar.local_date(start), calendar.local_date(end)
    count = 0
    for day in calendar.working_days_after(first):
        if day > last:
            break
        count += 1
    return count


@transaction.atomic
def servicing_item_complete(
    *, item: ServicingItem, by: Staff | None, at: dt.datetime | None = None
) -> ServicingItem:
    """Apply the effect to the policy (批单) and finish the item. Final: not undone later."""
    if by is not None:
        require(by, "servicing.approve")
    item = _locked(item, by)
    at = at or timezone.now()
    _in_state(item, "processing")
    calendar = clocks.calendar_for(item.case.branch)
    effective_on, before, after = apply_effect(item, by=by, at=at, today=calendar.local_date(at))
    PolicyEndorsement.objects.create(
        policy=item.policy,
        item=item,
        effect=item.item_type.effect,
        effective_on=effective_on,
        before=before,
        after=after,
        recorded_at=at,
        recorded_by=by,
    )
    item.case = case_services.case_transition(
        managed=True, case=item.case, transition_code="complete", by=by, at=at
    )
    item.done_at = at
    item.completed_on_time = _clock_met(item.case, COMPLETION_CLOCK)
    item.duration_working_days = working_days_between(calendar, item.received_at, at)
    item.save(update_fields=["done_at", "completed_on_time", "duration_working_days"])
    audit_record(
        action="servicing.item.complete",
        actor=by,
        target=item.policy,
        branch_id=item.case.branch_id,
        before=before,
        after={"case": item.case.number, "effect": item.item_type.effect, **after},
    )
    return item


@transaction.atomic
def servicing_item_decline(
    *, item: ServicingItem, reason: str, by: Staff | None, at: dt.datetime | None = None
) -> ServicingItem:
    if by is not None:
        require(by, "servicing.approve")
    item = _locked(item, by)
    at = at or timezone.now()
    _in_state(item, "review")
    if not reason.strip():
        raise DomainError(_("Say why the item is declined."), field="reason")
    item.case = case_services.case_transition(
        managed=True,
        case=item.case,
        transition_code="decline",
        comment=reason.strip(),
        by=by,
        at=at,
    )
    item.cancelled_at = at
    item.save(update_fields=["cancelled_at"])
    _audit(item, "decline", by, reason=reason.strip())
    return item


@transaction.atomic
def servicing_item_cancel(
    *, item: ServicingItem, reason: str, by: Staff | None, at: dt.datetime | None = None
) -> ServicingItem:
    """The customer withdraws the application. Not possible once approved for completion,
    nor after it is done: a done item is reversed by a new item."""
    if by is not None:
        require(by, "servicing.apply")
    item = _locked(item, by)
    at = at or timezone.now()
    step = CANCEL_STEPS.get(item.case.state.code)
    if step is None:
        if item.done_at is not None:
            raise DomainError(
                _("A done item is not undone: apply for a new item that reverses it."),
                field="state",
                code="servicing_item_final",
            )
        _in_state(item, *CANCEL_STEPS)
    if not reason.strip():
        raise DomainError(_("Say why the application is withdrawn."), field="reason")
    item.case = case_services.case_transition(
        managed=True,
        case=item.case,
        transition_code=str(step),
        comment=reason.strip(),
        by=by,
        at=at,
    )
    item.cancelled_at = at
    item.save(update_fields=["cancelled_at"])
    _audit(item, "cancel", by, reason=reason.strip())
    return item


# --- Effects -------------------------------------------------------------------------------


def _payout_method(item: ServicingItem) -> str:
    """Bank transfer unless the item states why cash; a payee account given on the item
    becomes the policy's account first (the registry's mandate service)."""
    details = item.details
    if details.get("account_encrypted"):
        policy_services.mandate_set(
            policy=item.policy,
            bank_name=details["bank_name"],
            account_number=_account_number(details),
            status=MandateStatus.ACTIVE,
            by=None,
        )
        return PaymentMethod.BANK_TRANSFER
    if details.get("method") == PaymentMethod.CASH:
        return PaymentMethod.CASH
    return PaymentMethod.BANK_TRANSFER if _usable_mandate(item.policy) else PaymentMethod.CASH


def _status(item: ServicingItem, to_status: str, on: dt.date) -> None:
    policy_services.policy_change_status(
        policy=item.policy,
        to_status=to_status,
        changed_on=on,
        reason=f"{item.item_type.name} {item.case.number}",
        by=None,
    )


def _mandate_snapshot(policy: Policy) -> dict[str, Any]:
    mandate = BankMandate.objects.filter(policy=policy).first()
    if mandate is None:
        return {"bank_name": None, "account_last4": None, "status": None}
    return {
        "bank_name": mandate.bank_name,
        "account_last4": mandate.account_last4,
        "status": mandate.status,
        "dormant": mandate.is_dormant,
    }


def _beneficiaries(policy: Policy) -> list[dict[str, Any]]:
    return [
        {
            "customer_id": party.customer_id,
            "share": str(party.share) if party.share is not None else None,
            "relation_to_insured": party.relation_to_insured,
        }
        for party in policy.parties.filter(role=PolicyPartyRole.BENEFICIARY).order_by("id")
    ]


def apply_effect(
    item: ServicingItem, *, by: Staff | None, at: dt.datetime, today: dt.date
) -> tuple[dt.date, dict[str, Any], dict[str, Any]]:
    """Apply the item's effect to the policy; returns (effective on, before, after).

    The registry's services are called as the system (by=None): the servicing approval is
    the authority, and this service records the actor on the endorsement and the audit.
    """
    policy = Policy.objects.select_for_update().select_related("product").get(pk=item.policy_id)
    item.policy = policy
    effect = item.item_type.effect
    details = item.details
    if effect == Effect.CONTACT_CHANGE:
        kind = details["kind"]
        old = list(
            ContactPoint.objects.filter(
                customer_id=policy.policyholder_id, kind=kind, is_primary=True
            ).values_list("pk", flat=True)
        )
        contact = customer_services.contact_add(
            customer=policy.policyholder,
            kind=kind,
            raw=details["value"],
            phone_type=details.get("phone_type", ""),
            is_primary=True,
            source="servicing",
            by=None,
        )
        # The new contact is the primary one from now on (the old ones stay, for history).
        ContactPoint.objects.filter(pk__in=old).update(is_primary=False)
        quality.refresh_for_customers([policy.policyholder_id])
        return (
            today,
            {"kind": kind, "primary_contact_ids": old},
            {"kind": kind, "contact_id": contact.pk, "valid": contact.is_valid},
        )
    if effect == Effect.BANK_ACCOUNT_CHANGE:
        before = _mandate_snapshot(policy)
        policy_services.mandate_set(
            policy=policy,
            bank_name=details["bank_name"],
            account_number=_account_number(details),
            status=MandateStatus.ACTIVE,
            by=None,
        )
        return today, before, _mandate_snapshot(policy)
    if effect == Effect.PAYMENT_MODE_CHANGE:
        anniversary = eligibility.next_anniversary(policy, today) or today
        before = {"payment_mode": policy.payment_mode, "premium": str(policy.premium)}
        to_mode = details["to_mode"]
        # The instalment follows the mode (12 monthly = 1 annual; the core system's modal
        # factors, when it sends them, correct it through the import).
        premium = (
            policy.premium * 12 if to_mode == PaymentMode.ANNUAL else policy.premium / 12
        ).quantize(CENT)
        policy_services.policy_change_payment_mode(
            policy=policy, mode=to_mode, premium=premium, next_due=anniversary, by=None
        )
        return (
            anniversary,
            before,
            {"payment_mode": to_mode, "premium": str(premium), "from": anniversary.isoformat()},
        )
    if effect == Effect.BENEFICIARY_CHANGE:
        before_list = _beneficiaries(policy)
        named = Customer.objects.in_bulk([e["customer_id"] for e in details["beneficiaries"]])
        policy_services.policy_set_beneficiaries(
            policy=policy,
            beneficiaries=[
                (named[e["customer_id"]], Decimal(e["share"]), e["relation_to_insured"])
                for e in details["beneficiaries"]
            ],
            by=None,
        )
        # The insured's consent is one of the required documents: it is on file.
        return (
            today,
            {"beneficiaries": before_list},
            {"beneficiaries": _beneficiaries(policy), "insured_consent": True},
        )
    if effect == Effect.POLICYHOLDER_CHANGE:
        old_holder = policy.policyholder_id
        policy = policy_services.policy_change_policyholder(
            policy=policy,
            policyholder=Customer.objects.get(pk=int(details["new_policyholder_id"])),
            by=None,
        )
        return (
            today,
            {"policyholder_id": old_holder},
            {"policyholder_id": policy.policyholder_id, "insured_consent": True},
        )
    if effect == Effect.COOLING_OFF_CANCELLATION:
        received_on = clocks.calendar_for(item.case.branch).local_date(item.received_at)
        before = {"status": policy.status}
        _status(item, PolicyStatus.CANCELLED_COOLING_OFF, received_on)
        refund = _payout(item, DisbursementKind.REFUND, today)
        return received_on, before, {"status": PolicyStatus.CANCELLED_COOLING_OFF, **refund}
    if effect == Effect.SURRENDER:
        before = {"status": policy.status}
        _status(item, PolicyStatus.SURRENDERED, today)
        paid = _payout(item, DisbursementKind.SURRENDER, today)
        return (
            today,
            before,
            {"status": PolicyStatus.SURRENDERED, "reason": item.surrender_reason, **paid},
        )
    if effect == Effect.REINSTATEMENT:
        before = {"status": policy.status}
        _status(item, PolicyStatus.REINSTATED, today)
        return today, before, {"status": PolicyStatus.REINSTATED, "paid": str(item.amount)}
    if effect == Effect.POLICY_LOAN:
        # The registry has no loan disbursement kind: the loan is recorded here, with the
        # account it is paid to; the core system books it.
        return (
            today,
            {"loan": None},
            {
                "loan": str(item.amount),
                "currency": item.currency,
                "method": PaymentMethod.BANK_TRANSFER,
                "account_last4": _mandate_snapshot(policy)["account_last4"],
            },
        )
    if effect in (Effect.SURVIVAL_BENEFIT, Effect.MATURITY):
        kind = (
            DisbursementKind.SURVIVAL_BENEFIT
            if effect == Effect.SURVIVAL_BENEFIT
            else DisbursementKind.MATURITY
        )
        before = {"status": policy.status}
        paid = _payout(item, kind, today)
        if effect == Effect.MATURITY:
            _status(item, PolicyStatus.MATURED, today)
            return today, before, {"status": PolicyStatus.MATURED, **paid}
        return today, before, paid
    raise DomainError(_("Unknown effect."), field="effect")  # pragma: no cover


def _payout(item: ServicingItem, kind: str, today: dt.date) -> dict[str, Any]:
    """Pay the item's amount: the benefit that fell due (same key: the row is updated) or
    a new disbursement, by bank transfer unless the item says why cash."""
    method = _payout_method(item)
    due = (
        _due_disbursement(item)
        if kind in (DisbursementKind.SURVIVAL_BENEFIT, DisbursementKind.MATURITY)
        else None
    )
    amount = item.amount if item.amount is not None else (due.amount if due else None)
    if amount is None:
        raise DomainError(_("Give the amount."), field="amount")
    disbursement = policy_services.disbursement_record(
        policy=item.policy,
        kind=kind,
        due_date=due.due_date if due else today,
        amount=amount,
        method=method,
        status=DisbursementStatus.PAID,
        paid_on=today,
        by=None,
    )
    return {
        "disbursement_id": disbursement.pk,
        "amount": str(amount),
        "currency": item.currency,
        "method": method,
    }
