"""Writes to products, distribution, policies and their money events.

Each validates, writes inside one transaction and is audited. Money events (premiums due,
collection attempts, disbursements) are keyed by their business key, so a re-import of the
same row changes nothing and a corrected row updates the stored one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.access import ALL, require, visible_branch_ids
from policydesk.core.audit import audit_record, snapshot
from policydesk.core.crypto import encrypt_text, normalise_identifier
from policydesk.core.errors import DomainError
from policydesk.core.phones import check_phone
from policydesk.customers import quality
from policydesk.customers.models import Customer
from policydesk.org.models import Branch, Staff

from . import lifecycle
from .models import (
    TERMINAL_STATUSES,
    Agent,
    BankMandate,
    Channel,
    CollectionAttempt,
    CollectionResult,
    Disbursement,
    DisbursementKind,
    DisbursementStatus,
    Intermediary,
    IntermediaryKind,
    Jurisdiction,
    MandateStatus,
    PaymentMethod,
    PaymentMode,
    Policy,
    PolicyParty,
    PolicyPartyRole,
    PolicyStatus,
    PolicyStatusChange,
    PremiumDue,
    PremiumStatus,
    Product,
    ProductLine,
    Term,
)

M = TypeVar("M", bound=models.Model)

MANAGE = "policies.manage"
HUNDRED = Decimal(100)
PRODUCT_AUDIT_FIELDS = [
    "code",
    "name",
    "line",
    "term",
    "cooling_off_days",
    "payment_modes",
    "callback_required",
    "currency",
]
POLICY_AUDIT_FIELDS = [
    "number",
    "product",
    "branch",
    "policyholder",
    "channel",
    "agent",
    "intermediary",
    "jurisdiction",
    "status",
    "application_date",
    "issue_date",
    "receipt_signed_date",
    "cooling_off_end",
    "term_years",
    "sum_assured",
    "premium",
    "currency",
    "payment_mode",
    "payment_method",
    "source_system",
]


def _require(by: Staff | None, action: str) -> None:
    if by is not None:
        require(by, action)


def _check_choice(value: str, choices: Any, field: str) -> None:
    if value not in choices.values:
        raise DomainError(_("Unknown value %(value)s.") % {"value": value}, field=field)


def _required_text(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(_("This field is required."), field=field)
    return value


def _money(value: Any, field: str, *, positive: bool = False) -> Decimal:
    """A Decimal amount; floats are refused because they cannot hold cents exactly."""
    if isinstance(value, float | bool):
        raise DomainError(_("Give amounts as decimals, not floating-point."), field=field)
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise DomainError(_("Not an amount: %(value)s.") % {"value": value}, field=field) from error
    if not amount.is_finite() or amount < 0 or (positive and amount == 0):
        raise DomainError(_("The amount must be positive."), field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_("Amounts have at most two decimal places."), field=field)
    return amount.quantize(Decimal("0.01"))


def _check_visible(by: Staff | None, branch_id: int, field: str) -> None:
    if by is None:
        return
    visible = visible_branch_ids(by)
    if visible is not ALL and branch_id not in (visible or frozenset()):
        raise DomainError(_("This is outside the branches you may see."), field=field)


# --- Products and distribution ---------------------------------------------------------


@transaction.atomic
def product_create(
    *,
    code: str,
    name: str,
    line: str,
    term: str,
    cooling_off_days: dict[str, int],
    payment_modes: list[str],
    callback_required: bool,
    currency: str = "CNY",
    name_en: str = "",
    by: Staff | None,
) -> Product:
    """A product with its cooling-off days (犹豫期) per jurisdiction and allowed payment modes."""
    _require(by, MANAGE)
    code = _required_text(code, "code")
    name = _required_text(name, "name")
    _check_choice(line, ProductLine, "line")
    _check_choice(term, Term, "term")
    if not isinstance(cooling_off_days, dict):
        raise DomainError(_("Give cooling-off days per jurisdiction."), field="cooling_off_days")
    for jurisdiction, days in cooling_off_days.items():
        if jurisdiction not in Jurisdiction.values:
            raise DomainError(
                _("Unknown jurisdiction %(value)s.") % {"value": jurisdiction},
                field="cooling_off_days",
            )
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise DomainError(
                _("Cooling-off days must be a whole number of days, 0 or more."),
                field="cooling_off_days",
            )
    if not payment_modes:
        raise DomainError(_("Allow at least one payment mode."), field="payment_modes")
    for mode in payment_modes:
        _check_choice(mode, PaymentMode, "payment_modes")
    if len(currency) != 3 or not currency.isalpha():
        raise DomainError(_("Unknown currency %(value)s.") % {"value": currency}, field="currency")
    if Product.objects.filter(code=code).exists():
        raise DomainError(_("Product %(code)s exists.") % {"code": code}, field="code")
    product = Product.objects.create(
        code=code,
        name=name,
        name_en=name_en,
        line=line,
        term=term,
        cooling_off_days=dict(cooling_off_days),
        payment_modes=list(dict.fromkeys(payment_modes)),
        callback_required=callback_required,
        currency=currency.upper(),
    )
    audit_record(
        action="policies.product.create",
        actor=by,
        target=product,
        after=snapshot(product, PRODUCT_AUDIT_FIELDS),
    )
    return product


@transaction.atomic
def agent_create(
    *, code: str, name: str, branch: Branch, phone: str = "", by: Staff | None
) -> Agent:
    """A sales agent (业务员); the phone is kept so a customer record carrying it is found."""
    _require(by, MANAGE)
    code = _required_text(code, "code")
    name = _required_text(name, "name")
    _check_visible(by, branch.pk, "branch")
    e164 = ""
    if phone.strip():
        check = check_phone(phone)
        if not check.is_valid:
            raise DomainError(_("Not a valid phone number."), field="phone")
        e164 = check.e164
    if Agent.objects.filter(code=code).exists():
        raise DomainError(_("Agent %(code)s exists.") % {"code": code}, field="code")
    agent = Agent.objects.create(code=code, name=name, branch=branch, phone_e164=e164)
    audit_record(
        action="policies.agent.create",
        actor=by,
        target=agent,
        after={"code": code, "name": name, "branch": branch.pk, "phone": e164},
    )
    if e164:
        # Customers already carrying this number now share it with an agent.
        sharers = Customer.objects.filter(contacts__e164=e164).values_list("pk", flat=True)
        quality.refresh_for_customers(list(sharers))
    return agent


@transaction.atomic
def intermediary_create(*, code: str, name: str, kind: str, by: Staff | None) -> Intermediary:
    """A bank (bancassurance), broker or agency that sells policies."""
    _require(by, MANAGE)
    code = _required_text(code, "code")
    name = _required_text(name, "name")
    _check_choice(kind, IntermediaryKind, "kind")
    if Intermediary.objects.filter(code=code).exists():
        raise DomainError(_("Intermediary %(code)s exists.") % {"code": code}, field="code")
    intermediary = Intermediary.objects.create(code=code, name=name, kind=kind)
    audit_record(
        action="policies.intermediary.create",
        actor=by,
        target=intermediary,
        after={"code": code, "name": name, "kind": kind},
    )
    return intermediary


# --- Policies --------------------------------------------------------------------------


def cooling_off_end(product: Product, jurisdiction: str, receipt_signed: dt.date) -> dt.date:
    """Last day of cooling-off: the days count from the day after the receipt is signed.

    CN: receipt signed 1 March, 15 days → 2 to 16 March, ends 16 March. HK (21) and SG (14)
    count the same way from delivery of the policy.
    """
    days = product.cooling_off_days.get(jurisdiction)
    if days is None:
        raise DomainError(
            _("Product %(code)s has no cooling-off period for %(jurisdiction)s.")
            % {"code": product.code, "jurisdiction": jurisdiction},
            field="jurisdiction",
        )
    return receipt_signed + dt.timedelta(days=int(days))


def _validate_beneficiaries(
    beneficiaries: Sequence[tuple[Customer, Decimal]],
) -> list[tuple[Customer, Decimal]]:
    checked: list[tuple[Customer, Decimal]] = []
    seen: set[int] = set()
    for customer, share in beneficiaries:
        amount = _money(share, "beneficiaries", positive=True)
        if customer.pk in seen:
            raise DomainError(_("A beneficiary is named twice."), field="beneficiaries")
        seen.add(customer.pk)
        checked.append((customer, amount))
    # No beneficiary named: the statutory heirs (法定继承人) benefit.
    if checked and sum(share for _customer, share in checked) != HUNDRED:
        raise DomainError(_("Beneficiaries' shares must add up to 100%."), field="beneficiaries")
    return checked


@transaction.atomic
def policy_create(
    *,
    number: str,
    product: Product,
    branch: Branch,
    policyholder: Customer,
    channel: str,
    status: str,
    application_date: dt.date,
    sum_assured: Decimal,
    premium: Decimal,
    payment_mode: str,
    payment_method: str,
    insured: Sequence[Customer] = (),
    beneficiaries: Sequence[tuple[Customer, Decimal]] = (),
    agent: Agent | None = None,
    intermediary: Intermediary | None = None,
    jurisdiction: str = "CN",
    issue_date: dt.date | None = None,
    receipt_signed_date: dt.date | None = None,
    term_years: int = 1,
    source_system: str = "",
    by: Staff | None,
) -> Policy:
    """Record a policy (new business or an import) with its parties and first status."""
    _require(by, MANAGE)
    number = _required_text(number, "number")
    _check_choice(channel, Channel, "channel")
    _check_choice(status, PolicyStatus, "status")
    _check_choice(jurisdiction, Jurisdiction, "jurisdiction")
    _check_choice(payment_mode, PaymentMode, "payment_mode")
    _check_choice(payment_method, PaymentMethod, "payment_method")
    if payment_mode not in product.payment_modes:
        raise DomainError(
            _("Product %(code)s cannot be paid %(mode)s.")
            % {"code": product.code, "mode": payment_mode},
            field="payment_mode",
        )
    sum_assured = _money(sum_assured, "sum_assured")
    premium = _money(premium, "premium")
    if isinstance(term_years, bool) or not isinstance(term_years, int) or term_years < 1:
        raise DomainError(_("The term is at least one year."), field="term_years")
    if issue_date is not None and issue_date < application_date:
        raise DomainError(_("The policy is issued before it was applied for."), field="issue_date")
    if receipt_signed_date is not None and (issue_date is None or receipt_signed_date < issue_date):
        raise DomainError(
            _("The receipt is signed before the policy was issued."), field="receipt_signed_date"
        )
    _check_visible(by, branch.pk, "branch")
    if agent is not None and not agent.is_active:
        raise DomainError(_("The agent is no longer active."), field="agent")
    insured_list = list(dict.fromkeys(insured))
    beneficiary_list = _validate_beneficiaries(beneficiaries)
    for field, parties in (
        ("policyholder", [policyholder]),
        ("insured", insured_list),
        ("beneficiaries", [customer for customer, _share in beneficiary_list]),
    ):
        for customer in parties:
            if customer.branch_id != branch.pk:
                _check_visible(by, customer.branch_id, field)
    if Policy.objects.filter(number=number).exists():
        raise DomainError(_("Policy %(number)s exists.") % {"number": number}, field="number")
    policy = Policy.objects.create(
        number=number,
        product=product,
        branch=branch,
        policyholder=policyholder,
        channel=channel,
        agent=agent,
        intermediary=intermediary,
        source_system=source_system,
        jurisdiction=jurisdiction,
        status=status,
        application_date=application_date,
        issue_date=issue_date,
        receipt_signed_date=receipt_signed_date,
        cooling_off_end=(
            cooling_off_end(product, jurisdiction, receipt_signed_date)
            if receipt_signed_date
            else None
        ),
        term_years=term_years,
        sum_assured=sum_assured,
        premium=premium,
        currency=product.currency,
        payment_mode=payment_mode,
        payment_method=payment_method,
    )
    PolicyParty.objects.bulk_create(
        [PolicyParty(policy=policy, customer=c, role=PolicyPartyRole.INSURED) for c in insured_list]
        + [
            PolicyParty(policy=policy, customer=c, role=PolicyPartyRole.BENEFICIARY, share=share)
            for c, share in beneficiary_list
        ]
    )
    PolicyStatusChange.objects.create(
        policy=policy,
        from_status="",
        to_status=status,
        changed_on=issue_date or application_date,
        reason=_("Policy recorded"),
        recorded_by=by,
    )
    after = snapshot(policy, POLICY_AUDIT_FIELDS)
    after["insured"] = [c.pk for c in insured_list]
    after["beneficiaries"] = [[c.pk, str(share)] for c, share in beneficiary_list]
    audit_record(action="policies.policy.create", actor=by, target=policy, after=after)
    quality.refresh_for_customers([policyholder.pk])
    return policy


@transaction.atomic
def policy_change_status(
    *, policy: Policy, to_status: str, changed_on: dt.date, reason: str = "", by: Staff | None
) -> PolicyStatusChange:
    """Move a policy along its lifecycle (lifecycle.ALLOWED_TRANSITIONS), kept as history."""
    _require(by, MANAGE)
    _check_choice(to_status, PolicyStatus, "to_status")
    # Locked so two clerks cannot both move the policy from the same status.
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    _check_visible(by, policy.branch_id, "policy")
    from_status = policy.status
    if from_status in TERMINAL_STATUSES:
        raise DomainError(
            _("The policy is %(status)s; that status is final.")
            % {"status": PolicyStatus(from_status).label},
            field="to_status",
        )
    if not lifecycle.can_follow(from_status, to_status):
        raise DomainError(
            _("A policy cannot go from %(from)s to %(to)s.")
            % {"from": PolicyStatus(from_status).label, "to": PolicyStatus(to_status).label},
            field="to_status",
        )
    last = policy.status_changes.order_by("-changed_on", "-id").first()
    if last is not None and changed_on < last.changed_on:
        raise DomainError(
            _("The change is dated before the policy's last change (%(date)s).")
            % {"date": last.changed_on.isoformat()},
            field="changed_on",
        )
    if to_status == PolicyStatus.REINSTATED:
        lapse = (
            policy.status_changes.filter(to_status=PolicyStatus.LAPSED)
            .order_by("-changed_on", "-id")
            .first()
        )
        lapsed_on = lapse.changed_on if lapse else changed_on
        if changed_on > lifecycle.reinstatement_deadline(lapsed_on):
            raise DomainError(
                _("A policy can be reinstated only within two years of its lapse (%(date)s).")
                % {"date": lapsed_on.isoformat()},
                field="changed_on",
            )
    if (
        to_status == PolicyStatus.CANCELLED_COOLING_OFF
        and policy.cooling_off_end is not None
        and changed_on > policy.cooling_off_end
    ):
        raise DomainError(
            _("The cooling-off period ended on %(date)s.")
            % {"date": policy.cooling_off_end.isoformat()},
            field="changed_on",
        )
    change = PolicyStatusChange.objects.create(
        policy=policy,
        from_status=from_status,
        to_status=to_status,
        changed_on=changed_on,
        reason=reason.strip(),
        recorded_by=by,
    )
    policy.status = to_status
    policy.updated_at = timezone.now()
    policy.save(update_fields=["status", "updated_at"])
    audit_record(
        action="policies.policy.change_status",
        actor=by,
        target=policy,
        before={"status": from_status},
        after={"status": to_status, "changed_on": changed_on, "reason": change.reason},
    )
    # Terminal policies need no reachable number; live ones do.
    quality.refresh_for_customers([policy.policyholder_id])
    return change


@transaction.atomic
def policy_receipt_sign(*, policy: Policy, signed_on: dt.date, by: Staff | None) -> Policy:
    """Record the signed delivery receipt (回执); cooling-off ends by the product's rule for
    the policy's jurisdiction (none when the product has no cooling-off there)."""
    _require(by, MANAGE)
    policy = Policy.objects.select_for_update().select_related("product").get(pk=policy.pk)
    _check_visible(by, policy.branch_id, "policy")
    if policy.issue_date and signed_on < policy.issue_date:
        raise DomainError(
            _("The receipt cannot be signed before the policy was issued."), field="signed_on"
        )
    before = {
        "receipt_signed_date": policy.receipt_signed_date,
        "cooling_off_end": policy.cooling_off_end,
    }
    try:
        cooling_end: dt.date | None = cooling_off_end(
            policy.product, policy.jurisdiction, signed_on
        )
    except DomainError:
        cooling_end = None
    policy.receipt_signed_date = signed_on
    policy.cooling_off_end = cooling_end
    policy.updated_at = timezone.now()
    policy.save(update_fields=["receipt_signed_date", "cooling_off_end", "updated_at"])
    audit_record(
        action="policies.policy.receipt_signed",
        actor=by,
        target=policy,
        before=before,
        after={"receipt_signed_date": signed_on, "cooling_off_end": cooling_end},
    )
    return policy


