"""The registry policies of the demo year's new long-term business (契约承保入库).

`newbusiness_demo` links an issued application to a free registry policy of the population
when there is one; the population holds a few hundred such policies for the seed branch's
~4,000 issued long-term applications, so most stood alone and the year's callbacks had
almost nothing to call. This step gives each issued long-term application without a policy
the one it was issued as — number as `application_issue` makes it, the application's
product, holder, amounts, channel, agent and bank, its issue day, receipt and cooling-off
end, status history (applied → issued → in force, or cancelled in cooling-off) and the
insured — set-based, then re-checks the holders' contact quality so a policy whose holder
has no reachable number is on the worklist (customers.quality), as an imported one would be.

It runs after the servicing, claims, counter and monitoring steps of the demo year, so their
draws over the registry stay as they were (the counter's figures are checked to the digit),
and before the callbacks, which call these policies. Short-term card and group business
needs no callback and stays without registry policies. A second call creates nothing.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from policydesk.cases import clocks
from policydesk.cases.models import Case
from policydesk.core.phones import check_phone
from policydesk.customers import quality
from policydesk.customers.models import ContactKind, ContactPoint, PhoneType
from policydesk.demo import contacts as population_contacts
from policydesk.demo.names import population_data
from policydesk.org.models import Branch
from policydesk.policies.models import (
    Intermediary,
    Policy,
    PolicyParty,
    PolicyPartyRole,
    PolicyStatus,
    PolicyStatusChange,
)

from .models import Application, SourceSystem

BATCH = 2000
# Long-term policies cancelled in cooling-off (犹豫期撤单), of those issued.
COOLING_OFF_CANCELLED = 0.02


@transaction.atomic
def newbusiness_demo_policies(*, branch: Branch, seed: int, as_of: dt.date) -> dict[str, int]:
    """Issue the registry policies of `branch`'s issued long-term applications that have
    none; return how many policies (and status changes, contact defects) were made."""
    applications = list(
        Application.objects.filter(
            case__branch=branch,
            source_system=SourceSystem.LONG_TERM_CORE,
            issued_at__isnull=False,
            policy__isnull=True,
        )
        .select_related("product")
        .order_by("pk")
    )
    if not applications:
        return {"policies": 0, "status_changes": 0, "contact_defects": 0}
    rng = random.Random(seed)  # noqa: S311 -- demo data, not security
    calendar = clocks.calendar_for(branch)
    policies: list[Policy] = []
    histories: list[list[tuple[str, str, dt.date, str]]] = []
    for app in applications:
        assert app.issued_at is not None  # noqa: S101 -- filtered above
        applied_on = calendar.local_date(app.received_at)
        issued_on = calendar.local_date(app.issued_at)
        receipt = app.receipt_signed_on
        history: list[tuple[str, str, dt.date, str]] = [
            ("", PolicyStatus.APPLIED, applied_on, ""),
            (PolicyStatus.APPLIED, PolicyStatus.UNDERWRITING, applied_on, ""),
            (PolicyStatus.UNDERWRITING, PolicyStatus.ISSUED, issued_on, ""),
        ]
        status: str = PolicyStatus.ISSUED
        if receipt is not None and app.cooling_off_end is not None:
            if rng.random() < COOLING_OFF_CANCELLED:
                cancelled = min(
                    app.cooling_off_end, receipt + dt.timedelta(days=rng.randint(1, 14))
                )
                if cancelled <= as_of:
                    status = PolicyStatus.CANCELLED_COOLING_OFF
                    history.append((PolicyStatus.ISSUED, status, cancelled, "犹豫期撤单"))
            if status == PolicyStatus.ISSUED and app.cooling_off_end < as_of:
                status = PolicyStatus.IN_FORCE
                history.append(
                    (PolicyStatus.ISSUED, status, app.cooling_off_end + dt.timedelta(days=1), "")
                )
        policies.append(
            Policy(
                number=f"NB{app.received_at:%Y}{app.pk:08d}",
                product=app.product,
                branch=branch,
                policyholder_id=app.applicant_id,
                channel=app.channel,
                agent_id=app.agent_id,
                intermediary_id=app.intermediary_id,
                source_system=app.source_system,
                status=status,
                application_date=applied_on,
                issue_date=issued_on,
                receipt_signed_date=receipt,
                cooling_off_end=app.cooling_off_end,
                term_years=app.term_years,
                sum_assured=app.sum_assured,
                premium=app.premium,
                currency=app.currency,
                payment_mode=app.payment_mode,
                payment_method=app.payment_method,
                created_at=app.issued_at,
                updated_at=app.issued_at,
            )
        )
        histories.append(history)
    Policy.objects.bulk_create(policies, batch_size=BATCH)
    changes = [
        PolicyStatusChange(
            policy=policy,
            from_status=before,
            to_status=after,
            changed_on=on,
            reason=reason,
            recorded_at=dt.datetime.combine(on, dt.time(9), tzinfo=calendar.zone),
        )
        for policy, history in zip(policies, histories, strict=True)
        for before, after, on, reason in history
    ]
    PolicyStatusChange.objects.bulk_create(changes, batch_size=BATCH)
    PolicyParty.objects.bulk_create(
        (
            PolicyParty(policy=policy, customer_id=app.insured_id, role=PolicyPartyRole.INSURED)
            for policy, app in zip(policies, applications, strict=True)
            if app.insured_id is not None
        ),
        batch_size=BATCH,
    )
    for policy, app in zip(policies, applications, strict=True):
        app.policy = policy
    Application.objects.bulk_update(applications, ["policy"], batch_size=500)
    cases = [Case(pk=app.case_id, policy=app.policy) for app in applications]
    Case.objects.bulk_update(cases, ["policy"], batch_size=500)
    sent = _intermediary_contacts(policies, rng)
    opened, _resolved = quality.refresh_many({app.applicant_id for app in applications})
    return {
        "policies": len(policies),
        "status_changes": len(changes),
        "intermediary_contacts": sent,
        "contact_defects": opened,
    }


def _intermediary_contacts(policies: list[Policy], rng: random.Random) -> int:
    """The phone each bank policy arrived with (the bank's system feeds it), added to the
    holder's contacts as the callback system will dial it (the primary phone): the holder's
    mobile typed into the office-phone field, with or without the 0594 the callback system
    prepends (shared/seeds/004; the population's dials, demo.contacts). A bank that sent no
    phone, or filed the mobile as one, adds nothing. Returns the contacts added."""
    office_only = {spec.code for spec in population_data().intermediaries if spec.office_field_only}
    sold = [p for p in policies if p.channel == "bancassurance"]
    holders = {p.policyholder_id for p in sold}
    known: set[tuple[int, str]] = set()
    mobiles: dict[int, str] = {}
    for customer_id, raw, e164, phone_type in (
        ContactPoint.objects.filter(customer_id__in=holders, kind=ContactKind.PHONE)
        .order_by("pk")
        .values_list("customer_id", "raw", "e164", "phone_type")
    ):
        known.add((customer_id, raw))
        if e164.startswith("+861") and len(e164) == 14 and phone_type == PhoneType.MOBILE:
            mobiles.setdefault(customer_id, e164.removeprefix("+86"))
    office_banks = set(
        Intermediary.objects.filter(code__in=office_only).values_list("pk", flat=True)
    )
    added: dict[int, ContactPoint] = {}
    for policy in sold:
        if rng.random() < population_contacts.BANCASSURANCE_NO_PHONE:
            continue  # the bank sent no phone: the holder's own contacts are all there is
        prefixed, unprefixed = (
            (
                population_contacts.OFFICE_FIELD_BANK_PREFIXED,
                population_contacts.OFFICE_FIELD_BANK_UNPREFIXED,
            )
            if policy.intermediary_id in office_banks
            else (
                population_contacts.OTHER_BANK_PREFIXED,
                population_contacts.OTHER_BANK_UNPREFIXED,
            )
        )
        roll = rng.random()
        if roll >= prefixed + unprefixed:
            continue  # filed as a mobile: the callback reaches the number the holder has
        holder = policy.policyholder_id
        mobile = mobiles.setdefault(holder, f"13{rng.randrange(10**9):09d}")
        raw = "0594" + mobile if roll < prefixed else mobile
        if (holder, raw) in known or holder in added:
            continue
        known.add((holder, raw))
        added[holder] = phone_contact(
            holder, raw, PhoneType.FIXED_LINE, source="bancassurance", at=policy.created_at
        )
    ContactPoint.objects.filter(customer_id__in=added, kind=ContactKind.PHONE).update(
        is_primary=False
    )
    ContactPoint.objects.bulk_create(added.values(), batch_size=BATCH)
    return len(added)


def phone_contact(
    customer_id: int, raw: str, phone_type: str, *, source: str, at: dt.datetime
) -> ContactPoint:
    """A primary phone as a system recorded it at `at`, normalised and checked as
    `customers.services.contact_add` would (unsaved: the callers write them in bulk)."""
    check = check_phone(raw, entered_as=phone_type)
    return ContactPoint(
        customer_id=customer_id,
        kind=ContactKind.PHONE,
        phone_type=phone_type,
        raw=raw,
        e164=check.e164,
        is_valid=check.is_valid,
        is_primary=True,
        source=source,
        created_at=at,
        updated_at=at,
    )
