"""Shared test data: the personas every test file builds on."""

from __future__ import annotations

import itertools
from typing import Any

from policydesk.org import services
from policydesk.org.models import Branch, Company, Role, Staff, Team

PASSWORD = "Correct-Horse-Battery-9"
_counter = itertools.count(1)


def company(code: str = "acme") -> Company:
    existing = Company.objects.filter(code=code).first()
    return existing or services.company_create(code=code, name=f"{code} Life", by=None)


def branch(
    code: str | None = None, *, parent: Branch | None = None, kind: str = "county", **extra: Any
) -> Branch:
    code = code or f"b{next(_counter)}"
    return services.branch_create(
        company=parent.company if parent else company(),
        code=code,
        name=f"Branch {code}",
        kind=kind,
        parent=parent,
        by=None,
        **extra,
    )


def team(branch_: Branch, code: str | None = None, kind: str = "team") -> Team:
    code = code or f"t{next(_counter)}"
    return services.team_create(branch=branch_, code=code, name=f"Team {code}", kind=kind, by=None)


def staff(role: str = Role.FRONT_TELLER, branch_: Branch | None = None, **extra: Any) -> Staff:
    username = extra.pop("username", None) or f"{role}-{next(_counter)}"
    return services.staff_create(
        username=username,
        password=extra.pop("password", PASSWORD),
        role=role,
        branch=branch_,
        display_name=extra.pop("display_name", username.title()),
        email=extra.pop("email", f"{username}@example.invalid"),
        by=None,
        **extra,
    )


# --- Customers, products and policies (built on the services, so data is always valid) ---


def resident_id(birth_date: Any = None, *, sequence: int | None = None) -> str:
    """A valid 18-character resident ID number (区域码 350322, Xianyou county, Putian)."""
    import datetime as dt

    from policydesk.customers.identity import resident_id_check_digit

    born = birth_date or dt.date(1980, 1, 1)
    serial = (sequence if sequence is not None else next(_counter)) % 1000
    first17 = f"350322{born:%Y%m%d}{serial:03d}"
    return first17 + resident_id_check_digit(first17)


def customer(
    branch_: Branch | None = None,
    *,
    number: str | None = None,
    name: str | None = None,
    kind: str = "person",
    id_type: str = "resident_id",
    id_number: str | None = None,
    phones: tuple[str, ...] | list[str] = (),
    by: Staff | None = None,
    **fields: Any,
) -> Any:
    """A customer registered through customers.services; `phones` adds mobile contacts."""
    from policydesk.customers import services as customer_services

    sequence = next(_counter)
    created = customer_services.customer_create(
        number=number or f"C{sequence:08d}",
        kind=kind,
        branch=branch_ or branch(),
        name=name or f"Customer {sequence}",
        id_type=id_type,
        id_number=id_number or resident_id(sequence=sequence),
        by=by,
        **fields,
    )
    for position, raw in enumerate(phones):
        customer_services.contact_add(
            customer=created, kind="phone", raw=raw, is_primary=position == 0, by=by
        )
    return created


def product(
    code: str | None = None,
    *,
    name: str | None = None,
    line: str = "life",
    term: str = "long",
    cooling_off_days: dict[str, int] | None = None,
    payment_modes: list[str] | None = None,
    callback_required: bool = True,
    by: Staff | None = None,
) -> Any:
    """A product; by default long-term life, cooling-off CN 15 / HK 21 / SG 14, every mode."""
    from policydesk.policies import services as policy_services

    code = code or f"P{next(_counter):05d}"
    return policy_services.product_create(
        code=code,
        name=name or f"Product {code}",
        line=line,
        term=term,
        cooling_off_days=(
            {"CN": 15, "HK": 21, "SG": 14} if cooling_off_days is None else cooling_off_days
        ),
        payment_modes=(
            ["single", "annual", "semi_annual", "quarterly", "monthly"]
            if payment_modes is None
            else payment_modes
        ),
        callback_required=callback_required,
        by=by,
    )


def policy(
    policyholder: Any = None,
    *,
    number: str | None = None,
    product_: Any = None,
    branch_: Branch | None = None,
    channel: str = "agency",
    status: str = "in_force",
    application_date: Any = None,
    issue_date: Any = None,
    receipt_signed_date: Any = None,
    sum_assured: Any = None,
    premium: Any = None,
    payment_mode: str = "annual",
    payment_method: str = "auto_debit",
    by: Staff | None = None,
    **extra: Any,
) -> Any:
    """A policy through policies.services.policy_create; a policyholder is made if not given.

    `extra` passes on insured, beneficiaries, agent, intermediary, jurisdiction, term_years,
    source_system.
    """
    import datetime as dt
    from decimal import Decimal

    from policydesk.policies import services as policy_services

    holder = policyholder or customer(branch_)
    application_date = application_date or dt.date(2026, 2, 20)
    if issue_date is None and status not in ("applied", "underwriting", "declined", "withdrawn"):
        issue_date = application_date + dt.timedelta(days=5)
    if receipt_signed_date is None and issue_date is not None:
        receipt_signed_date = issue_date + dt.timedelta(days=3)
    return policy_services.policy_create(
        number=number or f"PL{next(_counter):010d}",
        product=product_ or product(),
        branch=branch_ or holder.branch,
        policyholder=holder,
        channel=channel,
        status=status,
        application_date=application_date,
        issue_date=issue_date,
        receipt_signed_date=receipt_signed_date,
        sum_assured=Decimal("100000.00") if sum_assured is None else sum_assured,
        premium=Decimal("5000.00") if premium is None else premium,
        payment_mode=payment_mode,
        payment_method=payment_method,
        by=by,
        **extra,
    )