@transaction.atomic
def policy_change_payment_mode(
    *, policy: Policy, mode: str, premium: Decimal, next_due: dt.date, by: Staff | None
) -> Policy:
    """Change how often the premium is paid (e.g. monthly → annual at the anniversary) and
    the instalment that goes with it; the next due date is the first at the new mode."""
    _require(by, MANAGE)
    _check_choice(mode, PaymentMode, "mode")
    premium = _money(premium, "premium", positive=True)
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    _check_visible(by, policy.branch_id, "policy")
    if policy.payment_mode == PaymentMode.SINGLE or mode == PaymentMode.SINGLE:
        raise DomainError(_("A single premium has no payment mode to change."), field="mode")
    before = {
        "payment_mode": policy.payment_mode,
        "premium": str(policy.premium),
        "next_due_date": policy.next_due_date,
    }
    policy.payment_mode = mode
    policy.premium = premium
    policy.next_due_date = next_due
    policy.updated_at = timezone.now()
    policy.save(update_fields=["payment_mode", "premium", "next_due_date", "updated_at"])
    audit_record(
        action="policies.policy.change_payment_mode",
        actor=by,
        target=policy,
        before=before,
        after={"payment_mode": mode, "premium": str(premium), "next_due_date": next_due},
    )
    return policy


