"""Writes to the customer registry. Each validates, writes atomically and is audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.access import require
from policydesk.core.audit import audit_record, snapshot
from policydesk.core.errors import DomainError
from policydesk.core.phones import check_phone
from policydesk.org.models import Branch, Staff

from . import quality
from .contact_values import normalise_contact
from .identity import masked, seal, validate_id_number
from .models import Consent as ConsentRow
from .models import (
    ConsentChannel,
    ConsentPurpose,
    ContactKind,
    ContactPoint,
    Customer,
    DoNotCall,
    Gender,
    Household,
    IdDocumentType,
    IncomeBand,
    PartyKind,
    PhoneType,
    Relation,
    RelationKind,
    RiskAppetite,
    RiskProfile,
    Segment,
)

CUSTOMER_AUDIT_FIELDS = [
    "number",
    "kind",
    "branch",
    "name",
    "name_latin",
    "id_type",
    "birth_date",
    "gender",
    "occupation",
    "income_band",
    "dependants",
    "liabilities",
    "segment",
    "preferred_language",
    "dialect",
    "vulnerability_flags",
    "household",
]
EDITABLE_FIELDS = {
    "name",
    "name_latin",
    "birth_date",
    "gender",
    "occupation",
    "income_band",
    "dependants",
    "liabilities",
    "segment",
    "preferred_language",
    "dialect",
    "vulnerability_flags",
}


def _customer_snapshot(customer: Customer) -> dict[str, Any]:
    """Audit values of a customer: the ID number only as its masked last four characters."""
    values = snapshot(customer, CUSTOMER_AUDIT_FIELDS)
    values["id_number"] = masked(customer.id_number_last4)
    return values


def _require(by: Staff | None, action: str) -> None:
    if by is not None:
        require(by, action)


def _check_choice(value: str, choices: Any, field: str) -> None:
    if value not in choices.values:
        raise DomainError(_("Unknown value %(value)s.") % {"value": value}, field=field)


@transaction.atomic
def customer_create(
    *,
    number: str,
    kind: str,
    branch: Branch,
    name: str,
    id_type: str,
    id_number: str,
    by: Staff | None,
    **fields: Any,
) -> Customer:
    """Register a customer. `fields` may hold any of EDITABLE_FIELDS and source_system."""
    _require(by, "customers.manage")
    _check_choice(kind, PartyKind, "kind")
    _check_choice(id_type, IdDocumentType, "id_type")
    if not name.strip():
        raise DomainError(_("A name is required."), field="name")
    if Customer.objects.filter(number=number).exists():
        raise DomainError(
            _("Customer number %(number)s exists.") % {"number": number}, field="number"
        )
    unknown = set(fields) - EDITABLE_FIELDS - {"source_system"}
    if unknown:
        raise DomainError(
            _("Unknown field %(field)s.") % {"field": sorted(unknown)[0]}, field=sorted(unknown)[0]
        )
    sealed = seal(validate_id_number(id_type, id_number))
    customer = Customer(
        number=number,
        kind=kind,
        branch=branch,
        name=name.strip(),
        id_type=id_type,
        id_number_encrypted=sealed.encrypted,
        id_number_hash=sealed.hash,
        id_number_last4=sealed.last4,
        **fields,
    )
    _validate_fields(customer)
    customer.save()
    audit_record(
        action="customers.customer.create",
        actor=by,
        target=customer,
        after=_customer_snapshot(customer),
    )
    return customer


def _validate_fields(customer: Customer) -> None:
    _check_choice(customer.gender, Gender, "gender")
    _check_choice(customer.income_band, IncomeBand, "income_band")
    _check_choice(customer.segment, Segment, "segment")
    if customer.birth_date and customer.birth_date > timezone.localdate():
        raise DomainError(_("The birth date is in the future."), field="birth_date")
    if Decimal(customer.liabilities) < 0:
        raise DomainError(_("Liabilities cannot be negative."), field="liabilities")


@transaction.atomic
def customer_update(*, customer: Customer, changes: dict[str, Any], by: Staff | None) -> Customer:
    _require(by, "customers.manage")
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise DomainError(
            _("Cannot change %(field)s.") % {"field": sorted(unknown)[0]},
            field=sorted(unknown)[0],
        )
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    before = _customer_snapshot(customer)
    for name, value in changes.items():
        setattr(customer, name, value)
    _validate_fields(customer)
    customer.updated_at = timezone.now()
    customer.save()
    after = _customer_snapshot(customer)
    if after != before:
        audit_record(
            action="customers.customer.update",
            actor=by,
            target=customer,
            before=before,
            after=after,
        )
    return customer


@transaction.atomic
def contact_add(
    *,
    customer: Customer,
    kind: str,
    raw: str,
    phone_type: str = "",
    is_primary: bool = False,
    source: str = "",
    by: Staff | None,
) -> ContactPoint:
    """Add a phone, address or e-mail; phones are normalised and checked at once."""
    _require(by, "customers.manage")
    _check_choice(kind, ContactKind, "kind")
    raw = raw.strip()
    if not raw:
        raise DomainError(_("The contact value is empty."), field="raw")
    contact = ContactPoint(
        customer=customer, kind=kind, raw=raw, is_primary=is_primary, source=source
    )
    if kind == ContactKind.PHONE:
        _check_choice(phone_type or PhoneType.MOBILE, PhoneType, "phone_type")
    values = normalise_contact(kind, raw, phone_type)
    contact.phone_type, contact.e164, contact.is_valid = (
        values.phone_type,
        values.e164,
        values.is_valid,
    )
    if ContactPoint.objects.filter(customer=customer, kind=kind, raw=raw).exists():
        raise DomainError(_("This customer already has that contact."), field="raw")
    contact.save()
    audit_record(
        action="customers.contact.add",
        actor=by,
        target=contact,
        branch_id=customer.branch_id,
        after={"kind": kind, "phone": raw} if kind == ContactKind.PHONE else {"kind": kind},
    )
    quality.refresh_for_customers([customer.pk])
    return contact


@transaction.atomic
def contact_repair(*, contact: ContactPoint, new_raw: str, by: Staff | None) -> ContactPoint:
    """Correct a contact (e.g. strip a prepended area code): a contact change, audited."""
    _require(by, "customers.manage")
    contact = ContactPoint.objects.select_for_update().select_related("customer").get(pk=contact.pk)
    before = {"phone": contact.raw, "phone_e164": contact.e164}
    new_raw = new_raw.strip()
    if not new_raw:
        raise DomainError(_("The contact value is empty."), field="raw")
    contact.raw = new_raw
    if contact.kind == ContactKind.PHONE:
        check = check_phone(new_raw, entered_as=contact.phone_type)
        if check.is_valid and check.is_mobile and contact.phone_type == PhoneType.FIXED_LINE:
            contact.phone_type = PhoneType.MOBILE  # the number is a mobile: file it as one
        contact.e164, contact.is_valid = check.e164, check.is_valid
    contact.updated_at = timezone.now()
    contact.save()
    audit_record(
        action="customers.contact.repair",
        actor=by,
        target=contact,
        branch_id=contact.customer.branch_id,
        before=before,
        after={"phone": contact.raw, "phone_e164": contact.e164},
    )
    quality.refresh_for_customers([contact.customer_id])
    return contact


@transaction.atomic
def consent_record(
    *,
    customer: Customer,
    purpose: str,
    channel: str,
    granted: bool,
    source: str,
    evidence: str = "",
    recorded_at: dt.datetime | None = None,
    by: Staff | None,
) -> ConsentRow:
    """Record a consent or its withdrawal as a new row; history is never overwritten."""
    _require(by, "customers.manage")
    _check_choice(purpose, ConsentPurpose, "purpose")
    _check_choice(channel, ConsentChannel, "channel")
    if not source.strip():
        raise DomainError(_("Say where the consent came from."), field="source")
    row = ConsentRow.objects.create(
        customer=customer,
        purpose=purpose,
        channel=channel,
        granted=granted,
        source=source.strip(),
        evidence=evidence,
        recorded_at=recorded_at or timezone.now(),
        recorded_by=by,
    )
    audit_record(
        action="customers.consent." + ("grant" if granted else "withdraw"),
        actor=by,
        target=row,
        branch_id=customer.branch_id,
        after={"purpose": purpose, "channel": channel, "granted": granted, "source": source},
    )
    return row


@transaction.atomic
def do_not_call_add(
    *,
    e164: str,
    reason: str,
    starts_on: dt.date,
    ends_on: dt.date | None,
    customer: Customer | None = None,
    by: Staff | None,
) -> DoNotCall:
    _require(by, "customers.manage")
    if ends_on is not None and ends_on < starts_on:
        raise DomainError(_("The end date is before the start date."), field="ends_on")
    entry = DoNotCall.objects.create(
        customer=customer,
        e164=e164,
        reason=reason,
        starts_on=starts_on,
        ends_on=ends_on,
        recorded_by=by,
    )
    audit_record(
        action="customers.do_not_call.add",
        actor=by,
        target=entry,
        branch_id=customer.branch_id if customer else None,
        after={"phone": e164, "until": ends_on, "reason": reason},
    )
    return entry


@transaction.atomic
def risk_profile_record(
    *,
    customer: Customer,
    annual_income: Decimal,
    dependants: int,
    liabilities: Decimal,
    risk_appetite: str,
    assessed_on: dt.date,
    assets: Decimal = Decimal(0),
    existing_cover_elsewhere: Decimal = Decimal(0),
    notes: str = "",
    by: Staff | None,
) -> RiskProfile:
    """Record a needs-analysis assessment; earlier ones stay as history."""
    _require(by, "customers.manage")
    _check_choice(risk_appetite, RiskAppetite, "risk_appetite")
    for field, value in (
        ("annual_income", annual_income),
        ("liabilities", liabilities),
        ("assets", assets),
        ("existing_cover_elsewhere", existing_cover_elsewhere),
    ):
        if Decimal(value) < 0:
            raise DomainError(_("Amounts cannot be negative."), field=field)
    profile = RiskProfile.objects.create(
        customer=customer,
        annual_income=annual_income,
        dependants=dependants,
        liabilities=liabilities,
        assets=assets,
        existing_cover_elsewhere=existing_cover_elsewhere,
        risk_appetite=risk_appetite,
        assessed_on=assessed_on,
        assessed_by=by,
        notes=notes,
    )
    audit_record(
        action="customers.risk_profile.record",
        actor=by,
        target=profile,
        branch_id=customer.branch_id,
        after=snapshot(
            profile,
            [
                "annual_income",
                "dependants",
                "liabilities",
                "assets",
                "risk_appetite",
                "assessed_on",
            ],
        ),
    )
    return profile


def _join_household(customer: Customer, related: Customer) -> None:
    """Put both in one household, read fresh under lock (the callers' objects may be stale);
    two existing households are merged into the older one."""
    rows = {
        row.pk: row
        for row in Customer.objects.select_for_update().filter(pk__in=[customer.pk, related.pk])
    }
    households = sorted({r.household_id for r in rows.values() if r.household_id is not None})
    if households:
        target = households[0]
        Customer.objects.filter(household_id__in=households[1:]).update(household_id=target)
        Household.objects.filter(pk__in=households[1:]).delete()
    else:
        target = Household.objects.create(
            branch=customer.branch, name=_("%(name)s household") % {"name": customer.name}
        ).pk
    Customer.objects.filter(pk__in=rows).update(household_id=target)
    customer.household_id = related.household_id = target


@transaction.atomic
def household_link(
    *, customer: Customer, related: Customer, kind: str, by: Staff | None
) -> Relation:
    """Relate two customers; spouses, parents and children share a household."""
    _require(by, "customers.manage")
    _check_choice(kind, RelationKind, "kind")
    if customer.pk == related.pk:
        raise DomainError(_("A customer cannot be related to themself."), field="related")
    relation, _created = Relation.objects.get_or_create(
        customer=customer, related=related, kind=kind
    )
    if kind in {RelationKind.SPOUSE, RelationKind.CHILD, RelationKind.PARENT}:
        _join_household(customer, related)
    audit_record(
        action="customers.relation.add",
        actor=by,
        target=relation,
        branch_id=customer.branch_id,
        after={"customer": customer.pk, "related": related.pk, "kind": kind},
    )
    quality.refresh_for_customers([customer.pk, related.pk])
    return relation
