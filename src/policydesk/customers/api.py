"""API of the customer registry: search, the customer 360, registration, contacts, consents.

ID numbers are masked unless the caller's role grants customers.view_identity; every
unmasked answer is audited (customers.identity.reveal).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from policydesk.core.access import require
from policydesk.core.api_auth import actor_of
from policydesk.core.api_schemas import CREATE_ERRORS, ERRORS, Id, as_json
from policydesk.core.errors import fields_renamed
from policydesk.core.idempotency import run_idempotent
from policydesk.org.selectors import branch_get
from policydesk.policies.api import PolicyOut, policy_out

from . import selectors, services
from .identity import lookup_hash, masked
from .models import Consent as ConsentRow
from .models import (
    ConsentChannel,
    ConsentPurpose,
    ContactKind,
    Customer,
    Gender,
    IdDocumentType,
    IncomeBand,
    PartyKind,
    PhoneType,
    Segment,
)
from .models import ContactPoint as ContactRow

router = Router(tags=["customers"])
# Services name fields by model attribute; the API's inputs carry ids.
API_FIELD_NAMES = {"branch": "branch_id"}


class CustomerSummaryOut(Schema):
    id: int
    number: str
    kind: str
    name: str
    name_latin: str
    branch_id: int
    branch_name: str
    id_type: str
    id_number_masked: str
    phone: str
    policies: int


class CustomerPageOut(Schema):
    items: list[CustomerSummaryOut]
    next_cursor: int | None


class CustomerOut(Schema):
    id: int
    number: str
    kind: str
    name: str
    name_latin: str
    branch_id: int
    id_type: str
    id_number_masked: str
    birth_date: dt.date | None
    gender: str
    occupation: str
    income_band: str
    segment: str
    vulnerability_flags: list[str]
    household_id: int | None


class IdentityOut(Schema):
    id_type: str
    id_number: str = Field(description="Unmasked only for roles with customers.view_identity.")
    revealed: bool


class DefectOut(Schema):
    code: str
    detail: str
    suggestion: str
    detected_at: dt.datetime


class PolicyDefectOut(DefectOut):
    policy_number: str | None


class ContactOut(Schema):
    id: int
    kind: str
    phone_type: str
    raw: str
    e164: str
    is_valid: bool
    is_primary: bool
    source: str
    defects: list[DefectOut]


class ConsentOut(Schema):
    id: int
    purpose: str
    channel: str
    granted: bool
    source: str
    evidence: str
    recorded_at: dt.datetime


class DoNotCallOut(Schema):
    e164: str
    reason: str
    starts_on: dt.date
    ends_on: dt.date | None


class RiskProfileOut(Schema):
    assessed_on: dt.date
    annual_income: Decimal
    dependants: int
    liabilities: Decimal
    assets: Decimal
    existing_cover_elsewhere: Decimal
    risk_appetite: str
    currency: str


class PartyRefOut(Schema):
    id: int
    number: str
    name: str


class RelationOut(Schema):
    kind: str
    related: PartyRefOut


class CustomerPolicyOut(PolicyOut):
    roles: list[str]


class TimelineEntryOut(Schema):
    at: dt.datetime
    date_only: bool
    kind: str
    title: str
    detail: str


class Customer360Out(Schema):
    customer: CustomerOut
    identity: IdentityOut
    contacts: list[ContactOut]
    # Defects of no contact point: a policy with no reachable number.
    policy_defects: list[PolicyDefectOut]
    current_consents: list[ConsentOut]
    consent_history: list[ConsentOut]
    do_not_call: list[DoNotCallOut]
    risk_profile: RiskProfileOut | None
    risk_history: list[RiskProfileOut]
    household_members: list[PartyRefOut]
    relations: list[RelationOut]
    policies: list[CustomerPolicyOut]
    timeline: list[TimelineEntryOut]


class CustomerIn(Schema):
    number: str = Field(min_length=1, max_length=32)
    kind: PartyKind = PartyKind.PERSON
    branch_id: Id
    name: str = Field(min_length=1, max_length=200)
    name_latin: str = Field("", max_length=200)
    id_type: IdDocumentType
    id_number: str = Field(min_length=1, max_length=64)
    birth_date: dt.date | None = None
    gender: Gender = Gender.UNKNOWN
    occupation: str = Field("", max_length=100)
    income_band: IncomeBand = IncomeBand.UNKNOWN
    segment: Segment = Segment.MASS


class ContactIn(Schema):
    kind: ContactKind
    raw: str = Field(min_length=1, max_length=300)
    phone_type: PhoneType | None = None
    is_primary: bool = False
    source: str = Field("", max_length=32)


class ConsentIn(Schema):
    purpose: ConsentPurpose
    channel: ConsentChannel
    granted: bool
    source: str = Field(min_length=1, max_length=64)
    evidence: str = Field("", max_length=300)


def customer_out(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "number": customer.number,
        "kind": customer.kind,
        "name": customer.name,
        "name_latin": customer.name_latin,
        "branch_id": customer.branch_id,
        "id_type": customer.id_type,
        "id_number_masked": masked(customer.id_number_last4),
        "birth_date": customer.birth_date,
        "gender": customer.gender,
        "occupation": customer.occupation,
        "income_band": customer.income_band,
        "segment": customer.segment,
        "vulnerability_flags": list(customer.vulnerability_flags or []),
        "household_id": customer.household_id,
    }


def contact_out(contact: ContactRow, defects: list[Any] | None = None) -> dict[str, Any]:
    return {
        "id": contact.pk,
        "kind": contact.kind,
        "phone_type": contact.phone_type,
        "raw": contact.raw,
        "e164": contact.e164,
        "is_valid": contact.is_valid,
        "is_primary": contact.is_primary,
        "source": contact.source,
        "defects": [
            {
                "code": d.code,
                "detail": d.detail,
                "suggestion": d.suggestion,
                "detected_at": d.detected_at,
            }
            for d in (defects or [])
        ],
    }


def consent_out(consent: ConsentRow) -> dict[str, Any]:
    return {
        "id": consent.pk,
        "purpose": consent.purpose,
        "channel": consent.channel,
        "granted": consent.granted,
        "source": consent.source,
        "evidence": consent.evidence,
        "recorded_at": consent.recorded_at,
    }


def _party_ref(customer: Customer) -> dict[str, Any]:
    return {"id": customer.pk, "number": customer.number, "name": customer.name}


def customer_360_out(view: selectors.Customer360) -> dict[str, Any]:
    risk_fields = [
        "assessed_on",
        "annual_income",
        "dependants",
        "liabilities",
        "assets",
        "existing_cover_elsewhere",
        "risk_appetite",
        "currency",
    ]
    return {
        "customer": customer_out(view.customer),
        "identity": {
            "id_type": view.identity.id_type,
            "id_number": view.identity.id_number,
            "revealed": view.identity.revealed,
        },
        "contacts": [contact_out(c, getattr(c, "open_defects", [])) for c in view.contacts],
        "policy_defects": [
            {
                "code": d.code,
                "detail": d.detail,
                "suggestion": d.suggestion,
                "detected_at": d.detected_at,
                "policy_number": d.policy.number if d.policy is not None else None,
            }
            for d in view.policy_defects
        ],
        "current_consents": [consent_out(c) for c in view.current_consents],
        "consent_history": [consent_out(c) for c in view.consent_history],
        "do_not_call": [
            {"e164": d.e164, "reason": d.reason, "starts_on": d.starts_on, "ends_on": d.ends_on}
            for d in view.do_not_call
        ],
        "risk_profile": (
            {name: getattr(view.risk_profile, name) for name in risk_fields}
            if view.risk_profile
            else None
        ),
        "risk_history": [
            {name: getattr(r, name) for name in risk_fields} for r in view.risk_history
        ],
        "household_members": [_party_ref(m) for m in view.household_members],
        "relations": [{"kind": r.kind, "related": _party_ref(r.related)} for r in view.relations],
        "policies": [{**policy_out(item.policy), "roles": item.roles} for item in view.policies],
        "timeline": [
            {
                "at": entry.at,
                "date_only": entry.date_only,
                "kind": entry.kind,
                "title": entry.title,
                "detail": entry.detail,
            }
            for entry in view.timeline
        ],
    }


@router.get(
    "/customers",
    response={200: CustomerPageOut, **ERRORS},
    summary="Search customers by name prefix, phone, ID, policy or customer number",
)
def customer_search(
    request: HttpRequest, q: str = "", after: Id | None = None, limit: int = 25
) -> Any:
    page = selectors.customer_search(actor_of(request), q, after=after, limit=limit)
    return {
        "items": [
            {
                "id": row.customer.pk,
                "number": row.customer.number,
                "kind": row.customer.kind,
                "name": row.customer.name,
                "name_latin": row.customer.name_latin,
                "branch_id": row.customer.branch_id,
                "branch_name": row.customer.branch.name,
                "id_type": row.customer.id_type,
                "id_number_masked": row.masked_id,
                "phone": row.phone,
                "policies": row.policies,
            }
            for row in page.items
        ],
        "next_cursor": page.next_cursor,
    }


@router.get(
    "/customers/{customer_id}",
    response={200: Customer360Out, **ERRORS},
    summary="The customer 360: identity, contacts, consents, risk, household, policies, timeline",
)
def customer_detail(request: HttpRequest, customer_id: Id) -> Any:
    actor = actor_of(request)
    customer = selectors.customer_get(actor, customer_id)
    return customer_360_out(selectors.customer_360(actor, customer))


@router.post(
    "/customers", response={201: CustomerOut, **CREATE_ERRORS}, summary="Register a customer"
)
def customer_create(request: HttpRequest, payload: CustomerIn) -> Any:
    actor = actor_of(request)
    require(actor, "customers.manage")

    @fields_renamed(API_FIELD_NAMES)
    def create() -> tuple[int, dict[str, Any]]:
        customer = services.customer_create(
            number=payload.number,
            kind=payload.kind,
            branch=branch_get(actor, payload.branch_id),
            name=payload.name,
            id_type=payload.id_type,
            id_number=payload.id_number,
            name_latin=payload.name_latin,
            birth_date=payload.birth_date,
            gender=payload.gender,
            occupation=payload.occupation,
            income_band=payload.income_band,
            segment=payload.segment,
            by=actor,
        )
        return 201, as_json(CustomerOut, customer_out(customer))

    # The request fingerprint is stored: it carries the ID number's keyed hash, not the number.
    fingerprint = payload.dict()
    fingerprint["id_number"] = lookup_hash(payload.id_number)
    status, body = run_idempotent(
        request, actor_id=actor.pk, operation="customer.create", payload=fingerprint, create=create
    )
    return Status(status, body)


@router.post(
    "/customers/{customer_id}/contacts",
    response={201: ContactOut, **CREATE_ERRORS},
    summary="Add a phone, address or e-mail",
)
def contact_create(request: HttpRequest, customer_id: Id, payload: ContactIn) -> Any:
    actor = actor_of(request)
    customer = selectors.customer_get(actor, customer_id)

    def create() -> tuple[int, dict[str, Any]]:
        contact = services.contact_add(
            customer=customer,
            kind=payload.kind,
            raw=payload.raw,
            phone_type=payload.phone_type or "",
            is_primary=payload.is_primary,
            source=payload.source,
            by=actor,
        )
        defects = list(contact.defects.filter(resolved_at__isnull=True))
        return 201, as_json(ContactOut, contact_out(contact, defects))

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation=f"customer.{customer.pk}.contact.create",
        payload=payload.dict(),
        create=create,
    )
    return Status(status, body)


@router.post(
    "/customers/{customer_id}/consents",
    response={201: ConsentOut, **CREATE_ERRORS},
    summary="Record a consent or its withdrawal",
)
def consent_create(request: HttpRequest, customer_id: Id, payload: ConsentIn) -> Any:
    actor = actor_of(request)
    customer = selectors.customer_get(actor, customer_id)

    def create() -> tuple[int, dict[str, Any]]:
        consent = services.consent_record(
            customer=customer,
            purpose=payload.purpose,
            channel=payload.channel,
            granted=payload.granted,
            source=payload.source,
            evidence=payload.evidence,
            by=actor,
        )
        return 201, as_json(ConsentOut, consent_out(consent))

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation=f"customer.{customer.pk}.consent.create",
        payload=payload.dict(),
        create=create,
    )
    return Status(status, body)