@transaction.atomic
def policy_set_beneficiaries(
    *,
    policy: Policy,
    beneficiaries: Sequence[tuple[Customer, Decimal, str]],
    by: Staff | None,
) -> list[PolicyParty]:
    """Replace the named beneficiaries (customer, share in percent, relation to the insured);
    none named means the statutory heirs. The insured's consent is the caller's to check."""
    _require(by, MANAGE)
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    _check_visible(by, policy.branch_id, "policy")
    checked = _validate_beneficiaries([(customer, share) for customer, share, _ in beneficiaries])
    relations = {customer.pk: relation[:32] for customer, _, relation in beneficiaries}
    parties = policy.parties.filter(role=PolicyPartyRole.BENEFICIARY)
    before = [
        {"customer_id": p.customer_id, "share": str(p.share), "relation": p.relation_to_insured}
        for p in parties.order_by("id")
    ]
    parties.delete()
    created = PolicyParty.objects.bulk_create(
        PolicyParty(
            policy=policy,
            customer=customer,
            role=PolicyPartyRole.BENEFICIARY,
            share=share,
            relation_to_insured=relations[customer.pk],
        )
        for customer, share in checked
    )
    audit_record(
        action="policies.policy.set_beneficiaries",
        actor=by,
        target=policy,
        before={"beneficiaries": before},
        after={
            "beneficiaries": [
                {"customer_id": c.pk, "share": str(s), "relation": relations[c.pk]}
                for c, s in checked
            ]
        },
    )
    return created


