"""API of products and policies: the catalogue and one policy with its money events."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest
from ninja import Router, Schema

from policydesk.core.api_auth import actor_of
from policydesk.core.api_schemas import ERRORS, Id

from . import selectors
from .models import Policy

router = Router(tags=["policies"])


class ProductOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    line: str
    term: str
    cooling_off_days: dict[str, int]
    payment_modes: list[str]
    callback_required: bool
    currency: str
    is_active: bool


class MandateOut(Schema):
    bank_name: str
    account_masked: str
    status: str
    is_dormant: bool


class PartyOut(Schema):
    customer_id: int
    name: str
    role: str
    share: Decimal | None


class AttemptOut(Schema):
    attempted_on: dt.date
    method: str
    amount: Decimal
    result: str
    bank_code: str


class PremiumOut(Schema):
    due_date: dt.date
    amount: Decimal
    currency: str
    status: str
    paid_on: dt.date | None
    is_first_premium: bool
    attempts: list[AttemptOut]


class DisbursementOut(Schema):
    kind: str
    due_date: dt.date
    amount: Decimal
    currency: str
    method: str
    status: str
    paid_on: dt.date | None
    failure_reason: str


class StatusChangeOut(Schema):
    from_status: str
    to_status: str
    changed_on: dt.date
    reason: str


class PolicyOut(Schema):
    id: int
    number: str
    status: str
    product_id: int
    product_code: str
    product_name: str
    branch_id: int
    policyholder_id: int
    channel: str
    jurisdiction: str
    application_date: dt.date
    issue_date: dt.date | None
    cooling_off_end: dt.date | None
    paid_to_date: dt.date | None
    next_due_date: dt.date | None
    term_years: int
    sum_assured: Decimal
    premium: Decimal
    currency: str
    payment_mode: str
    payment_method: str
    mandate: MandateOut | None
    parties: list[PartyOut]
    premiums: list[PremiumOut]
    disbursements: list[DisbursementOut]
    status_changes: list[StatusChangeOut]


def policy_out(policy: Policy) -> dict[str, Any]:
    """A policy loaded through selectors (details prefetched) as the API shows it; the bank
    account is shown by its last four digits only."""
    try:
        mandate = policy.mandate
    except ObjectDoesNotExist:
        mandate = None
    return {
        "id": policy.pk,
        "number": policy.number,
        "status": policy.status,
        "product_id": policy.product_id,
        "product_code": policy.product.code,
        "product_name": policy.product.name,
        "branch_id": policy.branch_id,
        "policyholder_id": policy.policyholder_id,
        "channel": policy.channel,
        "jurisdiction": policy.jurisdiction,
        "application_date": policy.application_date,
        "issue_date": policy.issue_date,
        "cooling_off_end": policy.cooling_off_end,
        "paid_to_date": policy.paid_to_date,
        "next_due_date": policy.next_due_date,
        "term_years": policy.term_years,
        "sum_assured": policy.sum_assured,
        "premium": policy.premium,
        "currency": policy.currency,
        "payment_mode": policy.payment_mode,
        "payment_method": policy.payment_method,
        "mandate": (
            {
                "bank_name": mandate.bank_name,
                "account_masked": "****" + mandate.account_last4,
                "status": mandate.status,
                "is_dormant": mandate.is_dormant,
            }
            if mandate is not None
            else None
        ),
        "parties": [
            {
                "customer_id": party.customer_id,
                "name": party.customer.name,
                "role": party.role,
                "share": party.share,
            }
            for party in policy.parties.all()
        ],
        "premiums": [
            {
                "due_date": premium.due_date,
                "amount": premium.amount,
                "currency": premium.currency,
                "status": premium.status,
                "paid_on": premium.paid_on,
                "is_first_premium": premium.is_first_premium,
                "attempts": [
                    {
                        "attempted_on": attempt.attempted_on,
                        "method": attempt.method,
                        "amount": attempt.amount,
                        "result": attempt.result,
                        "bank_code": attempt.bank_code,
                    }
                    for attempt in premium.attempts.all()
                ],
            }
            for premium in policy.premiums.all()
        ],
        "disbursements": [
            {
                "kind": payout.kind,
                "due_date": payout.due_date,
                "amount": payout.amount,
                "currency": payout.currency,
                "method": payout.method,
                "status": payout.status,
                "paid_on": payout.paid_on,
                "failure_reason": payout.failure_reason,
            }
            for payout in policy.disbursements.all()
        ],
        "status_changes": [
            {
                "from_status": change.from_status,
                "to_status": change.to_status,
                "changed_on": change.changed_on,
                "reason": change.reason,
            }
            for change in policy.status_changes.all()
        ],
    }


@router.get("/products", response={200: list[ProductOut], **ERRORS}, summary="Active products")
def product_list(request: HttpRequest) -> Any:
    return list(selectors.products_visible(actor_of(request))[:500])


@router.get(
    "/policies/{policy_id}",
    response={200: PolicyOut, **ERRORS},
    summary="One policy with its parties, status history and money events",
)
def policy_detail(request: HttpRequest, policy_id: Id) -> Any:
    return policy_out(selectors.policy_get(actor_of(request), policy_id))