@transaction.atomic
def policy_change_policyholder(
    *, policy: Policy, policyholder: Customer, by: Staff | None
) -> Policy:
    """Hand the policy to a new policyholder (投保人变更); contact quality of both is refreshed
    (a policy with no reachable number is the new holder's defect now)."""
    _require(by, MANAGE)
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    _check_visible(by, policy.branch_id, "policy")
    if policyholder.pk == policy.policyholder_id:
        raise DomainError(_("That customer is the policyholder already."), field="policyholder")
    old = policy.policyholder_id
    policy.policyholder = policyholder
    policy.updated_at = timezone.now()
    policy.save(update_fields=["policyholder", "updated_at"])
    audit_record(
        action="policies.policy.change_policyholder",
        actor=by,
        target=policy,
        before={"policyholder_id": old},
        after={"policyholder_id": policyholder.pk},
    )
    quality.refresh_for_customers([old, policyholder.pk])
    return policy


# --- Bank mandate and money events -----------------------------------------------------


@transaction.atomic
def mandate_set(
    *,
    policy: Policy,
    bank_name: str,
    account_number: str,
    status: str,
    is_dormant: bool = False,
    by: Staff | None,
) -> BankMandate:
    """Set the policy's bank account; the number is stored encrypted, shown by last 4 only."""
    _require(by, MANAGE)
    _check_visible(by, policy.branch_id, "policy")
    bank_name = _required_text(bank_name, "bank_name")
    _check_choice(status, MandateStatus, "status")
    account = normalise_identifier(account_number)
    if status != MandateStatus.MISSING and not 8 <= len(account) <= 34:
        raise DomainError(_("Not a bank account number."), field="account_number")
    values = {
        "bank_name": bank_name,
        "account_encrypted": encrypt_text(account) if account else b"",
        "account_last4": account[-4:],
        "status": status,
        "is_dormant": is_dormant,
        "updated_at": timezone.now(),
    }
    existing = BankMandate.objects.select_for_update().filter(policy=policy).first()
    shown = ["bank_name", "account_last4", "status", "is_dormant"]
    before = snapshot(existing, shown) if existing else None
    mandate, _created = BankMandate.objects.update_or_create(policy=policy, defaults=values)
    audit_record(
        action="policies.mandate.set",
        actor=by,
        target=mandate,
        branch_id=policy.branch_id,
        before=before,
        after=snapshot(mandate, shown),
    )
    return mandate


def _upsert(
    model: type[M], key: dict[str, Any], values: dict[str, Any]
) -> tuple[M, dict[str, Any] | None, bool]:
    """Create the row for a business key or bring the stored one up to date.

    Returns (row, values before or None when new, whether anything was written). A
    concurrent insert of the same key loses on the unique constraint and updates instead.
    """
    fields = list(values)
    existing = model._default_manager.select_for_update().filter(**key).first()
    if existing is None:
        try:
            with transaction.atomic():
                return model._default_manager.create(**key, **values), None, True
        except IntegrityError:
            existing = model._default_manager.select_for_update().get(**key)
    before = snapshot(existing, fields)
    for name, value in values.items():
        setattr(existing, name, value)
    if snapshot(existing, fields) == before:
        return existing, before, False
    existing.save(update_fields=fields)
    return existing, before, True


def _date_or_none(value: dt.date | None, field: str, *, not_before: dt.date) -> None:
    if value is not None and value < not_before:
        raise DomainError(_("The date is too early."), field=field)


@transaction.atomic
def premium_due_record(
    *,
    policy: Policy,
    due_date: dt.date,
    amount: Decimal,
    status: str = PremiumStatus.DUE,
    paid_on: dt.date | None = None,
    is_first_premium: bool = False,
    by: Staff | None,
) -> PremiumDue:
    """A premium instalment, keyed by (policy, due date)."""
    _require(by, MANAGE)
    _check_visible(by, policy.branch_id, "policy")
    _check_choice(status, PremiumStatus, "status")
    amount = _money(amount, "amount")
    if status == PremiumStatus.PAID and paid_on is None:
        raise DomainError(_("Say when the premium was paid."), field="paid_on")
    if status != PremiumStatus.PAID and paid_on is not None:
        raise DomainError(_("Only a paid premium has a payment date."), field="paid_on")
    premium, before, written = _upsert(
        PremiumDue,
        {"policy": policy, "due_date": due_date},
        {
            "amount": amount,
            "currency": policy.currency,
            "status": status,
            "paid_on": paid_on,
            "is_first_premium": is_first_premium,
        },
    )
    if written:
        audit_record(
            action="policies.premium_due.record",
            actor=by,
            target=premium,
            branch_id=policy.branch_id,
            before=before,
            after=snapshot(premium, ["due_date", "amount", "status", "paid_on"]),
        )
    return premium


@transaction.atomic
def collection_attempt_record(
    *,
    premium: PremiumDue,
    attempted_on: dt.date,
    method: str,
    amount: Decimal,
    result: str,
    bank_code: str = "",
    by: Staff | None,
) -> CollectionAttempt:
    """A try to collect a premium (续期代扣), keyed by (premium, date, method).

    The premium's own status is not changed here: the core system reports it separately.
    """
    _require(by, MANAGE)
    branch_id = Policy.objects.filter(pk=premium.policy_id).values_list("branch_id", flat=True)[0]
    _check_visible(by, branch_id, "premium")
    _check_choice(method, PaymentMethod, "method")
    _check_choice(result, CollectionResult, "result")
    amount = _money(amount, "amount", positive=True)
    attempt, before, written = _upsert(
        CollectionAttempt,
        {"premium": premium, "attempted_on": attempted_on, "method": method},
        {"amount": amount, "result": result, "bank_code": bank_code.strip()[:16]},
    )
    if written:
        audit_record(
            action="policies.collection_attempt.record",
            actor=by,
            target=attempt,
            branch_id=branch_id,
            before=before,
            after=snapshot(attempt, ["attempted_on", "method", "amount", "result", "bank_code"]),
        )
    return attempt


@transaction.atomic
def disbursement_record(
    *,
    policy: Policy,
    kind: str,
    due_date: dt.date,
    amount: Decimal,
    method: str,
    status: str,
    paid_on: dt.date | None = None,
    failure_reason: str = "",
    by: Staff | None,
) -> Disbursement:
    """A payment to the customer (生存金, maturity, claim…), keyed by (policy, kind, due date)."""
    _require(by, MANAGE)
    _check_visible(by, policy.branch_id, "policy")
    _check_choice(kind, DisbursementKind, "kind")
    _check_choice(method, PaymentMethod, "method")
    _check_choice(status, DisbursementStatus, "status")
    amount = _money(amount, "amount", positive=True)
    if status == DisbursementStatus.PAID and paid_on is None:
        raise DomainError(_("Say when it was paid."), field="paid_on")
    _date_or_none(paid_on, "paid_on", not_before=policy.application_date)
    disbursement, before, written = _upsert(
        Disbursement,
        {"policy": policy, "kind": kind, "due_date": due_date},
        {
            "amount": amount,
            "currency": policy.currency,
            "method": method,
            "status": status,
            "paid_on": paid_on,
            "failure_reason": failure_reason.strip()[:200],
        },
    )
    if written:
        audit_record(
            action="policies.disbursement.record",
            actor=by,
            target=disbursement,
            branch_id=policy.branch_id,
            before=before,
            after=snapshot(
                disbursement, ["kind", "due_date", "amount", "method", "status", "paid_on"]
            ),
        )
    return disbursement
